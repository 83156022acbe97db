"""The suite pins its own settings; .env.example names every setting a deployment has."""

import re
import tomllib

from django.conf import settings

ROOT = settings.BASE_DIR
# The two a developer and CI choose on purpose: PostgreSQL or SQLite, Redis or local memory.
TAKEN_FROM_THE_ENVIRONMENT = {"DATABASE_URL", "CACHE_URL"}


def read_by(path: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, (ROOT / path).read_text()))


def settings_variables() -> set[str]:
    return read_by("commbox_site/settings.py", r'(?:env(?:\.\w+)?|_rate)\(\s*"([A-Z][A-Z0-9_]*)"')


def gunicorn_variables() -> set[str]:
    return read_by("gunicorn.conf.py", r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"')


def pinned_for_the_tests() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entries = config["tool"]["pytest"]["ini_options"]["env"]
    return {
        entry.partition("=")[0].split(":")[-1]
        for entry in entries
        if "D" not in entry.partition("=")[0].split(":")[:-1]
    }


def test_the_settings_read_the_variables_this_test_looks_for():
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SENTRY_DSN"} <= settings_variables()


def test_every_variable_the_settings_read_is_pinned_for_the_tests():
    assert settings_variables() - TAKEN_FROM_THE_ENVIRONMENT - pinned_for_the_tests() == set()


def test_env_example_names_every_setting_with_a_default_and_a_meaning():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))

    assert (settings_variables() | gunicorn_variables()) - {"ENV_FILE"} - documented == set()
