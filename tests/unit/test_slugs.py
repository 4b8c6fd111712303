"""Slug validation: DNS-safe, 3-40 characters, reserved names and duplicates refused."""

import pytest
from django.core.exceptions import ValidationError

from tenants.slugs import schema_for_slug, validate_slug


@pytest.mark.parametrize("slug", ["abc", "acme-2", "a" * 40, "  Shop-Co  ".strip().lower()])
def test_valid_slugs(db, slug):
    assert validate_slug(slug) == slug


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("ab", "length"),
        ("a" * 41, "length"),
        ("1acme", "format"),
        ("acme-", "format"),
        ("ac--me", "format"),
        ("ac_me", "format"),
        ("acmé", "format"),
        ("ac.me", "format"),
        ("www", "reserved"),
        ("api", "reserved"),
        ("admin", "reserved"),
        ("public", "reserved"),
        ("operator", "reserved"),
        ("template", "reserved"),
    ],
)
def test_invalid_slugs_have_clear_messages(db, slug, code):
    with pytest.raises(ValidationError) as exc:
        validate_slug(slug)
    assert exc.value.code == code
    assert exc.value.messages[0]


def test_duplicate_slug_refused(acme):
    with pytest.raises(ValidationError) as exc:
        validate_slug("acme")
    assert exc.value.code == "taken"
    assert "already taken" in exc.value.messages[0]


def test_uppercase_is_normalised(db):
    assert validate_slug("NewCo") == "newco"


def test_schema_name_maps_hyphens():
    assert schema_for_slug("big-co") == "big_co"
