"""Back office pages for tenant staff."""

from django.contrib.auth import get_user_model
from django.views.generic import TemplateView

from core.accounts import staff_count
from core.permissions import StaffRequiredMixin, roles_of
from core.roles import PORTAL_CUSTOMER, STAFF_ROLES, role_label


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
        )
        return context
