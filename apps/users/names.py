"""The one test of a name people are found by (a userName, an email single sign-on matches).

Two names that look the same must be the same name, or one person can pass for another:
"admin@contoso.com" with a zero-width space, in full-width letters, with a Cyrillic "а" or
with a decomposed accent all list as "admin@contoso.com". So a name is kept in Unicode's
NFKC form (full-width letters become ASCII, accents are composed), and a name with an
invisible character, or with letters of two scripts in one part, is refused. The case is
left as sent: the (tenant, lower(userName)) unique index compares names without it.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Invisible code points that are not format characters (Cf): fillers that render as
# nothing, the combining grapheme joiner and the variation selectors.
_INVISIBLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0}
_INVISIBLE_RANGES = ((0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
# Scripts written together in one word (Japanese, Korean, Chinese with Latin); any other
# two scripts in one part of a name are a look-alike, not a spelling.
_EAST_ASIAN = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}


def lookup_form(value: str) -> str:
    """The form a name is stored and looked up in: NFKC, without surrounding spaces."""
    return unicodedata.normalize("NFKC", value or "").strip()


def checked_name(value: str, *, label: str = "userName") -> str:
    """The name in lookup form, or ValidationError ("invalid") if it could pass for another.

    Every channel's userName (pages, Django admin, SCIM, commands) and every email of a
    user goes through here, and single sign-on reads the NameID and email claim with it.
    """
    name = lookup_form(value)
    if name.isascii() and name.isprintable():
        return name  # nearly every name: nothing invisible, one script
    for character in name:
        if _is_invisible(character):
            raise ValidationError(
                f"{label} contains an invisible or control character "
                f"({_describe(character)}); send it without that character.",
                code="invalid",
            )
    for part in _parts(name):
        scripts = _scripts(part)
        if len(scripts) > 1:
            raise ValidationError(
                f"{label} mixes {' and '.join(s.title() for s in sorted(scripts))} letters in "
                f'"{part}", so it can pass for another name; use the letters of one script '
                "in each part of a name.",
                code="invalid",
            )
    return name


def _is_invisible(character: str) -> bool:
    code = ord(character)
    if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return True
    return code in _INVISIBLE or any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def _describe(character: str) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".strip()


def _parts(name: str) -> list[str]:
    """The name cut at punctuation, symbols and spaces (. @ - _ + and the like)."""
    parts: list[str] = []
    current: list[str] = []
    for character in name:
        if unicodedata.category(character)[0] in "PSZ":
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return [part for part in parts if part]


def _scripts(part: str) -> set[str]:
    """The scripts of the part's letters, by the first word of their Unicode names.

    Digits, marks and modifier letters belong to no script; Japanese, Korean and Chinese
    count as one, which may sit next to Latin.
    """
    scripts = set()
    for character in part:
        if unicodedata.category(character) not in ("Lu", "Ll", "Lt", "Lo"):
            continue
        script = unicodedata.name(character, "UNKNOWN").split(" ", 1)[0].split("-", 1)[0]
        scripts.add("EAST ASIAN" if script in _EAST_ASIAN else script)
    if scripts <= {"LATIN", "EAST ASIAN"}:
        return set()
    return scripts
