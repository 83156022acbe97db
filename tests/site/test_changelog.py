"""The version in pyproject.toml is the newest release in CHANGELOG.md (Keep a Changelog)."""

import re
import tomllib

from django.conf import settings


def test_pyproject_version_is_the_newest_release_in_the_changelog():
    changelog = (settings.BASE_DIR / "CHANGELOG.md").read_text()
    project = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())["project"]

    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)

    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{releases[0]}]")
    assert releases[0] == project["version"]
