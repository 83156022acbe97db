"""Rows a tenant owns: one way to scope them, one answer for another tenant's id."""

from __future__ import annotations

from typing import Any, Self, TypeVar
from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import F
from django.http import Http404

from apps.tenants.prepared_writes import is_prepared, update_if_version

M = TypeVar("M", bound=models.Model)


class TenantOwnedQuerySet(models.QuerySet[M]):
    """The QuerySet of every model with a `tenant` foreign key and a `public_id`."""

    def for_tenant(self, tenant: Any) -> Self:
        return self.filter(tenant=tenant)

    def get_for(self, tenant: Any, public_id: UUID | str) -> M:
        """The tenant's row with this public id; Http404 for another tenant's or a malformed id.

        Every `get_<model>_for(tenant, id)` helper answers through here, so pages show the
        404 page and SCIM a SCIM 404, never a ValidationError about someone else's row.
        """
        try:
            return self.for_tenant(tenant).get(public_id=public_id)
        except (ObjectDoesNotExist, ValidationError, ValueError) as error:
            raise not_found(self.model) from error


def not_found(model: type[models.Model]) -> Http404:
    """The 404 for an id the tenant has no row of (another tenant's, a deleted one's)."""
    return Http404(f"No {model._meta.verbose_name} with this id.")


def save_with_version(
    instance: Any, values: dict[str, Any], *, refresh: tuple[str, ...] = ("version",)
) -> None:
    """Write `values` to the stored row and count its optimistic version on.

    The version counts on from the one in hand, or, when another change got in first (a
    caller that did not lock the row), from the stored one, which is then read back.
    """
    stored = type(instance)._default_manager.filter(pk=instance.pk)
    next_version = instance.version + 1
    if is_prepared(type(instance)) and not any(
        hasattr(value, "resolve_expression") for value in values.values()
    ):
        in_place = update_if_version(instance, values, next_version)
    else:
        in_place = bool(
            stored.filter(version=instance.version).update(**values, version=next_version)
        )
    if in_place:
        instance.version = next_version
    else:
        stored.update(**values, version=F("version") + 1)
        instance.refresh_from_db(fields=list(refresh))
