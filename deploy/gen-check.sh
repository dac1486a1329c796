#!/usr/bin/env bash
# Fails when docs/config.md is not what `npm run gen:config` writes from the services' settings (or a setting has
# no help text).
# Fails when what `npm run gen` writes from proto/*.proto (proto/gen, clients/python/bmi, docs/api.md: committed)
# differs from what is there, when buf lint fails, or when an RPC, service or message has no comment (or an RPC no
# "Access:" line) for the API reference.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The configuration reference, from the services' built settings (test.sh builds first).
node "$root/deploy/config-reference.js" | diff -q "$root/docs/config.md" - >/dev/null ||
  { echo "docs/config.md is stale: run 'npm run gen:config' and commit it" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
BMI_API_REFERENCE_STRICT=1 bash "$root/deploy/gen.sh" "$tmp"
stale=0
for p in proto/gen clients/python/bmi docs/api.md; do
  diff -r -q -x __pycache__ "$root/$p" "$tmp/$p" || stale=1
done
if [ $stale = 1 ]; then
  echo "generated code is stale: run 'npm run gen' and commit the result" >&2
  exit 1
fi
echo "docs/config.md up to date"
echo "proto: buf lint clean, generated code (TypeScript, Python, API reference) up to date"
