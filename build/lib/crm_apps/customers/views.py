"""Account and contact pages of the back office: lists (filters, columns, saved views), detail,
create, edit and delete."""

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from core.permissions import StaffRequiredMixin, has_role
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.customers.filters import AccountFilter, ContactFilter
from crm_apps.customers.forms import AccountForm, ContactForm, active_staff
from crm_apps.customers.list_columns import (
    SORT_FIELDS,
    SORT_SOURCE,
    available_columns,
    chosen_columns,
    parse_columns,
)
from crm_apps.customers.models import Account, Contact, Tag
from crm_apps.customers.paging import IdsFirstPaginator
from crm_apps.customers.visibility import visible
from crm_apps.customization import access
from crm_apps.customization.entities import entity_of
from crm_apps.customization.filtering import RANGED, custom_filters
from crm_apps.customization.models import CustomField, SavedView


def person_name(contact) -> str:
    """A contact's name as people write it: Chinese family name first with no space."""
    first, last = contact.first_name.strip(), contact.last_name.strip()
    if any("\u3400" <= char <= "\u9fff" for char in first + last):
        return f"{last}{first}"
    return contact.full_name or contact.email


def label_of(record) -> str:
    return person_name(record) if isinstance(record, Contact) else str(record)


def with_names(contacts):
    for contact in contacts:
        contact.display_name = person_name(contact)
    return contacts


class VisibleMixin(StaffRequiredMixin):
    """Staff only, and only the records the user may see: anything else is a 404."""

    model = None
    list_url = ""
    detail_url = ""

    def get_queryset(self):
        return visible(self.model.objects.all(), self.request.user)

    def detail_or_list(self, obj):
        """Where to go after a save: the record, unless the user gave it away out of sight."""
        if visible(self.model.objects.filter(pk=obj.pk), self.request.user).exists():
            return reverse(self.detail_url, args=[obj.pk])
        return reverse(self.list_url)


PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 50
# Query-string names that are not filters, kept through filtering, paging and saved views.
LIST_STATE = ("sort", "columns", "per_page", "view")


def saved_views_for(model, user):
    """The saved views of ``model``'s list that ``user`` may apply: their own and shared ones."""
    return (SavedView.objects.filter(entity=entity_of(model))
            .filter(Q(owner=user) | Q(shared=True)).select_related("owner"))


class RecordListView(VisibleMixin, ListView):
    """A list with filters (custom fields included), sort, chosen columns and saved views.

    Every query-string parameter is checked against what this user may use: unknown ones,
    filters and sorts on hidden fields and columns of hidden fields are dropped, whether they
    come from the address bar or from a saved view."""

    filterset_class = None
    default_sort = "-created"
    paginator_class = IdsFirstPaginator  # deep pages as fast as the first

    @property
    def sorts(self) -> dict:
        return SORT_FIELDS[self.model]

    def get(self, request, *args, **kwargs):
        self.prepare()
        return super().get(request, *args, **kwargs)

    def prepare(self, query=None) -> None:
        """Read the list's parameters (the request's, or ``query`` when an action replays
        the list a selection was made on)."""
        user = self.request.user
        self.hidden = access.hidden_fields(self.model, user)
        self.definitions = access.visible_definitions(self.model, user)
        self.active_view, params = self.resolve_view(
            self.request.GET if query is None else query)
        self.params = self.clean_params(params)
        self.available_columns = available_columns(self.model, user, self.definitions)
        self.shown_columns = chosen_columns(self.available_columns,
                                            parse_columns(self.params.getlist("columns")))

    def resolve_view(self, query):
        """(the saved view named by ``?view=``, the parameters to list with). Opening a view
        (``?view=<id>`` alone) takes its filters, sort and columns; with other parameters the
        view only stays marked as the one being changed."""
        view_id = query.get("view", "")
        view = None
        if view_id:
            if view_id.isdigit():
                view = saved_views_for(self.model, self.request.user).filter(pk=view_id).first()
            if view is None:
                messages.warning(self.request,
                                 _("That saved view does not exist or is not shared with you."))
        params = query.copy()
        if view is not None and not set(query) - {"view", "page", "per_page"}:
            params = QueryDict(view.query, mutable=True)
            for key in ("view", "page", "columns"):
                params.pop(key, None)
            if view.columns:
                params["columns"] = ",".join(view.columns)
            for key in ("page", "per_page"):
                if key in query:
                    params[key] = query[key]
        params.pop("view", None)
        if view is not None:
            params["view"] = str(view.pk)
        return view, params

    def usable_filters(self) -> set[str]:
        """The filter names this user may use on this list: the FilterSet's own and those of
        the visible custom fields, less any on a hidden field (which it would refuse)."""
        names = {name for name, declared in self.filterset_class.base_filters.items()
                 if (declared.field_name or "").split("__")[0] not in self.hidden}
        for definition in self.definitions:
            names.update(custom_filters(definition))
        return names

    def clean_params(self, params) -> QueryDict:
        usable = self.usable_filters()
        cleaned = QueryDict(mutable=True)
        for key in params:
            if key in usable or key in ("page", "view"):
                cleaned.setlist(key, params.getlist(key))
        sort = params.get("sort", "")
        key = sort.lstrip("-")
        if key in self.sorts and SORT_SOURCE.get(key, key) not in self.hidden:
            cleaned["sort"] = sort
        columns = parse_columns(params.getlist("columns"))
        if columns:
            cleaned["columns"] = ",".join(columns)
        if params.get("per_page", "") in map(str, PAGE_SIZES):
            cleaned["per_page"] = params["per_page"]
        return cleaned

    def filtered_queryset(self):
        """Visible records, filtered and sorted as the (cleaned) parameters say."""
        filters = self.params.copy()
        for key in (*LIST_STATE, "page"):
            filters.pop(key, None)
        self.filterset = self.filterset_class(filters or None,
                                              queryset=super().get_queryset(),
                                              request=self.request)
        self.sort = self.params.get("sort") or self.default_sort
        field = self.sorts[self.sort.lstrip("-")]
        order = f"-{field}" if self.sort.startswith("-") else field
        return self.filterset.qs.order_by(order, "-id")

    def get_queryset(self):
        return self.related(self.filtered_queryset())

    def get_paginate_by(self, queryset):
        return int(self.params.get("per_page", DEFAULT_PAGE_SIZE))

    def related(self, queryset):
        return queryset.select_related("owner", "team").prefetch_related("tags")

    def name_cell(self, record):  # pragma: no cover - overridden
        return str(record)

    def query_with(self, **changes) -> str:
        params = self.params.copy()
        params.pop("page", None)
        for key, value in changes.items():
            if value:
                params[key] = value
            else:
                params.pop(key, None)
        encoded = params.urlencode()
        return f"?{encoded}" if encoded else "?"

    def header(self) -> list[dict]:
        def sortable(key):
            current = self.sort.lstrip("-") == key
            descending = self.sort.startswith("-")
            target = f"-{key}" if current and not descending else key
            return {"url": self.query_with(sort=target), "active": current,
                    "descending": current and descending}

        heads = [{"label": self.name_label, **sortable("name")}]
        for column in self.shown_columns:
            head = {"label": column.label, "key": column.key}
            if column.sort and column.sort in self.sorts:
                head.update(sortable(column.sort))
            heads.append(head)
        return heads

    def custom_filters(self) -> list[dict]:
        """The filter inputs of custom fields: a select for choices, from/to for ranges."""
        errors = self.filterset.form.errors if self.filterset.is_bound else {}
        inputs = []
        for definition in self.definitions:
            name = f"cf_{definition.code}"
            entry = {"name": name, "label": definition.display_label,
                     "id": f"f-{name}".replace("_", "-")}
            if definition.type in (CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE):
                entry["choices"] = [(choice["value"], definition.choice_label(choice["value"]))
                                    for choice in definition.choices]
                entry["value"] = self.params.get(name, "")
            elif definition.type in RANGED:
                entry["range"] = True
                entry["input_type"] = "date" if definition.type == "date" else "number"
                entry["min"] = self.params.get(f"{name}_min", "")
                entry["max"] = self.params.get(f"{name}_max", "")
                entry["errors"] = [*errors.get(f"{name}_min", []),
                                   *errors.get(f"{name}_max", [])]
            else:
                continue
            inputs.append(entry)
        return inputs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rows = [{"record": record, "name": self.name_cell(record), "label": label_of(record),
                 "cells": [column.render(record) for column in self.shown_columns]}
                for record in context["page_obj"].object_list]
        shown_keys = [column.key for column in self.shown_columns]
        state = self.params.copy()
        state.pop("page", None)
        filters_only = state.copy()
        for key in LIST_STATE:
            filters_only.pop(key, None)
        # What a saved view keeps as its query: the filters and the sort.
        view_query = state.copy()
        for key in ("columns", "view", "per_page"):
            view_query.pop(key, None)
        views = list(saved_views_for(self.model, user))
        is_admin = has_role(user, TENANT_ADMIN)
        active = self.active_view
        context.update(
            filterset=self.filterset, header=self.header(), rows=rows, sort=self.sort,
            page_query=state.urlencode(),
            values=self.params, hidden=self.hidden,
            filtered=any(value for key in filters_only for value in filters_only.getlist(key)),
            keep_on_filter=[(key, self.params[key]) for key in LIST_STATE
                            if key in self.params],
            keep_on_columns=[(key, value) for key in self.params
                             if key not in ("columns", "page")
                             for value in self.params.getlist(key)],
            view_query=view_query.urlencode(),
            available_columns=[{"key": column.key, "label": column.label,
                                "checked": column.key in shown_keys}
                               for column in self.available_columns],
            shown_column_keys=",".join(shown_keys) if "columns" in self.params else "",
            custom_filter_inputs=self.custom_filters(),
            my_views=[view for view in views if view.owner_id == user.pk],
            shared_views=[view for view in views if view.owner_id != user.pk],
            active_view=active,
            can_share=has_role(user, TENANT_ADMIN, MANAGER), is_admin=is_admin,
            can_update_view=bool(active) and active.owner_id == user.pk,
            can_delete_view=bool(active) and (active.owner_id == user.pk
                                              or (active.shared and is_admin)),
            page_sizes=PAGE_SIZES, per_page=self.get_paginate_by(None),
            kind=self.kind,
            urls={"list": reverse(self.list_url),
                  **{name: reverse(f"customers:{self.kind}-{name.replace('_', '-')}")
                     for name in ("bulk", "export", "save_view")}},
            tags=Tag.objects.order_by("name"), owners=active_staff())
        return context


class AccountMixin:
    model = Account
    list_url = "customers:account-list"
    detail_url = "customers:account-detail"
    kind = "account"


class ContactMixin:
    model = Contact
    list_url = "customers:contact-list"
    detail_url = "customers:contact-detail"
    kind = "contact"


class AccountListView(AccountMixin, RecordListView):
    template_name = "customers/account_list.html"
    filterset_class = AccountFilter
    name_label = _("Name")

    def related(self, queryset):
        return super().related(queryset).select_related("parent")

    def name_cell(self, account):
        domain = account.domain if "website" not in self.hidden else ""
        return format_html(
            '<a class="fw-semibold" href="{}">{}</a>{}',
            reverse(self.detail_url, args=[account.pk]), account.name,
            format_html('<div class="small text-secondary">{}</div>', domain) if domain else "")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        industries = []
        if "industry" not in self.hidden:
            industries = (visible(Account.objects.all(), self.request.user).exclude(industry="")
                          .values_list("industry", flat=True).distinct().order_by("industry"))
        context.update(tiers=Account.Tier.choices, industries=industries)
        return context


class ContactListView(ContactMixin, RecordListView):
    template_name = "customers/contact_list.html"
    filterset_class = ContactFilter
    name_label = _("Name")

    def related(self, queryset):
        return super().related(queryset).select_related("account")

    def name_cell(self, contact):
        title = contact.title if "title" not in self.hidden else ""
        return format_html(
            '<a class="fw-semibold" href="{}">{}</a>{}',
            reverse(self.detail_url, args=[contact.pk]), person_name(contact),
            format_html('<div class="small text-secondary">{}</div>', title) if title else "")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["stages"] = Contact.Stage.choices
        return context


class AccountDetailView(AccountMixin, VisibleMixin, DetailView):
    template_name = "customers/account_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("owner", "team", "parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["contacts"] = with_names(list(
            visible(Contact.objects.filter(account=self.object), user)
            .select_related("owner").order_by("last_name", "first_name")))
        context["children"] = visible(self.object.children.all(), user).order_by("name")
        parent = self.object.parent
        context["parent_visible"] = bool(parent) and visible(
            Account.objects.filter(pk=parent.pk), user).exists()
        return context


class ContactDetailView(ContactMixin, VisibleMixin, DetailView):
    template_name = "customers/contact_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("owner", "team", "account")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.object.display_name = person_name(self.object)
        account = self.object.account
        context["account_visible"] = bool(account) and visible(
            Account.objects.filter(pk=account.pk), self.request.user).exists()
        return context


class RecordFormMixin(VisibleMixin):
    success_text = ""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        self.object = form.save()
        messages.success(self.request, self.success_text % {"name": label_of(self.object)})
        return HttpResponseRedirect(self.detail_or_list(self.object))


class AccountCreateView(AccountMixin, RecordFormMixin, CreateView):
    template_name = "customers/account_form.html"
    form_class = AccountForm
    success_text = _("Account “%(name)s” created.")


class AccountUpdateView(AccountMixin, RecordFormMixin, UpdateView):
    template_name = "customers/account_form.html"
    form_class = AccountForm
    success_text = _("Account “%(name)s” saved.")


class ContactCreateView(ContactMixin, RecordFormMixin, CreateView):
    template_name = "customers/contact_form.html"
    form_class = ContactForm
    success_text = _("Contact “%(name)s” created.")

    def get_initial(self):
        initial = super().get_initial()
        account_id = self.request.GET.get("account", "")
        if account_id.isdigit():
            account = visible(Account.objects.filter(pk=account_id), self.request.user).first()
            if account:
                initial["account"] = account.pk
        return initial


class ContactUpdateView(ContactMixin, RecordFormMixin, UpdateView):
    template_name = "customers/contact_form.html"
    form_class = ContactForm
    success_text = _("Contact “%(name)s” saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.object.display_name = person_name(self.object)
        return context


class RecordDeleteView(VisibleMixin, DetailView):
    """GET asks for confirmation; POST moves the record to the bin (soft delete)."""

    template_name = "customers/confirm_delete.html"
    success_text = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse(self.detail_url, args=[self.object.pk])
        context["label"] = label_of(self.object)
        return context

    def post(self, request, *args, **kwargs):
        record = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        record.soft_delete()
        messages.success(request, self.success_text % {"name": label_of(record)})
        return HttpResponseRedirect(reverse(self.list_url))


class AccountDeleteView(AccountMixin, RecordDeleteView):
    success_text = _("Account “%(name)s” deleted.")


class ContactDeleteView(ContactMixin, RecordDeleteView):
    success_text = _("Contact “%(name)s” deleted.")
