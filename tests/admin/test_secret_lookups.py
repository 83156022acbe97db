"""No admin query string can test the value of a secret, on any registered ModelAdmin.

A filter, a search or a sort whose answer changes with a secret's value lets a superuser
read it a character at a time (?sp_private_key__startswith=-----BEGIN, then one more).
The secrets are found here by their names, not taken from the code under test.
"""

import re

import pytest
from axes.models import AccessLog
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from apps.audit.models import ScimRequest
from apps.groups.models import Group
from apps.sso.models import SsoSettings
from apps.tokens.models import ApiToken
from apps.tokens.services import create_token
from apps.users.models import User
from tests.factories import MembershipFactory

SECRET_NAME = re.compile(r"password|digest|secret|private_key|nonce|session_(hash|key|data)")
MISS = "zzz~"


def secret_fields(model):
    return [
        field.name
        for field in model._meta.get_fields()
        if not field.is_relation and SECRET_NAME.search(field.name)
    ]


def secret_paths(model):
    """(path, secret model, secret field): the model's own secrets and one relation away."""
    paths = [(name, model, name) for name in secret_fields(model)]
    for field in model._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            related = field.related_model
            paths += [(f"{field.name}__{name}", related, name) for name in secret_fields(related)]
    return paths


REGISTERED = [model for model in apps.get_models() if admin.site.is_registered(model)]
# Two relations away too, through the tenant every row belongs to.
FURTHER = [
    (User, "tenant__tokens__digest", ApiToken, "digest"),
    (ScimRequest, "tenant__users__password", User, "password"),
    (Group, "tenant__sso_settings__sp_private_key", SsoSettings, "sp_private_key"),
]
CASES = [
    pytest.param(model, path, owner, name, id=f"{model._meta.label_lower}:{path}")
    for model, path, owner, name in [
        *((model, *found) for model in REGISTERED for found in secret_paths(model)),
        *FURTHER,
    ]
]
# Lookups that would answer differently for a value that matches and one that does not.
LOOKUPS = {
    "startswith": lambda secret: ("__startswith", secret[:8], MISS),
    "exact": lambda secret: ("", secret, MISS),
    "regex": lambda secret: ("__regex", ".", f"^{MISS}$"),
}


@pytest.fixture
def rows(tenant, tenant_admin, superuser):
    """Rows holding every secret, related to one another as in production."""
    token, _ = create_token(
        tenant=tenant, actor=tenant_admin, description="Entra ID", nonce="n" * 43
    )
    MembershipFactory(group__tenant=tenant, user=tenant_admin)
    SsoSettings.objects.create(
        tenant=tenant, sp_private_key="-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n"
    )
    ScimRequest.objects.create(
        tenant=tenant, token=token, method="GET", path="/scim/v2/Users", status=200, duration_ms=3
    )
    AccessLog.objects.create(
        username=tenant_admin.user_name,
        ip_address="127.0.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/login/",
        session_hash="5f" * 32,
    )


def secret_value(owner, name):
    value = owner._meta.default_manager.exclude(**{name: ""}).values_list(name, flat=True)[0]
    assert value
    return value


def answer(response):
    count = response.context["cl"].result_count if response.status_code == 200 else None
    return response.status_code, response.get("Location"), count


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_registered_model_admin_with_a_secret_in_reach_is_walked(db):
    walked = {case.values[0] for case in CASES}

    assert {model for model in REGISTERED if secret_paths(model)} <= walked
    assert {"sp_private_key", "digest", "password", "creation_nonce", "session_hash"} <= {
        case.values[3] for case in CASES
    }


@pytest.mark.parametrize("lookup", LOOKUPS)
@pytest.mark.parametrize(("model", "path", "owner", "name"), CASES)
def test_a_filter_on_a_secret_answers_the_same_for_a_match_and_a_miss(
    client, superuser, rows, model, path, owner, name, lookup
):
    suffix, match, miss = LOOKUPS[lookup](secret_value(owner, name))
    client.force_login(superuser)

    matching = client.get(changelist(model), {f"{path}{suffix}": match})
    missing = client.get(changelist(model), {f"{path}{suffix}": miss})

    assert answer(matching) == answer(missing)
    assert matching.status_code in (400, 302)


def probe_admin(model, attributes):
    """The model's registered admin, subclassed with a search field or column added."""
    registered = admin.site.get_model_admin(model)
    probe = type(f"Probe{type(registered).__name__}", (type(registered),), attributes)
    return probe(model, admin.site)


def changelist_of(model_admin, user, query):
    request = RequestFactory().get("/", query)
    request.user = user
    return model_admin.get_changelist_instance(request)


@pytest.mark.parametrize(("model", "path", "owner", "name"), CASES)
def test_a_search_field_reaching_a_secret_is_left_out(superuser, rows, model, path, owner, name):
    registered = admin.site.get_model_admin(model)
    model_admin = probe_admin(model, {"search_fields": (*registered.search_fields, path)})

    matching = changelist_of(model_admin, superuser, {"q": secret_value(owner, name)})
    missing = changelist_of(model_admin, superuser, {"q": MISS})

    assert matching.result_count == missing.result_count


@pytest.mark.parametrize(("model", "path", "owner", "name"), CASES)
def test_a_column_sorting_by_a_secret_does_not_sort(superuser, rows, model, path, owner, name):
    @admin.display(ordering=path)
    def secret_column(obj):
        return "hidden"

    registered = admin.site.get_model_admin(model)
    columns = (*registered.list_display, secret_column)
    model_admin = probe_admin(model, {"list_display": columns})

    sorted_list = changelist_of(model_admin, superuser, {"o": str(len(columns) - 1)})

    order_by = str(sorted_list.queryset.query).rpartition("ORDER BY")[2]
    assert name not in order_by
