"""Issue voucher codes for an offer to a segment or a campaign, in one tenant:
``manage.py tenant_command issue_vouchers --schema=acme --offer 3 --campaign "Spring fair"``."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from oscar.core.loading import get_model

from crm_apps.segments.models import Segment
from store.offer.vouchers import issue_vouchers


class Command(BaseCommand):
    help = "Issue voucher codes for a voucher offer to a segment or a campaign."

    def add_arguments(self, parser):
        parser.add_argument("--offer", type=int, required=True, help="id of a voucher offer")
        parser.add_argument("--segment", type=int, help="id of the segment")
        parser.add_argument("--campaign", default="", help="name of the campaign")
        parser.add_argument("--name", required=True, help="name of the voucher set")
        parser.add_argument("--count", type=int, help="codes (default: one per member/lead)")
        parser.add_argument("--usage", default="Single use",
                            choices=["Single use", "Multi-use", "Once per customer"])
        parser.add_argument("--days", type=int, default=30, help="days until they expire")
        parser.add_argument("--max-uses", type=int, help="orders one code may be used on")

    def handle(self, *args, **options):
        ConditionalOffer = get_model("offer", "ConditionalOffer")
        offer = ConditionalOffer.objects.filter(
            pk=options["offer"], offer_type=ConditionalOffer.VOUCHER).first()
        if offer is None:
            raise CommandError("No voucher offer with this id.")
        segment = None
        if options["segment"] is not None:
            segment = Segment.objects.filter(pk=options["segment"], is_active=True).first()
            if segment is None:
                raise CommandError("No active segment with this id.")
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        start = timezone.now()
        try:
            voucher_set = issue_vouchers(
                offer=offer, segment=segment, campaign=options["campaign"].strip(),
                name=options["name"], count=options["count"], usage=options["usage"],
                start=start, end=start + datetime.timedelta(days=options["days"]),
                max_uses=options["max_uses"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Codes issued in set {voucher_set.pk}: {voucher_set.count}.")
