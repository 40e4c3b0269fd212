# Start and stop a throwaway PostgreSQL 15 for the tests (sourced by scripts/test and bench/).
# PostgreSQL refuses to run as root, so the cluster belongs to the unprivileged `postgres`
# user (or the current user when not root), listens on a unix socket and loopback only.

postgres_start() {
  local bin
  bin=$(dirname "$(readlink -f "$(command -v initdb || echo /usr/lib/postgresql/15/bin/initdb)")")
  POSTGRES_DIR=$(mktemp -d /tmp/openarc-pg.XXXXXX)
  POSTGRES_PORT=${POSTGRES_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  local as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$POSTGRES_DIR"
    as=(runuser -u postgres --)
  fi
  # (From /, which the postgres user can enter: the caller's directory may be private.)
  cd / || return 1
  "${as[@]}" "$bin/initdb" -D "$POSTGRES_DIR/data" -U openarc --auth=trust -E UTF8 >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$POSTGRES_DIR/data" -l "$POSTGRES_DIR/log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $POSTGRES_DIR -c fsync=off -c max_connections=300" start >/dev/null
  cd - >/dev/null || return 1
  POSTGRES_BIN=$bin
  POSTGRES_AS=("${as[@]}")
  POSTGRES_URL="postgresql://openarc@127.0.0.1:$POSTGRES_PORT/postgres"
  export POSTGRES_URL
}

postgres_stop() {
  if [ -n "${POSTGRES_DIR:-}" ] && [ -d "$POSTGRES_DIR/data" ]; then
    (cd / && "${POSTGRES_AS[@]}" "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DIR/data" -m fast -w stop >/dev/null) || true
    rm -rf "$POSTGRES_DIR"
  fi
}
