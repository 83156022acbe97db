"""Property tests: no filter or PATCH path text makes the parser raise anything but a SCIM error.

Random, token-soup and mutated filters go through the parser, the Q translation and the
database; a path goes through the PATCH path parser and the in-memory matcher.
"""

from datetime import timedelta

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.groups.models import Group
from apps.roles.models import Role
from apps.scim.exceptions import ScimError
from apps.scim.filters import filter_q
from apps.scim.paths import matches, parse_path
from apps.users.models import User
from tests.scim.strategies import PATHS, filters, json_values, mutated

MODELS = {"User": User, "Group": Group, "Role": Role}
BOUNDED = settings(
    max_examples=250,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@BOUNDED
@given(text=filters, resource=st.sampled_from(sorted(MODELS)))
def test_any_filter_is_a_query_the_database_runs_or_an_invalid_filter_error(tenant, text, resource):
    try:
        query = filter_q(text, resource)
    except ScimError as error:
        assert error.scim_type == "invalidFilter"
        assert error.status_code == 400
        return
    with transaction.atomic():
        list(MODELS[resource].objects.filter(tenant=tenant).filter(query)[:1])


@BOUNDED
@given(text=st.one_of(st.sampled_from(PATHS), mutated(st.sampled_from(PATHS)), st.text()))
def test_any_patch_path_parses_or_is_an_invalid_path_error(text):
    try:
        parse_path(text)
    except ScimError as error:
        assert error.scim_type == "invalidPath"


@BOUNDED
@given(text=mutated(st.sampled_from([p for p in PATHS if "[" in p])), item=json_values)
def test_a_value_filter_matches_any_item_without_raising(text, item):
    try:
        path = parse_path(text)
    except ScimError:
        return
    if path.value_filter is not None:
        assert matches(path.value_filter, item) in (True, False)
