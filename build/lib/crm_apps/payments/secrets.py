"""Encryption of stored secrets (Stripe keys) with Fernet: the key comes from the environment
(FIELD_ENCRYPTION_KEY, comma-separated to rotate: the first encrypts, all decrypt) or is derived
from SECRET_KEY."""

import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Changing this label changes the derived key, and stored secrets could no longer be read.
DERIVATION_LABEL = b"crm-saas field encryption v1"


class UnreadableSecret(Exception):
    """The stored value was encrypted with a key this deployment no longer has."""


def derived_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=DERIVATION_LABEL).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _cipher() -> MultiFernet:
    configured = os.environ.get("FIELD_ENCRYPTION_KEY", "")
    keys = [key.strip().encode() for key in configured.split(",") if key.strip()]
    # The key derived from SECRET_KEY stays readable after a dedicated key is introduced.
    keys.append(derived_key(settings.SECRET_KEY))
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plaintext: str) -> str:
    return _cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret from error


def last4(plaintext: str) -> str:
    """What pages may show of a secret: an ellipsis and its last four characters."""
    return f"…{plaintext[-4:]}" if plaintext else ""
