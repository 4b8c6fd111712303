"""Media storage: each tenant's files under MEDIA_ROOT/<schema>/ (django-tenants), except Oscar's
shared "missing image" placeholder, which Oscar links into MEDIA_ROOT itself and every tenant's
thumbnails are drawn from."""

import os

from django.conf import settings
from django_tenants.files.storage import TenantFileSystemStorage


class TenantMediaStorage(TenantFileSystemStorage):
    def path(self, name):
        if name == settings.OSCAR_MISSING_IMAGE_URL:
            return os.path.join(settings.MEDIA_ROOT, name)
        return super().path(name)
