#!/usr/bin/env bash
# Fails with buf's message when proto/ (as it is in the work tree) breaks the contracts callers were promised
# (buf.yaml's `breaking` rules, FILE: no field, RPC, message, enum value or file removed, renamed, renumbered or
# retyped; adding is fine). The baseline, first that applies:
#   BMI_BREAKING_AGAINST=<git ref>                        an explicit one
#   the newest tag v<N>... reachable from HEAD            the last release
#   the merge base with the upstream branch               a branch under review (when that is not HEAD itself)
#   the commit that added proto/buf.yaml                  no release yet: every change since v1's contracts
#                                                         appeared must be additive
# A copy without git history has nothing to compare with: it says so and passes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! git rev-parse --git-dir >/dev/null 2>&1 || [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  echo "proto: no full git history here, breaking-change check skipped" >&2
  exit 0
fi
baseline() {
  if [ -n "${BMI_BREAKING_AGAINST:-}" ]; then git rev-parse --verify "$BMI_BREAKING_AGAINST^{commit}"; echo "BMI_BREAKING_AGAINST"; return; fi
  local tag upstream base
  if tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null); then
    git rev-parse "$tag^{commit}"; echo "release $tag"; return
  fi
  upstream=$(git rev-parse --abbrev-ref --symbolic-full-name '@{upstream}' 2>/dev/null || true)
  [ -n "$upstream" ] || upstream=$(git rev-parse --verify -q origin/main >/dev/null && echo origin/main || true)
  if [ -n "$upstream" ] && base=$(git merge-base HEAD "$upstream" 2>/dev/null) && [ "$base" != "$(git rev-parse HEAD)" ]; then
    echo "$base"; echo "merge base with $upstream"; return
  fi
  git log --diff-filter=A --format=%H -- proto/buf.yaml | tail -1; echo "the first contracts (no release tagged yet)"
}
{ read -r commit; read -r what; } < <(baseline)
cd proto
if ! ../node_modules/.bin/buf breaking --against "$root/.git#ref=$commit,subdir=proto"; then
  echo "proto: the change above breaks bmi.*.v1 against $what (${commit:0:12}); v1 only grows: add a field, RPC" \
    "or message instead, or start bmi.<area>.v2 beside it (README, \"Stable contracts\")" >&2
  exit 1
fi
echo "proto: no breaking change against $what (${commit:0:12})"
