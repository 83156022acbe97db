import uuid

from apps.audit.models import AuditEvent, Channel, ScimRequest
from apps.groups.models import GroupMembership
from apps.users.models import User
from tests.factories import (
    AgentFactory,
    MembershipFactory,
    UserEmailFactory,
    UserPhoneNumberFactory,
)
from tests.scim.entra import ENTERPRISE, entra_user, patch_body


def test_entra_create_body_makes_a_user_and_answers_201_with_location(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", entra_user())

    assert response.status_code == 201
    user = User.objects.get(tenant=tenant, user_name="Test_User_1@contoso.com")
    body = response.json()
    assert body["id"] == str(user.public_id)
    assert response["Location"] == body["meta"]["location"]
    assert response["Location"].endswith(f"/scim/v2/Users/{user.public_id}")
    assert response["Content-Type"] == "application/scim+json"
    assert user.source == Channel.SCIM
    assert user.external_id == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert (user.given_name, user.family_name, user.name_formatted) == ("Test", "User", "Test User")
    assert [(e.value, e.type, e.primary) for e in user.emails.all()] == [
        ("Test_User_1@contoso.com", "work", True)
    ]


def test_created_user_is_returned_with_meta_and_etag(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", entra_user())

    meta = response.json()["meta"]
    assert meta["resourceType"] == "User"
    assert meta["version"] == 'W/"1"'
    assert response["ETag"] == 'W/"1"'
    assert meta["created"] and meta["lastModified"]


def test_user_created_without_roles_gets_the_provisioning_role(scim_client, tenant):
    scim_client.send("post", "/scim/v2/Users", entra_user())

    assert User.objects.get(user_name="Test_User_1@contoso.com").role == "agent"


def test_provisioning_role_end_user_is_used_for_users_without_roles(scim_client, tenant):
    tenant.provisioning_role = "end-user"
    tenant.save()

    scim_client.send("post", "/scim/v2/Users", entra_user())

    assert User.objects.get(user_name="Test_User_1@contoso.com").role == "end-user"


def test_values_are_stored_and_returned_as_sent(scim_client, tenant):
    body = entra_user(
        phoneNumbers=[{"type": "mobile", "value": "55555555555"}],
        addresses=[{"type": "work", "streetAddress": "1 Main St", "postalCode": "0150"}],
        title="Engineer",
    )
    body[ENTERPRISE] = {"department": "Sales", "employeeNumber": "0042"}

    response = scim_client.send("post", "/scim/v2/Users", body)

    data = response.json()
    assert data["phoneNumbers"][0]["value"] == "55555555555"
    assert data["addresses"] == [
        {"type": "work", "streetAddress": "1 Main St", "postalCode": "0150"}
    ]
    assert data[ENTERPRISE] == {"department": "Sales", "employeeNumber": "0042"}
    assert data["title"] == "Engineer"


def test_get_user_by_id(scim_client, tenant):
    user = AgentFactory(tenant=tenant, user_name="ann@contoso.com")
    UserEmailFactory(user=user)

    response = scim_client.get(f"/scim/v2/Users/{user.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["userName"] == "ann@contoso.com"
    assert body["emails"] == [{"value": "ann@contoso.com", "type": "work", "primary": True}]
    assert body["roles"] == [
        {"value": "agent", "display": "Agent", "type": "builtin", "primary": True}
    ]
    assert response["ETag"] == f'W/"{user.version}"'


def test_a_page_of_users_shows_each_users_emails_and_phone_numbers(scim_client, tenant):
    ann = AgentFactory(tenant=tenant, user_name="ann@contoso.com")
    UserEmailFactory(user=ann)
    UserEmailFactory(user=ann, value="ann@home.example", type="home", primary=False)
    UserPhoneNumberFactory(user=ann, value="+1 555 0100", display="desk")
    AgentFactory(tenant=tenant, user_name="bob@contoso.com")

    resources = scim_client.get("/scim/v2/Users?startIndex=1&count=10").json()["Resources"]

    by_name = {resource["userName"]: resource for resource in resources}
    ann_body, bob_body = by_name["ann@contoso.com"], by_name["bob@contoso.com"]
    assert ann_body["emails"] == [
        {"value": "ann@contoso.com", "type": "work", "primary": True},
        {"value": "ann@home.example", "type": "home", "primary": False},
    ]
    assert ann_body["phoneNumbers"] == [
        {"value": "+1 555 0100", "type": "mobile", "primary": False, "display": "desk"}
    ]
    assert "emails" not in bob_body and "phoneNumbers" not in bob_body


def test_a_patch_of_emails_answers_with_the_emails_it_wrote(scim_client, tenant):
    user = AgentFactory(tenant=tenant)
    UserEmailFactory(user=user, value="old@contoso.com")

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@contoso.com"}
        ),
    )

    assert response.json()["emails"] == [
        {"value": "new@contoso.com", "type": "work", "primary": True}
    ]


def test_manager_is_returned_with_id_display_name_and_ref(scim_client, tenant):
    boss = AgentFactory(tenant=tenant, display_name="Big Boss")
    user = AgentFactory(tenant=tenant, manager=boss)

    body = scim_client.get(f"/scim/v2/Users/{user.public_id}").json()

    manager = body[ENTERPRISE]["manager"]
    assert manager["value"] == str(boss.public_id)
    assert manager["displayName"] == "Big Boss"
    assert manager["$ref"].endswith(f"/scim/v2/Users/{boss.public_id}")


def test_custom_role_is_listed_in_roles_as_primary(scim_client, tenant, custom_role):
    user = AgentFactory(tenant=tenant, custom_role=custom_role)

    body = scim_client.get(f"/scim/v2/Users/{user.public_id}").json()

    assert body["roles"] == [
        {"value": "agent", "display": "Agent", "type": "builtin", "primary": False},
        {"value": "Team_Lead", "display": custom_role.name, "type": "custom", "primary": True},
    ]


def test_test_connection_query_for_a_random_guid_is_an_empty_list(scim_client, tenant):
    response = scim_client.get(f'/scim/v2/Users?filter=userName eq "{uuid.uuid4()}"')

    assert response.status_code == 200
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_filter_on_user_name_ignores_case(scim_client, tenant):
    user = AgentFactory(tenant=tenant, user_name="Ann.Lee@Contoso.com")

    response = scim_client.get('/scim/v2/Users?filter=userName+eq+"ann.lee@contoso.COM"')

    assert [r["id"] for r in response.json()["Resources"]] == [str(user.public_id)]


def test_filter_on_external_id(scim_client, tenant):
    user = AgentFactory(tenant=tenant, external_id="annlee")
    AgentFactory(tenant=tenant, external_id="other")

    response = scim_client.get('/scim/v2/Users?filter=externalId eq "annlee"')

    assert [r["id"] for r in response.json()["Resources"]] == [str(user.public_id)]


def test_filter_on_work_email(scim_client, tenant):
    user = AgentFactory(tenant=tenant)
    UserEmailFactory(user=user, value="Ann@Contoso.com")

    response = scim_client.get(
        '/scim/v2/Users?filter=emails[type eq "work"].value eq "ann@contoso.com"'
    )

    assert [r["id"] for r in response.json()["Resources"]] == [str(user.public_id)]


def test_manager_reference_check_returns_only_the_id(scim_client, tenant):
    boss = AgentFactory(tenant=tenant)
    user = AgentFactory(tenant=tenant, manager=boss)

    response = scim_client.get(
        f'/scim/v2/Users?filter=id eq "{user.public_id}" and manager eq "{boss.public_id}"'
        "&attributes=id"
    )

    assert response.json()["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "id": str(user.public_id),
        }
    ]


def test_manager_reference_check_is_empty_when_the_manager_differs(scim_client, tenant):
    user = AgentFactory(tenant=tenant, manager=AgentFactory(tenant=tenant))

    response = scim_client.get(
        f'/scim/v2/Users?filter=id eq "{user.public_id}" and manager eq "{uuid.uuid4()}"'
        "&attributes=id"
    )

    assert response.json()["totalResults"] == 0


def test_attributes_limit_the_response(scim_client, tenant):
    user = AgentFactory(tenant=tenant, user_name="ann@contoso.com", given_name="Ann")
    UserEmailFactory(user=user)

    body = scim_client.get(
        f"/scim/v2/Users/{user.public_id}?attributes=userName,name.givenName,emails.value"
    ).json()

    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": str(user.public_id),
        "userName": "ann@contoso.com",
        "name": {"givenName": "Ann"},
        "emails": [{"value": "ann@contoso.com"}],
    }


def test_excluded_attributes_drop_them_from_the_response(scim_client, tenant):
    user = AgentFactory(tenant=tenant)
    UserEmailFactory(user=user)

    body = scim_client.get(
        f"/scim/v2/Users/{user.public_id}?excludedAttributes=emails,name,meta"
    ).json()

    assert "emails" not in body and "name" not in body and "meta" not in body
    assert body["userName"] == user.user_name


def test_extension_attribute_can_be_asked_for_by_urn(scim_client, tenant):
    user = AgentFactory(tenant=tenant, department="Sales", title="Boss")

    body = scim_client.get(
        f"/scim/v2/Users/{user.public_id}?attributes={ENTERPRISE}:department"
    ).json()

    assert body[ENTERPRISE] == {"department": "Sales"}
    assert "title" not in body


def test_pages_are_one_based_and_ordered(scim_client, tenant, tenant_admin):
    users = [tenant_admin] + [AgentFactory(tenant=tenant) for _ in range(6)]

    first = scim_client.get("/scim/v2/Users?startIndex=1&count=3").json()
    second = scim_client.get("/scim/v2/Users?startIndex=4&count=3").json()
    last = scim_client.get("/scim/v2/Users?startIndex=7&count=3").json()

    ids = [r["id"] for page in (first, second, last) for r in page["Resources"]]
    assert ids == [str(u.public_id) for u in users]
    assert (first["startIndex"], second["startIndex"], last["startIndex"]) == (1, 4, 7)
    assert (first["itemsPerPage"], last["itemsPerPage"], last["totalResults"]) == (3, 1, 7)


def test_count_zero_gives_the_total_only(scim_client, tenant, tenant_admin):
    AgentFactory(tenant=tenant)

    body = scim_client.get("/scim/v2/Users?count=0").json()

    assert body["totalResults"] == 2
    assert body["Resources"] == []


def test_count_is_capped_at_the_maximum_page_size(scim_client, tenant, settings):
    settings.SCIM_MAX_PAGE_SIZE = 2
    AgentFactory.create_batch(3, tenant=tenant)

    body = scim_client.get("/scim/v2/Users?count=100").json()

    assert body["itemsPerPage"] == 2
    assert body["totalResults"] == 4  # three agents and the admin


def test_start_index_below_one_is_one(scim_client, tenant, tenant_admin):
    body = scim_client.get("/scim/v2/Users?startIndex=-4").json()

    assert body["startIndex"] == 1
    assert body["Resources"][0]["id"] == str(tenant_admin.public_id)


def test_unknown_query_parameters_are_ignored(scim_client, tenant):
    response = scim_client.get('/scim/v2/Users?aadOptscim062020&filter=userName eq "x"')

    assert response.status_code == 200


def test_duplicate_user_name_in_any_case_is_409_uniqueness(scim_client, tenant):
    AgentFactory(tenant=tenant, user_name="ann@contoso.com")

    response = scim_client.send("post", "/scim/v2/Users", entra_user("ANN@contoso.com"))

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert response.json()["status"] == "409"
    assert User.objects.filter(tenant=tenant, user_name__iexact="ann@contoso.com").count() == 1


def test_a_refused_duplicate_leaves_no_audit_row_and_no_count(scim_client, tenant):
    AgentFactory(tenant=tenant, user_name="ann@contoso.com")
    users_before = User.objects.count_for(tenant)

    scim_client.send("post", "/scim/v2/Users", entra_user("Ann@Contoso.com"))

    assert User.objects.count_for(tenant) == users_before
    assert not AuditEvent.objects.filter(tenant=tenant, action="user.created").exists()


def test_same_user_name_in_another_tenant_is_allowed(scim_client, tenant, outsider):
    response = scim_client.send("post", "/scim/v2/Users", entra_user(outsider.user_name))

    assert response.status_code == 201


def test_put_replaces_the_user(scim_client, tenant):
    user = AgentFactory(tenant=tenant, title="Old title", department="Old")
    UserEmailFactory(user=user)

    response = scim_client.send(
        "put",
        f"/scim/v2/Users/{user.public_id}",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "new@contoso.com",
            "displayName": "New",
            "active": True,
        },
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.user_name, user.display_name, user.title, user.department) == (
        "new@contoso.com",
        "New",
        "",
        "",
    )
    assert user.emails.count() == 0
    assert user.role == "agent"


def test_put_without_user_name_is_400(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.send("put", f"/scim/v2/Users/{user.public_id}", {"displayName": "x"})

    assert response.status_code == 400
    assert "userName" in response.json()["detail"]


def test_deactivated_user_is_kept_with_memberships_and_still_found(scim_client, tenant):
    membership = MembershipFactory(group__tenant=tenant)
    user = membership.user

    scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "Replace", "path": "active", "value": "False"}),
    )

    found = scim_client.get(f'/scim/v2/Users?filter=userName eq "{user.user_name}"').json()
    assert found["Resources"][0]["active"] is False
    assert scim_client.get(f"/scim/v2/Users/{user.public_id}").json()["active"] is False
    assert GroupMembership.objects.filter(user=user).exists()


def test_delete_is_204_and_the_user_is_gone(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.delete(f"/scim/v2/Users/{user.public_id}")

    assert response.status_code == 204
    assert scim_client.get(f"/scim/v2/Users/{user.public_id}").status_code == 404
    assert not User.objects.filter(pk=user.pk).exists()


def test_other_tenants_user_is_404(scim_client, outsider):
    response = scim_client.get(f"/scim/v2/Users/{outsider.public_id}")

    assert response.status_code == 404
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_other_tenants_user_cannot_be_changed_or_deleted(scim_client, outsider):
    patch = scim_client.send(
        "patch",
        f"/scim/v2/Users/{outsider.public_id}",
        patch_body({"op": "replace", "path": "title", "value": "x"}),
    )
    delete = scim_client.delete(f"/scim/v2/Users/{outsider.public_id}")

    assert (patch.status_code, delete.status_code) == (404, 404)
    outsider.refresh_from_db()
    assert outsider.title == ""


def test_other_tenants_users_are_not_listed(scim_client, tenant, outsider):
    body = scim_client.get(f'/scim/v2/Users?filter=userName eq "{outsider.user_name}"').json()

    assert body["totalResults"] == 0


def test_if_match_with_the_current_etag_is_accepted(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "replace", "path": "title", "value": "x"}),
        HTTP_IF_MATCH=f'W/"{user.version}"',
    )

    assert response.status_code == 200
    assert response["ETag"] == f'W/"{user.version + 1}"'


def test_if_match_mismatch_is_412_and_nothing_changes(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "replace", "path": "title", "value": "x"}),
        HTTP_IF_MATCH='W/"999"',
    )

    assert response.status_code == 412
    assert response.json()["status"] == "412"
    user.refresh_from_db()
    assert user.title == ""


def test_if_match_mismatch_on_delete_is_412(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.delete(f"/scim/v2/Users/{user.public_id}", HTTP_IF_MATCH='W/"999"')

    assert response.status_code == 412
    assert User.objects.filter(pk=user.pk).exists()


def test_if_match_star_matches_any_version(scim_client, tenant):
    user = AgentFactory(tenant=tenant)

    response = scim_client.send(
        "put",
        f"/scim/v2/Users/{user.public_id}",
        {"userName": user.user_name},
        HTTP_IF_MATCH="*",
    )

    assert response.status_code == 200


def test_scim_change_is_audited_with_channel_scim_and_the_token(scim_client, tenant, token):
    user = AgentFactory(tenant=tenant)

    scim_client.send(
        "patch",
        f"/scim/v2/Users/{user.public_id}",
        patch_body({"op": "Replace", "path": "title", "value": "Manager"}),
    )

    event = AuditEvent.objects.get(action="user.updated", target_id=str(user.public_id))
    assert event.channel == "scim"
    assert event.actor_type == "token"
    assert event.actor_id == str(token.public_id)
    assert event.changes == {"title": ["", "Manager"]}


def test_scim_create_is_audited_with_the_token(scim_client, tenant, token):
    scim_client.send("post", "/scim/v2/Users", entra_user())

    event = AuditEvent.objects.get(action="user.created")
    assert (event.channel, event.actor_id) == ("scim", str(token.public_id))


def test_each_request_is_logged_once_without_body_or_headers(scim_client, tenant, token):
    scim_client.get('/scim/v2/Users?filter=userName eq "x"')
    scim_client.send("post", "/scim/v2/Users", entra_user())

    rows = list(ScimRequest.objects.order_by("id"))
    assert [(r.method, r.path, r.status, r.token_id, r.tenant_id) for r in rows] == [
        ("GET", "/scim/v2/Users?filter=userName%20eq%20%22x%22", 200, token.pk, tenant.pk),
        ("POST", "/scim/v2/Users", 201, token.pk, tenant.pk),
    ]
    assert all(r.duration_ms >= 0 for r in rows)


def test_failed_requests_are_logged_with_their_status(scim_client, tenant):
    scim_client.get(f"/scim/v2/Users/{uuid.uuid4()}")

    assert ScimRequest.objects.get().status == 404


def test_unauthenticated_requests_are_not_logged(client, tenant):
    client.get("/scim/v2/Users")

    assert not ScimRequest.objects.exists()


def test_long_paths_are_truncated_in_the_log(scim_client, tenant):
    scim_client.get(f'/scim/v2/Users?filter=userName eq "{"x" * 700}"')

    assert len(ScimRequest.objects.get().path) == 500


def test_request_log_keeps_the_newest_rows_of_the_tenant(scim_client, tenant, token, monkeypatch):
    from apps.audit import request_log

    monkeypatch.setattr(request_log, "KEEP", 3)
    monkeypatch.setattr(request_log, "TRIM_EVERY", 1)

    for _ in range(5):
        scim_client.get("/scim/v2/ServiceProviderConfig")

    assert ScimRequest.objects.filter(tenant=tenant).count() == 3


def test_end_user_created_with_role_is_kept_as_end_user(scim_client, tenant):
    body = entra_user(
        roles=[{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "End-User"}]
    )

    scim_client.send("post", "/scim/v2/Users", body)

    assert User.objects.get(user_name="Test_User_1@contoso.com").role == "end-user"


def test_search_by_post_takes_the_query_in_the_body(scim_client, tenant):
    user = AgentFactory(tenant=tenant, user_name="ann@contoso.com")

    response = scim_client.send(
        "post",
        "/scim/v2/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "ANN@contoso.com"',
            "attributes": ["userName"],
            "startIndex": 1,
            "count": 10,
        },
    )

    assert response.status_code == 200
    assert response.json()["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "id": str(user.public_id),
            "userName": "ann@contoso.com",
        }
    ]


def test_search_is_post_only(scim_client, tenant):
    assert scim_client.get("/scim/v2/Users/.search").status_code == 405
