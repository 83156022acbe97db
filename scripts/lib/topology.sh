# The production topology on 127.0.0.1, for scripts/fleet-check and scripts/prod-check:
# a scratch database, PgBouncer in transaction pooling in front of it, gunicorn instances.
# Source it after setting PG_HOST, PG_PORT and `work` (a temporary directory); everything
# started is stopped by PID in topology_cleanup (pids, and the pid files of restarted
# instances), and the database is dropped.

pids=()
database=""

topology_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Instances a check restarted are not our children: their pid files name them.
  for file in "$work"/*.pid; do
    [ -f "$file" ] || continue
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ -n "$database" ]; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qAt -c "DROP DATABASE IF EXISTS $database" \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}

# topology_database NAME: create the scratch database (dropped by topology_cleanup).
topology_database() {
  database="$1"
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qAt -c "CREATE DATABASE $database"
}

# topology_pgbouncer PORT: PgBouncer in transaction pooling, database "commbox" -> $database.
topology_pgbouncer() {
  local port="$1" pgbouncer
  pgbouncer="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
  cat >"$work/pgbouncer.ini" <<INI
[databases]
commbox = host=$PG_HOST port=$PG_PORT dbname=$database user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $work/users.txt
pool_mode = transaction
default_pool_size = 8
max_client_conn = 100
; A server that cannot be reached fails the waiting client in about 2 s (then a 503), not
; after the defaults' 120 s.
query_wait_timeout = 2
server_connect_timeout = 2
server_login_retry = 1
ignore_startup_parameters = extra_float_digits
INI
  echo '"postgres" ""' >"$work/users.txt"
  chmod 644 "$work/pgbouncer.ini" "$work/users.txt"
  local run_user=()
  [ "$(id -u)" -eq 0 ] && run_user=(-u postgres)  # pgbouncer will not run as root
  "$pgbouncer" "${run_user[@]}" "$work/pgbouncer.ini" >"$work/pgbouncer.log" 2>&1 &
  pids+=($!)
}

# topology_instance PORT [NAME=VALUE...]: gunicorn (gunicorn.conf.py, 2 workers) on
# 127.0.0.1:PORT with those variables, in the background, logging to $work/gunicorn-PORT.log,
# its PID in $work/gunicorn-PORT.pid.
topology_instance() {
  local port="$1"
  # Its metrics files in the work directory, removed with it.
  env PROMETHEUS_MULTIPROC_DIR="$work/metrics-$port" "${@:2}" WEB_CONCURRENCY=2 .venv/bin/gunicorn -b "127.0.0.1:$port" -p "$work/gunicorn-$port.pid" \
    >>"$work/gunicorn-$port.log" 2>&1 &
  pids+=($!)
}

# topology_wait_ready URL...: until each answers /readyz (10 s at most each).
topology_wait_ready() {
  local url
  for url in "$@"; do
    for _ in $(seq 50); do curl -fs "$url/readyz" >/dev/null && break; sleep 0.2; done
  done
}
