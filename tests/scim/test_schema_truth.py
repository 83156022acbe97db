"""/Schemas says what the server does: every readWrite attribute sent is read back as sent.

An attribute the server ignores on input (roles.type, manager.$ref) or derives itself
(roles.primary) must not be declared readWrite, or a client such as Entra's schema
discovery would map data into it and lose it silently.
"""

import pytest

from tests.factories import AgentFactory
from tests.scim.entra import CORE_GROUP, CORE_USER, ENTERPRISE, patch_body

READ_WRITE = "readWrite"


def writable(attributes: list[dict]) -> list[dict]:
    return [a for a in attributes if a["mutability"] == READ_WRITE]


def sample(attribute: dict, manager_id: str):
    """A value the server should store for `attribute`, by name and declared type."""
    # A reference reads back as the server's URI of what it names: send that URI.
    manager_ref = f"http://testserver/scim/v2/Users/{manager_id}"
    special = {"userName": "probe@contoso.com", "value": "admin", "$ref": manager_ref}
    if attribute.get("canonicalValues"):
        return attribute["canonicalValues"][-1]
    if attribute["name"] == "value" and attribute["description"] == "The manager's id.":
        return manager_id
    if attribute["name"] in special:
        return special[attribute["name"]]
    return {"boolean": False, "reference": "https://example.com/probe"}.get(
        attribute["type"], "Probe"
    )


def request_and_expectation(attribute: dict, manager_id: str):
    """(value to send, what must be found in the resource) for one top-level attribute."""
    if attribute["type"] != "complex":
        value = sample(attribute, manager_id)
        return value, value
    item = {sub["name"]: sample(sub, manager_id) for sub in writable(attribute["subAttributes"])}
    if "primary" in item:
        item["primary"] = True
    return ([item] if attribute["multiValued"] else item), item


def found(resource_value, expected) -> bool:
    if isinstance(expected, dict):
        items = resource_value if isinstance(resource_value, list) else [resource_value]
        return any(
            isinstance(have, dict) and all(have.get(k) == v for k, v in expected.items())
            for have in items
        )
    return resource_value == expected


@pytest.mark.parametrize(("schema_id", "prefix"), [(CORE_USER, ""), (ENTERPRISE, ENTERPRISE + ":")])
def test_every_read_write_user_attribute_is_stored_as_sent(
    scim_client, tenant, scim_may_grant_admin, schema_id, prefix
):
    # The roles probe sends "admin", which SCIM may grant only where the account allows it.
    manager = AgentFactory(tenant=tenant)
    schema = scim_client.get(f"/scim/v2/Schemas/{schema_id}").json()
    lost = []
    for attribute in writable(schema["attributes"]):
        user = AgentFactory(tenant=tenant)
        value, expected = request_and_expectation(attribute, str(manager.public_id))
        operation = {"op": "replace", "path": prefix + attribute["name"], "value": value}

        response = scim_client.send(
            "patch", f"/scim/v2/Users/{user.public_id}", patch_body(operation)
        )

        resource = response.json()
        container = resource.get(ENTERPRISE, {}) if prefix else resource
        if response.status_code != 200 or not found(container.get(attribute["name"]), expected):
            lost.append(
                (attribute["name"], value, response.status_code, container.get(attribute["name"]))
            )
    assert lost == []


def test_every_read_write_group_attribute_is_stored_as_sent(scim_client, tenant):
    schema = scim_client.get(f"/scim/v2/Schemas/{CORE_GROUP}").json()
    simple = [a for a in writable(schema["attributes"]) if a["type"] != "complex"]
    body = {"displayName": "Probe group"} | {a["name"]: f"Probe {a['name']}" for a in simple}

    resource = scim_client.send("post", "/scim/v2/Groups", body).json()

    assert {a["name"]: resource.get(a["name"]) for a in simple} == {
        a["name"]: body[a["name"]] for a in simple
    }


def test_roles_type_and_primary_are_declared_read_only(scim_client):
    user = scim_client.get(f"/scim/v2/Schemas/{CORE_USER}").json()
    enterprise = scim_client.get(f"/scim/v2/Schemas/{ENTERPRISE}").json()

    roles = next(a for a in user["attributes"] if a["name"] == "roles")
    manager = next(a for a in enterprise["attributes"] if a["name"] == "manager")
    assert {s["name"]: s["mutability"] for s in roles["subAttributes"]} == {
        "value": "readWrite",
        "display": "readOnly",
        "type": "readOnly",
        "primary": "readOnly",
    }
    assert {s["name"]: s["mutability"] for s in manager["subAttributes"]} == {
        "value": "readWrite",
        "$ref": "readWrite",
        "displayName": "readOnly",
    }


def test_a_manager_given_by_ref_alone_is_set(scim_client, tenant, agent):
    manager = AgentFactory(tenant=tenant)
    ref = f"http://testserver/scim/v2/Users/{manager.public_id}"
    operation = {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"$ref": ref}}

    response = scim_client.send("patch", f"/scim/v2/Users/{agent.public_id}", patch_body(operation))

    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.manager == manager
