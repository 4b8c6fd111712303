"""The create_tenant management command prints the new tenant's URL and admin login."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tenants.models import Tenant


@pytest.mark.django_db
def test_create_tenant_prints_url_and_login():
    out = StringIO()
    call_command("create_tenant", slug="cmdco", name="Cmd Co", owner_email="boss@cmd.example",
                 plan="growth", stdout=out)
    text = out.getvalue()
    assert "http://cmdco.localhost:8000/" in text
    assert "Admin: boss@cmd.example" in text
    assert "http://cmdco.localhost:8000/app/set-password/" in text
    assert Tenant.objects.get(slug="cmdco").plan.code == "growth"


@pytest.mark.django_db
def test_create_tenant_reports_bad_slug():
    with pytest.raises(CommandError, match="reserved"):
        call_command("create_tenant", slug="admin", name="X", owner_email="x@x.example")
    with pytest.raises(CommandError, match="Unknown plan"):
        call_command("create_tenant", slug="fine", name="X", owner_email="x@x.example",
                     plan="platinum")
