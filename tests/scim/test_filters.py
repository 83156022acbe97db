import random
from datetime import UTC, datetime

import pytest

from apps.groups.models import Group
from apps.roles.models import Role
from apps.scim.exceptions import ScimError
from apps.scim.filters import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    And,
    AttributePath,
    Comparison,
    Not,
    Or,
    Present,
    ValuePath,
    filter_queryset,
    parse_filter,
)
from apps.users.models import User
from tests.factories import (
    AgentFactory,
    CustomRoleFactory,
    GroupFactory,
    MembershipFactory,
    TenantFactory,
    UserEmailFactory,
    UserFactory,
    UserPhoneNumberFactory,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def attr(name, sub=None, schema=None):
    return AttributePath(name, sub, schema)


def user_names(tenant, text):
    return sorted(
        filter_queryset(User.objects.for_tenant(tenant), text, "User").values_list(
            "user_name", flat=True
        )
    )


def group_names(tenant, text):
    queryset = filter_queryset(Group.objects.for_tenant(tenant), text, "Group")
    return sorted(queryset.values_list("display_name", flat=True))


def role_names(tenant, text):
    queryset = filter_queryset(Role.objects.for_tenant(tenant), text, "Role")
    return sorted(queryset.values_list("name", flat=True))


def invalid_filter_detail(text, resource="User"):
    with pytest.raises(ScimError) as caught:
        filter_queryset(User.objects.none(), text, resource)
    assert caught.value.scim_type == "invalidFilter"
    assert caught.value.status_code == 400
    return str(caught.value.detail)


# --- Parser ---------------------------------------------------------------------------------


def test_and_binds_tighter_than_or():
    node = parse_filter("a eq 1 or b eq 2 and c eq 3")

    assert node == Or(
        Comparison(attr("a"), "eq", 1),
        And(Comparison(attr("b"), "eq", 2), Comparison(attr("c"), "eq", 3)),
    )


def test_not_binds_tighter_than_and():
    node = parse_filter("not (a pr) and b pr")

    assert node == And(Not(Present(attr("a"))), Present(attr("b")))


def test_parentheses_override_precedence():
    node = parse_filter('(a eq "x" or b eq "y") and c eq "z"')

    assert node == And(
        Or(Comparison(attr("a"), "eq", "x"), Comparison(attr("b"), "eq", "y")),
        Comparison(attr("c"), "eq", "z"),
    )


def test_and_chains_group_from_the_left():
    node = parse_filter("a pr and b pr and c pr")

    assert node == And(And(Present(attr("a")), Present(attr("b"))), Present(attr("c")))


def test_operators_keywords_and_attribute_names_are_case_insensitive():
    node = parse_filter('UserName EQ "x" AND NOT (Title PR) Or name.GivenName Sw "a"')

    assert node == Or(
        And(Comparison(attr("username"), "eq", "x"), Not(Present(attr("title")))),
        Comparison(attr("name", "givenname"), "sw", "a"),
    )


def test_value_path_parses_to_its_inner_filter():
    node = parse_filter('emails[type eq "work" and value co "@x"]')

    assert node == ValuePath(
        attr("emails"),
        And(Comparison(attr("type"), "eq", "work"), Comparison(attr("value"), "co", "@x")),
    )


def test_value_path_with_sub_attribute_compares_the_same_item():
    node = parse_filter('emails[type eq "work"].value eq "a@b"')

    assert node == ValuePath(
        attr("emails"),
        And(Comparison(attr("type"), "eq", "work"), Comparison(attr("value"), "eq", "a@b")),
    )


def test_value_path_with_sub_attribute_takes_pr():
    node = parse_filter('emails[type eq "work"].value pr')

    assert node == ValuePath(
        attr("emails"), And(Comparison(attr("type"), "eq", "work"), Present(attr("value")))
    )


def test_string_escapes_are_decoded():
    node = parse_filter(r'title eq "a\"b\\c\u00e9\n"')

    assert node == Comparison(attr("title"), "eq", 'a"b\\cé\n')


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a eq true", True),
        ("a eq false", False),
        ("a eq null", None),
        ("a eq 42", 42),
        ("a eq -1.5e2", -150.0),
        ("a eq 1234-abcd", "1234-abcd"),
        ('a eq ""', ""),
    ],
)
def test_literals_parse_to_python_values(text, value):
    assert parse_filter(text).value == value


def test_unquoted_id_is_read_as_a_string():
    node = parse_filter("id eq 7f4b2a4e-aaaa and manager eq 1234-abcd")

    assert node == And(
        Comparison(attr("id"), "eq", "7f4b2a4e-aaaa"),
        Comparison(attr("manager"), "eq", "1234-abcd"),
    )


def test_extension_urn_prefix_is_split_from_the_attribute():
    node = parse_filter(f'{ENTERPRISE}:manager.value eq "x"')

    assert node == Comparison(attr("manager", "value", ENTERPRISE), "eq", "x")


def test_core_urn_prefix_is_split_from_the_attribute():
    node = parse_filter(f'{CORE_USER}:userName eq "x"')

    assert node == Comparison(attr("username", None, CORE_USER), "eq", "x")


def test_urn_prefix_in_another_case_gives_the_canonical_schema():
    node = parse_filter(f'{ENTERPRISE.upper()}:department eq "x"')

    assert node.path.schema == ENTERPRISE


def test_spaces_tabs_and_newlines_separate_tokens():
    node = parse_filter('userName\teq\n"x"')

    assert node == Comparison(attr("username"), "eq", "x")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('userName eq "x', "not closed"),
        ('userName xx "x"', "'xx'"),
        ("userName eq", "expected a value"),
        ('userName eq "x" and', "expected an attribute"),
        ('(userName eq "x"', "')'"),
        ('userName eq "x")', "')'"),
        ('userName eq "x" userName eq "y"', "'userName'"),
        ("userName eq and", "expected a value"),
        ('emails[type eq "work"', "']'"),
        ('emails[type eq "work"]]', "']'"),
        ('emails[types[value eq "x"]]', "nested"),
        ('emails.value[type eq "work"]', "sub-attribute"),
        ('name.givenName.first eq "x"', "not a valid attribute path"),
        ('1abc eq "x"', "not a valid attribute path"),
        (r'userName eq "\x"', "not a valid JSON string"),
        (r'userName eq "\u0000"', "NUL"),
        (r'userName eq "\ud800"', "not valid Unicode"),
        ('emails[type eq "work"]. value eq "x"', "'.' at position 23"),
    ],
)
def test_malformed_filter_is_invalid_filter_naming_the_problem(text, problem):
    detail = invalid_filter_detail(text)

    assert problem in detail


def test_empty_filter_is_invalid_filter():
    assert "empty" in invalid_filter_detail("   ")


def test_too_long_filter_is_invalid_filter():
    text = " or ".join(['userName eq "someone@example.com"'] * 80)
    assert len(text) > MAX_FILTER_LENGTH

    assert str(MAX_FILTER_LENGTH) in invalid_filter_detail(text)


def test_too_deeply_nested_filter_is_invalid_filter():
    text = "(" * (MAX_DEPTH + 1) + "userName pr" + ")" * (MAX_DEPTH + 1)

    assert "nested" in invalid_filter_detail(text)


def test_too_many_nots_is_invalid_filter():
    assert "nested" in invalid_filter_detail("not " * (MAX_DEPTH + 1) + "userName pr")


# --- Users in the database ------------------------------------------------------------------


@pytest.fixture
def titled(tenant):
    UserFactory(tenant=tenant, user_name="eng", title="Engineer")
    UserFactory(tenant=tenant, user_name="mgr", title="Manager")
    UserFactory(tenant=tenant, user_name="none", title="")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title eq "engineer"', ["eng"]),
        ('title ne "ENGINEER"', ["mgr", "none"]),
        ('title co "GIN"', ["eng"]),
        ('title sw "man"', ["mgr"]),
        ('title ew "EER"', ["eng"]),
        ('title gt "f"', ["mgr"]),
        ('title ge "MANAGER"', ["mgr"]),
        ('title lt "F"', ["eng"]),
        ('title le "engineer"', ["eng"]),
        ("title pr", ["eng", "mgr"]),
        ("not (title pr)", ["none"]),
        ("title eq null", ["none"]),
        ('title eq "engineer" or title eq "manager"', ["eng", "mgr"]),
        ('title pr and not (title sw "e")', ["mgr"]),
    ],
)
def test_string_operator_returns_the_matching_users(tenant, titled, text, expected):
    assert user_names(tenant, text) == expected


def test_user_name_eq_is_case_insensitive(tenant):
    UserFactory(tenant=tenant, user_name="Alice@Example.com")

    assert user_names(tenant, 'userName eq "aLICE@example.COM"') == ["Alice@Example.com"]


def test_user_name_eq_finds_the_name_in_nfkc_form(tenant):
    UserFactory(tenant=tenant, user_name="admin@contoso.com")

    assert user_names(tenant, 'userName eq "\uff41dmin@contoso.com"') == ["admin@contoso.com"]


def test_email_value_eq_finds_the_email_in_nfkc_form(tenant):
    UserEmailFactory(user=UserFactory(tenant=tenant, user_name="ren"), value="ren\u00e9@x.fr")

    assert user_names(tenant, 'emails.value eq "rene\u0301@x.fr"') == ["ren"]


def test_display_name_eq_compares_the_value_as_sent(tenant):
    UserFactory(tenant=tenant, user_name="wide", display_name="\uff21da")

    assert user_names(tenant, 'displayName eq "\uff21da"') == ["wide"]


def test_user_name_eq_uses_lower_on_both_sides(tenant):
    queryset = filter_queryset(User.objects.for_tenant(tenant), 'userName eq "A"', "User")

    assert 'LOWER("users_user"."user_name")' in str(queryset.query)


def test_test_connection_query_for_unknown_user_name_is_empty(tenant, end_user):
    assert user_names(tenant, 'userName eq "0f7c5e8a-64b1-4b32-9a3e-5d3f2b1c0a99"') == []


def test_display_name_eq_is_case_insensitive(tenant):
    UserFactory(tenant=tenant, user_name="a", display_name="Dale Mohr")

    assert user_names(tenant, 'displayName eq "dale MOHR"') == ["a"]


def test_external_id_eq_is_case_exact(tenant):
    UserFactory(tenant=tenant, user_name="a", external_id="AbC")

    assert user_names(tenant, 'externalId eq "abc"') == []
    assert user_names(tenant, 'externalId eq "AbC"') == ["a"]


def test_name_sub_attributes_are_filtered(tenant):
    UserFactory(tenant=tenant, user_name="a", given_name="Dale", family_name="Mohr")
    UserFactory(tenant=tenant, user_name="b", given_name="Kim", family_name="Mohr")

    assert user_names(tenant, 'name.givenName eq "dale" and name.familyName eq "MOHR"') == ["a"]


def test_complex_name_in_a_value_path_is_filtered(tenant):
    UserFactory(tenant=tenant, user_name="a", given_name="Dale")

    assert user_names(tenant, 'name[givenName sw "D"]') == ["a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("active eq true", ["on"]),
        ("active eq false", ["off"]),
        ('active eq "True"', ["on"]),
        ('active eq "false"', ["off"]),
        ("active ne true", ["off"]),
        ("active pr", ["off", "on"]),
    ],
)
def test_active_filter_accepts_booleans_and_boolean_strings(tenant, text, expected):
    UserFactory(tenant=tenant, user_name="on", is_active=True)
    UserFactory(tenant=tenant, user_name="off", is_active=False)

    assert user_names(tenant, text) == expected


def test_work_email_value_path_matches_case_insensitively(tenant):
    work = UserFactory(tenant=tenant, user_name="work")
    UserEmailFactory(user=work, type="work", value="dale.mohr@romaguera.uk")
    home = UserFactory(tenant=tenant, user_name="home")
    UserEmailFactory(user=home, type="home", value="dale.mohr@romaguera.uk")

    found = user_names(tenant, 'emails[type eq "Work"].value eq "Dale.Mohr@ROMAGUERA.uk"')

    assert found == ["work"]


def test_email_value_path_conditions_hold_for_the_same_email(tenant):
    user = UserFactory(tenant=tenant, user_name="a")
    UserEmailFactory(user=user, type="work", value="a@other.example")
    UserEmailFactory(user=user, type="home", value="a@corp.example", primary=False)

    assert user_names(tenant, 'emails[type eq "work" and value co "@corp"]') == []
    assert user_names(tenant, 'emails[type eq "home" and value co "@CORP"]') == ["a"]


def test_user_with_several_matching_emails_is_returned_once(tenant):
    user = UserFactory(tenant=tenant, user_name="a")
    UserEmailFactory(user=user, value="a@corp.example")
    UserEmailFactory(user=user, value="b@corp.example", primary=False)

    found = filter_queryset(User.objects.for_tenant(tenant), 'emails co "@corp"', "User")

    assert list(found) == [user]
    assert "DISTINCT" not in str(found.query)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('emails eq "A@X.example"', ["a"]),
        ('emails.value sw "B@"', ["b"]),
        ('emails.type eq "home"', ["b"]),
        ("emails.primary eq true", ["a"]),
        ("emails pr", ["a", "b"]),
        ("not (emails pr)", ["c"]),
        # Multi-valued: some email differs (RFC 7644 §3.4.2.2), so "c" without emails is out.
        ('emails ne "a@x.example"', ["b"]),
    ],
)
def test_email_attribute_forms_return_the_matching_users(tenant, text, expected):
    UserEmailFactory(user=UserFactory(tenant=tenant, user_name="a"), value="a@x.example")
    UserEmailFactory(
        user=UserFactory(tenant=tenant, user_name="b"),
        value="b@x.example",
        type="home",
        primary=False,
    )
    UserFactory(tenant=tenant, user_name="c")

    assert user_names(tenant, text) == expected


def test_phone_number_value_path_is_filtered(tenant):
    UserPhoneNumberFactory(user=UserFactory(tenant=tenant, user_name="a"), value="+1 555 0100")
    UserPhoneNumberFactory(
        user=UserFactory(tenant=tenant, user_name="b"), value="+1 555 0100", type="work"
    )

    assert user_names(tenant, 'phoneNumbers[type eq "mobile"].value eq "+1 555 0100"') == ["a"]


@pytest.mark.parametrize(
    "attribute",
    ["department", f"{ENTERPRISE}:department", f"{ENTERPRISE.lower()}:Department"],
)
def test_enterprise_attribute_is_filtered_with_or_without_its_urn(tenant, attribute):
    UserFactory(tenant=tenant, user_name="a", department="Sales")
    UserFactory(tenant=tenant, user_name="b", department="Support")

    assert user_names(tenant, f'{attribute} eq "sales"') == ["a"]


@pytest.mark.parametrize(
    ("attribute", "column"),
    [
        ("employeeNumber", "employee_number"),
        ("costCenter", "cost_center"),
        ("organization", "organization"),
        ("division", "division"),
    ],
)
def test_other_enterprise_attributes_are_filtered(tenant, attribute, column):
    UserFactory(tenant=tenant, user_name="a", **{column: "X-1"})
    UserFactory(tenant=tenant, user_name="b")

    assert user_names(tenant, f'{ENTERPRISE}:{attribute} eq "x-1"') == ["a"]


def test_core_attribute_under_the_enterprise_urn_is_invalid_filter(tenant):
    assert "cannot be filtered" in invalid_filter_detail(f'{ENTERPRISE}:userName eq "x"')


@pytest.mark.parametrize(
    "attribute",
    ["manager", "manager.value", f"{ENTERPRISE}:manager", f"{ENTERPRISE}:manager.value"],
)
def test_manager_is_filtered_by_the_managers_id(tenant, attribute):
    boss = UserFactory(tenant=tenant, user_name="boss")
    UserFactory(tenant=tenant, user_name="report", manager=boss)

    assert user_names(tenant, f'{attribute} eq "{boss.public_id}"') == ["report"]


def test_manager_reference_check_finds_the_user_when_the_manager_matches(tenant):
    boss = UserFactory(tenant=tenant)
    report = UserFactory(tenant=tenant, user_name="report", manager=boss)

    text = f'id eq "{report.public_id}" and manager eq "{boss.public_id}"'

    assert user_names(tenant, text) == ["report"]


def test_manager_reference_check_is_empty_when_the_manager_differs(tenant):
    boss = UserFactory(tenant=tenant)
    report = UserFactory(tenant=tenant, manager=UserFactory(tenant=tenant))

    assert user_names(tenant, f'id eq "{report.public_id}" and manager eq "{boss.public_id}"') == []


def test_unquoted_manager_reference_check_is_accepted(tenant):
    boss = UserFactory(tenant=tenant)
    report = UserFactory(tenant=tenant, user_name="report", manager=boss)

    assert user_names(tenant, f"id eq {report.public_id} and manager eq {boss.public_id}") == [
        "report"
    ]


def test_manager_value_path_is_filtered(tenant):
    boss = UserFactory(tenant=tenant)
    UserFactory(tenant=tenant, user_name="report", manager=boss)

    assert user_names(tenant, f'manager[value eq "{boss.public_id}"]') == ["report"]


def test_manager_pr_finds_users_with_a_manager(tenant):
    UserFactory(
        tenant=tenant, user_name="report", manager=UserFactory(tenant=tenant, user_name="b")
    )

    assert user_names(tenant, "manager pr") == ["report"]


def test_id_that_is_not_a_uuid_matches_nothing(tenant, end_user):
    assert user_names(tenant, 'id eq "not-a-uuid"') == []


def test_id_ne_that_is_not_a_uuid_matches_everyone(tenant, end_user):
    assert user_names(tenant, 'id ne "not-a-uuid"') == [end_user.user_name]


def test_id_is_found_in_any_case(tenant, end_user):
    assert user_names(tenant, f'id eq "{str(end_user.public_id).upper()}"') == [end_user.user_name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('roles eq "AGENT"', ["agent", "lead"]),
        ('roles.value eq "end-user"', ["end-user"]),
        ('roles eq "team lead"', ["lead"]),
        ('roles[value eq "Team Lead"]', ["lead"]),
        ('roles sw "team"', ["lead"]),
    ],
)
def test_roles_match_the_builtin_role_or_the_custom_role_name(tenant, text, expected):
    AgentFactory(tenant=tenant, user_name="agent")
    UserFactory(tenant=tenant, user_name="end-user")
    AgentFactory(
        tenant=tenant,
        user_name="lead",
        custom_role=CustomRoleFactory(tenant=tenant, name="Team Lead"),
    )

    assert user_names(tenant, text) == expected


def test_meta_created_compares_date_times(tenant):
    old = UserFactory(tenant=tenant, user_name="old")
    UserFactory(tenant=tenant, user_name="new")
    User.objects.filter(pk=old.pk).update(created_at=datetime(2020, 1, 1, tzinfo=UTC))

    assert user_names(tenant, 'meta.created lt "2021-01-01T00:00:00Z"') == ["old"]
    assert user_names(tenant, 'meta.created ge "2021-01-01T00:00:00+02:00"') == ["new"]


def test_meta_last_modified_compares_date_times(tenant):
    UserFactory(tenant=tenant, user_name="a")

    assert user_names(tenant, 'meta.lastModified gt "2000-01-01T00:00:00"') == ["a"]
    assert user_names(tenant, 'meta.lastModified le "2000-01-01T00:00:00Z"') == []


@pytest.mark.parametrize(
    "text",
    [
        'meta.created gt "yesterday"',
        'meta.created gt "2025-13-01T00:00:00Z"',
        "meta.created gt 5",
        'meta.created co "2025"',
        'meta.created gt "0001-01-01T00:00:00+01:00"',
    ],
)
def test_malformed_date_time_is_invalid_filter(tenant, text):
    assert "meta.created" in invalid_filter_detail(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('favouriteColour eq "red"', "'favouriteColour'"),
        ('emails.colour eq "red"', "'emails.colour'"),
        ("active gt true", "'gt'"),
        ("active co true", "'co'"),
        ('active eq "yes"', "true or false"),
        ('id sw "abc"', "'sw'"),
        ("userName eq true", "quoted string"),
        ('name eq "Dale"', "sub-attribute"),
        ('userName[value eq "x"]', "no sub-attributes"),
        ('urn:example:unknown:1.0:User:department eq "x"', "department"),
        ('emails[type.x eq "work"]', "'type.x'"),
        ("title lt null", "null"),
    ],
)
def test_unsupported_attribute_or_operator_is_invalid_filter(tenant, text, problem):
    assert problem in invalid_filter_detail(text)


def test_other_tenants_users_never_appear(tenant, outsider):
    UserFactory(tenant=tenant, user_name="same@example.com")
    UserFactory(tenant=outsider.tenant, user_name="same@example.com")

    found = filter_queryset(User.objects.for_tenant(tenant), "userName pr", "User")

    assert {user.tenant for user in found} == {tenant}


def test_other_tenants_match_is_not_found_through_an_email(tenant, outsider):
    UserEmailFactory(user=outsider, value="shared@example.com")

    assert user_names(tenant, 'emails[type eq "work"].value eq "shared@example.com"') == []


def test_filtered_queryset_can_be_ordered_counted_and_sliced(tenant):
    for name in ("c", "a", "b", "d"):
        UserFactory(tenant=tenant, user_name=name, title="Engineer")

    found = filter_queryset(User.objects.for_tenant(tenant), 'title eq "engineer"', "User")

    assert found.count() == 4
    assert [user.user_name for user in found.order_by("user_name")[1:3]] == ["b", "c"]


@pytest.mark.parametrize("size", [1, 25])
def test_filtered_users_are_read_in_one_query(tenant, django_assert_num_queries, size):
    for _ in range(size):
        user = AgentFactory(tenant=tenant, manager=UserFactory(tenant=tenant))
        UserEmailFactory(user=user)
        UserEmailFactory(user=user, type="home", primary=False)
    text = 'emails[type eq "work"].value co "@" and manager pr and roles eq "agent"'

    with django_assert_num_queries(1):
        found = list(filter_queryset(User.objects.for_tenant(tenant), text, "User"))

    assert len(found) == size


# --- Groups and roles ------------------------------------------------------------------------


def test_group_display_name_eq_is_case_insensitive(tenant):
    GroupFactory(tenant=tenant, display_name="Support Tier 1")

    assert group_names(tenant, 'displayName eq "support TIER 1"') == ["Support Tier 1"]


def test_group_membership_check_finds_the_group_with_the_member(tenant):
    membership = MembershipFactory(group__tenant=tenant, group__display_name="G")
    text = f'id eq "{membership.group.public_id}" and members eq "{membership.user.public_id}"'

    assert group_names(tenant, text) == ["G"]


def test_group_membership_check_is_empty_for_a_non_member(tenant):
    group = GroupFactory(tenant=tenant)
    MembershipFactory(group=group)
    stranger = AgentFactory(tenant=tenant)

    assert (
        group_names(tenant, f'id eq "{group.public_id}" and members eq "{stranger.public_id}"')
        == []
    )


@pytest.mark.parametrize(
    "text",
    ['members[value eq "{id}"]', 'members.value eq "{id}"', "members eq {id}"],
)
def test_group_members_forms_find_the_group(tenant, text):
    membership = MembershipFactory(group__tenant=tenant, group__display_name="G")
    GroupFactory(tenant=tenant, display_name="Empty")

    assert group_names(tenant, text.format(id=membership.user.public_id)) == ["G"]


def test_group_members_pr_finds_groups_with_members(tenant):
    MembershipFactory(group__tenant=tenant, group__display_name="G")
    GroupFactory(tenant=tenant, display_name="Empty")

    assert group_names(tenant, "members pr") == ["G"]
    assert group_names(tenant, "not (members pr)") == ["Empty"]


def test_other_tenants_groups_never_appear(tenant, outsider):
    GroupFactory(tenant=tenant, display_name="Sales")
    GroupFactory(tenant=outsider.tenant, display_name="Sales")

    found = filter_queryset(Group.objects.for_tenant(tenant), 'displayName eq "sales"', "Group")

    assert [group.tenant for group in found] == [tenant]


def test_user_attribute_on_groups_is_invalid_filter(tenant):
    assert "cannot be filtered" in invalid_filter_detail('emails[type eq "work"]', "Group")


@pytest.mark.parametrize("size", [1, 25])
def test_filtered_groups_are_read_in_one_query(tenant, django_assert_num_queries, size):
    user = AgentFactory(tenant=tenant)
    for _ in range(size):
        MembershipFactory(group__tenant=tenant, user=user)
        MembershipFactory(group__tenant=tenant)

    with django_assert_num_queries(1):
        found = list(
            filter_queryset(
                Group.objects.for_tenant(tenant), f'members eq "{user.public_id}"', "Group"
            )
        )

    assert len(found) == size


def test_role_display_name_is_filtered_case_insensitively(tenant):
    CustomRoleFactory(tenant=tenant, name="Team Lead")

    assert role_names(tenant, 'displayName eq "team lead"') == ["Team Lead"]


def test_role_value_matches_a_builtin_role_key(tenant):
    agent_role = Role.objects.for_tenant(tenant).get(builtin="agent")

    assert role_names(tenant, 'value eq "Agent"') == [agent_role.name]


def test_other_tenants_roles_never_appear(tenant):
    CustomRoleFactory(tenant=TenantFactory(), name="Team Lead")

    assert role_names(tenant, 'displayName eq "team lead"') == []


# --- Nothing but invalidFilter ---------------------------------------------------------------

NASTY = [
    "",
    " ",
    "(",
    ")",
    "()",
    "[",
    "]",
    "[]",
    '"',
    '""',
    "\\",
    "\x00",
    'userName eq "\x00"',
    "userName eq \x00",
    "and",
    "or or or",
    "not",
    "not not",
    "not ()",
    "pr",
    "eq eq eq",
    "userName",
    "userName pr pr",
    "userName eq eq",
    'userName eq "a" and or userName eq "b"',
    "emails[]",
    'emails[type eq "work"].',
    'emails[type eq "work"].value',
    'emails[type eq "work"].value eq',
    'emails[type eq "work"][value eq "x"]',
    "emails[[",
    'emails]type eq "x"[',
    "urn:",
    "urn::",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager eq 1",
    ".value eq 1",
    "a..b eq 1",
    "$ref eq 1",
    "userName eq 1e99999",
    "userName eq -0",
    "userName eq " + "9" * 1999,
    "id eq 99999999999999999999999999999999999999",
    'meta.created eq "9999-12-31T23:59:59-23:59"',
    'meta.created gt "0000-00-00"',
    'title gt "\U0001f600"',
    "title eq \ud800",
    'title co "%_\\\\"',
    "userName eq 'single quoted'",
    "userName%20eq%20%22x%22",
    'userName+eq+"x"',
    "(" * 500 + ")" * 500,
    "not " * 500,
    "a pr or " * 250 + "a pr",
    "emails pr or " * 150 + "emails pr",
    'roles eq "x" and ' * 110 + "manager pr",
    "(" * MAX_DEPTH + 'members[value eq "x" or display co "%"]' + ")" * MAX_DEPTH,
]

VALID = [
    'userName eq "dale.mohr@romaguera.uk"',
    'emails[type eq "work" and value co "@x"].value ne "y" or not (title pr)',
    f'id eq "00000000-0000-0000-0000-000000000000" and {ENTERPRISE}:manager.value eq 1234-abcd',
    '(displayName sw "a" or nickName ew "b") and meta.lastModified gt "2024-01-01T00:00:00Z"',
    'phoneNumbers[type eq "mobile"].value co "555" and active eq "True"',
    'members[value eq "00000000-0000-0000-0000-000000000000"] or displayName le "m"',
]


def random_inputs():
    rng = random.Random(0)
    inputs = []
    for _ in range(300):
        text = rng.choice(VALID)
        start, end = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        inputs.append(text[start:end])
        position = rng.randrange(len(text) + 1)
        inputs.append(text[:position] + rng.choice('()[]"\\. :x') + text[position:])
    return inputs


@pytest.mark.parametrize("resource", ["User", "Group", "Role"])
def test_any_input_gives_results_or_invalid_filter(tenant, resource):
    model = {"User": User, "Group": Group, "Role": Role}[resource]
    queryset = model.objects.for_tenant(tenant)
    failures = []

    for text in NASTY + VALID + random_inputs():
        try:
            list(filter_queryset(queryset, text, resource))
        except ScimError as error:
            if error.scim_type != "invalidFilter":
                failures.append((text, error.scim_type))
        except Exception as error:  # noqa: BLE001 - collected to name every input that fails
            failures.append((text, repr(error)))

    assert failures == []
