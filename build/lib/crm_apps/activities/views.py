"""Activity pages of the back office: list, detail, forms per kind, "My day", the calendar, the
calendar feed settings, e-mail to a contact and the record timeline page."""

import calendar
import datetime

from django.contrib import messages
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, TemplateView, UpdateView
from django_tenants.utils import schema_context

from core.permissions import StaffRequiredMixin
from core.tasks import send_email
from crm_apps.activities import feed, timeline
from crm_apps.activities.agenda import my_meetings, my_tasks
from crm_apps.activities.filters import ActivityPageFilter, on_moment
from crm_apps.activities.forms import FORMS, EmailComposeForm
from crm_apps.activities.models import Activity
from crm_apps.activities.templatetags.activity_timeline import decorate
from crm_apps.activities.visibility import visible_activities
from crm_apps.activities.zones import TenantZoneMixin, day_start, local_today
from crm_apps.customers.models import Account, Contact
from crm_apps.customers.views import person_name
from crm_apps.customers.visibility import visible

Kind = Activity.Kind
# The calendar's range: wide enough for any plan, far from the ends of Python's dates.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)
KIND_TITLES = {
    Kind.TASK: (gettext_lazy("New task"), gettext_lazy("Edit task")),
    Kind.CALL: (gettext_lazy("Log a call"), gettext_lazy("Edit call")),
    Kind.MEETING: (gettext_lazy("Schedule a meeting"), gettext_lazy("Edit meeting")),
    Kind.NOTE: (gettext_lazy("Add a note"), gettext_lazy("Edit note")),
    Kind.EMAIL: (gettext_lazy("Log an e-mail"), gettext_lazy("Edit e-mail")),
}


def safe_next(request, fallback: str) -> str:
    """Where to go after a form: the page it was opened from (``next``, this site only)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


class ActivityMixin(StaffRequiredMixin, TenantZoneMixin):
    """Staff only, in the tenant's zone, and only activities the user may see (else 404)."""

    def get_queryset(self):
        return visible_activities(Activity.objects.all(), self.request.user).select_related(
            "owner", "assignee", "account", "contact", "lead")


class ActivityListView(ActivityMixin, ListView):
    template_name = "activities/activity_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().annotate(on_at=on_moment())
        self.filterset = ActivityPageFilter(self.request.GET or None, queryset=queryset,
                                            request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs.order_by("-on_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data = self.filterset.form.data if self.filterset.is_bound else {}
        names = ("q", "kind", "mine", "open", "date_from", "date_to")
        context.update(filterset=self.filterset, values=data, page_query=query.urlencode(),
                       filtered=any(data.get(name) for name in names),
                       kinds=Kind.choices, next_here=self.request.get_full_path())
        return context


class ActivityDetailView(ActivityMixin, DetailView):
    template_name = "activities/activity_detail.html"
    context_object_name = "activity"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activity = self.object
        user = self.request.user
        context.update(
            attendees=activity.attendees.order_by("first_name", "email"),
            contact_attendees=[(contact, person_name(contact)) for contact in
                               visible(activity.contact_attendees.all(), user)],
            account_visible=bool(activity.account_id) and visible(
                Account.objects.filter(pk=activity.account_id), user).exists(),
            contact_visible=bool(activity.contact_id) and visible(
                Contact.objects.filter(pk=activity.contact_id), user).exists(),
            contact_name=person_name(activity.contact) if activity.contact_id else "",
            lead_visible=bool(activity.lead_id) and visible(
                type(activity).lead.field.related_model.objects.filter(pk=activity.lead_id),
                user).exists(),
            next_here=self.request.get_full_path())
        return context


class ActivityFormMixin(ActivityMixin):
    template_name = "activities/activity_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def record_context(self):
        """The record the form was opened from, for the breadcrumb and the cancel link."""
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        new_title, edit_title = KIND_TITLES[self.kind]
        fallback = (reverse("activities:detail", args=[self.object.pk]) if self.object
                    else reverse("activities:list"))
        context.update(kind=self.kind, title=edit_title if self.object else new_title,
                       wide_fields=("subject", "body", "outcome", "place"),
                       next_url=safe_next(self.request, ""),
                       cancel_url=safe_next(self.request, fallback))
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        self.object = form.save()
        messages.success(self.request, self.saved_text % {"subject": self.object.subject})
        return HttpResponseRedirect(safe_next(
            self.request, reverse("activities:detail", args=[self.object.pk])))


class ActivityCreateView(ActivityFormMixin, CreateView):
    saved_text = gettext_lazy("“%(subject)s” saved.")

    def dispatch(self, request, *args, **kwargs):
        self.kind = kwargs["kind"]
        self.object = None
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return FORMS[self.kind]

    def get_initial(self):
        """The record the form was opened from (``?account=``, ``?contact=``, ``?lead=``), if
        visible."""
        initial = super().get_initial()
        user = self.request.user
        lead_id = self.request.GET.get("lead", "")
        if lead_id.isdigit():
            lead = visible(Activity.lead.field.related_model.objects.filter(pk=lead_id),
                           user).first()
            if lead:
                initial["lead"] = lead.pk
                if self.kind == Kind.EMAIL and lead.email:
                    initial["email_from"] = lead.email
        contact_id = self.request.GET.get("contact", "")
        account_id = self.request.GET.get("account", "")
        contact = None
        if contact_id.isdigit():
            contact = visible(Contact.objects.filter(pk=contact_id), user).first()
            if contact:
                initial["contact"] = contact.pk
                if contact.account_id and not account_id:
                    account_id = str(contact.account_id)
        if account_id.isdigit():
            account = visible(Account.objects.filter(pk=account_id), user).first()
            if account:
                initial["account"] = account.pk
        if self.kind == Kind.MEETING and contact:
            initial["contact_attendees"] = [contact.pk]
        if self.kind == Kind.EMAIL and contact and contact.email:
            initial["email_from"] = contact.email
        return initial


class ActivityUpdateView(ActivityFormMixin, UpdateView):
    saved_text = gettext_lazy("“%(subject)s” saved.")

    def get_object(self, queryset=None):
        activity = super().get_object(queryset)
        self.kind = activity.kind
        return activity

    def get_form_class(self):
        return FORMS[self.object.kind]


class ActivityDeleteView(ActivityMixin, DetailView):
    """GET asks for confirmation; POST moves the activity to the bin (soft delete)."""

    template_name = "activities/confirm_delete.html"
    context_object_name = "activity"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next_url"] = safe_next(self.request, "")
        context["cancel_url"] = safe_next(
            self.request, reverse("activities:detail", args=[self.object.pk]))
        return context

    def post(self, request, *args, **kwargs):
        activity = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        activity.soft_delete()
        messages.success(request, _("“%(subject)s” deleted.") % {"subject": activity.subject})
        target = safe_next(request, reverse("activities:list"))
        if target.startswith(reverse("activities:detail", args=[activity.pk])):
            target = reverse("activities:list")  # the page of what is gone
        return HttpResponseRedirect(target)


class TaskDoneView(ActivityMixin, View):
    """POST: mark a task done (``done=1``, the default) or open again (``done=0``)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        task = get_object_or_404(self.get_queryset(), pk=pk, kind=Kind.TASK)
        done = request.POST.get("done", "1") != "0"
        task.done_at = (task.done_at or timezone.now()) if done else None
        task.save(update_fields=["done_at", "updated"])
        if done:
            messages.success(request, _("“%(subject)s” done.") % {"subject": task.subject})
        else:
            messages.info(request, _("“%(subject)s” open again.") % {"subject": task.subject})
        return HttpResponseRedirect(safe_next(
            request, reverse("activities:detail", args=[task.pk])))


class MyDayView(ActivityMixin, TemplateView):
    """Overdue and today's tasks and today's meetings of the signed-in user, by the tenant's
    calendar day."""

    template_name = "activities/my_day.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = local_today(self.zone)
        start, end = day_start(today, self.zone), day_start(
            today + datetime.timedelta(days=1), self.zone)
        related = ("account", "contact", "assignee", "owner")
        tasks = visible_activities(my_tasks(user), user).select_related(*related)
        meetings = visible_activities(my_meetings(user), user).select_related(*related)
        context.update(
            today=today,
            overdue=tasks.filter(done_at__isnull=True, due__lt=start).order_by("due", "id"),
            due_today=tasks.filter(due__gte=start, due__lt=end).order_by(
                "done_at", "due", "id"),
            meetings=meetings.filter(
                Q(start__gte=start, start__lt=end) | Q(start__lt=start, end__gt=start))
            .prefetch_related("attendees", "contact_attendees").order_by("start", "id"),
            next_here=self.request.get_full_path())
        return context


class CalendarView(ActivityMixin, TemplateView):
    """The user's meetings and dated tasks in a week or a month (``?view=``, ``?date=``)."""

    template_name = "activities/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = local_today(self.zone)
        mode = self.request.GET.get("view")
        mode = mode if mode in ("week", "month") else "week"
        try:
            anchor = datetime.date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            anchor = today
        if not FIRST_DAY <= anchor <= LAST_DAY:  # the grid and its links stay within dates
            anchor = today
        if mode == "week":
            first = anchor - datetime.timedelta(days=anchor.weekday())
            last = first + datetime.timedelta(days=6)
            previous, following = first - datetime.timedelta(days=7), first + datetime.timedelta(
                days=7)
        else:
            month_first = anchor.replace(day=1)
            month_last = month_first.replace(
                day=calendar.monthrange(anchor.year, anchor.month)[1])
            first = month_first - datetime.timedelta(days=month_first.weekday())
            last = month_last + datetime.timedelta(days=6 - month_last.weekday())
            previous = (month_first - datetime.timedelta(days=1)).replace(day=1)
            following = month_last + datetime.timedelta(days=1)
        start, end = day_start(first, self.zone), day_start(
            last + datetime.timedelta(days=1), self.zone)
        days = {first + datetime.timedelta(days=n): [] for n in range((last - first).days + 1)}
        tasks = visible_activities(my_tasks(user), user).filter(due__gte=start, due__lt=end)
        meetings = visible_activities(my_meetings(user), user).filter(
            start__gte=start, start__lt=end)
        for activity in (tasks | meetings).select_related("account", "contact"):
            moment = activity.start if activity.kind == Kind.MEETING else activity.due
            days[timezone.localtime(moment, self.zone).date()].append(activity)
        for entries in days.values():
            entries.sort(key=lambda a: (a.start or a.due, a.pk))
        cells = [{"date": day, "items": entries, "today": day == today,
                  "other_month": mode == "month" and day.month != anchor.month}
                 for day, entries in days.items()]
        context.update(
            mode=mode, anchor=anchor, first=first, last=last, today=today,
            weeks=[cells[n:n + 7] for n in range(0, len(cells), 7)],
            busy_days=[cell for cell in cells if cell["items"] and not cell["other_month"]],
            weekdays=[first + datetime.timedelta(days=n) for n in range(7)],
            previous=previous.isoformat(), following=following.isoformat(),
            zone=self.zone.key, next_here=self.request.get_full_path())
        return context


class FeedSettingsView(StaffRequiredMixin, TenantZoneMixin, TemplateView):
    """The user's private calendar address: made (shown once), replaced or revoked."""

    template_name = "activities/calendar_feed.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["feed"] = feed.live_feed(self.request.user)
        context["zone"] = self.zone.key
        return context

    def post(self, request):
        action = request.POST.get("action")
        if action == "create":
            _feed, key = feed.issue(request.user)
            url = request.build_absolute_uri(reverse("calendar-feed", args=[key]))
            context = self.get_context_data(
                new_url=url, webcal_url="webcal://" + url.split("://", 1)[1])
            return self.render_to_response(context)
        if action == "revoke":
            if feed.revoke(request.user):
                messages.success(request, _("Your calendar address no longer works."))
            return HttpResponseRedirect(reverse("activities:feed"))
        context = self.get_context_data(error=_("Choose what to do with the address."))
        return self.render_to_response(context, status=400)


class EmailComposeView(StaffRequiredMixin, TenantZoneMixin, View):
    """A one-to-one e-mail to a contact, sent through the mail path and logged on the
    timeline as an outbound e-mail."""

    template_name = "activities/email_compose.html"

    def contact(self, request):
        contact_id = request.GET.get("contact", "")
        if not contact_id.isdigit():
            raise Http404
        return get_object_or_404(visible(Contact.objects.select_related("account"),
                                         request.user), pk=contact_id)

    def render_page(self, request, contact, form, status=200):
        fallback = reverse("customers:contact-detail", args=[contact.pk])
        return render(request, self.template_name, {
            "contact": contact, "contact_name": person_name(contact), "form": form,
            "next_url": safe_next(request, ""), "cancel_url": safe_next(request, fallback),
        }, status=status)

    def get(self, request):
        return self.render_page(request, self.contact(request), EmailComposeForm())

    def post(self, request):
        contact = self.contact(request)
        form = EmailComposeForm(request.POST)
        if not contact.email:
            return self.render_page(request, contact, form, status=400)
        if not form.is_valid():
            return self.render_page(request, contact, form, status=400)
        user = request.user
        account_visible = bool(contact.account_id) and visible(
            Account.objects.filter(pk=contact.account_id), user).exists()
        activity = Activity.objects.create(
            kind=Kind.EMAIL, direction=Activity.Direction.OUTBOUND, owner=user,
            subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
            email_from=user.email, email_to=[contact.email], sent_at=timezone.now(),
            contact=contact, account_id=contact.account_id if account_visible else None)
        message = {"to": [contact.email], "subject": activity.subject, "body": activity.body,
                   "reply_to": [user.email] if user.email else None}
        schema = connection.schema_name

        def queue():
            with schema_context(schema):
                send_email.delay(**message)

        transaction.on_commit(queue)
        messages.success(request, _("E-mail sent to %(address)s.") % {"address": contact.email})
        return HttpResponseRedirect(safe_next(
            request, reverse("customers:contact-detail", args=[contact.pk])))


class TimelinePageView(StaffRequiredMixin, TenantZoneMixin, View):
    """A record's timeline past its first page (``?account=`` or ``?contact=``, ``cursor``):
    a whole page, or only the items when asked by htmx from the record page."""

    page_size = 20

    def get(self, request):
        user = request.user
        record, name = None, ""
        for name, model in (("account", Account), ("contact", Contact)):
            value = request.GET.get(name, "")
            if value.isdigit():
                record = get_object_or_404(visible(model.objects.all(), user), pk=value)
                break
        if record is None:
            raise Http404
        after_key = None
        if request.GET.get("cursor"):
            after_key = timeline.decode_cursor(request.GET["cursor"])
            if after_key is None:
                raise Http404
        items, more = timeline.items(user=user, after_key=after_key, limit=self.page_size,
                                     **{name: record})
        decorate(items)
        more_url = ""
        if more and items:
            more_url = (f"{reverse('activities:timeline')}?{name}={record.pk}"
                        f"&cursor={timeline.encode_cursor(items[-1])}")
        context = {"items": items, "more_url": more_url, "record": record,
                   "record_kind": name,
                   "record_name": person_name(record) if name == "contact" else record.name,
                   "record_url": reverse(f"customers:{name}-detail", args=[record.pk])}
        if request.headers.get("HX-Request"):
            return render(request, "activities/_timeline_items.html", context)
        return render(request, "activities/timeline.html", context)
