#!/usr/bin/env bash
# tests/app/test_app_up.sh: `baton up` (src/cli/cmd_app.c) stopping and
# scaling, on a tiny app written here (echo.wat: echo(n) = n + 100):
#   1. signals: for every trigger mix (a cli trigger, timers, both, no
#      triggers at all) and for SIGTERM and SIGINT separately, `baton up`
#      with a stdin that stays open and never ends (a FIFO the test holds
#      open) exits 0 within 2 s of the signal, after its first run. Before,
#      a cli trigger blocked in getline ignored both until stdin closed;
#   2. 20 timer triggers (more than the old fixed 16) all fire;
#   3. a timer trigger whose thread cannot be created (a stack limit no
#      thread fits in) is an error naming the trigger, exit 2.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-app-up.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  shift
  for f in "$@"; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
}

cd "$T" || exit 1
mkdir wit
cat >wit/echo.wit <<'EOF'
package test:up@0.1.0;

world echo {
  export echo: func(n: u32) -> u32;
}
EOF
cat >echo.wat <<'EOF'
(module
  (memory (export "memory") 1)
  (func (export "echo") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 100))))
EOF
wat2wasm echo.wat -o echo.wasm || { bad "wat2wasm"; echo "$passed passed, $failed failed"; exit 1; }

# app NAME TRIGGERS: writes NAME.toml, the echo flow `f` with TRIGGERS.
app() {
  cat >"$1.toml" <<EOF
[application]
name = "up"
default_input = "1"

[component.e]
source = "echo.wasm"
wit = "wit"
world = "echo"

[flow.f]
[[flow.f.step]]
name = "s"
component = "e"
export = "echo"
input = "\$input"
$2
EOF
}

CLI='[[trigger.cli]]
flow = "f"'
TIMER='[[trigger.timer]]
flow = "f"
interval_ms = 100
input = "5"'
app cli "$CLI"
app timer "$TIMER"
app both "$CLI
$TIMER"
app none ""
# compile once, so that the timing below never includes the compiler
"$B" build -f cli.toml >"$T/build.err" 2>&1 || bad "build" "$T/build.err"

# wait_for FILE TEXT SECONDS: whether FILE gets a line TEXT in time.
wait_for() {
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    grep -qx -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# signal_case MIX SIGNAL: baton up -f MIX.toml on a FIFO stdin held open,
# one line "7" written when the mix has a cli trigger; once a run printed
# its result, SIGNAL must end it with exit 0 within 2 s.
signal_case() {
  local mix=$1 sig=$2 name="up ($1 triggers) on SIG$2"
  rm -f in.fifo out err
  mkfifo in.fifo
  exec 3<>in.fifo # read-write: never blocks, and stdin never ends
  "$B" up -q -f "$mix.toml" <&3 >out 2>err &
  local pid=$!
  pids+=("$pid")
  local want=105
  if [ "$mix" != timer ]; then
    echo 7 >&3
    want=107
  fi
  if ! wait_for out "$want" 10; then
    bad "$name: no first result" out err
    kill -9 "$pid" 2>/dev/null
    exec 3>&-
    return
  fi
  local t0 t1 i
  t0=$(date +%s%N)
  kill -"$sig" "$pid"
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  t1=$(date +%s%N)
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    echo "still running $(((t1 - t0) / 1000000)) ms after SIG$sig" >>err
    bad "$name" out err
  else
    wait "$pid"
    local rc=$?
    if [ $rc = 0 ]; then ok; else
      echo "exit $rc" >>err
      bad "$name" out err
    fi
  fi
  exec 3>&-
}

for mix in cli timer both none; do
  for sig in TERM INT; do signal_case "$mix" "$sig"; done
done

# 20 timers, inputs 1..20: each fires at least once.
TIMERS=""
for i in $(seq 1 20); do
  TIMERS="$TIMERS
[[trigger.timer]]
flow = \"f\"
interval_ms = 200
input = \"$i\""
done
app many "$TIMERS"
"$B" up -q -f many.toml --duration 1500 </dev/null >out 2>err
rc=$?
if [ $rc != 0 ]; then bad "20 timers: exit $rc" out err; else ok; fi
missing=""
for i in $(seq 1 20); do grep -qx "$((100 + i))" out || missing="$missing $i"; done
if [ -z "$missing" ]; then ok; else bad "20 timers: timers that never fired:$missing" out err; fi

# A thread that cannot be created (its stack would not fit in the address
# space) is an error naming the trigger.
(ulimit -s 1099511627776 && exec "$B" up -q -f timer.toml --duration 500) </dev/null >out 2>err
rc=$?
if [ $rc = 2 ] && grep -q "timer.toml:.*cannot start timer trigger 1 (flow \`f\`)" err; then ok; else
  echo "exit $rc" >>err
  bad "thread creation failure" out err
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
