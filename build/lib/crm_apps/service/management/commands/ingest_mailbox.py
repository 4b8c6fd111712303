"""Feed every message of an mbox file or a Maildir folder to one tenant's e-mail-to-ticket."""

import mailbox
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from tenants.models import Tenant


class Command(BaseCommand):
    help = "Turn the messages of an mbox file or Maildir into tickets of one tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument("path", help="An mbox file or a Maildir folder.")

    def handle(self, *args, tenant, path, **options):
        from crm_apps.service.attachments import AttachmentError
        from crm_apps.service.inbound import AutomaticMail, InboundMailError, ingest_message
        from crm_apps.service.services import TicketError

        found = Tenant.objects.filter(slug=tenant).exclude(schema_name="public").first()
        if found is None:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        source = Path(path)
        if source.is_dir():
            box = mailbox.Maildir(source, factory=None, create=False)
        elif source.is_file():
            box = mailbox.mbox(source, factory=None, create=False)
        else:
            raise CommandError(f"{path} is neither an mbox file nor a Maildir folder.")
        counts = {"created": 0, "threaded": 0, "duplicate": 0, "ignored": 0,
                  "failed": 0}
        with tenant_context(found):
            for key in box.iterkeys():
                raw = box.get_bytes(key)
                try:
                    result = ingest_message(raw)
                except AutomaticMail:  # auto-replies and bounces
                    counts["ignored"] += 1
                    continue
                except (InboundMailError, TicketError, AttachmentError) as error:
                    counts["failed"] += 1
                    self.stderr.write(f"message {key}: {error}")
                    continue
                if result.duplicate:
                    counts["duplicate"] += 1
                elif result.created:
                    counts["created"] += 1
                else:
                    counts["threaded"] += 1
        box.close()
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
