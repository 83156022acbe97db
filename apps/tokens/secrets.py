"""The token format: cbx_ + 30 base62 characters (178 bits) + 6-character CRC32 checksum.

The checksum lets secret scanners and the server recognise a token, and reject a
mistyped one, without a database query.
"""

import hashlib
import secrets
import string
import zlib

PREFIX = "cbx_"
ALPHABET = string.digits + string.ascii_letters
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6
TOKEN_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
DISPLAY_PREFIX_LENGTH = 8


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def new_secret() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return PREFIX + body + _checksum(PREFIX + body)


def is_well_formed(secret: str) -> bool:
    """Right prefix, length, alphabet and checksum."""
    if len(secret) != TOKEN_LENGTH or not secret.startswith(PREFIX):
        return False
    rest = secret[len(PREFIX) :]
    if any(char not in ALPHABET for char in rest):
        return False
    body, checksum = secret[:-CHECKSUM_LENGTH], secret[-CHECKSUM_LENGTH:]
    return secrets.compare_digest(_checksum(body), checksum)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
