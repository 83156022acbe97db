"""IdP certificates carry tenant_id, and their keys lead with it (distributing by tenant).

Rows that exist take the tenant of their SSO settings. The previous release's code writes
certificates without a tenant, so it must not run against this schema: migrate, then
restart every instance (README, "Upgrades").
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def copy_tenant(apps, schema_editor):
    IdpCertificate = apps.get_model("sso", "IdpCertificate")
    SsoSettings = apps.get_model("sso", "SsoSettings")
    for sso_settings_id, tenant_id in SsoSettings.objects.values_list("id", "tenant_id"):
        IdpCertificate.objects.filter(sso_settings_id=sso_settings_id).update(tenant_id=tenant_id)


class Migration(migrations.Migration):
    dependencies = [
        ("sso", "0003_leaner_indexes"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="idpcertificate",
            name="tenant",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.RunPython(copy_tenant, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="idpcertificate",
            name="tenant",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="idpcertificate",
            name="idp_certificate_unique_per_account",
        ),
        migrations.AlterField(
            model_name="idpcertificate",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddConstraint(
            model_name="idpcertificate",
            constraint=models.UniqueConstraint(
                fields=("tenant", "sso_settings", "thumbprint"),
                name="idp_certificate_unique_per_account",
            ),
        ),
        migrations.AddConstraint(
            model_name="idpcertificate",
            constraint=models.UniqueConstraint(
                fields=("tenant", "public_id"), name="idp_certificate_public_id_unique"
            ),
        ),
    ]
