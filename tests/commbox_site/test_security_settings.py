"""Production settings: HTTPS, HSTS, CSP, cache headers, cookies, session idle timeout."""

import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from apps.users.sessions import EXPIRY_MOVED_AT

ROOT = Path(__file__).resolve().parents[2]
HTTPS = {"X-Forwarded-Proto": "https"}


def test_check_deploy_is_clean_under_production_settings():
    environment = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BASE_DOMAIN": "commbox.example",
        # Production shares the cache between workers (SSO needs it); nothing connects here.
        "CACHE_URL": "redis://127.0.0.1:6379/5",
    }
    # Production defaults only; the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright.
    overrides = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE")
    for name in (*overrides, "CSRF_COOKIE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_defaults_make_cookies_secure_and_redirect_to_https():
    # Tests run with DEBUG off, as production does; only the redirect is off for the client.
    assert settings.SESSION_COOKIE_SECURE
    assert settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SECURE_HSTS_SECONDS >= 365 * 24 * 60 * 60
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS


def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/login/", headers={"Host": "my-tenant.commbox.test"})

    assert response.status_code == 301
    assert response["Location"] == "https://my-tenant.commbox.test/login/"


def test_a_request_the_proxy_marks_https_is_not_redirected(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/login/", headers=HTTPS)

    assert response.status_code == 200


def test_health_checks_are_exempt_from_the_https_redirect(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    responses = [client.get("/healthz"), client.get("/readyz")]

    assert [r.status_code for r in responses] == [200, 200]


def test_https_responses_carry_hsts_with_subdomains(client, db):
    response = client.get("/login/", headers=HTTPS)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/login/", headers=HTTPS)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_admin_pages_carry_the_content_security_policy(client):
    response = client.get("/admin/login/", headers=HTTPS)

    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_no_template_of_ours_has_inline_script_or_style():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if inline.search(path.read_text())
    ]

    assert offenders == []


def test_signed_in_pages_are_never_cached(client, tenant_admin):
    client.force_login(tenant_admin)

    response = client.get(reverse("users:list"))

    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control


def test_a_session_idle_for_longer_than_the_timeout_is_signed_out(client, tenant_admin):
    client.force_login(tenant_admin)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("portal:settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_a_request_moves_the_idle_timeout_on(client, tenant_admin):
    client.force_login(tenant_admin)
    session = client.session
    session[EXPIRY_MOVED_AT] = int(time.time()) - 2 * 60 * 60
    session.save()
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    Session.objects.update(expire_date=timezone.now() + age - timedelta(hours=2))

    client.get(reverse("portal:settings"))

    assert Session.objects.get().expire_date > timezone.now() + age - timedelta(minutes=1)


def test_requests_within_a_minute_do_not_rewrite_the_session(client, tenant_admin):
    client.force_login(tenant_admin)
    expire_date = Session.objects.get().expire_date

    client.get(reverse("portal:settings"))

    assert Session.objects.get().expire_date == expire_date


def test_the_idle_timeout_is_eight_hours_by_default():
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60


def test_scim_responses_carry_a_policy_that_runs_and_frames_nothing(scim_client):
    response = scim_client.get("/scim/v2/ServiceProviderConfig", headers=HTTPS)

    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
