"""E-mail to ticket: parse a raw RFC 822 message, then open a ticket or thread it onto one."""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from crm_apps.customers.models import Contact
from crm_apps.service.models import Ticket, TicketMessage

# Real mail labels GBK and GB18030 text "gb2312"; the superset decodes all of it. Latin-1
# labels hide Windows-1252 quotes, and Big5 mail carries Hong Kong characters.
CHARSET_ALIASES = {
    "gb2312": "gb18030", "gb_2312-80": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "cp936": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "hz", "big5": "big5hkscs",
    "x-big5": "big5hkscs", "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "utf-8",
    "ascii": "utf-8", "ks_c_5601-1987": "cp949",
}
TICKET_REFERENCE = re.compile(r"\[(T-\d{3,})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# The first line of quoted history in a reply: everything from it down is trimmed.
QUOTE_HEADERS = re.compile(
    r"^(?:On\b[^\n]{0,300}(?:\n[^\n]{0,200})?\bwrote:[ \t]*$"
    r"|-{2,}\s*Original Message\s*-{2,}"
    r"|-{2,}\s*原始邮件\s*-{2,}"
    r"|在[^\n]{0,300}(?:\n[^\n]{0,200})?写道[：:][ \t]*$)",
    re.MULTILINE | re.IGNORECASE)
MAX_SUBJECT = 300
# Precedence values of machine-sent mail. "list" is left out on purpose: a support address
# run as a mailing group stamps it on every customer's message.
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "auto_reply"}
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


class InboundMailError(ValueError):
    """The bytes are not a usable e-mail message (no sender, no headers)."""


class AutomaticMail(Exception):  # noqa: N818 (not an error: the message is dropped on purpose)
    """An auto-reply or a bounce: a ticket from it could answer it and loop, so it is dropped.
    ``reason`` names the signal that gave it away."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedMail:
    sender: str
    sender_name: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str
    references: list[str]
    attachments: list[SimpleUploadedFile] = field(default_factory=list)
    automatic: str = ""  # why it is an auto-reply or a bounce; empty for a person's mail


@dataclass
class InboundResult:
    ticket: Ticket
    message: TicketMessage | None
    created: bool = False
    duplicate: bool = False
    skipped: list[str] = field(default_factory=list)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of ``data`` in its declared charset, mislabelled Chinese and unknown names too."""
    name = (charset or "utf-8").strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name)
    for candidate in (name, "utf-8", "gb18030"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


def decode_header_value(raw: str) -> str:
    """An unfolded header: RFC 2047 encoded words and raw 8-bit bytes decoded to text."""
    unfolded = re.sub(r"\r?\n[ \t]", " ", raw or "").strip()
    parts = []
    for chunk, charset in decode_header(unfolded):
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset))
        else:  # undecoded text; 8-bit bytes arrive as surrogate escapes
            parts.append(decode_bytes(chunk.encode("ascii", "surrogateescape"), None))
    return "".join(parts).strip()


def raw_header(message: EmailMessage, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return ""


class _TextFromHtml(HTMLParser):
    """Readable text of an HTML body: blocks on their own lines, scripts and styles dropped."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "blockquote", "pre", "hr", "ul", "ol", "section", "article", "header", "footer"}
    HIDDEN = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")
            if tag == "li":
                self.chunks.append("- ")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS and tag != "li":
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.chunks.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trim_quoted_history(text: str) -> str:
    """A reply without the history quoted below it (kept whole if nothing else is left)."""
    match = QUOTE_HEADERS.search(text)
    trimmed = text[:match.start()] if match else text
    lines = trimmed.rstrip().splitlines()
    while lines and lines[-1].startswith(">"):
        lines.pop()
    trimmed = "\n".join(lines).strip()
    return trimmed or text.strip()


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset())


def _attachment_name(part: EmailMessage, number: int) -> str:
    try:
        name = part.get_filename()
    except (LookupError, UnicodeError):  # an RFC 2231 name in a charset Python lacks
        name = None
    if name and "=?" in name:  # RFC 2047 words inside a quoted filename (common, not standard)
        name = decode_header_value(name)
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"attachment-{number}.{subtype}"
    return name


def _is_attachment(part: EmailMessage, body_parts: tuple) -> bool:
    if part.is_multipart() or part in body_parts:
        return False
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    # Inline images (a pasted screenshot) count as files; inline text is part of the body.
    return part.get_content_maintype() != "text" or bool(part.get_filename())


def automatic_reason(message: EmailMessage, sender: str) -> str:
    """Why ``message`` was sent by a machine (RFC 3834 Auto-Submitted, the common auto-reply
    headers, a bounce), or an empty string for mail a person wrote."""
    submitted = raw_header(message, "auto-submitted").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return f"auto-submitted: {submitted}"
    for name in ("x-autoreply", "x-autorespond"):
        if raw_header(message, name).strip():
            return name
    precedence = raw_header(message, "precedence").strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"precedence: {precedence}"
    if raw_header(message, "return-path").strip() == "<>" \
            or sender.partition("@")[0] in BOUNCE_SENDERS \
            or message.get_content_type() == "multipart/report":
        return "bounce"
    return ""


def parse_message(raw: bytes) -> ParsedMail:
    """The sender, subject, body text and files of a raw message; InboundMailError if unusable."""
    if not raw or not raw.strip():
        raise InboundMailError(_("The message is empty."))
    message = message_from_bytes(raw, policy=policy.default)
    name, sender = parseaddr(decode_header_value(raw_header(message, "from")))
    automatic = automatic_reason(message, sender.lower())
    # A bounce "From: MAILER-DAEMON" may lack a domain; it is dropped, not refused.
    if not message.keys() or ("@" not in sender and not automatic):
        raise InboundMailError(_("The message has no sender address."))
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    if plain is not None:
        body = _part_text(plain)
    elif html is not None:
        body = html_to_text(_part_text(html))
    elif not message.is_multipart() and message.get_content_maintype() == "text":
        body = _part_text(message)
    else:
        body = ""
    files = []
    body_parts = tuple(part for part in (plain, html) if part is not None)
    for number, part in enumerate(message.walk(), start=1):
        if part is message and not message.is_multipart():
            continue
        if _is_attachment(part, body_parts):
            content = part.get_payload(decode=True) or b""
            files.append(SimpleUploadedFile(_attachment_name(part, number), content,
                                            part.get_content_type()))
    references = MESSAGE_ID.findall(raw_header(message, "references"))
    in_reply_to = (MESSAGE_ID.findall(raw_header(message, "in-reply-to")) or [""])[0]
    message_id = (MESSAGE_ID.findall(raw_header(message, "message-id")) or [""])[0]
    subject = decode_header_value(raw_header(message, "subject"))
    return ParsedMail(sender=sender.lower(), sender_name=name, subject=subject,
                      body=body.replace("\r\n", "\n").strip(), message_id=message_id[:500],
                      in_reply_to=in_reply_to[:500], references=references,
                      attachments=files, automatic=automatic)


def match_contact(address: str) -> Contact | None:
    """The contact with this e-mail (main or other), the most recently updated if several."""
    address = address.strip().lower()
    if not address:
        return None
    candidates = Contact.objects.filter(
        Q(email__iexact=address) | Q(other_emails__icontains=address)).order_by("-updated")
    for contact in candidates:
        others = {str(other).strip().lower() for other in contact.other_emails or ()}
        if contact.email.lower() == address or address in others:
            return contact
    return None


def _referenced_ticket(parsed: ParsedMail, contact: Contact | None) -> Ticket | None:
    ids = [*parsed.references, parsed.in_reply_to]
    ids = [value for value in ids if value]
    if ids:
        known = (TicketMessage.objects.filter(message_id__in=ids)
                 .select_related("ticket").order_by("-id").first())
        if known is not None:
            return known.ticket
    reference = TICKET_REFERENCE.search(parsed.subject)
    if reference is None:
        return None
    ticket = Ticket.objects.filter(number=reference.group(1)).first()
    # A number in a subject is easy to guess: only the ticket's own customer (or a colleague
    # at the same account) may thread onto it that way; anyone else opens a new ticket.
    if ticket is None:
        return None
    if ticket.requester_email.lower() == parsed.sender:
        return ticket
    if contact is not None and (contact.pk == ticket.contact_id or (
            contact.account_id and contact.account_id == ticket.account_id)):
        return ticket
    return None


def _accepted_files(files) -> tuple[list, list[str]]:
    """Files that pass the desk's checks (one by one, and together within the message's
    limit), and a line for each file refused."""
    from crm_apps.service.attachments import AttachmentError, validate

    accepted, skipped = [], []
    for upload in files:
        try:
            validate([*accepted, upload])
        except AttachmentError as error:
            skipped.append(_("Attachment “%(name)s” was not accepted: %(reason)s")
                           % {"name": upload.name, "reason": error})
            continue
        accepted.append(upload)
    return accepted, skipped


def _lock_message_id(message_id: str) -> None:
    """Serialise deliveries of one Message-ID (a relay retrying) until the transaction ends."""
    key = int.from_bytes(hashlib.sha256(
        f"{connection.schema_name}:{message_id}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def ingest_message(raw: bytes) -> InboundResult:
    """Open a ticket from ``raw`` or add it to the ticket it answers, once per Message-ID.

    Runs in the current tenant's schema. Raises InboundMailError for unusable bytes and
    AutomaticMail, touching nothing, for auto-replies and bounces.
    """
    from crm_apps.service import services

    parsed = parse_message(raw)
    if parsed.automatic:
        raise AutomaticMail(parsed.automatic)
    with transaction.atomic():
        if parsed.message_id:
            _lock_message_id(parsed.message_id)
            seen = (TicketMessage.objects.filter(message_id=parsed.message_id)
                    .select_related("ticket").first())
            if seen is not None:
                return InboundResult(ticket=seen.ticket, message=seen, duplicate=True)
        contact = match_contact(parsed.sender)
        files, skipped = _accepted_files(parsed.attachments)
        ticket = _referenced_ticket(parsed, contact)
        if ticket is not None:
            ticket = services.surviving(ticket)
        if ticket is not None and ticket.status != Ticket.Status.CLOSED:
            message = services.add_message(
                ticket, body=trim_quoted_history(parsed.body) or parsed.subject,
                visibility=TicketMessage.Visibility.PUBLIC, author_contact=contact,
                author_email=parsed.sender, channel=Ticket.Channel.EMAIL, attachments=files,
                message_id=parsed.message_id, in_reply_to=parsed.in_reply_to)
            ticket.refresh_from_db()
            if ticket.status == Ticket.Status.RESOLVED:
                services.change_status(ticket, Ticket.Status.OPEN, by_contact=contact)
            result = InboundResult(ticket=ticket, message=message, skipped=skipped)
        else:
            # A closed ticket stays closed: its customer's new mail is a new request.
            ticket = services.open_ticket(
                subject=(parsed.subject or _("(no subject)"))[:MAX_SUBJECT],
                description=parsed.body, channel=Ticket.Channel.EMAIL,
                account=contact.account if contact else None, contact=contact,
                requester_email=parsed.sender, by_contact=contact, attachments=files,
                message_id=parsed.message_id)
            message = ticket.messages.order_by("id").first()
            result = InboundResult(ticket=ticket, message=message, created=True,
                                   skipped=skipped)
        if skipped:
            services.add_message(ticket, body="\n".join(skipped),
                                 visibility=TicketMessage.Visibility.INTERNAL,
                                 channel=Ticket.Channel.EMAIL)
    return result

