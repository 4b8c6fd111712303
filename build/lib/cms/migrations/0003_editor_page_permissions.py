"""Existing tenants: the tenant admin and marketer roles may edit and publish site pages
(new tenants get this from the template, seeded by cms.provisioning.grant_page_editing)."""

from django.db import migrations

EDITOR_ROLES = ("tenant_admin", "marketer")
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "bulk_delete_page",
                           "lock_page", "unlock_page")


def grant(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    root = Page.objects.filter(depth=1).first()
    if root is None:
        return
    # In a fresh schema the permissions do not exist yet: the template seeding grants them.
    permissions = list(Permission.objects.filter(content_type__app_label="wagtailcore",
                                                 codename__in=EDITOR_PAGE_PERMISSIONS))
    for group in Group.objects.filter(name__in=EDITOR_ROLES):
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(group=group, page=root,
                                                      permission=permission)


class Migration(migrations.Migration):

    dependencies = [
        ("cms", "0002_knowledge_base"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
