"""Emails and phone numbers carry their user's tenant; keys and indexes lead with the tenant.

So the tables can be distributed by tenant (Citus) next to users.
"""

import uuid

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_user_tenant(apps, schema_editor):
    User = apps.get_model("users", "User")
    for name in ("UserEmail", "UserPhoneNumber"):
        apps.get_model("users", name).objects.update(
            tenant_id=Subquery(User.objects.filter(pk=OuterRef("user_id")).values("tenant_id")[:1])
        )


def tenant_field(*, null: bool):
    return models.ForeignKey(
        db_index=False,
        null=null,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="tenants.tenant",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0005_human_names"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="useremail", name="tenant", field=tenant_field(null=True)),
        migrations.AddField(
            model_name="userphonenumber", name="tenant", field=tenant_field(null=True)
        ),
        migrations.RunPython(copy_user_tenant, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(model_name="useremail", name="tenant", field=tenant_field(null=False)),
        migrations.AlterField(
            model_name="userphonenumber", name="tenant", field=tenant_field(null=False)
        ),
        migrations.RemoveIndex(model_name="useremail", name="user_email_value_ci"),
        migrations.AddIndex(
            model_name="useremail",
            index=models.Index(
                models.F("tenant"),
                django.db.models.functions.text.Lower("value"),
                name="user_email_tenant_value_ci",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("tenant", "public_id"), name="user_public_id_unique_per_tenant"
            ),
        ),
    ]
