"""Merging two duplicate accounts or contacts from the pages: find a duplicate, compare the two
side by side, choose the record that stays and, field by field, the value it keeps."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from core.audit import acting_as
from crm_apps.customers.duplicates import account_matches, contact_matches, split_by_visibility
from crm_apps.customers.filters import AccountFilter, ContactFilter
from crm_apps.customers.merge import merge
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.views import AccountMixin, ContactMixin, VisibleMixin, label_of
from crm_apps.customization import access, values

# The fields a person chooses between, in the order of the detail pages.
MERGE_FIELDS = {
    Account: ["name", "industry", "size", "tier", "website", "phone", "street", "city",
              "region", "postal_code", "country", "territory", "annual_revenue", "parent",
              "owner", "team"],
    Contact: ["first_name", "last_name", "title", "account", "email", "phone", "mobile",
              "lifecycle_stage", "email_consent", "consent_date", "consent_source", "owner",
              "team"],
}
SEARCH_RESULTS = 20
REASONS = {"domain": gettext_lazy("same web domain"), "phone": gettext_lazy("same phone number"),
           "name": gettext_lazy("same name"), "email": gettext_lazy("same e-mail address")}


def _blank(value) -> bool:
    return value in (None, "", [], {})


class MergeField:
    """One row of the comparison: a built-in field or a custom field."""

    def __init__(self, model, name=None, definition=None):
        self.definition = definition
        if definition is not None:
            self.key, self.label = access.custom_key(definition.code), definition.display_label
        else:
            field = model._meta.get_field(name)
            self.key, self.label, self.field = name, capfirst(field.verbose_name), field

    def raw(self, record):
        if self.definition is not None:
            return (record.custom or {}).get(self.definition.code)
        return getattr(record, self.field.attname)

    def shown(self, record) -> str:
        if self.definition is not None:
            return values.display(self.definition, self.raw(record))
        value = getattr(record, self.key)
        if self.field.choices:
            return getattr(record, f"get_{self.key}_display")() if value else ""
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return "" if value is None else str(value)

    def copy(self, source, target) -> None:
        """Give ``target`` the value ``source`` has."""
        if self.definition is not None:
            custom = dict(target.custom or {})
            value = self.raw(source)
            if _blank(value):
                custom.pop(self.definition.code, None)
            else:
                custom[self.definition.code] = value
            target.custom = custom
        else:
            setattr(target, self.field.attname, self.raw(source))


class MergeMixin(VisibleMixin):
    def fields(self) -> list[MergeField]:
        """What the user may compare and choose: never a field hidden from them."""
        user = self.request.user
        hidden = access.hidden_fields(self.model, user)
        fields = [MergeField(self.model, name) for name in MERGE_FIELDS[self.model]
                  if name not in hidden]
        fields += [MergeField(self.model, definition=definition)
                   for definition in access.visible_definitions(self.model, user)]
        return fields

    def related(self, queryset):
        joins = ["owner", "team", "parent"] if self.model is Account else ["owner", "team",
                                                                           "account"]
        return queryset.select_related(*joins)


class MergeCompareView(MergeMixin, TemplateView):
    """GET ``?ids=a&ids=b``: the two records side by side; POST: merge them as chosen.
    Both must be records the user may see (anything else is a 404)."""

    template_name = "customers/merge.html"

    def records(self, raw_ids):
        ids = [value for value in raw_ids if value.isdigit()]
        if len(ids) != 2 or len(set(ids)) != 2 or len(raw_ids) != 2:
            return None
        found = {record.pk: record for record in
                 self.related(self.get_queryset().filter(pk__in=ids))}
        if len(found) != 2:
            raise Http404
        return [found[int(value)] for value in ids]

    def get(self, request, *args, **kwargs):
        records = self.records(request.GET.getlist("ids"))
        if records is None:
            messages.error(request, _("Select exactly two records to merge."))
            return HttpResponseRedirect(reverse(self.list_url))
        return self.render_to_response(self.compare(records))

    def compare(self, records, survivor=None) -> dict:
        first, second = records
        survivor = survivor or first
        rows = []
        for field in self.fields():
            left, right = field.shown(first), field.shown(second)
            keep = survivor
            # The survivor's value by default, unless it has none and the other one does.
            other = second if survivor is first else first
            if _blank(field.raw(survivor)) and not _blank(field.raw(other)):
                keep = other
            rows.append({"key": field.key, "label": field.label,
                         "cells": [(first.pk, left), (second.pk, right)],
                         "same": field.raw(first) == field.raw(second), "keep": keep.pk})
        for record in records:
            record.label = label_of(record)
            record.detail = reverse(self.detail_url, args=[record.pk])
        return {"records": records, "rows": rows, "survivor": survivor.pk,
                "list_url": reverse(self.list_url), "kind": self.kind}

    def post(self, request, *args, **kwargs):
        records = self.records(request.POST.getlist("ids"))
        if records is None:
            messages.error(request, _("Select exactly two records to merge."))
            return HttpResponseRedirect(reverse(self.list_url))
        by_pk = {str(record.pk): record for record in records}
        survivor = by_pk.get(request.POST.get("survivor", ""))
        if survivor is None:
            context = self.compare(records)
            context["error"] = _("Choose the record that stays.")
            return self.render_to_response(context, status=400)
        duplicate = next(record for record in records if record is not survivor)
        with transaction.atomic(), acting_as(request.user):
            self.take_chosen_values(survivor, duplicate, request.POST)
            result = merge(survivor, duplicate)
        moved = sum(result["moved"].values())
        messages.success(request, _("“%(duplicate)s” was merged into “%(survivor)s”; "
                                    "%(moved)d related records moved over.")
                         % {"duplicate": label_of(duplicate), "survivor": label_of(survivor),
                            "moved": moved})
        return HttpResponseRedirect(reverse(self.detail_url, args=[survivor.pk]))

    def take_chosen_values(self, survivor, duplicate, data) -> None:
        for field in self.fields():
            if data.get(f"keep_{field.key}") != str(duplicate.pk):
                continue
            if field.key == "parent" and duplicate.parent_id == survivor.pk:
                continue  # an account cannot become its own parent
            if field.key == "email" and survivor.email and survivor.email != duplicate.email:
                # The address given up stays findable as another address.
                survivor.other_emails = sorted({*survivor.other_emails,
                                                survivor.email.lower()})
            field.copy(duplicate, survivor)


class MergeSearchView(MergeMixin, TemplateView):
    """From a detail page: likely duplicates of the record, and a search for any other."""

    template_name = "customers/merge_search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        user = self.request.user
        if isinstance(record, Account):
            matches = account_matches(name=record.name, website=record.website,
                                      phone=record.phone, exclude_pk=record.pk)
            filterset_class = AccountFilter
        else:
            matches = contact_matches(email=record.email, phone=record.phone,
                                      mobile=record.mobile, exclude_pk=record.pk)
            filterset_class = ContactFilter
        shown, hidden_count = split_by_visibility(matches, user)
        query = self.request.GET.get("q", "").strip()
        found = []
        if query:
            filterset = filterset_class({"q": query}, request=self.request,
                                        queryset=self.get_queryset().exclude(pk=record.pk))
            found = list(filterset.qs.order_by("-id")[:SEARCH_RESULTS])
        compare = reverse(f"customers:{self.kind}-merge")
        candidates = [{"record": match, "label": label_of(match),
                       "reason": REASONS.get(reason, reason),
                       "url": f"{compare}?ids={record.pk}&ids={match.pk}"}
                      for match, reason in shown]
        results = [{"record": match, "label": label_of(match),
                    "url": f"{compare}?ids={record.pk}&ids={match.pk}"} for match in found]
        record.label = label_of(record)
        context.update(record=record, candidates=candidates, hidden_count=hidden_count,
                       results=results, query=query, kind=self.kind,
                       detail_url=reverse(self.detail_url, args=[record.pk]))
        return context


class AccountMergeView(AccountMixin, MergeCompareView):
    pass


class ContactMergeView(ContactMixin, MergeCompareView):
    pass


class AccountMergeSearchView(AccountMixin, MergeSearchView):
    pass


class ContactMergeSearchView(ContactMixin, MergeSearchView):
    pass
