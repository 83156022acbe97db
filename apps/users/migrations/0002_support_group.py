"""The "Support" staff group: view permission on the directory, its tokens and its trail."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT_GROUP = "Support"
VIEWABLE = {
    "tenants": ["tenant"],
    "users": ["user", "useremail", "userphonenumber"],
    "roles": ["role"],
    "groups": ["group", "groupmembership"],
    "tokens": ["apitoken"],
    "audit": ["auditevent", "scimrequest"],
}


def create_support_group(apps, schema_editor):
    # On a fresh database post_migrate has not run yet, so the permissions may not exist.
    for label in VIEWABLE:
        create_permissions(global_apps.get_app_config(label), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    for label, models in VIEWABLE.items():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=label,
                content_type__model__in=models,
                codename__in=[f"view_{model}" for model in models],
            )
        )


def delete_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SUPPORT_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("users", "0001_initial"),
        ("tenants", "0001_initial"),
        ("roles", "0001_initial"),
        ("groups", "0002_initial"),
        ("tokens", "0002_initial"),
        ("audit", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_support_group, delete_support_group)]
