"""Segment pages of the back office: list with member counts, the rule builder form, the
detail with paginated members and "Recompute now", and deletion."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from crm_apps.segments import rules, services
from crm_apps.segments.access import SegmentRoleRequiredMixin, access_segment
from crm_apps.segments.forms import RuleFormSet, SegmentForm, rule_rows
from crm_apps.segments.models import Segment, SegmentMembership

MEMBERS_PER_PAGE = 50


class SegmentListView(SegmentRoleRequiredMixin, ListView):
    template_name = "segments/segment_list.html"
    context_object_name = "segments"
    paginate_by = 50

    def get_queryset(self):
        return Segment.objects.order_by("name", "pk")


class SegmentFormView(SegmentRoleRequiredMixin, View):
    """Create (no ``pk``) or edit a segment: its fields and a formset of rule rows."""

    template_name = "segments/segment_form.html"

    def _segment(self, pk):
        return access_segment(self.request.user, pk) if pk is not None else None

    def _render(self, form, formset, segment, status=200, preview_count=None):
        return render(self.request, self.template_name, {
            "form": form, "formset": formset, "object": segment,
            "preview_count": preview_count,
            "title": _("Edit segment") if segment else _("New segment"),
            "fields": [(code, spec.label, [(op, rules.OPERATORS[op],
                                             rules.VALUE_HINTS[kind])
                                            for op, kind in spec.ops.items()])
                       for code, spec in rules.FIELDS.items()],
            "field_ops": {code: {op: rules.VALUE_HINTS[kind] for op, kind in spec.ops.items()}
                          for code, spec in rules.FIELDS.items()},
            "cancel_url": (reverse("segments:detail", args=[segment.pk]) if segment
                           else reverse("segments:list")),
        }, status=status)

    def get(self, request, pk=None):
        segment = self._segment(pk)
        return self._render(SegmentForm(instance=segment),
                            RuleFormSet(initial=rule_rows(segment), prefix="rules"), segment)

    def post(self, request, pk=None):
        segment = self._segment(pk)
        form = SegmentForm(request.POST, instance=segment)
        formset = RuleFormSet(request.POST, prefix="rules")
        if form.is_valid() and formset.is_valid() and "preview" in request.POST:
            # "How many match now?" without saving: the figures as last measured.
            matched = rules.matching_contacts(formset.rules(), form.cleaned_data["match"])
            return self._render(form, formset, segment, preview_count=matched.count())
        if form.is_valid() and formset.is_valid():
            try:
                saved = services.save_segment(form.save(commit=False), rules=formset.rules())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The segment was saved; its members are being "
                                            "recomputed."))
                return HttpResponseRedirect(reverse("segments:detail", args=[saved.pk]),
                                            status=303)
        return self._render(form, formset, segment, status=400)


class SegmentDetailView(SegmentRoleRequiredMixin, View):
    template_name = "segments/segment_detail.html"

    def get(self, request, pk):
        segment = access_segment(request.user, pk)
        members = (SegmentMembership.objects.filter(segment=segment)
                   .select_related("contact", "contact__account", "contact__metrics")
                   .order_by("contact__last_name", "contact__first_name", "contact_id"))
        page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "segment": segment, "page_obj": page,
            "rules": [(rules.FIELDS[rule["field"]].label, rules.OPERATORS[rule["op"]],
                       rules.value_as_text(rule.get("value")))
                      for rule in segment.rules
                      if isinstance(rule, dict) and rule.get("field") in rules.FIELDS
                      and rule.get("op") in rules.OPERATORS],
        })


class SegmentRecomputeView(SegmentRoleRequiredMixin, View):
    """The "Recompute now" button."""

    def post(self, request, pk):
        segment = access_segment(request.user, pk)
        services.request_recompute(segment)
        messages.success(request, _("The members are being recomputed."))
        return HttpResponseRedirect(reverse("segments:detail", args=[segment.pk]), status=303)


class SegmentDeleteView(SegmentRoleRequiredMixin, View):
    def post(self, request, pk):
        services.delete_segment(access_segment(request.user, pk))
        messages.success(request, _("The segment was deleted."))
        return HttpResponseRedirect(reverse("segments:list"), status=303)
