"""Staff pages in the shop's dashboard: segment offers (attach, edit, list), their uplift report
(page and JSON) and vouchers issued to a segment or a campaign."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from oscar.core.loading import get_model

from store.offer.cache import bump_offers_version
from store.offer.forms import SegmentOfferForm, VoucherIssueForm
from store.offer.models import IssuedVoucherSet, SegmentOffer
from store.offer.uplift import offer_uplift
from store.offer.vouchers import issue_vouchers
from store.shop.dashboard_access import may_use_shop_dashboard

ConditionalOffer = get_model("offer", "ConditionalOffer")


class ShopStaffView(View):
    """Open to those who may use the shop's dashboard; others are sent to sign in (signed
    out) or refused (signed in)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("dashboard:login"))
        if not may_use_shop_dashboard(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def access_segment_offer(pk: int) -> SegmentOffer:
    """The segment offer with this id in the current tenant's schema, or 404."""
    found = SegmentOffer.objects.select_related("offer", "segment").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


class SegmentOfferListView(ShopStaffView):
    def get(self, request):
        rows = SegmentOffer.objects.select_related("offer", "segment").order_by("-created")
        return render(request, "store/offer/dashboard/segment_offer_list.html", {
            "segment_offers": rows,
            "issued_sets": IssuedVoucherSet.objects.select_related(
                "voucher_set", "offer", "segment")[:50]})


class SegmentOfferEditView(ShopStaffView):
    """Attach an Oscar offer to a segment (no pk) or change the attachment (pk)."""

    template_name = "store/offer/dashboard/segment_offer_form.html"

    def get(self, request, pk=None):
        instance = access_segment_offer(pk) if pk else None
        return render(request, self.template_name, {
            "form": SegmentOfferForm(instance=instance), "segment_offer": instance})

    def post(self, request, pk=None):
        instance = access_segment_offer(pk) if pk else None
        form = SegmentOfferForm(request.POST, instance=instance)
        if not form.is_valid():
            return render(request, self.template_name,
                          {"form": form, "segment_offer": instance}, status=400)
        with transaction.atomic():
            segment_offer = form.save()
            # A user offer: Oscar never applies it to everyone, only our applicator does.
            ConditionalOffer.objects.filter(pk=segment_offer.offer_id).update(
                offer_type=ConditionalOffer.USER)
            bump_offers_version()  # an update() sends no signal
        messages.success(request, _("The offer is now given to the segment %(segment)s.")
                         % {"segment": segment_offer.segment})
        return redirect("segment-offers:list")


class SegmentOfferReportView(ShopStaffView):
    """The uplift report of one segment offer; JSON with ?format=json."""

    def get(self, request, pk):
        segment_offer = access_segment_offer(pk)
        report = offer_uplift(segment_offer)
        if request.GET.get("format") == "json":
            return JsonResponse(report, encoder=DjangoJSONEncoder)
        return render(request, "store/offer/dashboard/segment_offer_report.html", {
            "segment_offer": segment_offer, "report": report})


class VoucherIssueView(ShopStaffView):
    template_name = "store/offer/dashboard/voucher_issue.html"

    def get(self, request):
        return render(request, self.template_name, {"form": VoucherIssueForm()})

    def post(self, request):
        form = VoucherIssueForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        try:
            voucher_set = issue_vouchers(
                offer=data["offer"], segment=data["segment"], campaign=data["campaign"],
                name=data["name"], count=data["count"], usage=data["usage"],
                start=data["start"], end=data["end"], max_uses=data["max_uses"],
                acting_user=request.user)
        except ValueError:
            form.add_error(None, _("No vouchers were issued: the segment or campaign has no "
                                   "one to issue them to. Enter a number of codes."))
            return render(request, self.template_name, {"form": form}, status=400)
        issued = ngettext("%(count)s voucher issued.", "%(count)s vouchers issued.",
                          voucher_set.count)
        messages.success(request, issued % {"count": voucher_set.count})
        return redirect("dashboard:voucher-set-detail", pk=voucher_set.pk)
