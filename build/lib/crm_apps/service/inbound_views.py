"""POST /inbound/email/: the mail relay hands a tenant one raw message, authenticated by the
tenant's inbound secret (header ``X-Inbound-Secret`` or HTTP basic auth)."""

import base64
import binascii
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm_apps.service.attachments import AttachmentError
from crm_apps.service.inbound import AutomaticMail, InboundMailError, ingest_message
from crm_apps.service.inbound_models import InboundMailbox
from crm_apps.service.services import TicketError

logger = logging.getLogger(__name__)
RAW_CONTENT_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")


def max_message_bytes() -> int:
    return getattr(settings, "INBOUND_MAIL_MAX_BYTES", 25 * 1024 * 1024)


def presented_secret(request) -> str:
    secret = request.headers.get("X-Inbound-Secret", "")
    if secret:
        return secret.strip()
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]  # the user name is free; the password is the secret


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"detail": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="inbound-mail"'
    return response


def _read_message(request) -> bytes | None:
    """The raw message of the request, or None when none was sent in a form we take."""
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        upload = request.FILES.get("message")
        if upload is not None:
            return upload.read()
        text = request.POST.get("message")
        return text.encode("utf-8") if text else None
    if content_type in RAW_CONTENT_TYPES:
        # Read the stream ourselves: request.body would cap it at DATA_UPLOAD_MAX_MEMORY_SIZE.
        return request.read(max_message_bytes() + 1)
    return None


@csrf_exempt
@require_POST
def receive_email(request):
    secret = presented_secret(request)
    if not secret:
        return _error(_("The inbound secret is missing."), 401)
    if not InboundMailbox.current().accepts(secret):
        return _error(_("The inbound secret is wrong."), 403)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error(_("Bad Content-Length."), 400)
    if length > max_message_bytes():
        return _error(_("The message is too large."), 413)
    try:
        raw = _read_message(request)
    except RequestDataTooBig:
        return _error(_("The message is too large."), 413)
    if not raw:
        return _error(_("Send the message as message/rfc822 or as the form field "
                        "“message”."), 400)
    if len(raw) > max_message_bytes():
        return _error(_("The message is too large."), 413)
    try:
        result = ingest_message(raw)
    except InboundMailError as error:
        return _error(str(error), 400)
    except AutomaticMail as automatic:
        # A success, so the relay does not retry it; nothing was stored or sent.
        return JsonResponse({"ignored": True, "reason": automatic.reason,
                             "detail": _("An auto-reply or a bounce: ignored.")})
    except (TicketError, AttachmentError) as error:
        logger.warning("inbound message refused: %s", error)
        return _error(str(error), 400)
    return JsonResponse({"ticket": result.ticket.number, "created": result.created,
                         "duplicate": result.duplicate, "skipped": result.skipped},
                        status=201 if result.created else 200)


app_name = "inbound-mail"
urlpatterns = [path("", receive_email, name="receive")]
