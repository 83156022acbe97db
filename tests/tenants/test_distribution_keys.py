"""Every table of an account's data carries tenant_id and leads its keys with it, so that
distributing by tenant (Citus, README "Distributing by tenant") is a configuration step."""

from django.apps import apps
from django.db.models import F, UniqueConstraint

from apps.tenants.models import Tenant

# Small tables copied to every node: a token is looked up by its digest before the tenant is
# known, and the roles are a handful per account.
REFERENCE_TABLES = {"tokens_apitoken", "roles_role"}
# Keys that do not lead with tenant_id yet, each named in the README's list of what to change
# before distributing.
NOT_YET = {
    "users_user.staff_user_name_unique_ci",  # staff (no tenant) move to a table of their own
    "sso_ssosettings.public_id",  # one row per account; becomes (tenant_id, public_id)
    "roles_grouprolelink.group",  # one link per group; becomes unique on (tenant_id, group_id)
}


def tenant_owned_models() -> set:
    """Models of ours whose rows belong to an account: a foreign key to Tenant, or to such a
    model (followed until nothing changes)."""
    ours = [m for m in apps.get_models() if m.__module__.startswith("apps.") and m is not Tenant]
    owned: set = set()
    while True:
        found = {
            model
            for model in ours
            if model not in owned
            and any(
                field.related_model is Tenant or field.related_model in owned
                for field in model._meta.concrete_fields
                if field.is_relation
            )
        }
        if not found:
            return owned
        owned |= found


def has_tenant_column(model) -> bool:
    return any(
        field.name == "tenant" and field.related_model is Tenant
        for field in model._meta.concrete_fields
    )


def leading_column(constraint: UniqueConstraint) -> str:
    if constraint.fields:
        return constraint.fields[0]
    first = constraint.expressions[0]
    return first.name if isinstance(first, F) else ""


def keys_not_led_by_tenant(model) -> list[str]:
    table = model._meta.db_table
    keys = [
        f"{table}.{constraint.name}"
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint) and leading_column(constraint) != "tenant"
    ]
    keys += [
        f"{table}.{field.name}"
        for field in model._meta.concrete_fields
        if field.unique and not field.primary_key and field.name != "tenant"
    ]
    return keys


def test_the_tables_of_an_account_are_found():
    tables = {model._meta.db_table for model in tenant_owned_models()}

    assert {"users_user", "groups_groupmembership", "sso_idpcertificate"} <= tables


def test_every_table_of_an_account_has_a_tenant_id_column():
    lacking = sorted(m._meta.db_table for m in tenant_owned_models() if not has_tenant_column(m))

    assert lacking == []


def test_every_key_of_a_distributed_table_leads_with_tenant_id():
    distributed = [
        m for m in tenant_owned_models() if m._meta.db_table not in REFERENCE_TABLES
    ]

    keys = sorted(key for model in distributed for key in keys_not_led_by_tenant(model))

    assert [key for key in keys if key not in NOT_YET] == []
