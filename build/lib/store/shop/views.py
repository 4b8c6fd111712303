"""The back office's shop pages: the shop's settings (tenant admins) and the customer-group
price lists (admins and managers)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from core.permissions import RoleRequiredMixin
from core.roles import MANAGER, TENANT_ADMIN
from store.shop.forms import PriceListForm, PriceListItemForm, ShopSettingsForm
from store.shop.models import PriceList, PriceListItem, ShopSettings
from store.shop.services import update_shop_settings


class ShopSettingsView(RoleRequiredMixin, FormView):
    required_roles = (TENANT_ADMIN,)
    template_name = "store/shop/settings.html"
    form_class = ShopSettingsForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = ShopSettings.current()
        return kwargs

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        update_shop_settings(values=form.cleaned_data, acting_user=self.request.user)
        messages.success(self.request, _("Shop settings saved."))
        return HttpResponseRedirect(reverse("shop-settings:settings"))


class PriceListAccessMixin(RoleRequiredMixin):
    required_roles = (TENANT_ADMIN, MANAGER)


class PriceListIndexView(PriceListAccessMixin, TemplateView):
    template_name = "store/shop/price_lists.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PriceListForm())
        context["price_lists"] = PriceList.objects.select_related("segment").order_by(
            "name", "pk")
        return context

    def post(self, request):
        form = PriceListForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        price_list = form.save()
        messages.success(request, _("Price list created."))
        return HttpResponseRedirect(reverse("shop-settings:price-list", args=[price_list.pk]))


class PriceListDetailView(PriceListAccessMixin, TemplateView):
    """One list: its details and its prices (add, change or remove one at a time)."""

    template_name = "store/shop/price_list.html"

    def dispatch(self, request, *args, **kwargs):
        self.price_list = get_object_or_404(PriceList, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["price_list"] = self.price_list
        context.setdefault("form", PriceListForm(instance=self.price_list))
        context.setdefault("item_form", PriceListItemForm(price_list=self.price_list))
        context["items"] = self.price_list.items.select_related(
            "product", "stockrecord__product").order_by("pk")
        context["currency"] = ShopSettings.current().currency
        return context

    def post(self, request, pk):
        if "add_item" in request.POST:
            item_form = PriceListItemForm(request.POST, price_list=self.price_list)
            if not item_form.is_valid():
                return self.render_to_response(self.get_context_data(item_form=item_form),
                                               status=400)
            item_form.save()
            messages.success(request, _("Price added."))
        else:
            form = PriceListForm(request.POST, instance=self.price_list)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form), status=400)
            form.save()
            messages.success(request, _("Price list saved."))
        return HttpResponseRedirect(request.path)


class PriceListItemDeleteView(PriceListAccessMixin, View):
    def post(self, request, pk, item_pk):
        item = get_object_or_404(PriceListItem, pk=item_pk, price_list_id=pk)
        item.delete()
        messages.success(request, _("Price removed."))
        return HttpResponseRedirect(reverse("shop-settings:price-list", args=[pk]))


class PriceListDeleteView(PriceListAccessMixin, View):
    def post(self, request, pk):
        get_object_or_404(PriceList, pk=pk).delete()
        messages.success(request, _("Price list deleted."))
        return HttpResponseRedirect(reverse("shop-settings:price-lists"))
