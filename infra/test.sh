#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh Debian machine (as root): installs what is missing,
# makes sure PostgreSQL and NATS JetStream are reachable, installs the SIP test tools when it can (sipp, baresip,
# sox, espeak-ng from apt; drachtio-server and FreeSWITCH from ../shared/telephony) and Debian's Python gRPC
# (python3-grpcio, python3-grpc-tools) for the Python client test, Debian's chromium for the what-if report's
# browser test, then lint, typecheck,
# unit + integration + e2e (the SIP tests in test/sip skip, saying what is missing, without those tools).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/bootstrap.sh
eval "$(bash infra/ensure-services.sh)"
bash infra/ensure-telephony.sh
bash infra/ensure-python-grpc.sh
bash infra/ensure-chromium.sh
export DATABASE_URL NATS_URL
mkdir -p .switchyard
echo "== proto (buf lint, buf breaking against main, generate)"; pnpm -s proto:check; pnpm -s generate
echo "== lint"; pnpm -s lint
echo "== typecheck"; pnpm -s typecheck
echo "== tests (unit, int, e2e) against $DATABASE_URL and $NATS_URL"
rc=0
pnpm -s exec vitest run --reporter=default --reporter=json --outputFile.json=.switchyard/vitest-report.json || rc=$?
node infra/summarize-tests.mjs .switchyard/vitest-report.json || true
exit $rc
