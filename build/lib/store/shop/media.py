"""Public media of the tenant whose host is asked (/media/<schema>/...): product images and
their thumbnails, Wagtail images, the logo. Files live under MEDIA_ROOT/<schema>/
(TenantFileSystemStorage), and a host serves its own schema's folder only, so acme's images
are not reachable on globex's host. Private uploads (ticket attachments) have their own views
that check who asks; they are never served from here."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404
from django.views.static import serve

PUBLIC_FOLDERS = ("images/", "original_images/", "cache/", "branding/")


def tenant_media(request, schema: str, path: str):
    if schema != connection.schema_name or not path.startswith(PUBLIC_FOLDERS):
        raise Http404
    # serve() refuses "..", absolute paths and directories.
    response = serve(request, path, document_root=default_storage.location)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def media_url_prefix() -> str:
    return settings.MEDIA_URL.strip("/")
