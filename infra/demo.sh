#!/usr/bin/env bash
# The demo, on embedded defaults (PGlite in memory, a private nats-server child process), from a fresh clone
# on a fresh Debian machine as root. Extra arguments go to `switchyard demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh
if ! command -v nats-server >/dev/null 2>&1 && [ -z "${NATS_SERVER_BIN:-}" ]; then
  echo "demo: installing nats-server from apt" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >/dev/null
fi
# Embedded defaults: ignore any DATABASE_URL / NATS_URL of the surrounding shell.
exec env -u DATABASE_URL -u NATS_URL pnpm -s exec switchyard demo "$@"
