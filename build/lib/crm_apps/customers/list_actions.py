"""What the account and contact lists post or download: bulk actions on a selection, exports
of the filtered list, and saving, updating and deleting saved views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from core.audit import acting_as
from core.permissions import StaffRequiredMixin
from crm_apps.customers import bulk
from crm_apps.customers.export import FORMATS, export, export_columns
from crm_apps.customers.forms import active_staff
from crm_apps.customers.list_columns import parse_columns
from crm_apps.customers.models import Tag
from crm_apps.customers.views import (
    AccountListView,
    AccountMixin,
    ContactListView,
    ContactMixin,
    VisibleMixin,
)
from crm_apps.customers.visibility import visible
from crm_apps.customization import access
from crm_apps.customization.entities import entity_of
from crm_apps.customization.saved_views_api import SavedViewSerializer, may_delete, views_for

ACTIONS = ("reassign", "tag", "untag", "export", "merge", "delete")
LIST_OF_ENTITY = {"customers.account": "customers:account-list",
                  "customers.contact": "customers:contact-list"}


def _back_to(list_url: str, query: QueryDict | str = "") -> HttpResponseRedirect:
    encoded = query.urlencode() if isinstance(query, QueryDict) else query
    return HttpResponseRedirect(f"{reverse(list_url)}?{encoded}" if encoded
                                else reverse(list_url))


@transaction.atomic
def remove_tag(model, user, ids: list[int], tag) -> dict:
    """Take ``tag`` off the selected records ``user`` may see (one by one, for the audit)."""
    records = list(visible(model.objects.filter(pk__in=ids), user)
                   .select_for_update(of=("self",)))
    for record in records:
        record.tags.remove(tag)
    return {"action": "untag", "changed": len(records), "skipped": len(set(ids)) - len(records)}


class ListActionMixin(VisibleMixin):
    list_view_class = None

    def listing(self, query: QueryDict):
        """The list page's view, set up on ``query`` (its filters, sort and visibility)."""
        lister = self.list_view_class()
        lister.setup(self.request)
        lister.prepare(query)
        return lister


class BulkActionView(ListActionMixin, View):
    """POST from a list: an action on the ticked rows, or on every row matching the list's
    filters. Only records the user may see are touched; any other id counts as skipped."""

    http_method_names = ["post"]
    actions = ACTIONS  # a list of another model offers its own (each a do_<action> method)

    def post(self, request, *args, **kwargs):
        data = request.POST
        query = QueryDict(data.get("query", ""))
        action = data.get("action", "")
        if action not in self.actions:
            messages.error(request, _("Choose an action to apply to the selection."))
            return _back_to(self.list_url, query)
        ids = self.selection(data, query)
        if ids is None:
            return _back_to(self.list_url, query)
        handler = getattr(self, f"do_{action}")
        return handler(data, ids, query)

    def selection(self, data, query) -> list[int] | None:
        """The selected ids, or None (with a message saying why) when there are none."""
        if data.get("scope") == "matching":
            queryset = self.listing(query).filtered_queryset()
            ids = list(queryset.values_list("pk", flat=True)[:bulk.MAX_SELECTION + 1])
        else:
            raw = data.getlist("ids")
            if not all(value.isdigit() for value in raw):
                messages.error(self.request, _("The selection is not valid; select the rows "
                                               "again."))
                return None
            ids = sorted({int(value) for value in raw if int(value) > 0})
        if not ids:
            messages.warning(self.request, _("Select at least one row first."))
            return None
        if len(ids) > bulk.MAX_SELECTION:
            messages.error(self.request, _("More than %(max)d records are selected; narrow "
                                           "the filters first.") % {"max": bulk.MAX_SELECTION})
            return None
        return ids

    def report(self, result: dict, done: str) -> None:
        """Say how many records changed and how many were skipped."""
        level = messages.success if result["changed"] else messages.warning
        level(self.request, done)
        if result["skipped"]:
            messages.warning(self.request, ngettext(
                "%(count)d selected record was skipped: you cannot see or change it.",
                "%(count)d selected records were skipped: you cannot see or change them.",
                result["skipped"]) % {"count": result["skipped"]})

    def apply(self, data: dict) -> dict:
        with acting_as(self.request.user):
            return bulk.apply(self.model, self.request.user, data)

    def do_reassign(self, data, ids, query):
        owner_id = data.get("owner", "")
        owner = active_staff().filter(pk=owner_id).first() if owner_id.isdigit() else None
        if owner is None:
            messages.error(self.request, _("Choose the new owner among the active staff."))
            return _back_to(self.list_url, query)
        result = self.apply({"ids": ids, "action": "reassign", "owner": owner})
        self.report(result, ngettext("%(count)d record given to %(owner)s.",
                                     "%(count)d records given to %(owner)s.",
                                     result["changed"])
                    % {"count": result["changed"], "owner": owner})
        return _back_to(self.list_url, query)

    def chosen_tag(self, data, query):
        if "tags" in access.hidden_fields(self.model, self.request.user):
            messages.error(self.request, _("Tags are hidden from your role."))
            return None
        tag_id = data.get("tag", "")
        tag = Tag.objects.filter(pk=tag_id).first() if tag_id.isdigit() else None
        if tag is None:
            messages.error(self.request, _("Choose a tag."))
        return tag

    def do_tag(self, data, ids, query):
        tag = self.chosen_tag(data, query)
        if tag is not None:
            result = self.apply({"ids": ids, "action": "tag", "tags": [tag]})
            self.report(result, ngettext("Tag “%(tag)s” added to %(count)d record.",
                                         "Tag “%(tag)s” added to %(count)d records.",
                                         result["changed"])
                        % {"count": result["changed"], "tag": tag.name})
        return _back_to(self.list_url, query)

    def do_untag(self, data, ids, query):
        tag = self.chosen_tag(data, query)
        if tag is not None:
            with acting_as(self.request.user):
                result = remove_tag(self.model, self.request.user, ids, tag)
            self.report(result, ngettext("Tag “%(tag)s” removed from %(count)d record.",
                                         "Tag “%(tag)s” removed from %(count)d records.",
                                         result["changed"])
                        % {"count": result["changed"], "tag": tag.name})
        return _back_to(self.list_url, query)

    def do_delete(self, data, ids, query):
        if data.get("confirmed") != "yes":
            count = visible(self.model.objects.filter(pk__in=ids), self.request.user).count()
            return render(self.request, "customers/bulk_confirm.html", {
                "count": count, "skipped": len(ids) - count, "ids": ids,
                "scope": data.get("scope", ""), "query": query.urlencode(),
                "cancel_url": _back_to(self.list_url, query).url,
                "action_url": self.request.path,
                "plural": self.model._meta.verbose_name_plural})
        result = self.apply({"ids": ids, "action": "delete"})
        self.report(result, ngettext(
            "%(count)d record moved to the bin; an admin can restore it within 30 days.",
            "%(count)d records moved to the bin; an admin can restore them within 30 days.",
            result["changed"]) % {"count": result["changed"]})
        return _back_to(self.list_url, query)

    def do_merge(self, data, ids, query):
        if len(ids) != 2 or data.get("scope") == "matching":
            messages.error(self.request, _("Select exactly two records to merge."))
            return _back_to(self.list_url, query)
        merge_url = reverse(f"customers:{self.kind}-merge")
        return HttpResponseRedirect(f"{merge_url}?ids={ids[0]}&ids={ids[1]}")

    def do_export(self, data, ids, query):
        fmt = data.get("file", "csv")
        if fmt not in FORMATS:
            messages.error(self.request, _("Choose CSV or XLSX."))
            return _back_to(self.list_url, query)
        user = self.request.user
        lister = self.listing(query)
        if data.get("scope") == "matching":
            queryset = lister.related(lister.filtered_queryset())
            filters = dict(lister.params.items())
        else:
            queryset = lister.related(
                visible(self.model.objects.filter(pk__in=ids), user)).order_by("-id")
            filters = {"ids": ",".join(map(str, ids))}
        with acting_as(user):
            return export(queryset, export_columns(self.model, user), fmt,
                          str(self.model._meta.verbose_name_plural), filters, user=user)


class ExportListView(ListActionMixin, View):
    """GET: the list as filtered and sorted on the page, as CSV or XLSX (audited)."""

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("file", "csv")
        if fmt not in FORMATS:
            return HttpResponseBadRequest(_("Choose CSV or XLSX."))
        query = request.GET.copy()
        query.pop("file", None)
        lister = self.listing(query)
        queryset = lister.related(lister.filtered_queryset())
        filters = {key: value for key, value in lister.params.items()
                   if key not in ("page", "columns", "per_page")}
        with acting_as(request.user):
            return export(queryset, export_columns(self.model, request.user), fmt,
                          str(self.model._meta.verbose_name_plural), filters,
                          user=request.user)


class AccountBulkView(AccountMixin, BulkActionView):
    list_view_class = AccountListView


class ContactBulkView(ContactMixin, BulkActionView):
    list_view_class = ContactListView


class AccountExportView(AccountMixin, ExportListView):
    list_view_class = AccountListView


class ContactExportView(ContactMixin, ExportListView):
    list_view_class = ContactListView


def _first_error(errors) -> str:
    for messages_of_field in errors.values():
        if isinstance(messages_of_field, dict):
            return _first_error(messages_of_field)
        return str(messages_of_field[0])
    return ""


class SaveViewView(VisibleMixin, View):
    """POST from a list: save its current filters, sort and columns as a named view."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        data = request.POST
        payload = {"entity": entity_of(self.model), "name": data.get("name", ""),
                   "query": data.get("query", ""),
                   "shared": data.get("shared") in ("on", "true", "1")}
        columns = parse_columns(data.getlist("columns"))
        if columns:
            payload["columns"] = columns
        serializer = SavedViewSerializer(data=payload, context={"request": request})
        if not serializer.is_valid():
            messages.error(request, _("The view was not saved: %(reason)s")
                           % {"reason": _first_error(serializer.errors)})
            return _back_to(self.list_url, data.get("back", ""))
        view = serializer.save(owner=request.user)
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return _back_to(self.list_url, f"view={view.pk}")


class AccountSaveViewView(AccountMixin, SaveViewView):
    pass


class ContactSaveViewView(ContactMixin, SaveViewView):
    pass


class SavedViewChangeMixin(StaffRequiredMixin, View):
    http_method_names = ["post"]

    def saved_view(self, pk):
        view = get_object_or_404(views_for(self.request.user), pk=pk)
        if view.entity not in LIST_OF_ENTITY:
            raise Http404
        return view


class UpdateSavedViewView(SavedViewChangeMixin):
    """POST: replace a view's filters, sort and columns with the list's current ones."""

    def post(self, request, pk):
        view = self.saved_view(pk)
        if view.owner_id != request.user.pk:
            raise PermissionDenied
        payload = {"query": request.POST.get("query", ""),
                   "columns": parse_columns(request.POST.getlist("columns"))}
        serializer = SavedViewSerializer(view, data=payload, partial=True,
                                         context={"request": request})
        if serializer.is_valid():
            serializer.save()
            messages.success(request, _("View “%(name)s” updated.") % {"name": view.name})
        else:
            messages.error(request, _("The view was not saved: %(reason)s")
                           % {"reason": _first_error(serializer.errors)})
        return _back_to(LIST_OF_ENTITY[view.entity], f"view={view.pk}")


class DeleteSavedViewView(SavedViewChangeMixin):
    """POST: delete one's own view (a tenant admin may also delete a shared one)."""

    def post(self, request, pk):
        view = self.saved_view(pk)
        if not may_delete(view, request.user):
            raise PermissionDenied
        view.delete()
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
        return _back_to(LIST_OF_ENTITY[view.entity])
