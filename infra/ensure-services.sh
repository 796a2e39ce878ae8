#!/usr/bin/env bash
# Makes sure a PostgreSQL and a JetStream-enabled nats-server are reachable, and prints the environment
# to use them (`eval "$(bash infra/ensure-services.sh)"`). Order of preference:
#   1. the ones named by DATABASE_URL / NATS_URL;
#   2. the standard local ports (127.0.0.1:5432 database `test`, 127.0.0.1:4222);
#   3. private instances started here on loopback (installed from apt if missing), with their data under
#      .switchyard/ and their logs beside it (SWITCHYARD_PRIVATE_SERVICES=1 skips step 2, to test this path).
set -euo pipefail
cd "$(dirname "$0")/.."
state="$PWD/.switchyard"
mkdir -p "$state"
log() { echo "ensure-services: $*" >&2; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to apt-get install $*"; exit 1; fi
  if [ $apt_updated = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

pg_ok() { # url
  if command -v psql >/dev/null 2>&1; then
    psql "$1" -Atqc 'select 1' >/dev/null 2>&1
  else
    local hp; hp=$(node -e 'const u=new URL(process.argv[1]); console.log((u.hostname||"127.0.0.1")+" "+(u.port||5432))' "$1")
    tcp_open $hp
  fi
}

# JetStream must be enabled: the server's INFO line says "jetstream":true.
nats_ok() { # url
  local hp; hp=$(node -e 'const u=new URL(process.argv[1]); console.log((u.hostname||"127.0.0.1")+" "+(u.port||4222))' "$1")
  set -- $hp
  timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2; IFS= read -r -t 2 line <&3; echo \"\$line\"" 2>/dev/null | grep -q '"jetstream":true'
}

# ---- PostgreSQL ----
if [ -n "${DATABASE_URL:-}" ]; then
  pg_ok "$DATABASE_URL" || { log "DATABASE_URL is set but PostgreSQL is not reachable there"; exit 1; }
  db_url=$DATABASE_URL
elif [ -z "${SWITCHYARD_PRIVATE_SERVICES:-}" ] && pg_ok "postgres://postgres@127.0.0.1:5432/test"; then
  db_url="postgres://postgres@127.0.0.1:5432/test"
else
  port=55432; db_url="postgres://postgres@127.0.0.1:$port/test"
  if ! pg_ok "$db_url"; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$bindir" ]; then log "installing postgresql from apt"; apt_install postgresql; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
    pgdata="$state/pg"
    # initdb refuses to run as root; the apt package created the postgres user.
    id postgres >/dev/null 2>&1 || useradd -r -m postgres
    if [ ! -f "$pgdata/PG_VERSION" ]; then
      mkdir -p "$pgdata"; chown postgres "$pgdata"
      runuser -u postgres -- "$bindir/initdb" -D "$pgdata" -U postgres -A trust >/dev/null
    fi
    chown -R postgres "$pgdata"
    log "starting a private PostgreSQL on 127.0.0.1:$port"
    runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -l "$pgdata/postgres.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k /tmp" start >/dev/null
    runuser -u postgres -- "$bindir/createdb" -h 127.0.0.1 -p $port -U postgres test 2>/dev/null || true
    pg_ok "$db_url" || { log "private PostgreSQL did not come up; see $state/pg/postgres.log"; exit 1; }
  fi
fi

# ---- NATS with JetStream ----
if [ -n "${NATS_URL:-}" ]; then
  nats_ok "$NATS_URL" || { log "NATS_URL is set but no JetStream-enabled NATS answers there"; exit 1; }
  nats_url=$NATS_URL
elif [ -z "${SWITCHYARD_PRIVATE_SERVICES:-}" ] && nats_ok "nats://127.0.0.1:4222"; then
  nats_url="nats://127.0.0.1:4222"
else
  port=54222; nats_url="nats://127.0.0.1:$port"
  if ! nats_ok "$nats_url"; then
    command -v nats-server >/dev/null 2>&1 || { log "installing nats-server from apt"; apt_install nats-server; }
    log "starting a private nats-server with JetStream on 127.0.0.1:$port"
    mkdir -p "$state/nats"
    nohup nats-server -a 127.0.0.1 -p $port -js -sd "$state/nats" -l "$state/nats.log" >/dev/null 2>&1 &
    for _ in $(seq 1 50); do nats_ok "$nats_url" && break; sleep 0.2; done
    nats_ok "$nats_url" || { log "private nats-server did not come up; see $state/nats.log"; exit 1; }
  fi
fi

echo "export DATABASE_URL='$db_url'"
echo "export NATS_URL='$nats_url'"
