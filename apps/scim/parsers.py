"""The SCIM request body parser: JSON, bounded in size and nesting, one value per name.

Python's JSON decoder recurses once per nesting level, so a body of a few thousand
brackets would exhaust the interpreter's stack; the depth is measured before decoding,
with regular expressions that never recurse. Names are compared case-insensitively, as
SCIM attribute names are (RFC 7643 §2.1): `{"userName": "a", "UserName": "b"}` names one
attribute twice, and which value a server keeps would be a guess.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from django.conf import settings
from rest_framework.parsers import JSONParser

from apps.scim.exceptions import ScimError, body_too_large, shown
from apps.scim.media import SCIM_MEDIA_TYPE

# The deepest SCIM body is a PatchOp (body → Operations → operation → value → extension →
# manager), six levels; anything near this limit is an attack on the decoder, not a resource.
MAX_JSON_DEPTH = 32

# A JSON string (escapes included) and everything that is not a bracket, removed in turn.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text; brackets inside strings do not count."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _object(pairs: list[tuple[str, object]]) -> dict:
    seen: set[str] = set()
    for key, _ in pairs:
        folded = key.lower()
        if folded in seen:
            raise ScimError(
                f"The name {shown(key)} appears twice in one object (names are case-insensitive).",
                scim_type="invalidSyntax",
            )
        seen.add(folded)
    return dict(pairs)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def parse_json_body(raw: bytes):
    """Decode a request body; every problem is a ScimError (400 invalidSyntax, or 413)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and len(raw) > limit:
        raise body_too_large()
    try:
        # JSON is UTF-8 (RFC 8259 §8.1), whatever charset the Content-Type names.
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScimError(
            f"The request body is not UTF-8 (byte {error.start + 1} is invalid).",
            scim_type="invalidSyntax",
        ) from None
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise ScimError(
            f"The request body nests arrays and objects more than {MAX_JSON_DEPTH} levels deep.",
            scim_type="invalidSyntax",
        )
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_refuse_constant)
    except ValueError as error:
        raise ScimError(
            f"The request body is not valid JSON: {error}.", scim_type="invalidSyntax"
        ) from None


class BoundedJSONParser(JSONParser):
    """application/json, which Entra's older requests send, with the same guards."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        return parse_json_body(raw)


class ScimJSONParser(BoundedJSONParser):
    media_type = SCIM_MEDIA_TYPE
