import pytest

from tests.factories import CustomRoleFactory


@pytest.fixture
def token(api_token):
    return api_token[0]


@pytest.fixture
def custom_role(tenant):
    return CustomRoleFactory(tenant=tenant, name="Team Lead")
