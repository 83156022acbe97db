import hashlib
import math
import re

from apps.tokens.secrets import (
    ALPHABET,
    CHECKSUM_LENGTH,
    PREFIX,
    RANDOM_LENGTH,
    TOKEN_LENGTH,
    digest_of,
    is_well_formed,
    new_secret,
)


def _replace_char(secret: str, index: int) -> str:
    replacement = "A" if secret[index] != "A" else "B"
    return secret[:index] + replacement + secret[index + 1 :]


def test_new_secret_is_prefix_random_part_and_checksum():
    secret = new_secret()

    assert re.fullmatch(r"cbx_[0-9A-Za-z]{36}", secret)
    assert len(secret) == TOKEN_LENGTH == len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH


def test_random_part_carries_at_least_160_bits():
    assert RANDOM_LENGTH * math.log2(len(ALPHABET)) >= 160


def test_new_secrets_differ_every_time():
    secrets = {new_secret() for _ in range(500)}

    assert len(secrets) == 500


def test_new_secret_passes_its_own_checksum():
    assert is_well_formed(new_secret())


def test_one_mistyped_character_fails_the_checksum():
    secret = new_secret()

    assert not is_well_formed(_replace_char(secret, len(PREFIX) + 5))


def test_mistyped_checksum_is_rejected():
    secret = new_secret()

    assert not is_well_formed(_replace_char(secret, len(secret) - 1))


def test_secret_with_another_prefix_is_rejected():
    secret = new_secret()

    assert not is_well_formed("ghp_" + secret[len(PREFIX) :])


def test_truncated_or_padded_secret_is_rejected():
    secret = new_secret()

    assert not is_well_formed(secret[:-1])
    assert not is_well_formed(secret + "0")


def test_secret_with_characters_outside_the_alphabet_is_rejected():
    secret = new_secret()

    assert not is_well_formed(secret[:10] + "-" + secret[11:])


def test_digest_is_the_sha256_of_the_whole_secret():
    secret = new_secret()

    assert digest_of(secret) == hashlib.sha256(secret.encode()).hexdigest()
