"""A hostile client gets a SCIM error for every bad request, and nothing is written.

Every test goes through the real HTTP path (URLconf, middleware, DRF, the SCIM exception
handler) and checks the RFC 7644 §3.12 error body: schemas, status as a string, detail, and
the scimType where one fits.
"""

import json

import pytest

from apps.audit.models import AuditEvent
from apps.groups.models import Group
from apps.scim.filters import MAX_FILTER_LENGTH
from apps.users.models import User
from commbox_site import urls
from commbox_site.errors import server_error
from tests.scim.entra import SCIM, entra_user

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def error_of(response, status: int, scim_type: str | None = None) -> dict:
    """The SCIM error body of `response`, after checking its status, type and shape."""
    assert response.status_code == status
    assert response["Content-Type"] == SCIM
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    assert body.get("scimType") == scim_type
    return body


def post_raw(client, url: str, raw: bytes, content_type: str = SCIM):
    return client.generic("POST", url, raw, content_type=content_type)


# --- the JSON body ---


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b'{"userName": "deep@contoso.com", "addresses": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ],
    ids=["arrays", "objects", "inside-a-resource"],
)
def test_body_nested_1000_deep_is_400_invalid_syntax(scim_client, tenant, raw):
    response = post_raw(scim_client, "/scim/v2/Users", raw)

    body = error_of(response, 400, "invalidSyntax")
    assert "levels deep" in body["detail"]
    assert not User.objects.filter(tenant=tenant, user_name="deep@contoso.com").exists()


def test_brackets_inside_strings_do_not_count_as_nesting(scim_client, tenant):
    body = entra_user(displayName="[" * 100 + "{" * 100)

    response = scim_client.send("post", "/scim/v2/Users", body)

    assert response.status_code == 201
    assert User.objects.get(user_name="Test_User_1@contoso.com").display_name.startswith("[[[")


def test_body_over_the_upload_limit_is_413(scim_client, tenant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    body = entra_user(displayName="x" * 3_000)

    response = scim_client.send("post", "/scim/v2/Users", body)

    detail = error_of(response, 413)["detail"]
    assert "2000 bytes" in detail
    assert not User.objects.filter(tenant=tenant, user_name="Test_User_1@contoso.com").exists()


def test_patch_over_the_upload_limit_is_413_and_changes_nothing(scim_client, agent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    operation = {"op": "replace", "path": "title", "value": "x" * 3_000}
    body = {"Operations": [operation]}

    response = scim_client.send("patch", f"/scim/v2/Users/{agent.public_id}", body)

    error_of(response, 413)
    agent.refresh_from_db()
    assert agent.title == ""


def test_invalid_utf8_is_400_invalid_syntax(scim_client, tenant):
    response = post_raw(scim_client, "/scim/v2/Users", b'{"userName": "ann\xff\xfe@contoso.com"}')

    body = error_of(response, 400, "invalidSyntax")
    assert "UTF-8" in body["detail"]
    assert not User.objects.filter(tenant=tenant).exclude(user_name__startswith="admin").exists()


def test_utf16_body_is_400_invalid_syntax(scim_client, tenant):
    raw = json.dumps(entra_user()).encode("utf-16")

    response = post_raw(scim_client, "/scim/v2/Users", raw)

    error_of(response, 400, "invalidSyntax")
    assert not User.objects.filter(user_name="Test_User_1@contoso.com").exists()


@pytest.mark.parametrize(
    "raw",
    [b"[1, 2]", b"42", b'"userName"', b"true", b"null"],
    ids=["array", "number", "string", "boolean", "null"],
)
def test_body_that_is_not_an_object_is_400_invalid_syntax(scim_client, tenant, raw):
    response = post_raw(scim_client, "/scim/v2/Users", raw)

    body = error_of(response, 400, "invalidSyntax")
    assert "JSON object" in body["detail"]
    assert not AuditEvent.objects.filter(action="user.created").exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"userName": "a@contoso.com", "title": NaN}',
        b'{"userName": "a@contoso.com", "title": Infinity}',
    ],
    ids=["NaN", "Infinity"],
)
def test_javascript_constants_are_400_invalid_syntax(scim_client, tenant, raw):
    response = post_raw(scim_client, "/scim/v2/Users", raw)

    error_of(response, 400, "invalidSyntax")
    assert not User.objects.filter(user_name="a@contoso.com").exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"userName": "first@contoso.com", "userName": "second@contoso.com"}',
        b'{"userName": "first@contoso.com", "UserName": "second@contoso.com"}',
        b'{"userName": "first@contoso.com", "name": {"givenName": "A", "GIVENNAME": "B"}}',
    ],
    ids=["same-spelling", "other-case", "nested"],
)
def test_a_name_given_twice_is_400_invalid_syntax(scim_client, tenant, raw):
    response = post_raw(scim_client, "/scim/v2/Users", raw)

    body = error_of(response, 400, "invalidSyntax")
    assert "appears twice" in body["detail"]
    assert not User.objects.filter(user_name__endswith="@contoso.com").exists()


def test_patch_body_naming_operations_twice_is_400(scim_client, agent):
    raw = (
        b'{"Operations": [{"op": "replace", "path": "title", "value": "A"}],'
        b' "operations": [{"op": "replace", "path": "title", "value": "B"}]}'
    )

    response = scim_client.generic(
        "PATCH", f"/scim/v2/Users/{agent.public_id}", raw, content_type=SCIM
    )

    error_of(response, 400, "invalidSyntax")
    agent.refresh_from_db()
    assert agent.title == ""


def test_plain_application_json_gets_the_same_depth_guard(scim_client, tenant):
    response = post_raw(
        scim_client, "/scim/v2/Users", b"[" * 1000 + b"]" * 1000, "application/json"
    )

    error_of(response, 400, "invalidSyntax")


def test_a_number_with_thousands_of_digits_is_400_invalid_syntax(scim_client, tenant):
    raw = b'{"userName": "n@contoso.com", "title": 1' + b"0" * 5000 + b"}"

    response = post_raw(scim_client, "/scim/v2/Users", raw)

    error_of(response, 400, "invalidSyntax")
    assert not User.objects.filter(user_name="n@contoso.com").exists()


# --- paging (RFC 7644 §3.4.2.4) ---


@pytest.mark.parametrize("resource", ["Users", "Groups", "Roles"])
@pytest.mark.parametrize(
    "start_index", ["99999999999999999999", "9223372036854775808", "2147483648", "9" * 3000]
)
def test_start_index_beyond_any_list_is_400_invalid_value(
    scim_client, tenant, resource, start_index
):
    response = scim_client.get(f"/scim/v2/{resource}?startIndex={start_index}")

    body = error_of(response, 400, "invalidValue")
    assert "startIndex" in body["detail"]
    assert "bigint" not in body["detail"]


def test_start_index_in_a_search_body_is_bounded_too(scim_client, tenant):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "startIndex": 10**20,
    }

    response = scim_client.send("post", "/scim/v2/Users/.search", body)

    error_of(response, 400, "invalidValue")


def test_the_largest_start_index_is_an_empty_page(scim_client, tenant):
    response = scim_client.get("/scim/v2/Groups?startIndex=2147483647")

    assert response.status_code == 200
    assert response.json()["Resources"] == []
    assert response.json()["startIndex"] == 2147483647


@pytest.mark.parametrize("start_index", ["0", "-5", "-99999999999999999999"])
def test_start_index_below_1_is_read_as_1(scim_client, agent, start_index):
    response = scim_client.get(f"/scim/v2/Users?startIndex={start_index}")

    assert response.status_code == 200
    assert response.json()["startIndex"] == 1
    assert response.json()["itemsPerPage"] == 2


@pytest.mark.parametrize("count", ["-1", "-99999999999999999999"])
def test_negative_count_is_read_as_0(scim_client, agent, count):
    response = scim_client.get(f"/scim/v2/Users?count={count}")

    assert response.status_code == 200
    assert response.json()["Resources"] == []
    assert response.json()["totalResults"] == 2


@pytest.mark.parametrize("count", ["2", "99999999999999999999", "9" * 3000])
def test_huge_count_is_capped_at_the_page_size(scim_client, agent, settings, count):
    settings.SCIM_MAX_PAGE_SIZE = 1

    response = scim_client.get(f"/scim/v2/Users?count={count}")

    assert response.status_code == 200
    assert response.json()["itemsPerPage"] == 1


@pytest.mark.parametrize(
    "query",
    ["count=1e3", "count=0x10", "count=1_000", "startIndex=%D9%A3", "startIndex=1.0"],
    ids=["exponent", "hex", "underscore", "arabic-digit", "decimal"],
)
def test_paging_parameters_are_plain_decimal_integers(scim_client, agent, query):
    response = scim_client.get(f"/scim/v2/Users?{query}")

    error_of(response, 400, "invalidValue")


def test_an_empty_paging_parameter_is_an_absent_one(scim_client, agent):
    response = scim_client.get("/scim/v2/Users?count=&startIndex=")

    assert response.status_code == 200
    assert response.json()["itemsPerPage"] == 2


# --- huge values ---


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", "u" * 100_000),
        ("displayName", "d" * 100_000),
        ("externalId", "e" * 100_000),
        ("title", ["x"] * 100_000),
        ("roles", [{"value": "r" * 100_000}]),
        ("emails", [{"value": "e" * 100_000, "type": "work"}]),
        ("addresses", [{"streetAddress": "s" * 100_000}]),
    ],
    ids=["userName", "displayName", "externalId", "list", "role", "email", "address"],
)
def test_huge_values_are_400_and_not_echoed_back(scim_client, tenant, attribute, value):
    body = entra_user(**{attribute: value})

    response = scim_client.send("post", "/scim/v2/Users", body)

    error_of(response, 400, "invalidValue")
    assert len(response.content) < 1_000
    assert not User.objects.filter(tenant=tenant, user_name="Test_User_1@contoso.com").exists()


@pytest.mark.parametrize("attribute", ["emails", "phoneNumbers", "addresses"])
def test_thousands_of_items_are_400_invalid_value(scim_client, tenant, attribute):
    items = [{"value": f"v{n}@contoso.com", "type": f"t{n}", "formatted": "x"} for n in range(5000)]

    response = scim_client.send("post", "/scim/v2/Users", entra_user(**{attribute: items}))

    error_of(response, 400, "invalidValue")
    assert not User.objects.filter(user_name="Test_User_1@contoso.com").exists()


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", "ann\u0000@contoso.com"),
        ("displayName", "Ann\u0000"),
        ("emails", [{"value": "ann\u0000@contoso.com", "type": "work"}]),
        ("addresses", [{"type": "work", "streetAddress": "1 Main St\u0000"}]),
        ("roles", [{"value": "agent\u0000"}]),
    ],
    ids=["userName", "displayName", "email", "address", "role"],
)
def test_nul_characters_are_400_not_a_database_error(scim_client, tenant, attribute, value):
    response = scim_client.send("post", "/scim/v2/Users", entra_user(**{attribute: value}))

    error_of(response, 400, "invalidValue")
    assert not User.objects.filter(user_name__startswith="Test_User_1").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"displayName": "Sales\u0000"},
        {"displayName": "Sales", "externalId": "x\u0000"},
        {"displayName": "S" * 100_000},
    ],
    ids=["name-nul", "external-id-nul", "name-huge"],
)
def test_bad_group_strings_are_400_and_create_no_group(scim_client, tenant, body):
    response = scim_client.send("post", "/scim/v2/Groups", body)

    error_of(response, 400, "invalidValue")
    assert not Group.objects.filter(tenant=tenant).exists()


def test_nul_in_a_patch_value_is_400_and_changes_nothing(scim_client, agent):
    body = {"Operations": [{"op": "replace", "path": "title", "value": "Boss\u0000"}]}

    response = scim_client.send("patch", f"/scim/v2/Users/{agent.public_id}", body)

    error_of(response, 400, "invalidValue")
    agent.refresh_from_db()
    assert agent.title == ""


def test_nul_in_a_filter_is_400_invalid_filter(scim_client, tenant):
    response = scim_client.get('/scim/v2/Users?filter=userName eq "a%00b"')

    error_of(response, 400, "invalidFilter")


# --- filters ---


def test_a_filter_with_thousands_of_terms_is_400_invalid_filter(scim_client, tenant):
    terms = " or ".join(f'userName eq "user{n}@contoso.com"' for n in range(3000))

    response = scim_client.get("/scim/v2/Users", {"filter": terms})

    body = error_of(response, 400, "invalidFilter")
    assert "longer than" in body["detail"]


@pytest.mark.parametrize(
    ("resource", "term"),
    [
        ("Users", "id pr"),
        ("Users", "emails pr"),
        ("Users", 'emails[type eq "work"].value eq "x"'),
        ("Groups", "id pr"),
        ("Groups", 'members eq "x"'),
    ],
)
def test_the_longest_filter_allowed_still_runs(scim_client, tenant, resource, term):
    terms = " or ".join([term] * (MAX_FILTER_LENGTH // (len(term) + 4)))

    response = scim_client.get(f"/scim/v2/{resource}", {"filter": terms})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "text",
    [
        'us$er eq "a"',
        'Ω eq "a"',
        "\u0000 pr",
        "name.givenName.x eq 1",
        'emails[type eq "work"[value eq "x"]]',
        "(" * 40 + "id pr" + ")" * 40,
        "not " * 40 + "id pr",
        'userName eq "\\ud800"',
    ],
)
def test_odd_attribute_names_and_shapes_in_filters_are_400(scim_client, tenant, text):
    response = scim_client.get("/scim/v2/Users", {"filter": text})

    error_of(response, 400, "invalidFilter")


# --- refused before a SCIM view runs ---


def test_a_host_outside_allowed_hosts_is_a_scim_400(scim_client, tenant):
    response = scim_client.get("/scim/v2/Users", HTTP_HOST="evil.example")

    body = error_of(response, 400)
    assert "Host" in body["detail"]


def test_thousands_of_query_parameters_are_a_scim_400(scim_client, tenant):
    query = "&".join(f"p{n}=1" for n in range(1500))

    response = scim_client.get(f"/scim/v2/Users?{query}")

    body = error_of(response, 400)
    assert "1000 query parameters" in body["detail"]


def test_a_host_outside_allowed_hosts_elsewhere_keeps_django_s_page(client, tenant):
    response = client.get("/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_error_in_scim_is_a_scim_500(rf):
    response = server_error(rf.get("/scim/v2/Users"))

    assert response.status_code == 500
    assert response["Content-Type"] == SCIM
    assert json.loads(response.content)["status"] == "500"


def test_an_unexpected_error_elsewhere_keeps_django_s_500_page(rf):
    response = server_error(rf.get("/settings/"))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_the_project_uses_the_scim_error_handlers():
    assert urls.handler400 == "commbox_site.errors.bad_request"
    # The outage handler answers a database error with 503 and hands the rest to SCIM's.
    assert urls.handler500 == "commbox_site.errors.server_error"


# --- methods, Accept, ids, If-Match ---


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("DELETE", "/scim/v2/Users"),
        ("PUT", "/scim/v2/Groups"),
        ("PATCH", "/scim/v2/Users"),
        ("POST", "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646"),
        ("TRACE", "/scim/v2/Users"),
        ("OPTIONS", "/scim/v2/Users"),
        ("OPTIONS", "/scim/v2/ServiceProviderConfig"),
        ("DELETE", "/scim/v2/Schemas"),
        ("GET", "/scim/v2/Users/.search"),
        ("BREW", "/scim/v2/Users"),
    ],
)
def test_a_method_not_allowed_is_a_scim_405(scim_client, tenant, method, url):
    response = scim_client.generic(method, url)

    error_of(response, 405)
    assert not AuditEvent.objects.filter(channel="scim").exists()


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/png", "garbage/;;"])
def test_any_accept_header_gets_scim_json(scim_client, tenant, accept):
    response = scim_client.get("/scim/v2/Users/not-a-uuid", HTTP_ACCEPT=accept)

    error_of(response, 404)


@pytest.mark.parametrize(
    "resource_id",
    ["not-a-uuid", "1", "%00", "' or 1=1--", "a" * 3000, "%F0%9F%98%80"],
    ids=["word", "integer", "nul", "sql", "long", "emoji"],
)
@pytest.mark.parametrize("resource", ["Users", "Groups", "Roles"])
def test_an_id_that_is_not_a_uuid_is_a_scim_404(scim_client, tenant, resource, resource_id):
    response = scim_client.get(f"/scim/v2/{resource}/{resource_id}")

    body = error_of(response, 404)
    assert len(body["detail"]) <= 500


@pytest.mark.parametrize(
    "if_match", ["junk", '""', "W/", 'W/"abc"', ",,,", '"' * 3000, 'W/"1" junk']
)
def test_junk_if_match_is_412_and_changes_nothing(scim_client, agent, if_match):
    body = {"Operations": [{"op": "replace", "path": "title", "value": "Boss"}]}

    response = scim_client.send(
        "patch", f"/scim/v2/Users/{agent.public_id}", body, HTTP_IF_MATCH=if_match
    )

    error_of(response, 412)
    agent.refresh_from_db()
    assert agent.title == ""


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("text/plain", 415), ("application/x-www-form-urlencoded", 415), ("", 415)],
)
def test_a_wrong_content_type_is_a_scim_415(scim_client, tenant, content_type, status):
    response = post_raw(
        scim_client, "/scim/v2/Users", json.dumps(entra_user()).encode(), content_type
    )

    error_of(response, status)
    assert not User.objects.filter(user_name="Test_User_1@contoso.com").exists()


def test_a_chunked_body_without_content_length_is_411_not_an_empty_body(scim_client, tenant):
    response = scim_client.generic(
        "POST", "/scim/v2/Users", b"", content_type=SCIM, HTTP_TRANSFER_ENCODING="chunked"
    )

    body = error_of(response, 411)
    assert "Content-Length" in body["detail"]
    assert not AuditEvent.objects.filter(action="user.created").exists()


def test_a_chunked_request_without_a_token_is_still_401(client, tenant):
    response = client.generic(
        "POST", "/scim/v2/Users", b"", content_type=SCIM, HTTP_TRANSFER_ENCODING="chunked"
    )

    error_of(response, 401)


def test_a_patch_with_more_operations_than_the_limit_is_400(scim_client, agent, settings):
    settings.SCIM_MAX_PATCH_OPERATIONS = 100
    operation = {"op": "add", "path": "roles", "value": [{"value": "agent"}]}
    body = {"Operations": [operation] * 101}

    response = scim_client.send("patch", f"/scim/v2/Users/{agent.public_id}", body)

    body = error_of(response, 400, "invalidValue")
    assert "at most 100 operations" in body["detail"]
    assert not AuditEvent.objects.filter(action="user.updated").exists()


def test_a_patch_with_as_many_operations_as_the_limit_is_applied(scim_client, agent, settings):
    settings.SCIM_MAX_PATCH_OPERATIONS = 100
    operation = {"op": "replace", "path": "title", "value": "Boss"}
    body = {"Operations": [operation] * 100}

    response = scim_client.send("patch", f"/scim/v2/Users/{agent.public_id}", body)

    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.title == "Boss"
