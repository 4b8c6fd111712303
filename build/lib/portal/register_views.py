"""Self-registration: e-mail and password, then a verification link that activates the login
and links it to the customer's contact. Responses never tell whether an address is known."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core import signing
from django.core.cache import cache
from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from portal.account_forms import ConfirmPasswordForm, RegisterForm
from portal.mailing import send_on_commit
from portal.models import PendingRegistration
from portal.registration import address_taken, complete_registration, start_registration

VERIFY_SALT = "portal.verify"
VERIFY_MAX_AGE = 3 * 24 * 3600
# Per client address and per e-mail address, within RATE_WINDOW seconds: enough for typos,
# too few to probe addresses or flood someone's inbox.
RATE_WINDOW = 3600
MAX_PER_CLIENT = 10
MAX_PER_ADDRESS = 3


def make_verify_token(user) -> str:
    return signing.dumps({"s": connection.schema_name, "u": user.pk}, salt=VERIFY_SALT)


def pending_user(token: str):
    """The inactive, self-registered login a valid link names; 404 for anything else."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404("Invalid or expired link") from exc
    if not isinstance(data, dict) or data.get("s") != connection.schema_name:
        raise Http404("Invalid or expired link")
    pending = PendingRegistration.objects.filter(user_id=data.get("u")).values("user_id")
    user = get_user_model().objects.filter(pk__in=pending, is_active=False).first()
    if user is None:
        raise Http404("Invalid or expired link")
    return user


def attempt_keys(client: str, email: str) -> tuple[str, str]:
    """The cache counters of one client address and one e-mail address."""
    prefix = f"portal-register:{connection.schema_name}"
    return f"{prefix}:ip:{client}", f"{prefix}:to:{email}"


def over_limit(request, email: str) -> bool:
    """Counts this attempt and says whether the client or the address has had too many."""
    by_client, by_address = attempt_keys(request.META.get("REMOTE_ADDR", ""), email)
    over = False
    for key, limit in ((by_client, MAX_PER_CLIENT), (by_address, MAX_PER_ADDRESS)):
        cache.add(key, 0, RATE_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            count = 1
        over = over or count > limit
    return over


def _mail(request, template: str, subject: str, email: str, **context) -> None:
    body = render_to_string(template, {"email": email, **context}, request=request)
    send_on_commit(to=email, subject=subject, body=body)


class RegisterView(View):
    template_name = "portal/register.html"

    def get(self, request):
        return render(request, self.template_name, {"form": RegisterForm()})

    def post(self, request):
        form = RegisterForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        email = form.cleaned_data["email"]
        if over_limit(request, email):
            return render(request, "portal/register_sent.html", {"limited": True}, status=429)
        with transaction.atomic():  # the mail goes once the pending login is committed
            self.register_or_remind(request, form, email)
        return render(request, "portal/register_sent.html", {"email": email})

    def register_or_remind(self, request, form, email: str) -> None:
        if address_taken(email):
            # The owner of the address learns it has a login; the visitor learns nothing.
            _mail(request, "portal/email/already_registered.txt",
                  _("You already have a portal login"), email,
                  login=request.build_absolute_uri(reverse("portal:login")),
                  reset=request.build_absolute_uri(reverse("portal:password-reset")))
            return
        user = start_registration(
            email=email, password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"], language=get_language() or "")
        _mail(request, "portal/email/verify.txt", _("Confirm your e-mail address"), email,
              link=request.build_absolute_uri(
                  reverse("portal:register-verify", args=[make_verify_token(user)])),
              days=VERIFY_MAX_AGE // 86400)


class VerifyView(View):
    """Following the link and typing the password chosen at registration proves both the
    address and the registrant, so nobody can pre-register someone else's address."""

    template_name = "portal/register_verify.html"

    def get(self, request, token):
        user = pending_user(token)
        return render(request, self.template_name, {"form": ConfirmPasswordForm(),
                                                    "pending_email": user.email})

    def post(self, request, token):
        user = pending_user(token)
        form = ConfirmPasswordForm(request.POST)
        if form.is_valid() and not user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("This is not the password you registered with."))
        if not form.is_valid():
            return render(request, self.template_name,
                          {"form": form, "pending_email": user.email}, status=400)
        complete_registration(user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your e-mail address is confirmed. Welcome!"))
        return redirect("portal:home")
