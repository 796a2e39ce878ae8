#!/usr/bin/env bash
# Makes the Python client test (services/admin-api/test/python-client.int.test.ts) runnable when it can:
# Debian's python3-grpcio and python3-grpc-tools (grpc_tools.protoc generates the stubs). From apt because
# PyPI is not reachable everywhere this suite runs. Never fails the suite: without them the test skips,
# saying what is missing. SWITCHYARD_SKIP_PYTHON=1 installs nothing.
set -uo pipefail
log() { echo "python-grpc: $*" >&2; }

if [ "${SWITCHYARD_SKIP_PYTHON:-0}" = 1 ]; then
  log "SWITCHYARD_SKIP_PYTHON=1: installing nothing (the Python client test skips if they are missing)"
  exit 0
fi
missing=()
for pkg in python3-grpcio python3-grpc-tools; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install ${missing[*]}"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    log "could not apt-get install ${missing[*]}: the Python client test will skip"
  fi
else
  log "not root (or no apt): not installing ${missing[*]}; the Python client test will skip"
fi
exit 0
