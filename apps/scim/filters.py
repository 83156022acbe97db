"""SCIM filters (RFC 7644 §3.4.2.2): a parser into a small AST and its translation into Q objects.

The parser is hand-written (tokenizer + recursive descent); nothing is evaluated. Every problem
with the text, or with what it asks of an attribute, is a ScimError with scimType invalidFilter,
so a filter can never cause a 500.
"""

import json
import operator
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import reduce
from typing import NoReturn

from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils.dateparse import parse_datetime

from apps.scim.exceptions import ScimError
from apps.scim.mapping import (
    BOOLEAN,
    DATETIME,
    RESOURCES,
    SCHEMA_URNS,
    STRING,
    UUID,
    Column,
    Resource,
)
from apps.users.names import lookup_form

MAX_FILTER_LENGTH = 2000
MAX_DEPTH = 32

COMPARISON_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
KEYWORDS = COMPARISON_OPERATORS | {"pr", "and", "or", "not"}

_ATTRIBUTE_NAME = re.compile(r"\$?[A-Za-z][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


# --- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributePath:
    """`[schema:]attribute[.subAttribute]`, names lower-cased; `text` keeps the spelling sent."""

    attribute: str
    sub_attribute: str | None = None
    schema: str | None = None
    text: str = field(default="", compare=False)

    def __str__(self):
        if self.text:
            return self.text
        name = f"{self.attribute}.{self.sub_attribute}" if self.sub_attribute else self.attribute
        return f"{self.schema}:{name}" if self.schema else name


@dataclass(frozen=True)
class Comparison:
    path: AttributePath
    operator: str  # one of COMPARISON_OPERATORS, lower-case
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Present:
    path: AttributePath


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class ValuePath:
    """`emails[type eq "work"]`: some item of a multi-valued (or complex) attribute matches.

    `emails[type eq "work"].value eq "x"` parses as the value path
    `emails[type eq "work" and value eq "x"]`: both must hold for the same item.
    """

    path: AttributePath
    filter: "Node"


Node = Comparison | Present | And | Or | Not | ValuePath


# --- Tokenizer and parser ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "(", ")", "[", "]" or "end"
    text: str
    position: int  # 0-based offset in the text


def _tokenize(text: str, fail) -> list[_Token]:
    tokens = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()[]":
            tokens.append(_Token(char, char, index))
            index += 1
        elif char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= length:
                fail(f"the string starting at position {index + 1} is not closed")
            tokens.append(_Token("string", text[index : end + 1], index))
            index = end + 1
        else:
            end = index
            while end < length and not text[end].isspace() and text[end] not in '()[]"':
                end += 1
            tokens.append(_Token("word", text[index:end], index))
            index = end
    tokens.append(_Token("end", "", length))
    return tokens


def _checked_string(value: str, position: int, fail) -> str:
    # The database drivers reject NUL characters and lone surrogates with their own errors.
    if "\x00" in value:
        fail(f"the value at position {position + 1} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        fail(f"the value at position {position + 1} is not valid Unicode")
    return value


def _split_schema(text: str) -> tuple[str | None, str]:
    """Split `urn:...:User:manager.value` into the schema URN and the attribute part."""
    if not text.lower().startswith("urn:"):
        return None, text
    for schema in SCHEMA_URNS:
        # A dot after a known URN (`...:2.0:User.manager`) is an old Entra spelling of the colon.
        if text.lower().startswith(schema.lower()) and text[len(schema) : len(schema) + 1] in (
            ":",
            ".",
        ):
            return schema, text[len(schema) + 1 :]
    schema, _, rest = text.rpartition(":")
    return schema, rest


class _Parser:
    def __init__(self, text: str, scim_type: str, what: str):
        self.text = text
        self.scim_type = scim_type
        self.what = what
        self.tokens = _tokenize(text, self.fail)
        self.index = 0
        self.depth = 0
        self.in_value_filter = False

    def fail(self, detail: str) -> NoReturn:
        raise ScimError(
            f"{self.what} {self.text!r} is not valid: {detail}.", scim_type=self.scim_type
        )

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def describe(self, token: _Token) -> str:
        if token.kind == "end":
            return "the end of the text"
        return f"{token.text!r} at position {token.position + 1}"

    def is_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.lower() == word

    def expect(self, kind: str, what: str) -> _Token:
        token = self.advance()
        if token.kind != kind:
            self.fail(f"expected {what}, found {self.describe(token)}")
        return token

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"it is nested more than {MAX_DEPTH} levels deep")

    def leave(self):
        self.depth -= 1

    # filter = orExpression
    def parse_filter(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            self.fail(f"expected 'and', 'or' or the end, found {self.describe(token)}")
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_keyword("or"):
            self.advance()
            node = Or(node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.is_keyword("and"):
            self.advance()
            node = And(node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.is_keyword("not"):
            self.advance()
            self.enter()
            operand = self.parse_not()
            self.leave()
            return Not(operand)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.advance()
        if token.kind == "(":
            self.enter()
            node = self.parse_or()
            self.expect(")", "')'")
            self.leave()
            return node
        if token.kind != "word" or token.text.lower() in KEYWORDS:
            self.fail(f"expected an attribute name or '(', found {self.describe(token)}")
        path = self.attribute_path(token)
        if self.peek().kind == "[":
            return self.parse_value_path(path, token)
        return self.parse_attribute_expression(path)

    def parse_value_path(self, path: AttributePath, token: _Token) -> Node:
        inner = self.value_filter(path, token)
        sub_attribute = self.bracket_sub_attribute()
        if sub_attribute is None:
            return ValuePath(path, inner)
        term = self.parse_attribute_expression(sub_attribute)
        return ValuePath(path, And(inner, term))

    def value_filter(self, path: AttributePath, token: _Token) -> Node:
        """Parse `[valFilter]` after the attribute `path`."""
        bracket = self.advance()
        if self.in_value_filter:
            self.fail(
                f"a value filter cannot be nested in another (position {bracket.position + 1})"
            )
        if path.sub_attribute is not None:
            self.fail(
                f"{self.describe(token)} has a sub-attribute, so it cannot take a value filter"
            )
        self.enter()
        self.in_value_filter = True
        inner = self.parse_or()
        self.in_value_filter = False
        self.expect("]", "']' to close the value filter")
        self.leave()
        return inner

    def bracket_sub_attribute(self) -> AttributePath | None:
        """The `.value` right after `]`, if any."""
        token = self.peek()
        closing = self.tokens[self.index - 1]
        if not (
            token.kind == "word"
            and token.text.startswith(".")
            and token.position == closing.position + 1
        ):
            return None
        self.advance()
        name = token.text[1:]
        if not _ATTRIBUTE_NAME.fullmatch(name):
            self.fail(f"{self.describe(token)} is not a valid sub-attribute name")
        return AttributePath(name.lower(), text=name)

    def parse_attribute_expression(self, path: AttributePath) -> Node:
        token = self.advance()
        word = token.text.lower() if token.kind == "word" else ""
        if word == "pr":
            return Present(path)
        if word not in COMPARISON_OPERATORS:
            self.fail(
                f"expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after {path}, "
                f"found {self.describe(token)}"
            )
        return Comparison(path, word, self.parse_value())

    def parse_value(self) -> str | int | float | bool | None:
        token = self.advance()
        if token.kind == "string":
            try:
                value = json.loads(token.text)
            except ValueError:
                self.fail(f"the string at position {token.position + 1} is not a valid JSON string")
            return _checked_string(value, token.position, self.fail)
        if token.kind != "word":
            self.fail(f"expected a value, found {self.describe(token)}")
        word = token.text.lower()
        if word in ("true", "false"):
            return word == "true"
        if word == "null":
            return None
        if _NUMBER.fullmatch(token.text):
            return json.loads(token.text)
        if word in KEYWORDS:
            self.fail(f"expected a value, found {self.describe(token)}")
        # Older Entra requests send ids unquoted (`manager eq 1234-abcd`): a bare word is a string.
        return _checked_string(token.text, token.position, self.fail)

    def attribute_path(self, token: _Token) -> AttributePath:
        schema, rest = _split_schema(token.text)
        if self.in_value_filter and schema:
            self.fail(
                f"{self.describe(token)}: a value filter names sub-attributes without a schema"
            )
        parts = rest.split(".")
        if len(parts) > 2 or not all(_ATTRIBUTE_NAME.fullmatch(part) for part in parts):
            self.fail(f"{self.describe(token)} is not a valid attribute path")
        sub_attribute = parts[1].lower() if len(parts) == 2 else None
        return AttributePath(parts[0].lower(), sub_attribute, schema, text=token.text)


def _parser(text: str, scim_type: str, what: str) -> _Parser:
    if not isinstance(text, str):
        raise ScimError(f"{what} must be a string.", scim_type=scim_type)
    if len(text) > MAX_FILTER_LENGTH:
        raise ScimError(
            f"{what} is longer than {MAX_FILTER_LENGTH} characters.", scim_type=scim_type
        )
    if not text.strip():
        raise ScimError(f"{what} is empty.", scim_type=scim_type)
    return _Parser(text, scim_type, what)


def parse_filter(text: str) -> Node:
    """Parse a filter into its AST; a problem is a ScimError with scimType invalidFilter."""
    return _parser(text, "invalidFilter", "The filter").parse_filter()


def parse_value_path(text: str, *, scim_type: str, what: str):
    """Parse `attrPath[valFilter][.subAttr]` (a PATCH path); see apps.scim.paths.parse_path."""
    parser = _parser(text, scim_type, what)
    token = parser.advance()
    if token.kind != "word" or token.text.lower() in KEYWORDS:
        parser.fail(f"expected an attribute name, found {parser.describe(token)}")
    path = parser.attribute_path(token)
    value_filter = sub_attribute = None
    if parser.peek().kind == "[":
        value_filter = parser.value_filter(path, token)
        sub = parser.bracket_sub_attribute()
        sub_attribute = sub.attribute if sub else None
    end = parser.peek()
    if end.kind != "end":
        parser.fail(f"unexpected {parser.describe(end)}")
    return path, value_filter, sub_attribute


# --- Attribute tables, from the map ----------------------------------------------------------


@dataclass(frozen=True)
class Related:
    """A multi-valued attribute stored as rows of another model, matched with Exists()."""

    model: type[Model]
    owner: str  # the foreign key from the related row to the filtered row
    attributes: dict[str, Column]
    default: str = "value"  # `emails eq "x"` means `emails.value eq "x"`


def attribute_table(resource: Resource) -> dict[str, Column | Related]:
    """Lower-case attribute path → where to find it; extension paths carry their schema URN."""
    table: dict[str, Column | Related] = {}
    for urn, attribute in resource.attributes():
        base = attribute.key if urn == resource.schema else f"{urn.lower()}:{attribute.key}"
        subs = {sub.key: sub.filter for sub in attribute.sub_attributes if sub.filter}
        if attribute.rows is not None:
            table[base] = Related(attribute.rows.model, attribute.rows.owner, subs)
            continue
        if attribute.filter is not None:
            table[base] = attribute.filter
        table.update({f"{base}.{key}": column for key, column in subs.items()})
    return table


TABLES = {name: attribute_table(resource) for name, resource in RESOURCES.items()}


# --- Translation into Q objects --------------------------------------------------------------


def _invalid(detail: str) -> NoReturn:
    raise ScimError(detail, scim_type="invalidFilter")


def _any(queries) -> Q:
    return reduce(operator.or_, queries)


def _string_value(value, name: str) -> str:
    if isinstance(value, bool):
        _invalid(f"'{name}' is a string attribute; compare it with a quoted string, not {value}.")
    if isinstance(value, int | float):
        return json.dumps(value)
    return value


def _boolean_value(value, name: str) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        _invalid(f"'{name}' is a boolean attribute; compare it with true or false.")
    return value


def _datetime_value(value, name: str) -> datetime:
    example = '"2025-01-31T12:00:00Z"'
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        _invalid(f"'{name}' is a date-time; compare it with an ISO 8601 value such as {example}.")
    return moment


def _present(column: Column) -> Q:
    if column.kind == STRING:
        return _any(
            Q(**{f"{lookup}__isnull": False}) & ~Q(**{lookup: ""}) for lookup in column.lookups
        )
    return _any(Q(**{f"{lookup}__isnull": False}) for lookup in column.lookups)


_LIKE = {"co": "contains", "sw": "startswith", "ew": "endswith"}
_ORDER_LOOKUP = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def _compare(column: Column, op: str, value, name: str) -> Q:
    if op == "ne":
        return ~_compare(column, "eq", value, name)
    if value is None:
        if op == "eq":
            return ~_present(column)
        _invalid(f"'{op}' cannot compare '{name}' with null.")
    return _COMPARE_BY_KIND[column.kind](column, op, value, name)


def _compare_boolean(column: Column, op: str, value, name: str) -> Q:
    if op != "eq":
        _invalid(f"'{name}' is a boolean attribute: only eq, ne and pr apply, not '{op}'.")
    return _any(Q(**{lookup: _boolean_value(value, name)}) for lookup in column.lookups)


def _compare_uuid(column: Column, op: str, value, name: str) -> Q:
    if op != "eq":
        _invalid(f"'{name}' is an id: only eq, ne and pr apply, not '{op}'.")
    try:
        identifier = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        identifier = None
    if identifier is None:
        # Not one of our ids, so no row has it (Test Connection sends random values).
        return Q(pk__in=[])
    return _any(Q(**{lookup: identifier}) for lookup in column.lookups)


def _compare_datetime(column: Column, op: str, value, name: str) -> Q:
    if op in _LIKE:
        _invalid(f"'{name}' is a date-time: '{op}' does not apply; use eq, ne, gt, ge, lt or le.")
    moment = _datetime_value(value, name)
    suffix = "" if op == "eq" else f"__{_ORDER_LOOKUP[op]}"
    return _any(Q(**{f"{lookup}{suffix}": moment}) for lookup in column.lookups)


def _compare_text(column: Column, op: str, value, name: str) -> Q:
    text = _string_value(value, name)
    return _compare_string(column, op, lookup_form(text) if column.lookup_form else text)


_COMPARE_BY_KIND = {
    STRING: _compare_text,
    BOOLEAN: _compare_boolean,
    UUID: _compare_uuid,
    DATETIME: _compare_datetime,
}


def _compare_string(column: Column, op: str, value: str) -> Q:
    values = {value, value.replace("_", " ")} if column.underscores_as_spaces else {value}
    return _any(
        _string_lookup(lookup, op, literal, column.case_exact)
        for lookup in column.lookups
        for literal in sorted(values)
    )


def _string_lookup(lookup: str, op: str, value: str, case_exact: bool) -> Q:
    if op == "eq":
        if case_exact:
            return Q(**{lookup: value})
        # LOWER(column) = LOWER(value) can use the functional LOWER() indexes.
        return Q(**{f"{lookup}__lower": Lower(Value(value))})
    if op in _LIKE:
        return Q(**{f"{lookup}__{'' if case_exact else 'i'}{_LIKE[op]}": value})
    # An empty column is an unassigned attribute, which no ordering comparison matches.
    assigned = ~Q(**{lookup: ""})
    if case_exact:
        return assigned & Q(**{f"{lookup}__{_ORDER_LOOKUP[op]}": value})
    return assigned & Q(**{f"{lookup}__lower__{_ORDER_LOOKUP[op]}": Lower(Value(value))})


class _Compiler:
    """Turn an AST into a Q for one attribute table (a resource's, or a related model's)."""

    def __init__(self, resource: str, table: dict, schemas: tuple[str, ...] = ()):
        self.resource = resource
        self.table = table
        self.core_schema = schemas[0] if schemas else None
        self.extensions = schemas[1:]

    def compile(self, node: Node) -> Q:
        match node:
            case And(left, right):
                return self.compile(left) & self.compile(right)
            case Or(left, right):
                return self.compile(left) | self.compile(right)
            case Not(operand):
                return ~self.compile(operand)
            case Present(path):
                return self.attribute_query(path, lambda column, name: _present(column))
            case Comparison(path, op, value):
                return self.attribute_query(
                    path, lambda column, name: _compare(column, op, value, name)
                )
            case ValuePath(path, inner):
                return self.value_path(path, inner)
        raise TypeError(node)

    def bases(self, path: AttributePath) -> list[str]:
        """Table keys the attribute (without sub-attribute) may be stored under."""
        if path.schema is None:
            return [path.attribute] + [f"{urn.lower()}:{path.attribute}" for urn in self.extensions]
        schema = path.schema.lower()
        if self.core_schema and schema == self.core_schema.lower():
            return [path.attribute]
        if schema in (urn.lower() for urn in self.extensions):
            return [f"{schema}:{path.attribute}"]
        return []

    def unknown(self, path: AttributePath) -> NoReturn:
        for base in self.bases(path):
            if path.sub_attribute is None and any(key.startswith(base + ".") for key in self.table):
                _invalid(
                    f"'{path}' is a complex attribute; filter on one of its sub-attributes "
                    f"(for example '{path}.{self.sub_keys(base)[0]}')."
                )
        where = f" of {self.resource}" if self.resource else ""
        _invalid(f"The attribute '{path}'{where} cannot be filtered on.")

    def sub_keys(self, base: str) -> list[str]:
        return [key[len(base) + 1 :] for key in self.table if key.startswith(base + ".")]

    def attribute_query(self, path: AttributePath, build) -> Q:
        for base in self.bases(path):
            full = f"{base}.{path.sub_attribute}" if path.sub_attribute else base
            entry = self.table.get(full)
            if isinstance(entry, Column):
                return build(entry, str(path))
            entry = self.table.get(base)
            if isinstance(entry, Related):
                sub = path.sub_attribute or entry.default
                column = entry.attributes.get(sub)
                if column is None:
                    self.unknown(path)
                # Some value must match (RFC 7644 §3.4.2.2), so `emails ne "x"` is
                # "has an email other than x", not "has no email x".
                rows = build(column, str(path))
                return self.exists(entry, rows)
        self.unknown(path)

    def value_path(self, path: AttributePath, inner: Node) -> Q:
        for base in self.bases(path):
            entry = self.table.get(base)
            if isinstance(entry, Related):
                where = f"{path}[...]"
                rows = _Compiler(where, entry.attributes).compile(inner)
                return self.exists(entry, rows)
            sub_table = {sub: self.table[f"{base}.{sub}"] for sub in self.sub_keys(base)}
            if sub_table:
                # A complex attribute on the row itself (manager[value eq "..."], name[...]).
                return _Compiler(f"{path}[...]", sub_table).compile(inner)
        if any(base in self.table for base in self.bases(path)):
            _invalid(f"'{path}' has no sub-attributes, so it cannot take a value filter.")
        self.unknown(path)

    @staticmethod
    def exists(related: Related, rows: Q) -> Q:
        # Exists() rather than a join: one row per resource, no DISTINCT. The tenant leads
        # every index of the related rows.
        matching = related.model._default_manager.filter(
            tenant_id=OuterRef("tenant_id"), **{related.owner: OuterRef("pk")}
        ).filter(rows)
        return Q(Exists(matching))


def filter_q(filter_text: str, resource: str) -> Q:
    """The Q object for a filter on "User", "Group" or "Role"; raises ScimError (invalidFilter)."""
    schemas = tuple(RESOURCES[resource].schemas)
    return _Compiler(resource, TABLES[resource], schemas).compile(parse_filter(filter_text))


def name_sought(filter_text: str, attribute: str) -> str | None:
    """The value of `<attribute> eq "…"` (a unique name: Entra's userName and displayName
    lookups before each create), else None; `attribute` lower-case, as parsed."""
    node = parse_filter(filter_text)
    if not isinstance(node, Comparison) or node.operator != "eq":
        return None
    path = node.path
    if (path.attribute, path.sub_attribute, path.schema) != (attribute, None, None):
        return None
    return node.value if isinstance(node.value, str) else None


def filter_queryset(queryset: QuerySet, filter_text: str, resource: str) -> QuerySet:
    """Narrow `queryset` (already scoped to the tenant) by a SCIM filter, in the database."""
    return queryset.filter(filter_q(filter_text, resource))
