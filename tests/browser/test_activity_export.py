"""Exporting a filtered Activity page in a real browser: the file holds what the page shows."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.groups.services import create_group

pytestmark = pytest.mark.browser
DAY = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture
def history(live_tenant):
    """Three groups made on three days, after the account's own creation events."""
    for offset, name in enumerate(["Tier 1", "Tier 2", "Tier 3"]):
        with mock.patch.object(timezone, "now", return_value=DAY + timedelta(days=offset)):
            create_group(tenant=live_tenant, actor=None, display_name=name)


def filter_groups_of_the_first_two_days(page, live_server):
    page.goto(f"{live_server.url}/settings/activity/")
    page.get_by_label("Target type").select_option("group")
    page.get_by_label("From").fill("2026-11-20")
    page.get_by_label("To").fill("2026-11-21")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.activity tbody tr")).to_have_count(2)


def download(page, name: str) -> str:
    with page.expect_download() as info:
        page.get_by_role("link", name=name, exact=True).click()
    return open(info.value.path(), encoding="utf-8").read()  # noqa: SIM115 - read at once


def test_the_csv_export_holds_the_rows_the_filters_show(
    live_server, sign_in, browser_page, history
):
    page = browser_page
    sign_in(page)
    filter_groups_of_the_first_two_days(page, live_server)

    text = download(page, "CSV")

    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["target_label"] for row in rows] == ["Tier 2", "Tier 1"]
    assert [row["what_happened"] for row in rows] == [
        "A management command created the group Tier 2.",
        "A management command created the group Tier 1.",
    ]
    shown = page.locator("table.activity tbody tr .sentence").all_inner_texts()
    assert shown == [row["what_happened"] for row in rows]


def test_the_json_lines_export_holds_the_raw_codes(live_server, sign_in, browser_page, history):
    page = browser_page
    sign_in(page)
    filter_groups_of_the_first_two_days(page, live_server)

    text = download(page, "JSON Lines")

    rows = [json.loads(line) for line in text.splitlines()]
    assert [(row["action"], row["channel_code"]) for row in rows] == [
        ("group.created", "command"),
        ("group.created", "command"),
    ]
    assert rows[0]["time"] == "2026-11-21T10:00:00Z"
