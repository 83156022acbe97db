"""A value longer than its column: the service refuses it, SCIM answers 400 invalidValue."""

from apps.groups.models import Group


def test_a_patched_title_longer_than_its_column_is_400_naming_the_attribute(scim_client, agent):
    body = {"Operations": [{"op": "replace", "path": "title", "value": "x" * 256}]}

    response = scim_client.send("patch", f"/scim/v2/Users/{agent.public_id}", body)

    error = response.json()
    assert (response.status_code, error["scimType"]) == (400, "invalidValue")
    assert error["detail"] == "title is longer than 255 characters."
    agent.refresh_from_db()
    assert agent.title == ""


def test_a_group_display_name_longer_than_its_column_is_400(scim_client, tenant):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "x" * 256,
    }

    response = scim_client.send("post", "/scim/v2/Groups", body)

    error = response.json()
    assert (response.status_code, error["scimType"]) == (400, "invalidValue")
    assert error["detail"] == "displayName is longer than 255 characters."
    assert not Group.objects.filter(tenant=tenant).exists()
