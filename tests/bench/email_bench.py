"""Benchmark: e-mail ingestion rate, the real MIME samples fed to ``ingest_message`` in process.

Import after django.setup(): this module uses the project's models.
"""

import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.bench.report import markdown_table, milliseconds

SLUG = "email-bench"
ROUNDS = 60
MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
# Each round: five new messages (one with attachments, one GB2312, one with an executable
# that is refused) and three replies (by In-Reply-To, by the number in the subject, and a
# duplicate delivery).
NEW = ("plain_english", "html_only", "alternative_attachments", "gb2312_chinese",
       "executable_attachment")


@dataclass(frozen=True)
class EmailBenchResult:
    rounds: int
    per_kind: dict[str, list[float]]
    total_seconds: float

    @property
    def messages(self) -> int:
        return sum(len(samples) for samples in self.per_kind.values())

    @property
    def rate(self) -> float:
        return self.messages / self.total_seconds


def _unique(raw: bytes, round_number: int) -> bytes:
    """The sample with Message-IDs (and the ids they answer) made unique to the round."""
    def rename(header):
        return re.sub(rb"<([^<>@\s]+)@",
                      lambda match: b"<%s-r%d@" % (match.group(1), round_number),
                      header.group(0))

    return re.sub(rb"^(?:Message-ID|In-Reply-To|References):[^\r\n]*", rename, raw,
                  flags=re.MULTILINE | re.IGNORECASE)


def run_email_bench(rounds: int = ROUNDS) -> EmailBenchResult:
    from crm_apps.customers.models import Contact
    from crm_apps.service.inbound import ingest_message
    from crm_apps.service.models import Ticket
    from tests.bench.provisioning_bench import provision_bench_tenant

    samples = {path.stem: path.read_bytes() for path in MAIL.glob("*.eml")}
    tenant = provision_bench_tenant(SLUG, use_spare=False).tenant
    per_kind: dict[str, list[float]] = {}

    def timed(kind: str, raw: bytes):
        started = time.perf_counter()
        result = ingest_message(raw)
        per_kind.setdefault(kind, []).append(time.perf_counter() - started)
        return result

    with tempfile.TemporaryDirectory(prefix="crm-bench-mail-") as media, \
            override_settings(MEDIA_ROOT=media), tenant_context(tenant):
        Contact.objects.create(first_name="Alice", email="alice@example.com")
        Contact.objects.create(first_name="伟", last_name="张",
                               other_emails=["zhang.wei@example.cn"])
        started = time.perf_counter()
        for number in range(rounds):
            first = None
            for name in NEW:
                result = timed(f"new: {name}", _unique(samples[name], number))
                first = first or result.ticket
            timed("reply by In-Reply-To (UTF-8 quoted-printable)",
                  _unique(samples["utf8_qp_reply"], number))
            timed("reply by [T-…] in the subject", _unique(
                samples["subject_reference_reply"].replace(b"T-424242", first.number.encode()),
                number))
            timed("duplicate delivery", _unique(samples["plain_english"], number))
        total = time.perf_counter() - started
        tickets = Ticket.objects.count()
    if tickets != rounds * len(NEW):
        raise RuntimeError(f"Expected {rounds * len(NEW)} tickets, found {tickets}")
    return EmailBenchResult(rounds, per_kind, total)


def email_section(result: EmailBenchResult, run_line: str) -> str:
    rows = [[kind, str(len(samples)), milliseconds(statistics.median(samples)),
             milliseconds(max(samples))] for kind, samples in result.per_kind.items()]
    return f"""## E-mail ingestion

{run_line}

The MIME samples of `tests/fixtures/mail/` fed to `crm_apps.service.inbound.ingest_message`
(the function behind `POST /inbound/email/` and `manage.py ingest_mailbox`) in one fresh
tenant (`{SLUG}`), in process, one message after another: {result.rounds} rounds of five new
messages (plain, HTML only, two attachments, GB2312 Chinese, a refused executable) and three
replies (threaded by `In-Reply-To`, by the ticket number in the subject, and a duplicate
delivery), each message with its own Message-ID. Each ticket runs assignment, SLA and the live
notification hooks; attachments are written to a temporary media folder.

{markdown_table(["Message", "Count", "Median", "Max"], rows)}

**{result.messages:,} messages in {result.total_seconds:.2f} s: {result.rate:,.1f} messages per
second.**
"""
