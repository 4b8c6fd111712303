"""Staff forms: attach an Oscar offer to a segment, issue vouchers to a segment or campaign."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from crm_apps.segments.models import Segment
from store.offer.models import MAX_HOLDOUT_PERCENT, SegmentOffer

ConditionalOffer = get_model("offer", "ConditionalOffer")
Voucher = get_model("voucher", "Voucher")
VoucherSet = get_model("voucher", "VoucherSet")


class SegmentOfferForm(forms.ModelForm):
    class Meta:
        model = SegmentOffer
        fields = ["offer", "segment", "holdout_percent", "reason", "reason_zh"]
        help_texts = {"reason": _("Empty: the segment's label for customers."),
                      "reason_zh": _("Empty: the segment's label for customers.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        taken = SegmentOffer.objects.exclude(pk=self.instance.pk).values("offer_id")
        # Voucher offers belong to their codes; an offer serves one segment at a time.
        self.fields["offer"].queryset = ConditionalOffer.objects.exclude(
            offer_type=ConditionalOffer.VOUCHER).exclude(pk__in=taken).order_by("name")
        self.fields["segment"].queryset = Segment.objects.filter(is_active=True)
        self.fields["holdout_percent"].widget.attrs.update(min=0, max=MAX_HOLDOUT_PERCENT)


class VoucherIssueForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    offer = forms.ModelChoiceField(label=_("offer"), queryset=ConditionalOffer.objects.none())
    segment = forms.ModelChoiceField(label=_("segment"), required=False,
                                     queryset=Segment.objects.filter(is_active=True))
    campaign = forms.CharField(label=_("campaign"), max_length=200, required=False)
    count = forms.IntegerField(label=_("number of codes"), required=False, min_value=1,
                               max_value=10_000,
                               help_text=_("Empty: one per segment member or campaign lead."))
    usage = forms.ChoiceField(label=_("usage"), choices=[
        (Voucher.SINGLE_USE, _("Single use")),
        (Voucher.ONCE_PER_CUSTOMER, _("Once per customer")),
        (Voucher.MULTI_USE, _("Multiple uses"))])
    start = forms.DateTimeField(label=_("valid from"))
    end = forms.DateTimeField(label=_("expires"))
    max_uses = forms.IntegerField(label=_("maximum uses per code"), required=False,
                                  min_value=1, max_value=1_000_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = ConditionalOffer.objects.filter(
            offer_type=ConditionalOffer.VOUCHER).order_by("name")
        if not self.is_bound:
            now = timezone.now()
            self.initial.setdefault("start", now.replace(second=0, microsecond=0))
            self.initial.setdefault("end", (now + datetime.timedelta(days=30)).replace(
                second=0, microsecond=0))

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if VoucherSet.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A voucher set with this name already exists."))
        return name

    def clean(self):
        data = super().clean()
        segment, campaign = data.get("segment"), (data.get("campaign") or "").strip()
        data["campaign"] = campaign
        if (segment is None) == (not campaign):
            raise forms.ValidationError(_("Choose a segment or enter a campaign, not both."))
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            self.add_error("end", _("The vouchers must expire after they start."))
        return data
