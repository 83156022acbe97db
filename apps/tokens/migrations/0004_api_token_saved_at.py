from django.db import migrations, models


def mark_existing_tokens_saved(apps, schema_editor):
    # Every token made before this step was saved with its description when it was made.
    ApiToken = apps.get_model("tokens", "ApiToken")
    ApiToken.objects.filter(saved_at__isnull=True).update(saved_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0003_api_token_creation_nonce"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="saved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="description",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(mark_existing_tokens_saved, migrations.RunPython.noop),
    ]
