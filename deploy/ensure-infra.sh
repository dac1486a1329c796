#!/usr/bin/env bash
# Makes sure Redis and NATS (JetStream) answer on their configured ports; starts them (under RUN_DIR) only where
# nothing answers, and records what it started so `stack:down` stops only that.
# Usage: ensure-infra.sh [RUN_DIR]
# With BMI_INFRA_CREDENTIALS=1 (what stack:up sets), a Redis or NATS it starts requires a password: Redis an ACL user
# `bmi` (the default user is off), NATS user `bmi`; the passwords are in RUN_DIR/infra/{redis,nats}.pass (mode 600).
# Redis and NATS that already run are used as they are.
set -euo pipefail
RUN_DIR=${1:-${BMI_RUN_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.run}}
REDIS_PORT=${BMI_REDIS_PORT:-6379}
NATS_PORT=${BMI_NATS_PORT:-4222}
mkdir -p "$RUN_DIR/infra"
open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
secure=${BMI_INFRA_CREDENTIALS:-0}
password() { # a fresh random password in $1
  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$1")
}
wait_port() { for _ in $(seq 1 100); do open "$1" && return 0; sleep 0.1; done; echo "$2 did not come up on port $1" >&2; return 1; }

if ! open "$REDIS_PORT"; then
  command -v redis-server >/dev/null || bash "$(dirname "$0")/install-deps.sh"
  acl=()
  rm -f "$RUN_DIR/infra/redis.pass"
  if [ "$secure" = 1 ]; then
    password "$RUN_DIR/infra/redis.pass"
    # In an ACL file, not on the command line, where ps would show it.
    (umask 077; printf 'user default off\nuser bmi on >%s ~* &* +@all\n' "$(cat "$RUN_DIR/infra/redis.pass")" > "$RUN_DIR/infra/redis.acl")
    acl=(--aclfile "$RUN_DIR/infra/redis.acl")
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN_DIR/infra" \
    --appendonly yes --pidfile "$RUN_DIR/infra/redis.pid" --logfile "$RUN_DIR/infra/redis.log" "${acl[@]}"
  wait_port "$REDIS_PORT" redis
  echo "started redis on 127.0.0.1:$REDIS_PORT (pid $(cat "$RUN_DIR/infra/redis.pid"))"
fi
if ! open "$NATS_PORT"; then
  command -v nats-server >/dev/null || bash "$(dirname "$0")/install-deps.sh"
  mkdir -p "$RUN_DIR/infra/nats"
  auth=()
  rm -f "$RUN_DIR/infra/nats.pass"
  if [ "$secure" = 1 ]; then
    password "$RUN_DIR/infra/nats.pass"
    (umask 077; printf 'authorization { user: bmi, password: "%s" }\n' "$(cat "$RUN_DIR/infra/nats.pass")" > "$RUN_DIR/infra/nats.conf")
    auth=(-c "$RUN_DIR/infra/nats.conf")
  fi
  nohup nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$RUN_DIR/infra/nats" -l "$RUN_DIR/infra/nats.log" "${auth[@]}" \
    >/dev/null 2>&1 &
  echo $! > "$RUN_DIR/infra/nats.pid"
  wait_port "$NATS_PORT" nats
  echo "started nats (JetStream) on 127.0.0.1:$NATS_PORT (pid $(cat "$RUN_DIR/infra/nats.pid"))"
fi
