"""A userName that looks like another is that name, or it is refused.

A zero-width space, full-width letters, a Cyrillic letter in a Latin name or a decomposed
accent would each make a second "admin@contoso.com" that lists as the first.
"""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.users.models import User
from apps.users.names import checked_name
from apps.users.services import create_user, update_user
from tests.factories import PASSWORD, AdminFactory, StaffFactory
from tests.scim.entra import entra_user


@pytest.fixture
def contoso_admin(tenant):
    return AdminFactory(tenant=tenant, user_name="admin@contoso.com")


def create(tenant, actor, user_name):
    return create_user(tenant=tenant, actor=actor, attributes={"user_name": user_name})


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u0007", "\u3164"],
    ids=[
        "zero-width-space",
        "zero-width-joiner",
        "bom",
        "word-joiner",
        "soft-hyphen",
        "bell",
        "hangul-filler",
    ],
)
def test_a_user_name_with_an_invisible_character_is_refused(tenant, tenant_admin, invisible):
    with pytest.raises(ValidationError) as error:
        create(tenant, tenant_admin, f"adm{invisible}in@contoso.com")

    assert error.value.code == "invalid"
    assert "invisible or control character" in error.value.messages[0]
    assert not User.objects.filter(user_name__icontains="contoso").exists()


def test_a_full_width_user_name_is_the_same_name(tenant, tenant_admin, contoso_admin):
    with pytest.raises(ValidationError) as error:
        create(tenant, tenant_admin, "ａｄｍｉｎ＠ｃｏｎｔｏｓｏ．ｃｏｍ")

    assert error.value.code == "unique"


def test_a_decomposed_accent_is_the_same_name_as_the_composed_one(tenant, tenant_admin):
    create(tenant, tenant_admin, "ren\u00e9@contoso.com")

    with pytest.raises(ValidationError) as error:
        create(tenant, tenant_admin, "rene\u0301@contoso.com")

    assert error.value.code == "unique"


def test_a_user_name_is_stored_in_nfkc_form(tenant, tenant_admin):
    user = create(tenant, tenant_admin, "ｇｒａｃｅ@contoso.com")

    assert User.objects.get(pk=user.pk).user_name == "grace@contoso.com"


def test_a_cyrillic_letter_in_a_latin_name_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create(tenant, tenant_admin, "\u0430dmin@contoso.com")

    assert error.value.code == "invalid"
    assert "mixes Cyrillic and Latin letters" in error.value.messages[0]


def test_a_renaming_into_a_look_alike_is_refused(tenant, tenant_admin, agent):
    with pytest.raises(ValidationError):
        update_user(
            tenant=tenant,
            actor=tenant_admin,
            user=agent,
            attributes={"user_name": "p\u0430ypal@contoso.com"},
        )

    assert User.objects.get(pk=agent.pk).user_name == agent.user_name


@pytest.mark.parametrize(
    "user_name",
    [
        "иван@contoso.com",
        "σοφία@contoso.com",
        "田中たろう@contoso.com",
        "taro田中@contoso.com",
        "o'brien-2@contoso.com",
        "renée@contoso.com",
    ],
)
def test_names_in_one_script_per_part_are_accepted(tenant, tenant_admin, user_name):
    assert create(tenant, tenant_admin, user_name).user_name == user_name


def test_an_email_with_a_look_alike_is_refused(tenant, tenant_admin):
    with pytest.raises(ValidationError) as error:
        create_user(
            tenant=tenant,
            actor=tenant_admin,
            attributes={
                "user_name": "grace@contoso.com",
                "emails": [{"value": "gr\u200bace@x.com"}],
            },
        )

    assert "email contains an invisible" in error.value.messages[0]


def test_an_email_is_stored_in_nfkc_form(tenant, tenant_admin):
    user = create_user(
        tenant=tenant,
        actor=tenant_admin,
        attributes={"user_name": "grace@contoso.com", "emails": [{"value": "ｇｒａｃｅ@x.com"}]},
    )

    assert user.emails.get().value == "grace@x.com"


def test_scim_answers_409_for_a_full_width_copy_of_a_taken_name(scim_client, contoso_admin):
    response = scim_client.send("post", "/scim/v2/Users", entra_user("ａｄｍｉｎ@contoso.com"))

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert User.objects.filter(user_name__iexact="admin@contoso.com").count() == 1


def test_scim_answers_400_for_a_name_with_a_zero_width_space(scim_client, tenant):
    response = scim_client.send("post", "/scim/v2/Users", entra_user("admin\u200b@contoso.com"))

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "U+200B ZERO WIDTH SPACE" in response.json()["detail"]


def test_the_admin_add_form_shows_the_refusal(client, tenant):
    client.force_login(StaffFactory(user_name="root", is_superuser=True))

    response = client.post(
        reverse("admin:users_user_add"),
        {
            "tenant": tenant.pk,
            "user_name": "\u0430dmin@contoso.com",
            "role": "agent",
            "emails-TOTAL_FORMS": "0",
            "emails-INITIAL_FORMS": "0",
            "phone_numbers-TOTAL_FORMS": "0",
            "phone_numbers-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "mixes Cyrillic and Latin letters" in response.content.decode()
    assert not User.objects.filter(tenant=tenant).exists()


def test_a_staff_account_name_with_an_invisible_character_is_refused(db):
    from apps.users.services import create_staff_account

    with pytest.raises(ValidationError):
        create_staff_account(actor=None, user_name="root\u200b", password="a long passphrase 42")


def test_password_sign_in_finds_the_name_typed_in_full_width(rf, tenant, contoso_admin):
    user = authenticate(
        rf.post("/login/"),
        subdomain=tenant.subdomain,
        username="ａｄｍｉｎ@contoso.com",
        password=PASSWORD,
    )

    assert user == contoso_admin


def test_a_name_is_checked_in_nfkc_form_without_surrounding_spaces():
    assert checked_name(" ｒｅｎｅ\u0301@contoso.com ") == "ren\u00e9@contoso.com"
