#!/usr/bin/env bash
# The admin API's protocol buffers: `buf lint`, then `buf breaking` against main's proto/ (skipped, and
# said so, when main has no buf module yet). buf is the npm package's binary (@bufbuild/buf).
set -euo pipefail
cd "$(dirname "$0")/.."
buf=packages/admin-proto/node_modules/.bin/buf
(cd proto && "../$buf" lint)
echo "buf lint: ok"
# main as this clone knows it: the remote's when there is one, else the local branch.
base=""
for ref in origin/main main; do
  if git rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then base="$ref"; break; fi
done
if [ -z "$base" ]; then
  echo "buf breaking: skipped (no main branch in this clone)"
elif ! git cat-file -e "$base:proto/buf.yaml" 2>/dev/null; then
  echo "buf breaking: skipped ($base has no proto/buf.yaml yet: nothing to compare against)"
else
  against="$(mktemp -d)"
  trap 'rm -rf "$against"' EXIT
  git archive "$base" proto | tar -x -C "$against"
  (cd proto && "../$buf" breaking --against "$against/proto")
  echo "buf breaking against $base: ok"
fi
