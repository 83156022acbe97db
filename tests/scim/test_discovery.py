from apps.scim.mapping import RESOURCES, Kind
from tests.scim.entra import CORE_GROUP, CORE_USER, ENTERPRISE

ROLE_SCHEMA = "urn:commbox:params:scim:schemas:core:2.0:Role"


def attributes_of(schema: dict) -> dict:
    return {a["name"]: a for a in schema["attributes"]}


def test_service_provider_config_tells_what_is_supported(scim_client, settings):
    settings.SCIM_MAX_PAGE_SIZE = 150

    body = scim_client.get("/scim/v2/ServiceProviderConfig").json()

    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["sort"] == {"supported": False}
    assert body["etag"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": 150}
    assert body["changePassword"] == {"supported": False}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_list_users_groups_and_roles(scim_client):
    body = scim_client.get("/scim/v2/ResourceTypes").json()

    assert body["totalResults"] == 3
    types = {r["id"]: r for r in body["Resources"]}
    assert types["User"]["schema"] == CORE_USER
    assert types["User"]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert types["Group"]["endpoint"] == "/Groups"
    assert types["Role"]["schema"] == ROLE_SCHEMA
    assert types["User"]["meta"]["location"] == "http://testserver/scim/v2/ResourceTypes/User"


def test_resource_type_by_id(scim_client):
    response = scim_client.get("/scim/v2/ResourceTypes/Group")

    assert response.status_code == 200
    assert response.json()["schema"] == CORE_GROUP


def test_unknown_resource_type_is_404(scim_client):
    assert scim_client.get("/scim/v2/ResourceTypes/Printer").status_code == 404


def test_schemas_list_the_four_schemas(scim_client):
    body = scim_client.get("/scim/v2/Schemas").json()

    assert {s["id"] for s in body["Resources"]} == {CORE_USER, ENTERPRISE, CORE_GROUP, ROLE_SCHEMA}


def test_user_schema_states_user_name_characteristics(scim_client):
    schema = scim_client.get(f"/scim/v2/Schemas/{CORE_USER}").json()

    user_name = attributes_of(schema)["userName"]
    assert user_name["caseExact"] is False
    assert user_name["uniqueness"] == "server"
    assert user_name["required"] is True
    assert attributes_of(schema)["id"]["mutability"] == "readOnly"
    emails = attributes_of(schema)["emails"]
    assert emails["multiValued"] is True
    assert {s["name"] for s in emails["subAttributes"]} == {"value", "display", "type", "primary"}


def test_group_schema_states_display_name_is_unique(scim_client):
    schema = scim_client.get(f"/scim/v2/Schemas/{CORE_GROUP}").json()

    assert attributes_of(schema)["displayName"]["uniqueness"] == "server"
    assert attributes_of(schema)["members"]["multiValued"] is True


def test_enterprise_schema_has_manager_with_value(scim_client):
    schema = scim_client.get(f"/scim/v2/Schemas/{ENTERPRISE}").json()

    manager = attributes_of(schema)["manager"]
    assert {s["name"] for s in manager["subAttributes"]} == {"value", "$ref", "displayName"}
    assert "department" in attributes_of(schema)


def test_every_attribute_states_every_characteristic(scim_client):
    body = scim_client.get("/scim/v2/Schemas").json()

    keys = {
        "name",
        "type",
        "multiValued",
        "description",
        "required",
        "caseExact",
        "mutability",
        "returned",
        "uniqueness",
    }
    for schema in body["Resources"]:
        for attribute in schema["attributes"]:
            assert keys <= set(attribute), (schema["id"], attribute["name"])
            for sub in attribute.get("subAttributes", []):
                assert keys <= set(sub), (schema["id"], attribute["name"], sub["name"])


def test_unknown_schema_is_404(scim_client):
    assert scim_client.get("/scim/v2/Schemas/urn:nope").status_code == 404


def test_discovery_needs_a_token(client):
    assert client.get("/scim/v2/Schemas").status_code == 401


def test_roles_value_lists_the_tenants_roles_as_canonical_values(scim_client, custom_role):
    schema = scim_client.get(f"/scim/v2/Schemas/{CORE_USER}").json()

    roles = attributes_of(schema)["roles"]
    value = next(s for s in roles["subAttributes"] if s["name"] == "value")
    assert value["canonicalValues"] == ["end-user", "agent", "admin", "Team_Lead"]


def test_root_search_is_answered_as_not_implemented(scim_client):
    response = scim_client.post(
        "/scim/v2/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]},
        format="json",
    )

    assert response.status_code == 501
    assert response.json()["status"] == "501"
    assert "/Users/.search" in response.json()["detail"]


def test_schemas_list_every_attribute_of_the_map_but_meta(scim_client):
    body = scim_client.get("/scim/v2/Schemas").json()

    listed = {(s["id"], a["name"]) for s in body["Resources"] for a in s["attributes"]}
    mapped = {
        (urn, attribute.name)
        for resource in RESOURCES.values()
        for urn, attribute in resource.attributes()
        if attribute.kind is not Kind.META
    }
    assert listed == mapped


def test_schemas_state_case_exactness_from_the_map(scim_client):
    schema = scim_client.get(f"/scim/v2/Schemas/{CORE_USER}").json()

    assert attributes_of(schema)["externalId"]["caseExact"] is True
    assert attributes_of(schema)["displayName"]["caseExact"] is False
