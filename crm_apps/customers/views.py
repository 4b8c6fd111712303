"""Account and contact pages of the back office: lists, detail, create, edit and delete."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from core.permissions import StaffRequiredMixin
from crm_apps.customers.filters import AccountFilter, ContactFilter
from crm_apps.customers.forms import AccountForm, ContactForm, active_staff
from crm_apps.customers.models import Account, Contact, Tag
from crm_apps.customers.visibility import visible


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


class RecordListView(VisibleMixin, ListView):
    paginate_by = 50
    filterset_class = None
    # sort key in the URL (optionally with "-") -> the field to order by.
    sorts: dict = {}
    default_sort = "-created"

    def get_queryset(self):
        self.filterset = self.filterset_class(self.request.GET or None,
                                              queryset=super().get_queryset())
        sort = self.request.GET.get("sort", "")
        self.sort = sort if sort.lstrip("-") in self.sorts else self.default_sort
        field = self.sorts[self.sort.lstrip("-")]
        order = f"-{field}" if self.sort.startswith("-") else field
        return self.related(self.filterset.qs).order_by(order, "-id")

    def related(self, queryset):  # pragma: no cover - overridden
        return queryset

    def query_with(self, **changes) -> str:
        params = self.request.GET.copy()
        params.pop("page", None)
        for key, value in changes.items():
            if value:
                params[key] = value
            else:
                params.pop(key, None)
        encoded = params.urlencode()
        return f"?{encoded}" if encoded else "?"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        columns = {}
        for key in self.sorts:
            current = self.sort.lstrip("-") == key
            descending = self.sort.startswith("-")
            target = f"-{key}" if current and not descending else key
            columns[key] = {"url": self.query_with(sort=target), "active": current,
                            "descending": current and descending}
        page_query = self.request.GET.copy()
        page_query.pop("page", None)
        data = self.filterset.form.data if self.filterset.is_bound else {}
        context.update(
            filterset=self.filterset, columns=columns, sort=self.sort,
            page_query=page_query.urlencode(), values=data,
            filtered=any(data.get(name) for name in self.filter_names),
            tags=Tag.objects.order_by("name"), owners=active_staff())
        return context


class AccountMixin:
    model = Account
    list_url = "customers:account-list"
    detail_url = "customers:account-detail"


class ContactMixin:
    model = Contact
    list_url = "customers:contact-list"
    detail_url = "customers:contact-detail"


class AccountListView(AccountMixin, RecordListView):
    template_name = "customers/account_list.html"
    filterset_class = AccountFilter
    filter_names = ("q", "tier", "industry", "tag", "owner")
    sorts = {"name": "name", "industry": "industry", "tier": "tier", "city": "city",
             "owner": "owner__email", "created": "created"}

    def related(self, queryset):
        return queryset.select_related("owner", "team").prefetch_related("tags")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            tiers=Account.Tier.choices,
            industries=(visible(Account.objects.all(), self.request.user).exclude(industry="")
                        .values_list("industry", flat=True).distinct().order_by("industry")))
        return context


class ContactListView(ContactMixin, RecordListView):
    template_name = "customers/contact_list.html"
    filterset_class = ContactFilter
    filter_names = ("q", "lifecycle_stage", "tag", "owner")
    sorts = {"name": "last_name", "account": "account__name", "email": "email",
             "stage": "lifecycle_stage", "owner": "owner__email", "created": "created"}

    def related(self, queryset):
        return queryset.select_related("owner", "team", "account").prefetch_related("tags")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["stages"] = Contact.Stage.choices
        with_names(context["page_obj"].object_list)
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
