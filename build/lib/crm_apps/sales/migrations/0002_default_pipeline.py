"""Every tenant starts with one pipeline of the usual stages (the tenant changes them freely)."""

from django.db import migrations

STAGES = [
    ("Prospecting", "潜在客户开发", 10, "open"),
    ("Qualification", "资格确认", 20, "open"),
    ("Proposal", "方案报价", 50, "open"),
    ("Negotiation", "商务谈判", 75, "open"),
    ("Closed won", "赢单", 100, "won"),
    ("Closed lost", "输单", 0, "lost"),
]


def create_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if Pipeline.objects.exists():
        return
    pipeline = Pipeline.objects.create(name="Sales", name_zh_hans="销售", is_default=True)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, name=name, name_zh_hans=chinese, position=index,
              probability=probability, outcome=outcome)
        for index, (name, chinese, probability, outcome) in enumerate(STAGES))


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_leads_pipelines_opportunities")]

    operations = [migrations.RunPython(create_default_pipeline, migrations.RunPython.noop)]
