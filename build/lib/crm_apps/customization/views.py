"""Settings pages of a tenant admin: custom fields per record type, fields hidden from roles and
the workspace's general settings (its time zone)."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from core.models import AuditEntry
from core.permissions import RoleRequiredMixin
from core.roles import TENANT_ADMIN, role_label
from core.zones import zone_of
from crm_apps.customization import entities, rules
from crm_apps.customization.forms import CustomFieldForm, GeneralSettingsForm
from crm_apps.customization.models import CustomField, FieldRestriction


class TenantAdminMixin(RoleRequiredMixin):
    """Tenant admins only: other staff get a 403."""

    required_roles = (TENANT_ADMIN,)


class FieldListView(TenantAdminMixin, TemplateView):
    template_name = "customization/field_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_entity = {}
        for definition in CustomField.objects.all():
            by_entity.setdefault(definition.entity, []).append(definition)
        context["sections"] = [{"entity": entity, "label": label,
                                "fields": by_entity.get(entity, [])}
                               for entity, label in entities.choices()]
        return context


class FieldFormView(TenantAdminMixin, FormView):
    template_name = "customization/field_form.html"
    form_class = CustomFieldForm
    definition = None

    def get_entity(self) -> str:
        entity = self.request.GET.get("entity", "")
        if entities.model_for(entity) is None:
            raise Http404("No such record type.")
        return entity

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "pk" in self.kwargs:  # looked up after the role check
            self.definition = get_object_or_404(CustomField, pk=self.kwargs["pk"])
        if self.definition is not None:
            kwargs.update(instance=self.definition, entity=self.definition.entity)
        else:
            kwargs["entity"] = self.get_entity()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entity = context["form"].entity
        context.update(definition=self.definition,
                       entity_label=dict(entities.choices()).get(entity, entity))
        return context

    def form_valid(self, form):
        definition = form.save()
        text = _("Field “%(label)s” saved.") if self.definition else _(
            "Field “%(label)s” added.")
        messages.success(self.request, text % {"label": definition.display_label})
        return HttpResponseRedirect(reverse("customization:field-list"))


class FieldDeleteView(TenantAdminMixin, TemplateView):
    """GET asks for confirmation (saying how many records hold a value); POST deletes."""

    template_name = "customization/field_confirm_delete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        definition = get_object_or_404(CustomField, pk=kwargs["pk"])
        holding = rules.records_holding(definition)
        context.update(definition=definition,
                       holding=holding.count() if holding is not None else 0)
        return context

    def post(self, request, pk):
        definition = get_object_or_404(CustomField, pk=pk)
        label = definition.display_label
        purged = rules.delete_definition(definition)
        messages.success(request, _("Field “%(label)s” deleted with its values on %(count)d "
                                    "records.") % {"label": label, "count": purged})
        return HttpResponseRedirect(reverse("customization:field-list"))


class HiddenFieldsView(TenantAdminMixin, TemplateView):
    """Per record type, a table of fields by role: a ticked box hides that field from that
    role (from a user whose every role is ticked)."""

    template_name = "customization/hidden_fields.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stored = {(restriction.entity, restriction.field): set(restriction.hidden_from)
                  for restriction in FieldRestriction.objects.all()}
        roles = [(code, role_label(code)) for code in rules.RESTRICTABLE_ROLES]
        sections = []
        for entity, label in entities.choices():
            rows = []
            for field, field_label in rules.restrictable_fields(entity):
                hidden_from = stored.get((entity, field), set())
                rows.append({"field": field, "label": field_label,
                             "cells": [{"role": code, "role_label": role_name,
                                        "name": box_name(entity, field),
                                        "checked": code in hidden_from}
                                       for code, role_name in roles]})
            sections.append({"entity": entity, "label": label, "rows": rows})
        context.update(roles=roles, sections=sections)
        return context

    @transaction.atomic
    def post(self, request):
        roles = set(rules.RESTRICTABLE_ROLES)
        for entity, _label in entities.choices():
            for field, _field_label in rules.restrictable_fields(entity):
                chosen = sorted(set(request.POST.getlist(box_name(entity, field))) & roles)
                if chosen:
                    FieldRestriction.objects.update_or_create(
                        entity=entity, field=field, defaults={"hidden_from": chosen})
                else:
                    FieldRestriction.objects.filter(entity=entity, field=field).delete()
        messages.success(request, _("Hidden fields saved."))
        return HttpResponseRedirect(reverse("customization:hidden-fields"))


def box_name(entity: str, field: str) -> str:
    return f"hide:{entity}:{field}"


class GeneralSettingsView(TenantAdminMixin, FormView):
    """The workspace's time zone; a change is kept in the audit trail."""

    template_name = "customization/general_settings.html"
    form_class = GeneralSettingsForm

    def get_initial(self):
        return {"time_zone": self.request.tenant.time_zone}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        zone = zone_of(self.request.tenant)
        context.update(zone=zone.key, local_now=timezone.localtime(timezone.now(), zone))
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    @transaction.atomic
    def form_valid(self, form):
        from tenants.models import Tenant

        # The row itself, not the request's copy (which may come from the host cache).
        tenant = Tenant.objects.select_for_update().get(pk=self.request.tenant.pk)
        old, new = tenant.time_zone, form.cleaned_data["time_zone"]
        if old != new:
            tenant.time_zone = new
            tenant.save(update_fields=["time_zone"])  # its signal forgets the cached hosts
            AuditEntry.objects.create(
                record_type=tenant._meta.label_lower, record_id=str(tenant.pk),
                action=AuditEntry.Action.UPDATED, actor=self.request.user,
                changes={"time_zone": [old, new]})
        messages.success(self.request, _("Settings saved. Time zone: %(zone)s.") % {"zone": new})
        return HttpResponseRedirect(reverse("tenant-settings:general"))
