"""Portal pages for a tenant's customers."""

from django.views.generic import TemplateView

from core.permissions import CustomerRequiredMixin


class HomeView(CustomerRequiredMixin, TemplateView):
    template_name = "portal/home.html"
