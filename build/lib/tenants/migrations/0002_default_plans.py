"""Default plans every platform starts with."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    ("starter", "Starter", 5, Decimal("0")),
    ("growth", "Growth", 25, Decimal("49")),
    ("enterprise", "Enterprise", None, Decimal("199")),
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("tenants", "Plan")
    for code, name, max_staff, price in PLANS:
        Plan.objects.get_or_create(
            code=code, defaults={"name": name, "max_staff_users": max_staff, "monthly_price": price}
        )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
