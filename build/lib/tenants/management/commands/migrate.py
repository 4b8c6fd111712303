"""`migrate` runs `migrate_schemas`, as in django-tenants, keeping the template current too."""

from tenants.management.commands.migrate_schemas import Command  # noqa: F401
