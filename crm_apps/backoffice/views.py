"""Back office pages for tenant staff."""

from django.contrib.auth import get_user_model
from django.views.generic import TemplateView

from core.permissions import StaffRequiredMixin, roles_of
from core.roles import STAFF_ROLES, role_label


class HomeView(StaffRequiredMixin, TemplateView):
    template_name = "backoffice/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        users = get_user_model().objects.filter(is_active=True).prefetch_related("groups")
        staff = [u for u in users if {g.name for g in u.groups.all()} & STAFF_ROLES]
        context.update(
            my_roles=[role_label(code) for code in sorted(roles_of(self.request.user))],
            staff_count=len(staff),
            customer_count=len(users) - len(staff),
            staff_limit=self.request.tenant.max_staff_users,
            colleagues=[(u, [role_label(g.name) for g in u.groups.all()]) for u in staff[:12]],
        )
        return context
