"""Entra's values as coerce.py reads them: one form per test."""

import pytest

from apps.scim import coerce
from apps.scim.exceptions import ScimError
from apps.scim.mapping import ENTERPRISE_USER
from apps.scim.paths import PatchPath

CONTACT_KEYS = {"value": "value", "type": "type", "primary": "primary", "display": "display"}


def test_string_false_is_the_boolean_false():
    assert coerce.as_bool("False", "active") is False


def test_string_true_in_any_case_is_the_boolean_true():
    assert coerce.as_bool(" TRUE ", "active") is True


def test_a_word_that_is_not_a_boolean_is_an_invalid_value():
    with pytest.raises(ScimError) as caught:
        coerce.as_bool("yes", "active")

    assert caught.value.scim_type == "invalidValue"


def test_a_json_string_role_gives_its_value():
    packed = '{"id":"7c6b","value":"Agent","displayName":"Agent"}'

    assert coerce.role_values([{"value": packed}], "roles") == ["Agent"]


def test_a_role_packed_as_an_object_gives_its_value():
    packed = {"id": "7c6b", "value": "Admin", "displayName": "Admin"}

    assert coerce.role_values([{"value": packed}], "roles") == ["Admin"]


def test_a_role_without_value_is_read_by_its_display_name():
    assert coerce.role_values([{"display": "Agent"}], "roles") == ["Agent"]


def test_a_role_value_that_is_broken_json_is_an_invalid_value():
    with pytest.raises(ScimError) as caught:
        coerce.role_values([{"value": "{not json"}], "roles")

    assert caught.value.scim_type == "invalidValue"


def test_a_dotted_key_is_a_sub_attribute_path():
    paths = list(coerce.body_paths({"name.givenName": "Ann"}))

    assert paths == [(PatchPath("name", sub_attribute="givenname"), "Ann")]


def test_a_urn_qualified_key_is_the_attribute_of_the_extension():
    paths = list(coerce.body_paths({f"{ENTERPRISE_USER}:manager": "42"}))

    assert paths == [(PatchPath("manager"), "42")]


def test_keys_of_an_unknown_extension_are_left_out():
    assert list(coerce.body_paths({"urn:example:params:scim:schemas:Custom:badge": "7"})) == []


def test_an_id_wrapped_in_a_list_of_objects_is_the_id():
    assert coerce.id_of([{"value": " 42 "}], "manager") == "42"


def test_an_empty_id_is_none():
    assert coerce.id_of({"value": ""}, "manager") is None


def test_a_bare_string_item_is_the_items_value():
    assert coerce.item("ann@contoso.com", "emails", CONTACT_KEYS, {}) == {
        "value": "ann@contoso.com"
    }


def test_an_items_string_primary_becomes_a_boolean():
    item = coerce.item({"Value": "a@contoso.com", "Primary": "True"}, "emails", CONTACT_KEYS, {})

    assert item == {"value": "a@contoso.com", "primary": True}


def test_an_old_client_s_wrapped_single_value_is_unwrapped():
    assert coerce.single_value([{"value": "Sales"}]) == "Sales"
