"""Trigram indexes for the users search on PostgreSQL (SQLite, the zero-setup default, keeps
scanning: its directories are small).

The indexes are not in the models' Meta: a SQLite table rebuild would try to create them
there. The expression is User.objects.search()'s, frozen here as a migration must be.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models.functions import Concat, Upper

USER_SEARCH = "user_search_trigram"
EMAIL_SEARCH = "user_email_search_trigram"


def _indexes():
    line = models.Value("\n")
    text = Concat(
        "user_name", line, "given_name", line, "family_name", line, "display_name", line,
        "external_id", output_field=models.TextField(),
    )
    return [
        ("user", GinIndex(OpClass(Upper(text), name="gin_trgm_ops"), name=USER_SEARCH)),
        ("useremail", GinIndex(OpClass(Upper("value"), name="gin_trgm_ops"), name=EMAIL_SEARCH)),
    ]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.add_index(apps.get_model("users", model_name), index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.remove_index(apps.get_model("users", model_name), index)


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0011_user_group_role'),
    ]

    operations = [
        # A no-op on any other database.
        TrigramExtension(),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
