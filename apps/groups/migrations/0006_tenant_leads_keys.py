"""Memberships carry their group's tenant; keys and indexes lead with the tenant.

So the table can be distributed by tenant (Citus) next to groups and users.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_group_tenant(apps, schema_editor):
    Group = apps.get_model("groups", "Group")
    GroupMembership = apps.get_model("groups", "GroupMembership")
    GroupMembership.objects.update(
        tenant_id=Subquery(Group.objects.filter(pk=OuterRef("group_id")).values("tenant_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0005_group_source"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="groupmembership",
            name="tenant",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.RunPython(copy_group_tenant, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="groupmembership",
            name="tenant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.RemoveConstraint(model_name="groupmembership", name="membership_unique"),
        migrations.AddConstraint(
            model_name="groupmembership",
            constraint=models.UniqueConstraint(
                fields=("tenant", "group", "user"), name="membership_unique_per_tenant"
            ),
        ),
        migrations.RemoveIndex(model_name="groupmembership", name="membership_user_group"),
        migrations.AddIndex(
            model_name="groupmembership",
            index=models.Index(
                fields=["tenant", "user", "group"], name="membership_tenant_user_group"
            ),
        ),
        migrations.AlterField(
            model_name="group",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(
                fields=("tenant", "public_id"), name="group_public_id_unique_per_tenant"
            ),
        ),
    ]
