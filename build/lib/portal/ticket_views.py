"""The customer's tickets: list, new ticket with suggested articles, the public conversation,
reply, close, reopen, satisfaction and attachments. Every row comes from portal.policy."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from core.permissions import CustomerRequiredMixin
from crm_apps.service.attachments import AttachmentError
from crm_apps.service.models import Ticket, TicketAttachment
from portal import policy
from portal.ticket_forms import NewTicketForm, ReplyForm, SatisfactionForm, TicketFilterForm

PAGE_SIZE = 25
SUGGEST_MAX_QUERY = 200


class CustomerView(CustomerRequiredMixin, View):
    """A signed-in portal customer; ``scope()`` is their contact, or 403 without one."""

    def scope(self) -> policy.CustomerScope:
        scope = policy.customer_of(self.request.user)
        if scope is None:
            raise PermissionDenied
        return scope

    def get_ticket(self, pk: int) -> Ticket:
        """One of the customer's tickets: "missing" and "not yours" are the same 404."""
        return get_object_or_404(policy.tickets_for(self.request.user), pk=pk)


class TicketListView(CustomerView):
    """Newest first, paged by id (a keyset): as fast on page 2,000 as on page 1."""

    def get(self, request):
        filters = TicketFilterForm(request.GET)
        if not filters.is_valid():
            return HttpResponseBadRequest(_("Unknown filter or page."))
        scope = policy.customer_of(request.user)
        tickets = (policy.tickets_for(request.user).select_related("contact")
                   .only("pk", "number", "subject", "status", "kind", "created", "updated",
                         "contact__first_name", "contact__last_name")
                   .order_by("-id"))
        statuses = filters.statuses()
        if statuses:
            tickets = tickets.filter(status__in=statuses)
        before = filters.cleaned_data.get("before")
        if before:
            tickets = tickets.filter(pk__lt=before)
        rows = list(tickets[:PAGE_SIZE + 1])
        older = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
        return render(request, "portal/tickets/list.html", {
            "tickets": rows[:PAGE_SIZE], "filters": filters, "older": older,
            "status": filters.cleaned_data.get("status") or "", "paged": bool(before),
            "show_contact": bool(scope and scope.is_company_admin),
            "unlinked": scope is None,
        })


class TicketCreateView(CustomerView):
    template_name = "portal/tickets/new.html"

    def get(self, request):
        self.scope()
        form = NewTicketForm(orders=policy.orders_for(request.user),
                             initial={"order": request.GET.get("order") or None})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        from crm_apps.service import services

        scope = self.scope()
        form = NewTicketForm(request.POST, request.FILES, orders=policy.orders_for(request.user))
        if not form.is_valid():
            status = 413 if form.too_large else 400
            return render(request, self.template_name, {"form": form}, status=status)
        data = form.cleaned_data
        try:
            ticket = services.open_ticket(
                subject=data["subject"], description=data["description"],
                channel=Ticket.Channel.PORTAL, kind=data["kind"], account=scope.account,
                contact=scope.contact, by_contact=scope.contact, order=data["order"],
                attachments=data["attachments"])
        except (services.TicketError, AttachmentError) as error:
            form.add_error(None, str(error))
            return render(request, self.template_name, {"form": form},
                          status=error.status_code)
        messages.success(request, _("Ticket %(number)s was opened. We will answer soon.")
                         % {"number": ticket.number})
        return redirect("portal:ticket-detail", pk=ticket.pk)


def conversation(ticket):
    """The public messages with their attachments and authors, in three queries."""
    return list(policy.messages_visible(ticket)
                .select_related("author", "author_contact")
                .prefetch_related("attachments").order_by("created", "id"))


def open_survey(ticket):
    """The unanswered satisfaction survey of a resolved ticket, if one was sent."""
    from crm_apps.service.models import SatisfactionSurvey

    if ticket.status != Ticket.Status.RESOLVED and ticket.status != Ticket.Status.CLOSED:
        return None
    return SatisfactionSurvey.objects.filter(ticket=ticket, score__isnull=True).first()


class TicketDetailView(CustomerView):
    template_name = "portal/tickets/detail.html"

    def render_page(self, ticket, *, reply_form=None, survey_form=None, error="", status=200,
                    template_name=None):
        survey = open_survey(ticket)
        return render(self.request, template_name or self.template_name, {
            "ticket": ticket, "conversation": conversation(ticket),
            "reply_form": reply_form or ReplyForm(), "survey": survey,
            "survey_form": survey_form or (SatisfactionForm() if survey else None),
            "error": error,
            "can_close": ticket.status != Ticket.Status.CLOSED,
            "can_reopen": ticket.is_done,
        }, status=status)

    def get(self, request, pk):
        ticket = self.get_ticket(pk)
        if request.GET.get("part") == "live":
            # The parts the page swaps in when a live event arrives: status, buttons,
            # survey and the conversation (never the reply the customer is typing).
            return self.render_page(ticket, template_name="portal/tickets/_live.html")
        return self.render_page(ticket)


class TicketReplyView(TicketDetailView):
    def get(self, request, pk):
        return redirect("portal:ticket-detail", pk=pk)

    def post(self, request, pk):
        from crm_apps.service import services

        scope = self.scope()
        ticket = self.get_ticket(pk)
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(ticket, reply_form=form,
                                    status=413 if form.too_large else 400)
        try:
            services.add_message(ticket, body=form.cleaned_data["body"],
                                 visibility="public", author_contact=scope.contact,
                                 author_email=scope.contact.email or "",
                                 channel=Ticket.Channel.PORTAL,
                                 attachments=form.cleaned_data["attachments"])
        except (services.TicketError, AttachmentError) as error:
            return self.render_page(ticket, reply_form=form, error=str(error),
                                    status=error.status_code)
        return redirect(reverse("portal:ticket-detail", args=[ticket.pk]) + "#conversation-end")


class TicketStatusView(TicketDetailView):
    """Close (the customer is done) or reopen (it is not solved after all)."""

    targets = {"close": Ticket.Status.CLOSED, "reopen": Ticket.Status.OPEN}

    def get(self, request, pk):
        return redirect("portal:ticket-detail", pk=pk)

    def post(self, request, pk):
        from crm_apps.service import services

        scope = self.scope()
        ticket = self.get_ticket(pk)
        action = request.POST.get("action")
        if action not in self.targets:
            return self.render_page(ticket, error=_("Unknown action."), status=400)
        if action == "reopen" and not ticket.is_done:
            return self.render_page(ticket, error=_("This ticket is still open."), status=409)
        if action == "close" and ticket.status == Ticket.Status.CLOSED:
            return self.render_page(ticket, error=_("This ticket is already closed."),
                                    status=409)
        try:
            services.change_status(ticket, self.targets[action], by_contact=scope.contact)
        except services.TicketError as error:
            return self.render_page(ticket, error=str(error), status=error.status_code)
        messages.success(request, _("The ticket was closed.") if action == "close"
                         else _("The ticket was reopened."))
        return redirect("portal:ticket-detail", pk=ticket.pk)


class TicketSatisfactionView(TicketDetailView):
    def get(self, request, pk):
        return redirect("portal:ticket-detail", pk=pk)

    def post(self, request, pk):
        from crm_apps.service import satisfaction

        self.scope()
        ticket = self.get_ticket(pk)
        survey = open_survey(ticket)
        if survey is None:
            return self.render_page(ticket, error=_("There is no survey to answer."),
                                    status=409)
        form = SatisfactionForm(request.POST)
        if not form.is_valid():
            return self.render_page(ticket, survey_form=form, status=400)
        try:
            satisfaction.answer(survey, form.cleaned_data["score"], form.cleaned_data["comment"])
        except satisfaction.SurveyError as error:
            return self.render_page(ticket, survey_form=form, error=str(error.message),
                                    status=400)
        messages.success(request, _("Thank you for your feedback."))
        return redirect("portal:ticket-detail", pk=ticket.pk)


class AttachmentDownloadView(CustomerView):
    """A file of a public message of one of the customer's tickets; anything else is 404."""

    def get(self, request, pk, attachment_pk):
        ticket = self.get_ticket(pk)
        attachment = get_object_or_404(
            TicketAttachment.objects.filter(message__in=policy.messages_visible(ticket)),
            pk=attachment_pk)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                                content_type=attachment.content_type or None)
        response["X-Content-Type-Options"] = "nosniff"
        return response


class SuggestView(CustomerView):
    """Knowledge-base articles matching what the customer is typing as a subject."""

    def get(self, request):
        from cms.knowledge import suggest

        text = request.GET.get("q", "").strip()
        if len(text) > SUGGEST_MAX_QUERY:
            return JsonResponse({"error": _("The text is too long.")}, status=400)
        if len(text) < 3:
            return JsonResponse({"results": []})
        results = suggest(text, language=get_language(), limit=5)
        return JsonResponse({"results": [
            {"title": str(item.get("title", "")),
             "url": str(item.get("portal_url") or item.get("url") or ""),
             "snippet": str(item.get("snippet", ""))} for item in results]})
