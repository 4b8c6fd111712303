"""Staff invite a contact to the portal; the contact follows the e-mailed link to set a
password, which creates their portal login and links it to the contact."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.accounts import create_user
from core.permissions import StaffRequiredMixin
from core.roles import PORTAL_CUSTOMER
from crm_apps.customers.models import Contact
from crm_apps.customers.visibility import visible
from portal.account_forms import NewPasswordForm
from portal.mailing import send_on_commit

INVITE_SALT = "portal.invite"
INVITE_MAX_AGE = 7 * 24 * 3600  # a week: long enough for a customer to get round to it


def make_invite_token(contact) -> str:
    """Signed with the tenant and the address: a link made in one tenant, or for an address
    since changed, is worthless."""
    return signing.dumps({"s": connection.schema_name, "c": contact.pk,
                          "e": contact.email.lower()}, salt=INVITE_SALT, compress=True)


def invited_contact(token: str, *, for_update: bool = False) -> Contact:
    """The live, not yet linked contact a valid invitation names; 404 for anything else."""
    try:
        data = signing.loads(token, salt=INVITE_SALT, max_age=INVITE_MAX_AGE)
    except signing.BadSignature as exc:  # tampered, or expired (a subclass)
        raise Http404("Invalid or expired invitation") from exc
    if not isinstance(data, dict) or data.get("s") != connection.schema_name:
        raise Http404("Invalid or expired invitation")
    contacts = Contact.objects.filter(pk=data.get("c"), portal_user__isnull=True)
    if for_update:
        contacts = contacts.select_for_update()
    contact = contacts.first()
    if contact is None or not contact.email or contact.email.lower() != data.get("e"):
        raise Http404("Invalid or expired invitation")
    return contact


def invite_problem(contact) -> str:
    """Why this contact cannot be invited now, or an empty string."""
    if contact.portal_user_id:
        return _("This contact already has a portal login.")
    if not contact.email:
        return _("Add an e-mail address to the contact first.")
    if get_user_model().objects.filter(email__iexact=contact.email).exists():
        return _("A login with this e-mail address already exists.")
    return ""


class InviteToPortalView(StaffRequiredMixin, View):
    """POST only: e-mails the contact a link to set a portal password."""

    http_method_names = ["post"]

    def post(self, request, pk):
        contact = get_object_or_404(visible(Contact.objects.all(), request.user), pk=pk)
        detail = reverse("customers:contact-detail", args=[contact.pk])
        problem = invite_problem(contact)
        if problem:
            messages.error(request, problem)
            return HttpResponseRedirect(detail)
        link = request.build_absolute_uri(
            reverse("portal:invite", args=[make_invite_token(contact)]))
        context = {"contact": contact, "link": link, "days": INVITE_MAX_AGE // 86400,
                   "tenant": getattr(request, "tenant", None)}
        # A contact has no language of its own (nor a login yet): the invitation is written
        # in the language of the page the staff member sends it from.
        send_on_commit(
            to=contact.email, subject=_("Your invitation to the customer portal"),
            body=render_to_string("portal/email/invite.txt", context, request=request))
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": contact.email})
        return HttpResponseRedirect(detail)


class InviteAcceptView(View):
    """The invited customer chooses a password; the login is made and they are signed in."""

    template_name = "portal/invite_accept.html"

    def get(self, request, token):
        contact = invited_contact(token)
        return render(request, self.template_name, {"contact": contact, "form": NewPasswordForm()})

    def post(self, request, token):
        form = NewPasswordForm(request.POST)
        with transaction.atomic():
            contact = invited_contact(token, for_update=True)
            if not form.is_valid():
                return render(request, self.template_name,
                              {"contact": contact, "form": form}, status=400)
            try:
                user = create_user(email=contact.email, password=form.cleaned_data["password1"],
                                   role=PORTAL_CUSTOMER, first_name=contact.first_name,
                                   last_name=contact.last_name)
            except ValidationError as error:  # someone took the address since the invitation
                form.add_error(None, error)
                return render(request, self.template_name,
                              {"contact": contact, "form": form}, status=409)
            contact.portal_user = user
            contact.save(update_fields=["portal_user", "updated"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your portal login is ready."))
        return redirect("portal:home")
