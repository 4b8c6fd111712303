"""Back office pages for tenant staff."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from core.accounts import staff_count
from core.permissions import RoleRequiredMixin, StaffRequiredMixin, has_role, roles_of
from core.roles import PORTAL_CUSTOMER, STAFF_ROLES, TENANT_ADMIN, role_label
from crm_apps.backoffice.forms import AnnouncementForm
from realtime.announcements import queue_announcement


class HomeView(StaffRequiredMixin, TemplateView):
    template_name = "backoffice/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        users = get_user_model().objects.filter(is_active=True)
        colleagues = (users.filter(groups__name__in=STAFF_ROLES).distinct()
                      .order_by("first_name", "email").prefetch_related("groups")[:12])
        context.update(
            my_roles=[role_label(code) for code in sorted(roles_of(self.request.user))],
            staff_count=staff_count(),
            customer_count=users.filter(groups__name=PORTAL_CUSTOMER).count(),
            staff_limit=self.request.tenant.max_staff_users,
            colleagues=[(user, [role_label(g.name) for g in user.groups.all()])
                        for user in colleagues],
            can_announce=has_role(self.request.user, TENANT_ADMIN),
        )
        return context


class AnnouncementView(RoleRequiredMixin, FormView):
    """A tenant admin writes an announcement; it goes out as a job whose page shows progress."""

    required_roles = (TENANT_ADMIN,)
    template_name = "backoffice/announce.html"
    form_class = AnnouncementForm

    def form_valid(self, form):
        job = queue_announcement(self.request.user, form.cleaned_data)
        return redirect("jobs:detail", pk=job.pk)
