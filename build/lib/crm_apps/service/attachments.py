"""Ticket attachments: size and type limits, safe names, and the download that checks access."""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.permissions import roles_of
from core.roles import STAFF_ROLES
from crm_apps.customers.visibility import visible

MB = 1024 * 1024
SNIFF_BYTES = 2048

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office formats (doc, xls, ppt)
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # zip and the Office Open / OpenDocument formats
# Extension -> (the type it is served as, the leading bytes it must start with; None = text).
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "txt": ("text/plain", None),
    "log": ("text/plain", None),
    "csv": ("text/csv", None),
    "eml": ("message/rfc822", None),
    "doc": ("application/msword", (OLE,)),
    "xls": ("application/vnd.ms-excel", (OLE,)),
    "ppt": ("application/vnd.ms-powerpoint", (OLE,)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    "zip": ("application/zip", ZIP),
}
# Whatever the name says, content starting like this is never accepted: programs, and markup
# a browser would run (HTML, SVG, XML with scripts).
FORBIDDEN_STARTS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|\?xml)",
                    re.IGNORECASE)


def max_file_bytes() -> int:
    return getattr(settings, "TICKET_ATTACHMENT_MAX_BYTES", 10 * MB)


def max_message_bytes() -> int:
    return getattr(settings, "TICKET_MESSAGE_ATTACHMENTS_MAX_BYTES", 25 * MB)


class AttachmentError(Exception):
    """A file refused; the message says why and ``status_code`` is the HTTP answer."""

    status_code = 400


class AttachmentTooLarge(AttachmentError):
    status_code = 413


@dataclass
class CleanFile:
    """A file that passed the checks, with the name and type it is stored under."""

    file: object
    name: str
    content_type: str
    size: int


def clean_name(name: str) -> str:
    """The file name without folders, control characters or anything but letters (of any
    script), digits, spaces and ``. - _ ( )``; never empty, never hidden, at most 150 chars."""
    name = unicodedata.normalize("NFKC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category.startswith("C"):
            continue  # control and format characters (including right-to-left overrides)
        elif category[0] in "LN" or char in ".-_()":
            kept.append(char)
        else:
            kept.append("_")
    name = re.sub(r"\s+", " ", "".join(kept)).strip(" .")
    name = re.sub(r"\.{2,}", ".", name)
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem[:140].strip(" .") or "attachment"
    return f"{stem}.{extension.lower()[:9]}" if extension else stem


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            # A multi-byte character cut at the end of the sample is still text.
            try:
                head[:-3].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def check_content(extension: str, head: bytes) -> bool:
    """Whether the first bytes match what the extension promises (and are nothing risky)."""
    if head.startswith(FORBIDDEN_STARTS) or MARKUP.search(head[:SNIFF_BYTES]):
        return False
    _type, starts = ALLOWED[extension]
    if starts is None:
        return _looks_like_text(head)
    if extension == "webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return head.startswith(starts)


def validate(files) -> list[CleanFile]:
    """Check every file of one message; raise AttachmentError naming the first refused one."""
    cleaned, total = [], 0
    for upload in files or ():
        name = clean_name(getattr(upload, "name", ""))
        size = upload.size
        if size > max_file_bytes():
            raise AttachmentTooLarge(_("%(name)s is larger than %(limit)d MB.")
                                     % {"name": name, "limit": max_file_bytes() // MB})
        total += size
        if total > max_message_bytes():
            raise AttachmentTooLarge(_("The files of one message may not exceed %(limit)d MB.")
                                     % {"limit": max_message_bytes() // MB})
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if extension not in ALLOWED:
            raise AttachmentError(_("%(name)s: this type of file is not accepted.")
                                  % {"name": name})
        if size == 0:
            raise AttachmentError(_("%(name)s is empty.") % {"name": name})
        if not check_content(extension, _head(upload)):
            raise AttachmentError(_("%(name)s does not contain what its name says.")
                                  % {"name": name})
        cleaned.append(CleanFile(upload, name, ALLOWED[extension][0], size))
    return cleaned


def store(message, files: list[CleanFile]) -> list:
    """Save validated files as attachments of ``message``."""
    from django.core.files import File

    from crm_apps.service.models import TicketAttachment

    stored = []
    for clean in files:
        attachment = TicketAttachment(message=message, name=clean.name,
                                      content_type=clean.content_type, size=clean.size)
        clean.file.seek(0)
        attachment.file.save(clean.name, File(clean.file, name=clean.name), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def staff_attachment(user, pk: int):
    """The attachment ``pk`` if ``user`` is staff and may see its ticket, else 404."""
    from crm_apps.service.models import Ticket, TicketAttachment

    if not roles_of(user) & STAFF_ROLES:
        raise Http404
    attachment = get_object_or_404(TicketAttachment.objects.select_related("message"), pk=pk)
    if not visible(Ticket.objects.filter(pk=attachment.message.ticket_id), user).exists():
        raise Http404
    return attachment


def serve(attachment) -> FileResponse:
    """Always a download (never shown in the page), typed as stored, never sniffed."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def download(request, pk: int):
    """A ticket attachment for staff who can see the ticket."""
    return serve(staff_attachment(request.user, pk))
