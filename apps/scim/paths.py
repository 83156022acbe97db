"""PATCH paths (RFC 7644 §3.5.2) and matching their value filters against one item in memory."""

import operator
from dataclasses import dataclass, field
from typing import Any

from apps.scim.filters import And, Comparison, Node, Not, Or, Present, ValuePath, parse_value_path


@dataclass(frozen=True)
class PatchPath:
    """`[schema:]attribute[.sub]` or `attribute[valueFilter][.sub]`, names lower-cased.

    `schema` is the canonical spelling of a known URN (mapping.SCHEMA_URNS), else as sent;
    `text` is the path as sent, for messages.
    """

    attribute: str
    schema: str | None = None
    value_filter: Node | None = None
    sub_attribute: str | None = None
    text: str = field(default="", compare=False)

    def __post_init__(self):
        if not self.text:
            object.__setattr__(self, "text", self.attribute)


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH operation's path; a malformed one is a ScimError with scimType invalidPath."""
    path, value_filter, bracket_sub_attribute = parse_value_path(
        text, scim_type="invalidPath", what="The path"
    )
    return PatchPath(
        attribute=path.attribute,
        schema=path.schema,
        value_filter=value_filter,
        sub_attribute=path.sub_attribute or bracket_sub_attribute,
        text=text,
    )


def matches(node: Node, item) -> bool:
    """Whether one item of a multi-valued attribute (a dict) satisfies a value filter.

    Attribute names and string values compare case-insensitively (the sub-attributes Entra
    filters on, type, value, primary and display, are caseExact false), and "True"/"true"/true
    are the same boolean. An item that is not a dict is treated as {"value": item}.
    """
    if not isinstance(item, dict):
        item = {"value": item}
    match node:
        case And(left, right):
            return matches(left, item) and matches(right, item)
        case Or(left, right):
            return matches(left, item) or matches(right, item)
        case Not(operand):
            return not matches(operand, item)
    return _matches_path(node, item)


def _matches_path(node: Node, item: dict) -> bool:
    """matches() for a node that names an attribute: present, a comparison or a value path."""
    match node:
        case Present(path):
            return _is_present(_value_of(item, path.attribute, path.sub_attribute))
        case Comparison(path, operator, expected):
            actual = _value_of(item, path.attribute, path.sub_attribute)
            return _compare(actual, operator, expected)
        case ValuePath(path, inner):
            values = _value_of(item, path.attribute, path.sub_attribute)
            if not isinstance(values, list):
                values = [] if values is None else [values]
            return any(matches(inner, value) for value in values)
    raise TypeError(node)


def eq_terms(node: Node) -> dict[str, Any]:
    """{sub-attribute: value} for the `eq` comparisons of a value filter joined by `and`."""
    if isinstance(node, Comparison) and node.operator == "eq":
        return {node.path.attribute: node.value}
    if isinstance(node, And):
        return {**eq_terms(node.left), **eq_terms(node.right)}
    return {}


def _get(item, name: str):
    if not isinstance(item, dict):
        return None
    for key, value in item.items():
        if isinstance(key, str) and key.lower() == name:
            return value
    return None


def _value_of(item: dict, attribute: str, sub_attribute: str | None):
    value = _get(item, attribute)
    return _get(value, sub_attribute) if sub_attribute else value


def _is_present(value) -> bool:
    return value not in (None, "", [], {})


def _as_boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TEXT_OPERATORS = {
    "co": lambda left, right: right in left,
    "sw": str.startswith,
    "ew": str.endswith,
}
_ORDER_OPERATORS = {
    "eq": operator.eq,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _compare(actual, op: str, expected) -> bool:
    if op == "ne":
        return not _compare(actual, "eq", expected)
    if expected is None:
        return op == "eq" and not _is_present(actual)
    if actual is None or isinstance(actual, dict | list):
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        actual, expected = _as_boolean(actual), _as_boolean(expected)
        return op == "eq" and actual is not None and actual == expected
    return _compare_values(actual, op, expected)


def _compare_values(actual, op: str, expected) -> bool:
    """Two present, non-boolean values: as numbers, else as case-folded text."""
    left, right = _comparable(actual, expected)
    if op in _TEXT_OPERATORS:
        return isinstance(left, str) and _TEXT_OPERATORS[op](left, right)
    return op in _ORDER_OPERATORS and _ORDER_OPERATORS[op](left, right)


def _comparable(actual, expected) -> tuple:
    """Two numbers as they are; anything else as case-folded text."""
    if _is_number(actual) and _is_number(expected):
        return actual, expected
    return _text(actual).casefold(), _text(expected).casefold()


def _text(value) -> str:
    if _is_number(value):
        return repr(value)
    return str(value)
