"""Every index of ours earns its writes: none is a leading part of another on the same table."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.postgres

# A plain index (not unique, not partial, no expressions) whose columns begin another index's.
COVERED_INDEXES = """
    SELECT a.indexrelid::regclass::text, b.indexrelid::regclass::text
    FROM pg_index a
    JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
    WHERE a.indrelid::regclass::text = ANY(%s)
      AND NOT a.indisunique AND a.indpred IS NULL AND a.indexprs IS NULL
      AND b.indkey::text LIKE a.indkey::text || ' %%'
"""


def test_no_index_of_ours_repeats_the_leading_columns_of_another(db):
    tables = [
        model._meta.db_table for model in apps.get_models() if model.__module__.startswith("apps.")
    ]
    with connection.cursor() as cursor:
        cursor.execute(COVERED_INDEXES, [tables])
        covered = cursor.fetchall()

    assert covered == []
