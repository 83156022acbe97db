"""Traffic and assertions for scripts/outage-check and scripts/fleet-check (stdlib + psycopg).

    ops_load.py outage --url URL --token T --database-url DSN --stop CMD --start CMD
    ops_load.py fleet --urls URL1,URL2 --token T --victim-token T2 --victim-id UUID \
        --account SUB --admin USER --password PW --failed-auth-limit N
    ops_load.py prod --url HTTPS_URL --http-url HTTP_URL --instances URL1,URL2 \
        --account SUB --admin USER --password PW --restart CMD --metrics-token T

Prints what it saw and exits non-zero when a guarantee does not hold.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

SCIM = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class Result:
    started: float
    seconds: float
    status: int
    headers: dict[str, str]
    body: bytes
    kind: str = ""
    user_name: str = ""

    def json(self):
        return json.loads(self.body or b"null")


def call(base: str, method: str, path: str, *, token=None, body=None, headers=None, timeout=10):
    parts = urllib.parse.urlsplit(base)
    # https through the proxy (prod-check): the CA is the one SSL_CERT_FILE names.
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = body if isinstance(body, bytes | str) else json.dumps(body)
        sent.setdefault("Content-Type", SCIM)
    started = time.monotonic()
    try:
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        data = response.read()
        status, answer = response.status, {k.lower(): v for k, v in response.getheaders()}
        raw_cookies = response.headers.get_all("Set-Cookie") or []
    except (OSError, http.client.HTTPException) as error:
        status, answer, data, raw_cookies = 0, {"error": repr(error)}, b"", []
    finally:
        connection.close()
    result = Result(started, time.monotonic() - started, status, answer, data)
    result.cookies = raw_cookies
    return result


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def is_scim_error(result: Result, status: int) -> bool:
    if result.status != status or not result.headers.get("content-type", "").startswith(SCIM):
        return False
    try:
        return result.json().get("schemas") == [ERROR_SCHEMA]
    except ValueError:
        return False


@dataclass
class Load:
    """Threads sending Entra-shaped requests until told to stop; every answer kept."""

    urls: list[str]
    token: str
    threads: int = 4
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])

    def start(self) -> list[threading.Thread]:
        workers = [threading.Thread(target=self._work, args=(n,)) for n in range(self.threads)]
        for worker in workers:
            worker.start()
        return workers

    def _work(self, number: int) -> None:
        sequence = 0
        created: list[str] = []
        while not self.stop.is_set():
            base = self.urls[(number + sequence) % len(self.urls)]
            sequence += 1
            if sequence % 3 == 1:
                user_name = f"load-{self.run_id}-{number}-{sequence}@contoso.com"
                result = call(
                    base,
                    "POST",
                    "/scim/v2/Users",
                    token=self.token,
                    body={
                        "schemas": [CORE_USER],
                        "userName": user_name,
                        "active": True,
                        "emails": [{"primary": True, "type": "work", "value": user_name}],
                    },
                )
                result.kind, result.user_name = "create", user_name
                if result.status == 201:
                    created.append(result.json()["id"])
            elif sequence % 3 == 2 and created:
                operation = {"op": "replace", "path": "displayName", "value": f"n{sequence}"}
                result = call(
                    base,
                    "PATCH",
                    f"/scim/v2/Users/{created[-1]}",
                    token=self.token,
                    body={"schemas": [PATCH_OP], "Operations": [operation]},
                )
                result.kind = "update"
            else:
                query = urllib.parse.quote(
                    f'userName eq "load-{self.run_id}-{number}-1@contoso.com"'
                )
                result = call(base, "GET", f"/scim/v2/Users?filter={query}", token=self.token)
                result.kind = "read"
            result.base = base
            with self.lock:
                self.results.append(result)

    def finish(self, workers) -> None:
        self.stop.set()
        for worker in workers:
            worker.join()


class Checks:
    def __init__(self):
        self.failures: list[str] = []

    def expect(self, condition: bool, what: str) -> None:
        print(("  ok    " if condition else "  FAIL  ") + what)
        if not condition:
            self.failures.append(what)

    def exit(self) -> None:
        if self.failures:
            print(f"{len(self.failures)} check(s) failed.")
            sys.exit(1)
        print("All checks passed.")


def histogram(results: list[Result]) -> str:
    counts: dict[int, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))


# --- outage ---


def outage(args) -> None:
    checks = Checks()
    load = Load([args.url], args.token, threads=args.threads)
    t0 = time.monotonic()
    workers = load.start()
    time.sleep(args.before)
    stop_issued_at = time.monotonic()
    subprocess.run(shlex.split(args.stop), check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    stopped_at = time.monotonic()
    print(
        f"t={stop_issued_at - t0:5.1f}s stopping the database; stopped at t={stopped_at - t0:.1f}s"
    )
    time.sleep(args.down)
    started_cmd_at = time.monotonic()
    subprocess.run(shlex.split(args.start), check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    started_at = time.monotonic()
    print(f"t={started_at - t0:5.1f}s database started again")
    time.sleep(args.after)
    load.finish(workers)
    results = sorted(load.results, key=lambda r: r.started)

    before = [r for r in results if r.started + r.seconds < stop_issued_at]
    during = [r for r in results if r.started > stopped_at + 0.2 and r.started < started_cmd_at]
    after = [r for r in results if r.started > started_at]
    print(f"requests: {len(results)} ({histogram(results)})")
    print(f"before the stop: {len(before)} ({histogram(before)})")
    print(f"while down: {len(during)} ({histogram(during)})")
    print(f"after the start: {len(after)} ({histogram(after)})")
    unexpected = [r for r in results if r.status not in (200, 201, 503)]
    checks.expect(not unexpected, f"only 200/201/503 answers (unexpected: {histogram(unexpected)})")
    checks.expect(all(r.status in (200, 201) for r in before), "all served before the stop")
    down_503 = [r for r in during if r.status == 503]
    checks.expect(
        len(during) > 0 and len(down_503) == len(during), "every request while down got 503"
    )
    checks.expect(
        all(is_scim_error(r, 503) for r in down_503), "every 503 has a SCIM error body (no HTML)"
    )
    checks.expect(all(r.headers.get("retry-after") for r in down_503), "every 503 has Retry-After")
    slowest = max((r.seconds for r in during), default=0.0)
    print(
        f"503 latency while down: p50 {percentile([r.seconds for r in during], 0.5) * 1000:.0f} ms,"
        f" max {slowest * 1000:.0f} ms"
    )
    checks.expect(slowest < 2.5, "every request while down answered within 2.5 s")
    first_ok = next((r for r in after if r.status in (200, 201)), None)
    recovery = (first_ok.started + first_ok.seconds - started_at) if first_ok else None
    print(f"first success {recovery:.2f} s after the database started" if first_ok else "")
    checks.expect(first_ok is not None and recovery < 10, "served again within 10 s by itself")
    tail = [r for r in after if r.started > started_at + args.after / 2]
    checks.expect(tail and all(r.status in (200, 201) for r in tail), "all served at the end")
    verify_no_partial_writes(args.database_url, load, checks)
    checks.exit()


def verify_no_partial_writes(database_url: str, load: Load, checks: Checks) -> None:
    import psycopg

    acknowledged = {r.user_name for r in load.results if r.kind == "create" and r.status == 201}
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            """
            SELECT u.user_name, u.version,
                   (SELECT count(*) FROM users_useremail e WHERE e.user_id = u.id),
                   (SELECT count(*) FROM audit_auditevent a WHERE a.target_type = 'user'
                      AND a.target_id = u.public_id::text AND a.action = 'user.created'),
                   (SELECT count(*) FROM audit_auditevent a WHERE a.target_type = 'user'
                      AND a.target_id = u.public_id::text AND a.action = 'user.updated')
            FROM users_user u WHERE u.user_name LIKE %s
            """,
            (f"load-{load.run_id}-%",),
        ).fetchall()
        orphans = connection.execute(
            """
            SELECT count(*) FROM audit_auditevent a
            WHERE a.action = 'user.created' AND a.changes::text LIKE %s
              AND NOT EXISTS (SELECT 1 FROM users_user u WHERE u.public_id::text = a.target_id)
            """,
            (f"%load-{load.run_id}-%",),
        ).fetchone()[0]
    stored = {row[0] for row in rows}
    partial = [row for row in rows if row[2] != 1 or row[3] != 1 or row[4] != row[1] - 1]
    print(f"users created: {len(acknowledged)} acknowledged (201), {len(stored)} stored")
    checks.expect(acknowledged <= stored, "every acknowledged create is stored")
    checks.expect(
        not partial,
        f"every stored user has its email, its audit rows and its version ({partial[:3]})",
    )
    checks.expect(orphans == 0, "no audit row for a user that was not stored")


# --- fleet ---


class Browser:
    """Cookies and CSRF for the settings pages, over any instance."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, base, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = base + path
        result = call(base, method, path, body=body, headers=headers)
        for raw in result.cookies:
            cookie = SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return result


def check_shared_saml_replay(first: str, second: str, account: str, token: str, checks) -> None:
    """An IdP-initiated SAML response accepted by one instance is a replay on the other.

    It signs in an agent that Entra created: single sign-on refuses admins while the account
    does not let Entra grant the admin role (the default)."""
    name_id = "fleet-sso-agent@example.com"
    agent = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name_id,
        "active": True,
        "roles": [{"value": "agent"}],
    }
    created = call(first, "POST", "/scim/v2/Users", token=token, body=agent)
    checks.expect(created.status == 201, f"an agent to sign in is created ({created.status})")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.sso.idp import TestIdp, encode  # the test suite's IdP: real keys, real signatures

    idp = TestIdp()
    configure_sso(account, idp, idp_initiated=True)
    path = f"/sso/{account}/saml/acs/"
    public = urllib.parse.urlsplit(first).netloc  # both instances behind one public host
    xml = idp.response_xml(
        acs_url=f"http://{public}{path}",
        audience=f"http://{public}/sso/{account}/saml/metadata/",
        name_id=name_id,
    )
    form = urllib.parse.urlencode({"SAMLResponse": encode(xml)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": public}
    accepted = call(first, "POST", path, body=form, headers=headers)
    replayed = call(second, "POST", path, body=form, headers=headers)
    checks.expect(accepted.status == 302, f"SAML sign-in on the first instance ({accepted.status})")
    checks.expect(
        replayed.status == 403,
        f"the same assertion replayed on the second instance is refused ({replayed.status})",
    )
    fresh = idp.response_xml(
        acs_url=f"http://{public}{path}",
        audience=f"http://{public}/sso/{account}/saml/metadata/",
        name_id=name_id,
    )
    body = urllib.parse.urlencode({"SAMLResponse": encode(fresh)})
    control = call(second, "POST", path, body=body, headers=headers)
    checks.expect(
        control.status == 302,
        f"a fresh assertion on the second instance is accepted, so that 403 was the replay"
        f" ({control.status})",
    )


def fleet(args) -> None:
    checks = Checks()
    first, second = args.urls.split(",")
    print(f"instances: {first} and {second}")

    browser = Browser()
    browser.request(first, "GET", "/login/")
    signed_in = browser.request(
        first,
        "POST",
        "/login/",
        form={"subdomain": args.account, "user_name": args.admin, "password": args.password},
    )
    checks.expect(signed_in.status == 302, f"signed in on the first instance ({signed_in.status})")
    page = browser.request(second, "GET", "/settings/")
    checks.expect(
        page.status == 200 and b"Sign in" not in page.body[:2000],
        f"the session works on the second instance ({page.status})",
    )

    terms = " or ".join(f'userName eq "user{n:04d}@contoso.com"' for n in range(400))
    path = "/scim/v2/Users?filter=" + urllib.parse.quote(terms)
    long_filter = call(first, "GET", path, token=args.token)
    checks.expect(
        long_filter.status != 414 and long_filter.headers.get("content-type", "").startswith(SCIM),
        f"a 400-term or filter ({len(path)}-byte path) reaches the app, not gunicorn's 414"
        f" ({long_filter.status})",
    )

    load = Load([first, second], args.token, threads=args.threads)
    t0 = time.monotonic()
    workers = load.start()
    time.sleep(args.seconds / 4)
    # A graceful restart of the second instance under load: new workers, no lost request.
    os.kill(args.reload_pid, signal.SIGHUP)
    print(f"t={time.monotonic() - t0:.1f}s graceful restart (HUP) of the second instance")
    time.sleep(args.seconds / 4)
    for base in (first, second):
        status = call(base, "GET", "/scim/v2/Users?count=1", token=args.victim_token).status
        checks.expect(status == 200, f"the token to revoke works on {base} ({status})")
    path = f"/settings/api/tokens/{args.victim_id}/revoke/"
    browser.request(first, "GET", path)
    revoked = browser.request(first, "POST", path, form={})
    checks.expect(
        revoked.status == 302, f"revoked mid-run through the first instance ({revoked.status})"
    )
    after = call(second, "GET", "/scim/v2/Users?count=1", token=args.victim_token)
    checks.expect(
        is_scim_error(after, 401),
        f"the next request on the second instance is refused ({after.status})",
    )
    time.sleep(args.seconds / 2)
    load.finish(workers)
    elapsed = time.monotonic() - t0
    results = load.results
    latencies = [r.seconds for r in results]
    print(
        f"load: {len(results)} requests in {elapsed:.1f} s ({len(results) / elapsed:.0f} req/s)"
        f" through both instances: {histogram(results)};"
        f" p50 {statistics.median(latencies) * 1000:.0f} ms,"
        f" p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    for base in (first, second):
        served = [r for r in results if r.base == base and r.status in (200, 201)]
        checks.expect(bool(served), f"load served on {base}")
    checks.expect(
        all(r.status in (200, 201) for r in results),
        "every load request served, through the graceful restart too",
    )

    check_shared_saml_replay(first, second, args.account, args.token, checks)

    statuses = []
    for number in range(args.failed_auth_limit + 1):
        base = (first, second)[number % 2]
        statuses.append(call(base, "GET", "/scim/v2/Users", token="cbx_wrong").status)
    print(f"failed authentications alternating instances: {statuses}")
    # Earlier refusals in this run (the revoked token) count too, so the 429 may come sooner;
    # what matters is that neither instance alone saw as many failures as the limit.
    first_429 = statuses.index(429) if 429 in statuses else None
    checks.expect(
        first_429 is not None
        and set(statuses[:first_429]) == {401}
        and (first_429 + 1) // 2 < args.failed_auth_limit,
        f"the limit of {args.failed_auth_limit} failures is counted across both instances "
        f"(429 after {first_429} failures, about half of them on each instance)",
    )
    checks.exit()


def configure_sso(account: str, idp, *, idp_initiated: bool) -> None:
    """The account trusts the test suite's IdP (configure_sso with its metadata)."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as metadata:
        metadata.write(idp.metadata_xml())
        metadata.flush()
        subprocess.run(  # noqa: S603 - our own management command
            [
                sys.executable, "manage.py", "configure_sso", account,
                "--idp-metadata", metadata.name,
                "--idp-initiated", "on" if idp_initiated else "off",
                "--match", "name-id", "--enable",
            ],
            cwd=root,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def check_https_headers(base: str, http_base: str, instance: str, checks: Checks) -> None:
    """HSTS over https; plain http redirected by the proxy whatever X-Forwarded-Proto the
    client sends; the client's X-Forwarded-Proto overwritten; /metrics not public."""
    login = call(base, "GET", "/login/")
    hsts = login.headers.get("strict-transport-security", "")
    checks.expect(
        login.status == 200 and "max-age=31536000" in hsts and "includeSubDomains" in hsts,
        f"https: 200 with Strict-Transport-Security: {hsts!r}",
    )
    plain = call(http_base, "GET", "/login/", headers={"X-Forwarded-Proto": "https"})
    location = plain.headers.get("location", "")
    checks.expect(
        plain.status in (301, 308) and location.startswith("https://")
        and "x-request-id" not in plain.headers,
        f"plain http with a client-sent X-Forwarded-Proto: https is redirected by the proxy"
        f" ({plain.status} to {location}), never served by the app",
    )
    spoofed = call(base, "GET", "/login/", headers={"X-Forwarded-Proto": "http"})
    checks.expect(
        spoofed.status == 200,
        f"over https a client-sent X-Forwarded-Proto: http is overwritten ({spoofed.status},"
        " not the app's redirect)",
    )
    direct = call(instance, "GET", "/login/")
    checks.expect(
        direct.status == 301 and direct.headers.get("location", "").startswith("https://"),
        f"plain http straight to gunicorn is redirected by the app ({direct.status})",
    )
    public = call(base, "GET", "/metrics")
    checks.expect(public.status == 404, f"/metrics through the proxy: {public.status}")


def add_token_in_the_portal(base: str, args, checks: Checks) -> str:
    """An admin signs in over https, adds an API token and saves it, as the tutorial says."""
    browser = Browser()
    browser.request(base, "GET", "/login/")
    form = {"subdomain": args.account, "user_name": args.admin, "password": args.password}
    signed_in = browser.request(base, "POST", "/login/", form=form)
    session = [c for c in signed_in.cookies if c.startswith("sessionid=")]
    checks.expect(
        signed_in.status == 302 and bool(session) and "secure" in session[0].lower(),
        f"the admin signs in over https ({signed_in.status}; session cookie Secure)",
    )
    page = browser.request(base, "GET", "/settings/api/tokens/new/")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.body.decode())
    created = browser.request(
        base, "POST", "/settings/api/tokens/new/", form={"nonce": nonce.group(1) if nonce else ""}
    )
    body = created.body.decode()
    secret = re.search(r'id="new-token"[^>]*>([^<]+)<', body)
    save = re.search(r'action="(/settings/api/tokens/[0-9a-f-]+/save/)"', body)
    checks.expect(
        created.status == 200 and bool(secret) and bool(save),
        f"Add API token shows the new token ({created.status})",
    )
    if not (secret and save):
        checks.exit()
    saved = browser.request(base, "POST", save.group(1), form={"description": "Microsoft Entra ID"})
    checks.expect(saved.status == 302, f"Save stores it ({saved.status})")
    return secret.group(1).strip()


def run_entra_sync(base: str, token: str, checks: Checks) -> None:
    root = Path(__file__).resolve().parent.parent
    sync = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(root / "scripts/entra-sync"), f"{base}/scim/v2", token, "60",
         "--groups", "3", "--batch", "10", "--connections", "3"],
        capture_output=True, text=True, timeout=90,
    )
    print("  " + sync.stdout.splitlines()[0] if sync.stdout else sync.stderr[-500:])
    checks.expect(sync.returncode == 0, "an Entra-shaped initial sync with that token, no error")


def sign_in_provisioned_agent(base: str, account: str, user_name: str, checks: Checks) -> None:
    """SP-initiated sign-in through the test IdP, over https, of a user Entra provisioned."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.sso.idp import TestIdp, encode, read_authn_request

    idp = TestIdp()
    configure_sso(account, idp, idp_initiated=False)
    browser = Browser()
    start = browser.request(base, "GET", f"/sso/{account}/saml/login/")
    location = start.headers.get("location", "")
    checks.expect(
        start.status == 302 and location.startswith(idp.sso_url),
        f"sign-in starts: 302 to the IdP ({start.status})",
    )
    request = read_authn_request(location)
    xml = idp.response_xml(
        acs_url=request["acs_url"],
        audience=f"{base}/sso/{account}/saml/metadata/",
        name_id=user_name,
        in_response_to=request["id"],
    )
    acs = browser.request(
        base,
        "POST",
        urllib.parse.urlsplit(request["acs_url"]).path,
        form={"SAMLResponse": encode(xml), "RelayState": request["relay_state"]},
    )
    me = browser.request(base, "GET", "/me/")
    checks.expect(
        acs.status == 302 and me.status == 200 and user_name.encode() in me.body,
        f"{user_name} signs in through the IdP (ACS {acs.status}, /me/ {me.status})",
    )


def restart_under_load(base: str, instances: list[str], args, token: str, checks) -> None:
    """One instance stopped and started again while requests flow through the proxy."""
    load = Load([base], token, threads=args.threads)
    t0 = time.monotonic()
    workers = load.start()
    time.sleep(args.seconds / 3)
    print(f"t={time.monotonic() - t0:.1f}s restart of {instances[1]} (TERM, then a new gunicorn)")
    subprocess.run(shlex.split(args.restart), check=True, timeout=60)  # noqa: S603
    print(f"t={time.monotonic() - t0:.1f}s {instances[1]} serves again")
    time.sleep(args.seconds / 3)
    load.finish(workers)
    elapsed = time.monotonic() - t0
    results = load.results
    latencies = [r.seconds for r in results]
    print(
        f"load through the proxy: {len(results)} requests in {elapsed:.1f} s: "
        f"{histogram(results)}; p50 {statistics.median(latencies) * 1000:.0f} ms,"
        f" p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    for lost in [r for r in results if r.status not in (200, 201)][:3]:
        print(f"  lost at t={lost.started - t0:.1f}s: {lost.status} {lost.kind}"
              f" server={lost.headers.get('server', '')!r} {lost.body[:160]!r}")
    checks.expect(
        bool(results) and all(r.status in (200, 201) for r in results),
        "every request served while one instance restarted (none lost)",
    )
    ready = call(instances[1], "GET", "/readyz")
    checks.expect(ready.status == 200, f"the restarted instance is ready ({ready.status})")


def metrics_sample(instances: list[str], token: str, checks: Checks) -> None:
    """Each instance's /metrics (workers added up), read with the bearer token."""
    wanted = (
        "commbox_scim_requests_total", "commbox_refused_requests_total",
        "commbox_sso_sign_ins_total", "commbox_request_log_rows_total",
        "commbox_database_unavailable_responses_total",
    )
    for instance in instances:
        scraped = call(instance, "GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
        refused = call(instance, "GET", "/metrics")
        checks.expect(
            scraped.status == 200 and refused.status == 403,
            f"{instance}/metrics with the token {scraped.status}, without {refused.status}",
        )
        lines = [
            line for line in scraped.body.decode().splitlines()
            if line.startswith(wanted) or (
                line.startswith("commbox_scim_request_duration_seconds_bucket")
                and 'resource="Users"' in line and 'method="GET"' in line
            )
        ]
        print(f"--- {instance}/metrics (sample)")
        print("\n".join(lines))


def prod(args) -> None:
    checks = Checks()
    base, instances = args.url, args.instances.split(",")
    print(f"proxy: {base} (and {args.http_url}); instances: {', '.join(instances)}")
    check_https_headers(base, args.http_url, instances[0], checks)
    token = add_token_in_the_portal(base, args, checks)
    run_entra_sync(base, token, checks)
    restart_under_load(base, instances, args, token, checks)
    # After the restart, whose new workers start their counts afresh: these show in /metrics.
    for _ in instances:
        refused = call(base, "GET", "/scim/v2/Users?count=1", token="cbx_not_a_token")
        checks.expect(is_scim_error(refused, 401), f"a wrong token: SCIM 401 ({refused.status})")
    sign_in_provisioned_agent(base, args.account, "sync1@contoso.example", checks)
    metrics_sample(instances, args.metrics_token, checks)
    checks.exit()


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("outage")
    out.add_argument("--url", required=True)
    out.add_argument("--token", required=True)
    out.add_argument("--database-url", required=True)
    out.add_argument("--stop", required=True)
    out.add_argument("--start", required=True)
    out.add_argument("--threads", type=int, default=4)
    out.add_argument("--before", type=float, default=6)
    out.add_argument("--down", type=float, default=8)
    out.add_argument("--after", type=float, default=8)
    fl = commands.add_parser("fleet")
    fl.add_argument("--urls", required=True)
    fl.add_argument("--token", required=True)
    fl.add_argument("--victim-token", required=True)
    fl.add_argument("--victim-id", required=True)
    fl.add_argument("--account", required=True)
    fl.add_argument("--admin", required=True)
    fl.add_argument("--password", required=True)
    fl.add_argument("--failed-auth-limit", type=int, required=True)
    fl.add_argument("--reload-pid", type=int, required=True)
    fl.add_argument("--threads", type=int, default=4)
    fl.add_argument("--seconds", type=float, default=12)
    pr = commands.add_parser("prod")
    for name in ("--url", "--http-url", "--instances", "--account", "--admin", "--password"):
        pr.add_argument(name, required=True)
    pr.add_argument("--restart", required=True, help="a command that restarts instance 2")
    pr.add_argument("--metrics-token", required=True)
    pr.add_argument("--threads", type=int, default=4)
    pr.add_argument("--seconds", type=float, default=12)
    args = parser.parse_args()
    {"outage": outage, "fleet": fleet, "prod": prod}[args.command](args)


if __name__ == "__main__":
    main()
