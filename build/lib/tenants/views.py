"""Operator console (/operator/), the public landing page and self-service sign-up."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from core.auth_views import make_handoff_token
from core.permissions import OperatorRequiredMixin
from tenants import lifecycle
from tenants.forms import DeleteTenantForm, PlatformSettingsForm, SignupForm, TenantCreateForm
from tenants.models import PlatformSettings, TenantExport
from tenants.provisioning import provision_tenant
from tenants.selectors import fleet, staff_counts
from tenants.template import TemplateOutOfDate


def _form_errors_from(exc: ValidationError, form) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class LandingView(TemplateView):
    template_name = "tenants/landing.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "signup_enabled": PlatformSettings.load().signup_enabled}


class TenantListView(OperatorRequiredMixin, TemplateView):
    template_name = "tenants/tenant_list.html"

    def get_context_data(self, **kwargs):
        tenants = list(fleet())
        counts = staff_counts(tenants)
        for tenant in tenants:
            tenant.staff_count = counts.get(tenant.schema_name)
        return {**super().get_context_data(**kwargs), "tenants": tenants,
                "create_form": kwargs.get("create_form") or TenantCreateForm(),
                "settings_form": PlatformSettingsForm(instance=PlatformSettings.load())}


class TenantCreateView(OperatorRequiredMixin, View):
    def post(self, request):
        form = TenantCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = provision_tenant(slug=data["slug"], name=data["name"],
                                          owner_email=data["owner_email"], plan=data["plan"],
                                          time_zone=data["time_zone"] or None)
            except ValidationError as exc:
                _form_errors_from(exc, form)
            except TemplateOutOfDate as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _(
                    "Created %(name)s at %(url)s. The owner %(email)s was sent a link to "
                    "choose a password: %(link)s") % {
                        "name": result.tenant.name, "url": result.url,
                        "email": result.admin_email, "link": result.setup_url})
                return redirect("operator:tenant-list")
        listing = TenantListView()
        listing.setup(request)
        return render(request, listing.template_name,
                      listing.get_context_data(create_form=form), status=400)


class TenantActionView(OperatorRequiredMixin, View):
    """Suspend, resume, export or delete one tenant (POST only)."""

    def post(self, request, pk, action):
        tenant = get_object_or_404(fleet(), pk=pk)
        try:
            if action == "suspend":
                lifecycle.suspend_tenant(tenant, acting_user=request.user)
                messages.success(request, _("%(name)s is suspended.") % {"name": tenant.name})
            elif action == "resume":
                lifecycle.resume_tenant(tenant, acting_user=request.user)
                messages.success(request, _("%(name)s is active again.") % {"name": tenant.name})
            elif action == "export":
                export = lifecycle.export_tenant(tenant, acting_user=request.user)
                messages.success(request, _("Export ready: %(file)s") % {"file": export.filename})
            elif action == "delete":
                form = DeleteTenantForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Type the tenant's address to confirm deletion."))
                lifecycle.delete_tenant(tenant, confirm_slug=form.cleaned_data["confirm_slug"],
                                        acting_user=request.user)
                messages.success(request, _("%(name)s is deleted; its export is kept.")
                                 % {"name": tenant.name})
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("operator:tenant-list")
        except lifecycle.ExportFailed as exc:
            messages.error(request, _("Export failed: %(error)s") % {"error": exc})
        return redirect("operator:tenant-list")


class ExportDownloadView(OperatorRequiredMixin, View):
    def get(self, request, pk):
        export = get_object_or_404(TenantExport, pk=pk)
        path = Path(export.path)
        if not path.is_file():
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=export.filename)


class PlatformSettingsView(OperatorRequiredMixin, View):
    def post(self, request):
        form = PlatformSettingsForm(request.POST, instance=PlatformSettings.load())
        if form.is_valid():
            form.save()
            messages.success(request, _("Platform settings saved."))
        else:
            messages.error(request, _("Platform settings were not saved."))
        return redirect("operator:tenant-list")


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def signup_allowed(request) -> bool:
    """At most SIGNUP_RATE_LIMIT sign-up attempts per address per hour."""
    cache = caches["tenancy"]
    key = f"signup-rate:{_client_address(request)}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)
        count = 1
    return count <= settings.SIGNUP_RATE_LIMIT


class SignupView(FormView):
    template_name = "tenants/signup.html"
    form_class = SignupForm

    def dispatch(self, request, *args, **kwargs):
        if not PlatformSettings.load().signup_enabled:
            return render(request, "tenants/signup_closed.html", status=404)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not signup_allowed(request):
            return HttpResponse(_("Too many sign-ups from your address; try again in an hour."),
                                status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            result = provision_tenant(
                slug=data["slug"], name=data["name"], owner_email=data["owner_email"],
                admin_password_hash=data["password"], language=self.request.LANGUAGE_CODE)
        except ValidationError as exc:
            _form_errors_from(exc, form)
            return self.form_invalid(form)
        token = make_handoff_token(result.admin_user, result.tenant.schema_name)
        return redirect(f"{result.tenant.base_url}/handoff/?token={token}")
