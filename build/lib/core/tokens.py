"""Personal API tokens: created and revoked by their owner, sent as ``Authorization: Bearer``."""

import hashlib
import secrets

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from core.models import PersonalToken

PREFIX = "crm_"
# last_used is written at most this often per token, not on every call.
LAST_USED_EVERY = 60


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user, name: str) -> tuple[PersonalToken, str]:
    """A new token for ``user``; the key is returned here and never again."""
    key = PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken.objects.create(user=user, name=name, prefix=key[:12],
                                         key_hash=_hash(key))
    return token, key


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send exactly: Authorization: Bearer <token>.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = (PersonalToken.objects.select_related("user")
                 .filter(key_hash=_hash(key), revoked__isnull=True).first())
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > LAST_USED_EVERY:
            PersonalToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token

    def authenticate_header(self, request):
        return "Bearer"


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.tokens.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
