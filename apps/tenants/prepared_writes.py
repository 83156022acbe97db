"""The INSERT of an append-only row and the versioned UPDATE, built once per shape.

Django compiles an INSERT or UPDATE on every save: the SQL text and each column's
conversion, which cost a SCIM PATCH more CPU than PostgreSQL spends running them (the
audit row and the version check are in every write). These statements are built once per
model and set of columns and run with each field's documented conversions (`pre_save`,
`get_db_prep_save`). PostgreSQL only; other databases use the ORM. What it saves:
bench/RESULTS.md.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connections, models


def is_prepared(model: type[models.Model]) -> bool:
    """Whether writes of `model` take the prepared statements here (PostgreSQL)."""
    return connections[model._default_manager.db].vendor == "postgresql"


def insert_new(instance: models.Model) -> None:
    """INSERT `instance` as a new row and set its primary key, for rows never saved again
    (the instance still counts as unsaved to the ORM, so it must not be)."""
    model = type(instance)
    connection = connections[model._default_manager.db]
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in _insert_fields(model)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model), params)
        instance.pk = cursor.fetchone()[0]


def update_if_version(instance: models.Model, values: dict[str, Any], version: int) -> bool:
    """UPDATE the row of `instance` with `values` and `version`, if its version is still
    `version - 1`; whether it was. `values` are field names and plain values or rows."""
    model = type(instance)
    names = tuple(values)
    connection = connections[model._default_manager.db]
    fields: list[Any] = [model._meta.get_field(name) for name in names]
    params = [
        field.get_db_prep_save(value.pk if isinstance(value, models.Model) else value, connection)
        for field, value in zip(fields, values.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, names), [*params, version, instance.pk, version - 1])
        return cursor.rowcount == 1


@functools.cache
def _insert_fields(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.get_fields() if f.concrete and not f.primary_key]


@functools.cache
def _insert_sql(model: type[models.Model]) -> str:
    fields = _insert_fields(model)
    columns = ", ".join(_quoted(field.column) for field in fields)
    markers = ", ".join(["%s"] * len(fields))
    table, primary_key = _quoted(model._meta.db_table), _column(model, model._meta.pk.name)
    # Names from the model's own options, never from a request.
    return f"INSERT INTO {table} ({columns}) VALUES ({markers}) RETURNING {primary_key}"  # noqa: S608


@functools.cache
def _update_sql(model: type[models.Model], names: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{_column(model, name)} = %s" for name in (*names, "version"))
    table, primary_key = _quoted(model._meta.db_table), _column(model, model._meta.pk.name)
    version = _column(model, "version")
    # Names from the model's own options, never from a request.
    return f"UPDATE {table} SET {assignments} WHERE {primary_key} = %s AND {version} = %s"  # noqa: S608


def _column(model: type[models.Model], name: str) -> str:
    field: Any = model._meta.get_field(name)
    return _quoted(field.column)


def _quoted(name: Any) -> str:
    return f'"{name}"'
