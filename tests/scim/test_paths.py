import random

import pytest

from apps.scim.exceptions import ScimError
from apps.scim.filters import And, AttributePath, Comparison, parse_filter
from apps.scim.paths import PatchPath, matches, parse_path

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def equals(name, value):
    return Comparison(AttributePath(name), "eq", value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("active", PatchPath("active")),
        ("nickName", PatchPath("nickname")),
        ("name.givenName", PatchPath("name", sub_attribute="givenname")),
        (
            'emails[type eq "work"].value',
            PatchPath("emails", value_filter=equals("type", "work"), sub_attribute="value"),
        ),
        (
            'emails[type eq "other"].Value',
            PatchPath("emails", value_filter=equals("type", "other"), sub_attribute="value"),
        ),
        (
            'phoneNumbers[type eq "mobile"].value',
            PatchPath("phonenumbers", value_filter=equals("type", "mobile"), sub_attribute="value"),
        ),
        (
            'addresses[type eq "work"].streetAddress',
            PatchPath(
                "addresses", value_filter=equals("type", "work"), sub_attribute="streetaddress"
            ),
        ),
        (
            'addresses[type eq "other"].Formatted',
            PatchPath("addresses", value_filter=equals("type", "other"), sub_attribute="formatted"),
        ),
        (f"{ENTERPRISE}:manager", PatchPath("manager", schema=ENTERPRISE)),
        (f"{ENTERPRISE}:employeeNumber", PatchPath("employeenumber", schema=ENTERPRISE)),
        (f"{ENTERPRISE}:department", PatchPath("department", schema=ENTERPRISE)),
        (f"{ENTERPRISE}:manager.value", PatchPath("manager", ENTERPRISE, sub_attribute="value")),
        (f"{CORE_USER}:userName", PatchPath("username", schema=CORE_USER)),
        (f"{CORE_USER.lower()}:userName", PatchPath("username", schema=CORE_USER)),
        ("members", PatchPath("members")),
        ('members[value eq "abc"]', PatchPath("members", value_filter=equals("value", "abc"))),
        ('manager[value eq "abc"]', PatchPath("manager", value_filter=equals("value", "abc"))),
        (
            'roles[primary eq "True"].value',
            PatchPath("roles", value_filter=equals("primary", "True"), sub_attribute="value"),
        ),
        (
            "roles[primary eq true].display",
            PatchPath("roles", value_filter=equals("primary", True), sub_attribute="display"),
        ),
        (
            'emails[type eq "work" and primary eq true]',
            PatchPath("emails", value_filter=And(equals("type", "work"), equals("primary", True))),
        ),
        ("  active  ", PatchPath("active")),
    ],
)
def test_path_is_parsed(text, expected):
    assert parse_path(text) == expected


def test_unknown_urn_is_kept_as_sent():
    path = parse_path("urn:example:custom:1.0:User:badge")

    assert (path.schema, path.attribute) == ("urn:example:custom:1.0:User", "badge")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "[",
        '[type eq "work"]',
        "emails[",
        "emails[]",
        'emails[type eq "work"',
        'emails[type eq "work"]]',
        "emails[type eq]",
        'emails[type xx "work"]',
        'emails[type eq "work"].',
        'emails[type eq "work"].value.x',
        'emails[type eq "work"] value',
        'emails[type eq "work"][value eq "x"]',
        'emails[value[type eq "x"]]',
        'name.givenName[type eq "x"]',
        "name.givenName.x",
        "1name",
        "and",
        "active eq true",
        "active extra",
        '"active"',
        "(active)",
        "urn:",
        "x" * 2001,
    ],
)
def test_malformed_path_is_invalid_path(text):
    with pytest.raises(ScimError) as caught:
        parse_path(text)

    assert caught.value.scim_type == "invalidPath"
    assert caught.value.status_code == 400


def test_invalid_path_detail_names_the_problem():
    with pytest.raises(ScimError) as caught:
        parse_path('emails[type xx "work"].value')

    assert "'xx'" in str(caught.value.detail)


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ('type eq "work"', {"type": "work", "value": "a@b"}),
        ('type eq "work"', {"Type": "Work"}),
        ('TYPE EQ "WORK"', {"type": "work"}),
        ('value eq "A@B.example"', {"value": "a@b.example"}),
        ("primary eq true", {"primary": True}),
        ('primary eq "True"', {"primary": True}),
        ("primary eq true", {"primary": "True"}),
        ('primary eq "true"', {"primary": "True"}),
        ("primary eq false", {"primary": "False"}),
        ('type ne "work"', {"type": "home"}),
        ('type ne "work"', {"value": "no type"}),
        ('value co "@B."', {"value": "a@b.example"}),
        ('value sw "A@"', {"value": "a@b.example"}),
        ('value ew ".EXAMPLE"', {"value": "a@b.example"}),
        ('value gt "a"', {"value": "B"}),
        ("value ge 10", {"value": 10}),
        ("value lt 10", {"value": 9.5}),
        ('value le "b"', {"value": "B"}),
        ("display pr", {"display": "Dale"}),
        ("not (display pr)", {"display": ""}),
        ("display eq null", {"value": "x"}),
        ('type eq "work" and primary eq true', {"type": "work", "primary": True}),
        ('type eq "home" or primary eq true', {"type": "work", "primary": True}),
        ('value eq "25"', {"value": 25}),
        ('value eq "abc"', "abc"),
    ],
)
def test_item_matches_value_filter(text, item):
    assert matches(parse_filter(text), item) is True


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ('type eq "work"', {"type": "home"}),
        ('type eq "work"', {}),
        ("primary eq true", {"primary": False}),
        ('primary eq "True"', {"primary": "no"}),
        ("primary eq true", {"primary": "yes"}),
        ('type ne "work"', {"type": "WORK"}),
        ('value co "z"', {"value": "a@b.example"}),
        ("value co 1", {"value": 10}),
        ('value gt "b"', {"value": "A"}),
        ('value gt "a"', {"value": None}),
        ("primary gt false", {"primary": True}),
        ("display pr", {"display": None}),
        ("display pr", {"display": []}),
        ('type eq "work" and primary eq true', {"type": "work", "primary": False}),
        ('not (type eq "work")', {"type": "work"}),
        ('value eq "x"', {"value": {"nested": "x"}}),
    ],
)
def test_item_does_not_match_value_filter(text, item):
    assert matches(parse_filter(text), item) is False


def test_path_value_filter_selects_the_work_email():
    path = parse_path('emails[type eq "Work"].value')
    emails = [{"type": "home", "value": "h@x"}, {"type": "work", "value": "w@x"}]

    assert [email for email in emails if matches(path.value_filter, email)] == [emails[1]]


def test_member_value_filter_matches_the_member_id():
    path = parse_path('members[value eq "7F4B2A4E-0000-4000-8000-000000000001"]')

    assert matches(path.value_filter, {"value": "7f4b2a4e-0000-4000-8000-000000000001"})


def test_any_path_parses_or_is_invalid_path():
    valid = [
        'emails[type eq "work" and value co "@x"].value',
        f'{ENTERPRISE}:manager[value eq "abc"]',
        'roles[primary eq "True" or not (display pr)].display',
    ]
    rng = random.Random(0)
    texts = ["\x00", "\ud800", "[[[[", "]" * 50, "a[" * 40 + "]" * 40, "emails[" + "(" * 40]
    for _ in range(300):
        text = rng.choice(valid)
        start, end = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        texts.append(text[start:end])
    failures = []

    for text in texts:
        try:
            parse_path(text)
        except ScimError as error:
            if error.scim_type != "invalidPath":
                failures.append((text, error.scim_type))
        except Exception as error:  # noqa: BLE001 - collected to name every input that fails
            failures.append((text, repr(error)))

    assert failures == []
