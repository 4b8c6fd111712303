"""History pages: the whole audit trail of one record, and the tenant admin's audit trail."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from core import audit
from core.models import AuditEntry
from core.permissions import RoleRequiredMixin
from core.roles import STAFF_ROLES, TENANT_ADMIN
from crm_apps.customers import history
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.views import AccountMixin, ContactMixin, VisibleMixin, label_of

PAGE_SIZE = 50
RECORD_TYPES = {"customers.account": Account, "customers.contact": Contact}


class RecordHistoryView(VisibleMixin, ListView):
    """Every entry of one record's audit trail, newest first; a record the user cannot see
    is a 404, and fields hidden from the user's roles never show."""

    template_name = "customers/record_history.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.record = get_object_or_404(super().get_queryset(), pk=self.kwargs["pk"])
        return audit.history(self.record)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(record=self.record, record_label=label_of(self.record),
                       rows=history.describe(context["page_obj"].object_list,
                                             self.request.user),
                       list_url=reverse(self.list_url),
                       detail=reverse(self.detail_url, args=[self.record.pk]),
                       kind_plural=self.model._meta.verbose_name_plural)
        return context


class AccountHistoryView(AccountMixin, RecordHistoryView):
    pass


class ContactHistoryView(ContactMixin, RecordHistoryView):
    pass


class WholeNumberFilter(django_filters.Filter):
    field_class = forms.IntegerField


def staff_users(request):
    return (get_user_model().objects.filter(groups__name__in=STAFF_ROLES).distinct()
            .order_by("first_name", "last_name", "email"))


class AuditTrailFilter(django_filters.FilterSet):
    """Filters of the audit trail page; a value that does not parse is a form error."""

    record_type = django_filters.ChoiceFilter(
        label=_("Record type"), empty_label=_("Any type"),
        choices=[(key, model._meta.verbose_name) for key, model in RECORD_TYPES.items()])
    record_id = WholeNumberFilter(label=_("Record ID"), min_value=1)
    actor = django_filters.ModelChoiceFilter(label=_("Done by"), queryset=staff_users,
                                             empty_label=_("Anyone"))
    action = django_filters.ChoiceFilter(
        label=_("Action"), empty_label=_("Any action"),
        choices=[(code, history.ACTION_LABELS.get(code, label))
                 for code, label in AuditEntry.Action.choices])
    since = django_filters.DateFilter(method="filter_since", label=_("From"))
    until = django_filters.DateFilter(method="filter_until", label=_("To"))

    class Meta:
        model = AuditEntry
        fields = ["record_type", "record_id", "actor", "action", "since", "until"]

    def filter_since(self, queryset, name, value):
        if value <= datetime.date.min + datetime.timedelta(days=2):
            return queryset  # the start of time: everything lies after it
        return queryset.filter(at__gte=history.day_start(value))

    def filter_until(self, queryset, name, value):
        if value >= datetime.date.max - datetime.timedelta(days=2):
            return queryset  # the end of time: nothing lies after it
        return queryset.filter(at__lt=history.day_start(value + datetime.timedelta(days=1)))


class AuditTrailView(RoleRequiredMixin, ListView):
    """The tenant admin's audit trail: every entry, newest first, filterable."""

    required_roles = (TENANT_ADMIN,)
    template_name = "customers/audit_trail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        queryset = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
        self.filterset = AuditTrailFilter(self.request.GET or None, queryset=queryset,
                                          request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = history.describe(context["page_obj"].object_list, self.request.user)
        self.add_record_links(rows)
        query = self.request.GET.copy()
        query.pop("page", None)
        data = self.filterset.form.data if self.filterset.is_bound else {}
        context.update(rows=rows, filterset=self.filterset, form=self.filterset.form,
                       page_query=query.urlencode(),
                       filtered=any(data.get(name) for name in AuditTrailFilter.Meta.fields))
        return context

    @staticmethod
    def add_record_links(rows) -> None:
        """Name each row's record, and link it while it still exists (one query per kind)."""
        wanted: dict = {}
        for row in rows:
            entry = row["entry"]
            if entry.record_type in RECORD_TYPES and entry.record_id.isdigit():
                wanted.setdefault(entry.record_type, set()).add(int(entry.record_id))
        found = {kind: RECORD_TYPES[kind].everything.in_bulk(list(ids))
                 for kind, ids in wanted.items()}
        for row in rows:
            entry = row["entry"]
            model = history.model_of(entry.record_type)
            if entry.record_id == "*":  # an export or an import of a whole list
                row["record_kind"] = (model._meta.verbose_name_plural if model is not None
                                      else entry.record_type)
                continue
            row["record_kind"] = (model._meta.verbose_name if model is not None
                                  else entry.record_type)
            if entry.record_type not in RECORD_TYPES:  # no page of its own to link to
                row["record_label"] = f"#{entry.record_id}"
                continue
            record = (found.get(entry.record_type, {}).get(int(entry.record_id))
                      if entry.record_id.isdigit() else None)
            row["record_label"] = label_of(record) if record is not None else f"#{entry.record_id}"
            row["record_gone"] = record is None or record.deleted_at is not None
            if record is not None and record.deleted_at is None:
                kind = record._meta.model_name
                row["record_url"] = reverse(f"customers:{kind}-detail", args=[record.pk])
