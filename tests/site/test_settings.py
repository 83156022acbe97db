"""Operations settings read from the environment, checked at start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "d = s.DATABASES['default']; c = s.CACHES['default']; "
    "print(json.dumps({'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS'), "
    "'health': d.get('CONN_HEALTH_CHECKS'), 'connect_timeout': d.get('OPTIONS', {}).get("
    "'connect_timeout'), 'cache': c['BACKEND'], 'cache_timeout': c.get('OPTIONS', {}).get("
    "'socket_timeout'), 'proxies': s.REST_FRAMEWORK['NUM_PROXIES'], "
    "'binding': d.get('OPTIONS', {}).get('server_side_binding'), "
    "'prepare': d.get('OPTIONS', {}).get('prepare_threshold'), 'engine': d['ENGINE']}))"
)


def settings_with(**environment):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "commbox_site.settings",
        "SECRET_KEY": "settings-test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/none",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_postgres_connections_time_out_fast_and_are_health_checked():
    values = json.loads(settings_with().stdout)

    assert (values["connect_timeout"], values["health"]) == (2, True)


def test_postgres_runs_on_the_backend_whose_health_check_reads_the_socket():
    values = json.loads(settings_with().stdout)

    assert values["engine"] == "commbox_site.postgresql"


def test_transaction_pooling_disables_server_side_cursors():
    values = json.loads(settings_with(DATABASE_TRANSACTION_POOLING="true").stdout)

    assert values["cursors"] is True


def test_postgres_lookups_are_prepared_after_five_runs():
    values = json.loads(settings_with().stdout)

    assert (values["binding"], values["prepare"]) == (True, 5)


def test_behind_a_transaction_pooler_nothing_is_prepared():
    values = json.loads(settings_with(DATABASE_TRANSACTION_POOLING="true").stdout)

    assert (values["binding"], values["prepare"]) == (True, None)


def test_a_redis_cache_url_is_the_client_reusing_redis_cache_with_short_timeouts():
    values = json.loads(settings_with(CACHE_URL="redis://127.0.0.1:6379/2").stdout)

    assert values["cache"] == "commbox_site.cache.RedisCache"
    assert values["cache_timeout"] == 0.25


def test_x_forwarded_for_is_not_trusted_by_default():
    values = json.loads(settings_with().stdout)

    assert values["proxies"] == 0


def test_a_malformed_rate_limit_stops_the_start():
    result = settings_with(SCIM_RATE_LIMIT_PER_TOKEN="lots")

    assert result.returncode != 0
    assert "SCIM_RATE_LIMIT_PER_TOKEN" in result.stderr
