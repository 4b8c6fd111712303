"""The signed-in customer's profile and preferences, and password reset for portal logins."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import CustomerRequiredMixin
from core.roles import PORTAL_CUSTOMER
from portal.account_forms import LanguageForm, ProfileForm
from portal.models import PortalPreferences
from portal.policy import customer_of

PREFERENCE_FIELDS = ("email_on_reply", "email_on_status", "email_on_order")


class ProfileView(CustomerRequiredMixin, View):
    """Name, phone, language and e-mail choices; a login whose contact is gone (deleted or
    unlinked by staff) keeps only its language and is told to ask the company."""

    template_name = "portal/profile.html"

    def get(self, request):
        scope = customer_of(request.user)
        if scope is None:
            form = LanguageForm(initial={"language": request.user.preferred_language})
            return self.render_unlinked(form)
        contact = scope.contact
        preferences = PortalPreferences.objects.filter(contact=contact).first() \
            or PortalPreferences(contact=contact)
        form = ProfileForm(initial={
            "first_name": contact.first_name, "last_name": contact.last_name,
            "phone": contact.phone, "language": request.user.preferred_language,
            **{name: getattr(preferences, name) for name in PREFERENCE_FIELDS}})
        return render(request, self.template_name, {"form": form, "contact": contact})

    def render_unlinked(self, form, status=200):
        return render(self.request, self.template_name,
                      {"form": form, "contact": None, "unlinked": True}, status=status)

    def post(self, request):
        scope = customer_of(request.user)
        if scope is None:
            return self.post_language_only(request)
        contact = scope.contact
        form = ProfileForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "contact": contact},
                          status=400)
        data = form.cleaned_data
        user = request.user
        with transaction.atomic():
            contact.first_name, contact.last_name = data["first_name"], data["last_name"]
            contact.phone = data["phone"]
            contact.save(update_fields=["first_name", "last_name", "phone", "updated"])
            user.first_name, user.last_name = data["first_name"], data["last_name"]
            user.preferred_language = data["language"]
            user.save(update_fields=["first_name", "last_name", "preferred_language"])
            PortalPreferences.objects.update_or_create(
                contact=contact, defaults={name: data[name] for name in PREFERENCE_FIELDS})
        return self.saved(data["language"])

    def post_language_only(self, request):
        form = LanguageForm(request.POST)
        if not form.is_valid():
            return self.render_unlinked(form, status=400)
        request.user.preferred_language = form.cleaned_data["language"]
        request.user.save(update_fields=["preferred_language"])
        return self.saved(form.cleaned_data["language"])

    def saved(self, language: str):
        response = redirect("portal:profile")
        if language:
            # The confirmation below, and the pages after it, in the language just chosen
            # (the cookie wins over the one set at sign-in from the saved choice).
            translation.activate(language)
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language)
        messages.success(self.request, _("Your profile is saved."))
        return response


class PortalPasswordResetForm(PasswordResetForm):
    """Only portal logins are reset from the portal; staff use the back office."""

    def get_users(self, email):
        return (user for user in super().get_users(email)
                if user.groups.filter(name=PORTAL_CUSTOMER).exists())


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm
    template_name = "portal/password_reset_form.html"
    email_template_name = "portal/email/password_reset.txt"
    subject_template_name = "portal/email/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password-reset-done")

    def form_valid(self, form):
        # The link must point at this tenant's host, not at the Sites framework's domain.
        self.extra_email_context = {"host": self.request.get_host()}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
