"""Hypothesis strategies for hostile SCIM input: filters, PATCH paths and PATCH bodies.

Each strategy mixes well-formed seeds (what Entra really sends, docs/entra-scim.md §4-6)
with mutations of them and with noise, so the tests reach both the deep code paths that
only valid input reaches and the error paths.
"""

import json

from hypothesis import strategies as st

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

ATTRIBUTES = [
    "userName",
    "UserName",
    "externalId",
    "id",
    "displayName",
    "active",
    "title",
    "name",
    "name.givenName",
    "name.FamilyName",
    "emails",
    "emails.value",
    "emails.type",
    "phoneNumbers",
    "addresses",
    "roles",
    "roles.value",
    "members",
    "members.value",
    "meta.created",
    "meta.lastModified",
    f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:manager.value",
    f"{ENTERPRISE}:department",
    f"{ENTERPRISE}.manager",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:x:unknown:attr",
    "$ref",
    "x",
]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Eq"]
VALUES = [
    '"ann@contoso.com"',
    '"2025-01-31T12:00:00Z"',
    '"99999-01-01T00:00:00Z"',
    '"2819c223-7f76-453a-919d-413861904646"',
    '"\\u0000"',
    '"\\ud800"',
    '"\\"quoted\\""',
    '"%_\\\\"',
    '""',
    "true",
    "False",
    "null",
    "42",
    "-1.5e300",
    "1e999",
    "123456789012345678901234567890",
    "bare-word",
]
PUNCTUATION = ["(", ")", "[", "]", ".", '"', "\\", " ", "  ", "\t", "\u0000", "Ω", "😀"]


def _join(parts: list[str]) -> str:
    return " ".join(parts)


comparison = st.builds(
    lambda a, o, v: f"{a} {o} {v}",
    st.sampled_from(ATTRIBUTES),
    st.sampled_from(OPERATORS),
    st.sampled_from(VALUES),
)
# Comparisons that type-check, so that the Q translation and the database see many filters.
STRING_VALUES = ['"ann@contoso.com"', '"a%_\\\\b"', '""', '"Ω😀"', "bare-word", "42"]
TYPED = [
    (
        "userName displayName externalId title name.givenName emails emails.value emails.type "
        f"phoneNumbers.value roles roles.value value description {ENTERPRISE}:department",
        STRING_VALUES,
        OPERATORS,
    ),
    ("active emails.primary", ["true", "false", '"True"', "null"], ["eq", "ne"]),
    (
        "id members members.value " + f"{ENTERPRISE}:manager",
        ['"2819c223-7f76-453a-919d-413861904646"', '"not-a-uuid"', "null"],
        ["eq", "ne"],
    ),
    (
        "meta.created meta.lastModified",
        ['"2025-01-31T12:00:00Z"', '"2025-01-31T12:00:00+05:00"', '"2025-01-31"'],
        ["eq", "ne", "gt", "ge", "lt", "le"],
    ),
]
typed_comparison = st.sampled_from(TYPED).flatmap(
    lambda group: st.builds(
        lambda a, o, v: f"{a} {o} {v}",
        st.sampled_from(group[0].split()),
        st.sampled_from(group[2]),
        st.sampled_from(group[1]),
    )
)
present = st.builds(lambda a: f"{a} pr", st.sampled_from(ATTRIBUTES))
value_path = st.builds(
    lambda a, inner, sub: f"{a}[{inner}]{sub}",
    st.sampled_from(["emails", "phoneNumbers", "addresses", "members", "roles", "name", "x"]),
    st.one_of(typed_comparison, comparison),
    st.sampled_from(["", ".value", ".type", ".display", ".x"]),
)
well_formed_filters = st.recursive(
    st.one_of(typed_comparison, typed_comparison, comparison, present, value_path),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} and {b}", inner, inner),
        st.builds(lambda a, b: f"{a} or {b}", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
        st.builds(lambda a: f"({a})", inner),
    ),
    max_leaves=12,
)
TOKENS = [*ATTRIBUTES, *OPERATORS, *VALUES, *PUNCTUATION, "pr", "and", "or", "not"]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=25).map(_join)


@st.composite
def mutated(draw, seeds):
    """A seed text with a few characters inserted, deleted or replaced."""
    text = draw(seeds)
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.one_of(st.sampled_from(PUNCTUATION), st.characters()))
        if edit == "insert":
            text = text[:position] + char + text[position:]
        elif edit == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + char + text[position + 1 :]
    return text


filters = st.one_of(
    well_formed_filters,
    well_formed_filters,
    mutated(well_formed_filters),
    token_soup,
    st.text(max_size=120),
)

# --- PATCH ---

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PATHS = [
    "active",
    "title",
    "displayName",
    "userName",
    "externalId",
    "nickName",
    "name",
    "name.givenName",
    "name.familyName",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    "emails",
    'phoneNumbers[type eq "mobile"].value',
    'addresses[type eq "work"].formatted',
    'addresses[type eq "work"].streetAddress',
    "roles",
    'roles[primary eq "True"].value',
    'roles[primary eq "True"].display',
    f"{ENTERPRISE}:manager",
    f"{ENTERPRISE}:department",
    ENTERPRISE,
    "manager",
    'manager[value eq "2819c223-7f76-453a-919d-413861904646"]',
    "members",
    'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
    "id",
    "meta",
    "groups",
    "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:badge",
]
OPS = ["add", "Add", "replace", "Replace", "remove", "Remove", "REMOVE", "merge", ""]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["True", "False", "false", "agent", "admin", "end-user", "\u0000", "x" * 400]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["value", "Value", "type", "primary", "display", "$ref", "x", *PATHS]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=10,
)


def entra_operations(user_ids: list[str]):
    """Operations in the shapes Entra sends, for users and groups, with real ids."""
    ids = st.sampled_from(user_ids)
    role_json = st.builds(
        lambda v: json.dumps({"id": "06b07648", "value": v, "displayName": v}),
        st.sampled_from(["agent", "admin", "end-user", "Nope"]),
    )
    return st.one_of(
        st.builds(
            lambda op, v: {"op": op, "path": "active", "value": v},
            st.sampled_from(["Replace", "Add", "replace"]),
            st.sampled_from(["True", "False", True, False, "false"]),
        ),
        st.builds(
            lambda p, v: {"op": "Replace", "path": p, "value": v},
            st.sampled_from(PATHS[:15]),
            st.text(max_size=30),
        ),
        st.builds(lambda i: {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": i}, ids),
        st.builds(lambda i: {"op": "remove", "path": f'manager[value eq "{i}"]'}, ids),
        st.builds(lambda v: {"op": "Add", "path": "roles", "value": [{"value": v}]}, role_json),
        st.builds(
            lambda v: {"op": "replace", "path": 'roles[primary eq "True"].value', "value": v},
            st.sampled_from(["agent", "admin", "end-user", ""]),
        ),
        st.builds(
            lambda g, f: {"op": "replace", "value": {"name.givenName": g, "displayName": f}},
            st.text(max_size=20),
            st.text(max_size=20),
        ),
        st.builds(
            lambda op, i: {"op": op, "path": "members", "value": [{"$ref": None, "value": i}]},
            st.sampled_from(["Add", "Remove", "replace"]),
            ids,
        ),
        st.builds(lambda i: {"op": "remove", "path": f'members[value eq "{i}"]'}, ids),
    )


@st.composite
def mutated_operation(draw, seeds):
    """An operation with its op, path or value swapped for something odd, or a key dropped."""
    operation = dict(draw(seeds))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(["op", "path", "value", "drop", "extra"]))
        if key == "op":
            operation["op"] = draw(st.one_of(st.sampled_from(OPS), json_scalars))
        elif key == "path":
            operation["path"] = draw(
                st.one_of(st.sampled_from(PATHS), mutated(st.sampled_from(PATHS)), json_values)
            )
        elif key == "value":
            operation["value"] = draw(json_values)
        elif key == "drop" and operation:
            operation.pop(draw(st.sampled_from(sorted(operation))))
        else:
            operation[draw(st.sampled_from(["x", "PATH", "Value"]))] = draw(json_scalars)
    return operation


def patch_bodies(user_ids: list[str]):
    seeds = entra_operations(user_ids)
    operation = st.one_of(seeds, mutated_operation(seeds), json_values)

    def body(operations):
        return st.builds(lambda ops: {"schemas": [PATCH_OP], "Operations": ops}, operations)

    as_entra_sends = body(st.lists(seeds, min_size=1, max_size=3))
    mutated_body = body(st.lists(operation, max_size=4))
    odd_body = st.builds(
        lambda schemas, ops: {"schemas": schemas, "Operations": ops}, json_values, json_values
    )
    return st.one_of(as_entra_sends, mutated_body, mutated_body, odd_body, json_values)


# --- whole resources (POST, PUT) and query parameters ---

USER_KEYS = [
    "userName",
    "externalId",
    "displayName",
    "active",
    "title",
    "name",
    "emails",
    "phoneNumbers",
    "addresses",
    "roles",
    "meta",
    "schemas",
    "id",
    "groups",
    "password",
    ENTERPRISE,
    f"{ENTERPRISE}:department",
    "name.givenName",
    "x",
]
entra_user_body = st.fixed_dictionaries(
    {
        "schemas": st.just(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]),
        "userName": st.text(min_size=1, max_size=30),
        "active": st.sampled_from([True, False, "True", "False"]),
        "emails": st.just([{"primary": True, "type": "work", "value": "x@contoso.com"}]),
        "name": st.fixed_dictionaries({"givenName": st.text(max_size=10)}),
        "roles": st.sampled_from([[], [{"value": "agent"}], [{"primary": True, "value": "Admin"}]]),
    }
)


@st.composite
def mutated_resource(draw, seeds):
    body = dict(draw(seeds))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(USER_KEYS))
        if draw(st.booleans()) and key in body:
            body.pop(key)
        else:
            body[key] = draw(json_values)
    return body


resource_bodies = st.one_of(entra_user_body, mutated_resource(entra_user_body), json_values)
group_bodies = st.one_of(
    st.fixed_dictionaries({"displayName": st.text(min_size=1, max_size=20)}),
    mutated_resource(st.fixed_dictionaries({"displayName": st.text(min_size=1, max_size=20)})),
    json_values,
)
ATTRIBUTE_LISTS = ["userName", "emails.value", "name", ENTERPRISE, f"{ENTERPRISE}:manager", "x.y.z"]
query_parameters = st.dictionaries(
    st.sampled_from(["filter", "attributes", "excludedAttributes", "startIndex", "count", "x"]),
    st.one_of(
        filters,
        st.lists(st.sampled_from(ATTRIBUTE_LISTS), max_size=3).map(",".join),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(max_size=20),
    ),
    max_size=4,
)
