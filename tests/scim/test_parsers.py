"""The SCIM body parser on its own: depth, size and duplicate names are refused before decoding."""

import io

import pytest

from apps.scim.exceptions import ScimError
from apps.scim.parsers import MAX_JSON_DEPTH, ScimJSONParser, nesting_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('"[[[["', 0),
        ('{"a": "\\"[[[["}', 1),
        ('{"a": "\\\\", "b": [[]]}', 3),
        ("[][][]", 1),
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth


def test_the_deepest_allowed_body_parses():
    raw = ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode()

    parsed = ScimJSONParser().parse(io.BytesIO(raw))

    assert isinstance(parsed, list)


def test_one_level_more_is_refused():
    raw = ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode()

    with pytest.raises(ScimError) as error:
        ScimJSONParser().parse(io.BytesIO(raw))

    assert error.value.scim_type == "invalidSyntax"


def test_a_million_levels_are_refused_without_recursion():
    raw = b"[" * 1_000_000

    with pytest.raises(ScimError) as error:
        ScimJSONParser().parse(io.BytesIO(raw))

    assert "levels deep" in str(error.value.detail)


def test_the_parser_reads_no_more_than_the_upload_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    stream = io.BytesIO(b'{"a": "' + b"x" * 1_000 + b'"}')

    with pytest.raises(ScimError) as error:
        ScimJSONParser().parse(stream)

    assert error.value.status_code == 413
    assert stream.tell() == 101
