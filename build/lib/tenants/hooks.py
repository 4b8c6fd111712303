"""The provisioning hooks each tenant app exposes (settings.TENANT_PROVISIONING_HOOKS)."""

from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings


@dataclass
class TenantSetup:
    """What the hooks need to fix up one new tenant; hooks may add what they create."""

    tenant: object
    hostname: str
    owner_email: str
    admin_password_hash: str | None = None
    owner_first_name: str = ""
    language: str = "en"
    admin_user: object = None
    # Set by the hook that creates the admin when no password was given: a one-time link.
    admin_setup_url: str = ""
    extra: dict = field(default_factory=dict)


def hook_modules():
    return [import_module(path) for path in settings.TENANT_PROVISIONING_HOOKS]


def seed_template() -> None:
    """Run inside the template schema: default rows every tenant starts with."""
    for module in hook_modules():
        seed = getattr(module, "seed_template", None)
        if seed:
            seed()


def configure_tenant(setup: TenantSetup) -> None:
    """Run inside the new tenant's schema: per-tenant fix-ups of the copied rows."""
    for module in hook_modules():
        configure = getattr(module, "configure_tenant", None)
        if configure:
            configure(setup)


def load_demo(setup: TenantSetup) -> None:
    """Run inside a demo tenant's schema: content worth looking at."""
    for module in hook_modules():
        demo = getattr(module, "load_demo", None)
        if demo:
            demo(setup)
