"""The directory's own limits, whoever calls the services."""

import pytest
from django.core.exceptions import ValidationError

from apps.users.models import User
from apps.users.services import MAX_MULTI_VALUES, create_user, update_user


@pytest.mark.parametrize("field", ["emails", "phone_numbers", "addresses"])
def test_a_user_holds_a_bounded_number_of_values(tenant, tenant_admin, field):
    items = [{"value": f"v{n}", "streetAddress": f"s{n}"} for n in range(MAX_MULTI_VALUES + 1)]

    with pytest.raises(ValidationError) as error:
        create_user(
            tenant=tenant, actor=tenant_admin, attributes={"user_name": "many", field: items}
        )

    assert error.value.code == "invalid"
    assert not User.objects.filter(user_name="many").exists()


def test_the_limit_itself_is_allowed(tenant, tenant_admin):
    emails = [{"value": f"ann{n}@contoso.com"} for n in range(MAX_MULTI_VALUES)]
    user = create_user(tenant=tenant, actor=tenant_admin, attributes={"user_name": "ann"})

    update_user(tenant=tenant, actor=tenant_admin, user=user, attributes={"emails": emails})

    assert user.emails.count() == MAX_MULTI_VALUES
