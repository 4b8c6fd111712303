"""Sign-in pages for each audience (staff, customers, operators) and the sign-up hand-off."""

from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.permissions import is_operator, is_portal_customer, is_staff_member

HANDOFF_SALT = "core.signup-handoff"
HANDOFF_MAX_AGE = 300


class AudienceAuthenticationForm(AuthenticationForm):
    """Refuses, with a clear message, a valid account that belongs to another audience."""

    audience_check = staticmethod(lambda user: True)
    wrong_audience_message = ""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not self.audience_check(user):
            raise forms.ValidationError(self.wrong_audience_message, code="wrong_audience")


def audience_login_view(*, check, wrong_audience, heading, audience, home):
    """A sign-in view for one audience (staff, customers or operators) of a host."""
    form = type("AudienceForm", (AudienceAuthenticationForm,), {
        "audience_check": staticmethod(check), "wrong_audience_message": wrong_audience})

    class AudienceLoginView(auth_views.LoginView):
        template_name = "core/login.html"
        authentication_form = form
        extra_context = {"audience": audience, "heading": heading}

        def get_default_redirect_url(self):
            return reverse(home)

    return AudienceLoginView.as_view()


staff_login = audience_login_view(
    check=is_staff_member, audience="staff", heading=_("Staff sign-in"), home="backoffice:home",
    wrong_audience=_("This sign-in is for staff. Customers sign in to the portal."))
customer_login = audience_login_view(
    check=is_portal_customer, audience="customer", heading=_("Customer portal sign-in"),
    home="portal:home",
    wrong_audience=_("This sign-in is for customers. Staff sign in to the back office."))
operator_login = audience_login_view(
    check=is_operator, audience="operator", heading=_("Operator sign-in"),
    home="operator:tenant-list", wrong_audience=_("This sign-in is for platform operators."))


def make_handoff_token(user, schema_name: str) -> str:
    """A signed, short-lived, single-use token that signs ``user`` in on its tenant host."""
    return signing.dumps(
        {"s": schema_name, "u": user.pk, "t": default_token_generator.make_token(user)},
        salt=HANDOFF_SALT,
    )


def handoff_login(request):
    """Sign in the owner who just created this tenant on the operator host (cookies are
    host-only, so the session must be made here). The token dies with the first login."""
    try:
        data = signing.loads(request.GET.get("token", ""), salt=HANDOFF_SALT,
                             max_age=HANDOFF_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404("Invalid or expired link") from exc
    if data.get("s") != connection.schema_name:
        raise Http404("Invalid or expired link")
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not default_token_generator.check_token(user, data.get("t", "")):
        raise Http404("Invalid or expired link")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("backoffice:home")
