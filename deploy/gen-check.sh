#!/usr/bin/env bash
# Fails when proto/gen (committed) is not what `npm run gen` would write from proto/*.proto, or buf lint fails.
set -euo pipefail
cd "$(dirname "$0")/../proto"
buf=../node_modules/.bin/buf
$buf lint
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$buf generate -o "$tmp"
$buf build -o "$tmp/gen/bmi.binpb"
if ! diff -r -q gen "$tmp/gen" >/dev/null; then
  diff -r -q gen "$tmp/gen" || true
  echo "proto/gen is stale: run 'npm run gen' and commit the result" >&2
  exit 1
fi
echo "proto: buf lint clean, generated code up to date"
