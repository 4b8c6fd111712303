"""The desk pages of the back office: agents' queues, the ticket page and its actions, new
tickets entered by staff, and canned replies."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from core.audit import acting_as
from core.permissions import StaffRequiredMixin, roles_of
from core.roles import MANAGER, TENANT_ADMIN
from crm_apps.customers.paging import IdsFirstPaginator
from crm_apps.customers.visibility import visible
from crm_apps.service import queues
from crm_apps.service.forms import (
    CannedReplyForm,
    ComplaintForm,
    MessageForm,
    NewTicketForm,
    TicketControlsForm,
    TicketNumberForm,
)
from crm_apps.service.models import CannedReply, Ticket

logger = logging.getLogger(__name__)
PER_PAGE = 50
SLA_BADGES = {"overdue": "text-bg-danger", "soon": "text-bg-warning", "ok": "text-bg-light border",
              "met": "text-bg-success", "late": "text-bg-secondary", "paused": "text-bg-info"}
SIGN_OFF_ROLES = {MANAGER, TENANT_ADMIN}


def desk_errors():
    """The errors the service functions raise with a message for the user (imported when
    used: the service module is written alongside these pages)."""
    from crm_apps.service.attachments import AttachmentError
    from crm_apps.service.services import TicketError

    return (TicketError, AttachmentError)


def can_sign_off(user) -> bool:
    return bool(roles_of(user) & SIGN_OFF_ROLES)


def access_ticket(user, pk):
    """The ticket if ``user`` may see it; a 404 whether it is missing or not theirs."""
    tickets = visible(Ticket.objects.all(), user).select_related(
        "contact", "account", "owner", "team", "merged_into", "signed_off_by", "sla_policy")
    return get_object_or_404(tickets, pk=pk)


def sla_clocks(ticket, now=None, labels=None) -> list[dict]:
    """The SLA due times of a ticket with how close they are: met, late, paused, overdue,
    soon or ok."""
    now = now or timezone.now()
    horizon = queues.soon(now)
    labels = labels or {"first": _("First response"), "resolution": _("Resolution")}
    clocks = []
    for label, due, done in ((labels["first"], ticket.first_response_due,
                              ticket.first_responded_at),
                             (labels["resolution"], ticket.resolution_due, ticket.resolved_at)):
        if due is None:
            continue
        if done:
            state = "met" if done <= due else "late"
        elif ticket.sla_paused_at and due > ticket.sla_paused_at:
            state = "paused"  # waiting on the customer or on hold: the clock stands still
        else:
            state = "overdue" if due < now else "soon" if due <= horizon else "ok"
        clocks.append({"label": label, "due": due, "done": done, "state": state,
                       "css": SLA_BADGES[state]})
    return clocks


def suggested_articles(ticket) -> list[dict]:
    """Knowledge-base articles matching the ticket; none when the knowledge base is absent or
    fails (suggestions help, and must never break the ticket page)."""
    try:
        from cms.knowledge import suggest
    except ImportError:
        return []
    try:
        return list(suggest(f"{ticket.subject}\n{ticket.description}",
                            language=get_language()))[:5]
    except Exception:
        logger.exception("knowledge-base suggestions failed for ticket %s", ticket.pk)
        return []


def attachment_link(attachment) -> str:
    """The download address of an attachment (its view checks who may see the ticket)."""
    return reverse("service:attachment", args=[attachment.pk])


def redirect_to_ticket(ticket) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("service:ticket-detail", args=[ticket.pk]), status=303)


# --- Queues -----------------------------------------------------------------------------------

class QueueView(StaffRequiredMixin, View):
    """One queue with its tabs (and their counts), filters and pages."""

    def get(self, request):
        form = queues.QueueFilterForm(request.GET)
        if not form.is_valid():
            return render(request, "service/queue.html",
                          {"form": form, "bad_filters": True, "current": "mine",
                           "tabs": [(*tab, None) for tab in queues.QUEUES],
                           **filter_choices(form)}, status=400)
        name = form.cleaned_data.get("queue") or "mine"
        now = timezone.now()
        tickets = form.filter(queues.queue(name, request.user, now))
        paginator = IdsFirstPaginator(queues.with_list_rows(tickets), PER_PAGE)
        counts = queues.queue_counts(request.user, now, with_all=name == "all")
        data = form.cleaned_data
        filtered = any(data.get(key) for key in ("status", "priority", "kind", "tag", "q"))
        if not filtered and counts[name] is not None:
            paginator.count = counts[name]  # the tab's count is the list's: not read twice
        more_matches = False
        if data.get("q"):
            found = tickets.values("pk")[:queues.SEARCH_COUNT_CAP + 1].count()
            more_matches = found > queues.SEARCH_COUNT_CAP
            paginator.count = min(found, queues.SEARCH_COUNT_CAP)
        page = paginator.get_page(form.cleaned_data.get("page") or 1)
        rows = list_rows(page.object_list, now)
        query = request.GET.copy()
        query.pop("page", None)
        tab_query = query.copy()
        tab_query.pop("queue", None)
        return render(request, "service/queue.html", {
            "form": form, "current": name, "page_obj": page,
            "tabs": [(tab, label, counts[tab]) for tab, label in queues.QUEUES],
            "paginator": paginator, "rows": rows, "page_query": query.urlencode(),
            "tab_query": tab_query.urlencode(), "soon_hours": queues.SOON_HOURS,
            "filtered": filtered, "more_matches": more_matches,
            "search_cap": queues.SEARCH_COUNT_CAP,
            **filter_choices(form),
        })


def list_rows(tickets, now) -> list:
    """``(ticket, clocks)`` per ticket, with the labels of its choices read once per page:
    ``get_status_display()`` and its kin translate every label of the field on each call,
    which was a third of the page's time."""
    labels = {name: {value: str(label) for value, label in choices} for name, choices in (
        ("status", Ticket.Status.choices), ("kind", Ticket.Kind.choices),
        ("priority", Ticket.Priority.choices))}
    clock_labels = {"first": _("First response"), "resolution": _("Resolution")}
    rows = []
    for ticket in tickets:
        for name, names in labels.items():
            setattr(ticket, f"{name}_label", names.get(getattr(ticket, name), ""))
        rows.append((ticket, sla_clocks(ticket, now, clock_labels)))
    return rows


def filter_choices(form) -> dict:
    return {"statuses": Ticket.Status.choices, "priorities": Ticket.Priority.choices,
            "kinds": Ticket.Kind.choices, "tags": form.fields["tag"].queryset}


# --- The ticket page --------------------------------------------------------------------------

def render_ticket(request, ticket, *, status=200, **forms):
    """The ticket page; bound forms with errors are passed in to show them."""
    conversation = (ticket.messages.select_related("author", "author_contact")
                    .prefetch_related("attachments").order_by("created", "id"))
    entries = [(message, [(file, attachment_link(file)) for file in message.attachments.all()])
               for message in conversation]
    controls = forms.get("controls") or TicketControlsForm(initial={
        "status": ticket.status, "priority": ticket.priority, "owner": ticket.owner_id,
        "team": ticket.team_id, "tags": list(ticket.tags.values_list("pk", flat=True))})
    complaint = forms.get("complaint") or ComplaintForm(initial={
        "severity": ticket.severity, "root_cause": ticket.root_cause,
        "corrective_action": ticket.corrective_action})
    seen = visible(Ticket.objects.all(), request.user)
    context = {
        "ticket": ticket, "entries": entries, "clocks": sla_clocks(ticket),
        "message_form": forms.get("message") or MessageForm(),
        "controls": controls, "complaint_form": complaint,
        "merge_form": forms.get("merge") or TicketNumberForm(prefix="merge"),
        "link_form": forms.get("link") or TicketNumberForm(prefix="link"),
        "canned": CannedReply.objects.all(),
        "linked": seen.filter(pk__in=ticket.linked.values("pk")).order_by("-id"),
        "merged": seen.filter(merged_into=ticket).order_by("-id"),
        "articles": suggested_articles(ticket), "can_sign_off": can_sign_off(request.user),
        "complaint_ready": bool(ticket.root_cause and ticket.corrective_action),
        "error": forms.get("error", ""),
    }
    return render(request, "service/ticket.html", context, status=status)


class TicketView(StaffRequiredMixin, View):
    def get(self, request, pk):
        return render_ticket(request, access_ticket(request.user, pk))


class TicketActionView(StaffRequiredMixin, View):
    """A POST on one ticket the user may see; service errors come back as a 4xx page."""

    error_status = 400

    def post(self, request, pk):
        ticket = access_ticket(request.user, pk)
        try:
            with acting_as(request.user):
                return self.act(request, ticket)
        except desk_errors() as error:
            ticket.refresh_from_db()
            status = getattr(error, "status_code", None) or self.error_status
            return render_ticket(request, ticket, status=status, error=str(error))


class ReplyView(TicketActionView):
    """A public reply (e-mailed to the customer when they want it) or an internal note."""

    error_status = 400

    def act(self, request, ticket):
        from crm_apps.service import services

        form = MessageForm(request.POST, request.FILES)
        if not form.is_valid():
            return render_ticket(request, ticket, status=400, message=form)
        data = form.cleaned_data
        services.add_message(ticket, body=data["body"], visibility=data["visibility"],
                             author=request.user, channel=Ticket.Channel.STAFF,
                             attachments=data["attachments"])
        if data["visibility"] == "internal":
            messages.success(request, _("The internal note was added."))
        else:
            messages.success(request, _("The reply was sent."))
        return redirect_to_ticket(ticket)


class ControlsView(TicketActionView):
    """Status, priority, assignee, team and tags; a refused status change is a 409."""

    error_status = 409

    def act(self, request, ticket):
        from crm_apps.service import services

        form = TicketControlsForm(request.POST)
        if not form.is_valid():
            return render_ticket(request, ticket, status=400, controls=form)
        data = form.cleaned_data
        if (data["owner"], data["team"]) != (ticket.owner, ticket.team):
            services.assign(ticket, owner=data["owner"], team=data["team"], by=request.user)
            ticket.refresh_from_db()
        if data["priority"] != ticket.priority:
            services.update_details(ticket, priority=data["priority"], by=request.user)
        if set(data["tags"]) != set(ticket.tags.all()):
            services.set_tags(ticket, data["tags"], by=request.user)
        if data["status"] != ticket.status:
            services.change_status(ticket, data["status"], by=request.user)
        messages.success(request, _("The ticket was updated."))
        return redirect_to_ticket(ticket)


class ComplaintView(TicketActionView):
    """Severity, root cause and corrective action of a complaint."""

    def act(self, request, ticket):
        from crm_apps.service import services

        if not ticket.is_complaint:
            return render_ticket(request, ticket, status=400,
                                 error=_("Only complaints have a root cause and a sign-off."))
        form = ComplaintForm(request.POST)
        if not form.is_valid():
            return render_ticket(request, ticket, status=400, complaint=form)
        # Changing the cause or the correction after a sign-off withdraws the sign-off.
        services.update_details(ticket, by=request.user, **form.cleaned_data)
        messages.success(request, _("The complaint was updated."))
        return redirect_to_ticket(ticket)


class SignOffView(TicketActionView):
    """A manager's sign-off of a complaint, once its cause and correction are written."""

    error_status = 409

    def act(self, request, ticket):
        from crm_apps.service import services

        if not can_sign_off(request.user):
            raise PermissionDenied
        services.sign_off(ticket, by=request.user)
        messages.success(request, _("The complaint was signed off."))
        return redirect_to_ticket(ticket)


class OtherTicketView(TicketActionView):
    """Merge into, or link with, another ticket the user may see (by its number)."""

    prefix = ""

    def act(self, request, ticket):
        form = TicketNumberForm(request.POST, prefix=self.prefix)
        if form.is_valid():
            other = visible(Ticket.objects.all(), request.user).filter(
                number=form.cleaned_data["other"]).first()
            if other is None:
                form.add_error("other", _("No ticket you can see has this number."))
            elif other.pk == ticket.pk:
                form.add_error("other", _("Choose another ticket."))
        if not form.is_valid():
            return render_ticket(request, ticket, status=400, **{self.prefix: form})
        return self.apply(request, ticket, other)


class MergeView(OtherTicketView):
    prefix = "merge"
    error_status = 409

    def apply(self, request, ticket, other):
        from crm_apps.service import services

        services.merge(ticket, other, by=request.user)
        messages.success(request, _("The ticket was merged into %(number)s.")
                         % {"number": other.number})
        return redirect_to_ticket(other)


class LinkView(OtherTicketView):
    prefix = "link"
    error_status = 409

    def apply(self, request, ticket, other):
        from crm_apps.service import services

        services.link(ticket, other, by=request.user)
        messages.success(request, _("The tickets were linked."))
        return redirect_to_ticket(ticket)


# --- New tickets ------------------------------------------------------------------------------

class NewTicketView(StaffRequiredMixin, View):
    """A ticket taken by phone or at the desk."""

    def get(self, request):
        initial = {}
        for name in ("account", "contact"):
            value = request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        return self.page(request, NewTicketForm(user=request.user, initial=initial))

    def page(self, request, form, status=200, error=""):
        return render(request, "service/ticket_new.html", {"form": form, "error": error},
                      status=status)

    def post(self, request):
        from crm_apps.service import services

        form = NewTicketForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.page(request, form, status=400)
        data = form.cleaned_data
        try:
            with acting_as(request.user):
                ticket = services.open_ticket(
                    subject=data["subject"], description=data["description"],
                    channel=data["channel"], kind=data["kind"], priority=data["priority"],
                    account=data["account"], contact=data["contact"], by_user=request.user,
                    attachments=data["attachments"], team=data["team"], owner=data["owner"])
        except desk_errors() as error:
            return self.page(request, form, status=400, error=str(error))
        messages.success(request, _("Ticket %(number)s was opened.") % {"number": ticket.number})
        if visible(Ticket.objects.filter(pk=ticket.pk), request.user).exists():
            return redirect_to_ticket(ticket)
        return HttpResponseRedirect(reverse("service:queue"), status=303)


# --- Canned replies ---------------------------------------------------------------------------

class CannedReplyListView(StaffRequiredMixin, View):
    def get(self, request):
        return render(request, "service/canned_list.html",
                      {"replies": CannedReply.objects.all()})


class CannedReplyEditView(StaffRequiredMixin, View):
    """Create (no pk) or edit a canned reply; any agent may keep the shared answers."""

    def reply(self, pk):
        return get_object_or_404(CannedReply, pk=pk) if pk else CannedReply()

    def page(self, request, form, status=200):
        return render(request, "service/canned_form.html", {"form": form}, status=status)

    def get(self, request, pk=None):
        return self.page(request, CannedReplyForm(instance=self.reply(pk)))

    def post(self, request, pk=None):
        reply = self.reply(pk)
        form = CannedReplyForm(request.POST, instance=reply)
        if not form.is_valid():
            return self.page(request, form, status=400)
        if reply.pk is None:
            form.instance.created_by = request.user
        form.save()
        messages.success(request, _("The canned reply was saved."))
        return HttpResponseRedirect(reverse("service:canned-list"), status=303)


class CannedReplyDeleteView(StaffRequiredMixin, View):
    def post(self, request, pk):
        get_object_or_404(CannedReply, pk=pk).delete()
        messages.success(request, _("The canned reply was deleted."))
        return HttpResponseRedirect(reverse("service:canned-list"), status=303)
