"""The SCIM reference page: public, linked from ServiceProviderConfig and the Provisioning tab,
and true: every attribute of the map shown, every example accepted by the API, every
scimType the code raises explained."""

import ast
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse

from apps.scim import reference
from apps.scim.mapping import CORE_USER, RESOURCES, USER, USER_CORE, Kind, simple
from apps.scim.reference import EXAMPLE_ID, MANAGER_ID
from tests.factories import AgentFactory, GroupFactory, MembershipFactory

SCIM_SOURCES = Path(reference.__file__).parent


def shown_paths(content: str, resource: str) -> str:
    """The page's section of one resource."""
    start = content.index(f'id="{resource.lower()}s"')
    return content[start : content.index("</section>", start)]


def test_reference_is_readable_without_signing_in(client):
    response = client.get(reverse("scim_reference"))

    assert response.status_code == 200
    assert "<h1>SCIM 2.0 reference</h1>" in response.content.decode()


def test_service_provider_config_names_the_reference_as_its_documentation(scim_client):
    config = scim_client.get("/scim/v2/ServiceProviderConfig").json()

    assert config["documentationUri"] == "http://testserver/docs/scim/"


def test_provisioning_tab_links_to_the_reference(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("tokens:provisioning"))

    assert f'href="{reverse("scim_reference")}"' in response.content.decode()


@pytest.mark.parametrize("resource", RESOURCES.values(), ids=lambda r: r.name)
def test_every_attribute_of_the_map_is_on_the_page(client, resource):
    content = client.get(reverse("scim_reference")).content.decode()
    section = shown_paths(content, resource.name)

    for _urn, attribute in resource.attributes():
        if attribute.kind is Kind.META:
            continue
        assert f"<code>{attribute.name}</code>" in section
        for sub in attribute.sub_attributes:
            assert f"<code>{attribute.name}.{sub.name}</code>" in section


def test_an_attribute_added_to_the_map_appears_on_the_page(client, monkeypatch):
    added = simple("favouriteColour", "title", description="Added by this test.")
    monkeypatch.setitem(USER.schemas, CORE_USER, (*USER_CORE, added))

    section = shown_paths(client.get(reverse("scim_reference")).content.decode(), "User")

    assert "<code>favouriteColour</code>" in section
    assert "Added by this test." in section


def test_every_attribute_entra_sends_is_one_of_the_map(db):
    for name, sends in reference.ENTRA_SENDS.items():
        paths = {row.path.lower() for row in reference.attribute_rows(RESOURCES[name])}
        assert set(sends) <= paths, set(sends) - paths


@pytest.fixture
def example_ids(tenant):
    """The ids the examples name: a user with a manager, and a group the user is in."""
    user = AgentFactory(tenant=tenant, public_id=EXAMPLE_ID)
    AgentFactory(tenant=tenant, public_id=MANAGER_ID)
    group = GroupFactory(tenant=tenant, public_id=EXAMPLE_ID)
    MembershipFactory(group=group, user=user)
    return user, group


@pytest.mark.parametrize("example", reference.FILTER_EXAMPLES, ids=lambda e: e[1])
def test_every_filter_example_is_accepted(scim_client, example_ids, example):
    resource, text, _what = example

    response = scim_client.get(f"/scim/v2/{resource}s?filter={quote(text)}")

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("example", reference.PATCH_EXAMPLES, ids=lambda e: e.title)
def test_every_patch_example_is_accepted(scim_client, example_ids, example):
    response = scim_client.send(
        "patch", f"/scim/v2/{example.resource}s/{EXAMPLE_ID}", json.loads(example.body)
    )

    assert response.status_code in (200, 204), response.content


def scim_types_raised() -> set[str]:
    """Every scimType written in the SCIM app's code: scim_type="…" and the handler's own."""
    found = set()
    for source in SCIM_SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "scim_type":
                if isinstance(node.value, ast.Constant):
                    found.add(node.value.value)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_error":
                found.update(
                    arg.value
                    for arg in node.args[2:3]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
    return found


def status_codes_raised() -> set[int]:
    """Every status a ScimError is raised with: status_code=413 or status.HTTP_412_…"""
    found = set()
    for source in SCIM_SOURCES.glob("*.py"):
        if source.name == "reference.py":
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ScimError"):
                continue
            for keyword in node.keywords:
                if keyword.arg != "status_code":
                    continue
                if isinstance(keyword.value, ast.Constant):
                    found.add(keyword.value.value)
                elif isinstance(keyword.value, ast.Attribute):
                    found.add(int(keyword.value.attr.split("_")[1]))
    return found


def test_every_status_the_code_raises_is_explained_on_the_page(client):
    content = client.get(reverse("scim_reference")).content.decode()
    errors = content[content.index('id="errors"') :]

    raised = status_codes_raised()

    assert {404, 411, 412, 413, 501} <= raised
    for status_code in raised:
        assert f'<td data-label="Status">{status_code}</td>' in errors


def test_every_scim_type_the_code_raises_is_explained_on_the_page(client):
    content = client.get(reverse("scim_reference")).content.decode()
    errors = content[content.index('id="errors"') :]

    raised = scim_types_raised()

    assert {"invalidFilter", "invalidPath", "invalidSyntax", "uniqueness"} <= raised
    for scim_type in raised:
        assert f"<code>{scim_type}</code>" in errors
        assert f"&quot;scimType&quot;: &quot;{scim_type}&quot;" in errors


def test_roles_are_refused_with_405_as_the_page_says(scim_client):
    response = scim_client.send("post", "/scim/v2/Roles", {"displayName": "Boss"})

    assert response.status_code == 405
    assert response.json()["status"] == "405"


def test_a_rate_limited_answer_has_the_retry_after_the_page_shows(client):
    content = client.get(reverse("scim_reference")).content.decode()

    assert "<code>Retry-After: 12</code>" in content
    assert "3000 requests per API token per 60 seconds" in content
