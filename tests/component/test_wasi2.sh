#!/usr/bin/env bash
# tests/component/test_wasi2.sh: WASI 0.2 host imports (src/wasi/preview2.c)
# on components made by the preview1 adapters jco ships:
#   1. tests/component/wasi2/guest.c, a wasi-libc reactor using printf,
#      stderr, args/environ/getenv, clock_gettime/clock_getres/nanosleep,
#      getentropy/arc4random, fopen (which must fail: no preopens) and exit,
#      made into a component with the reactor adapter (exports from
#      wasi2/guest.wit); each export is run with `baton call` and on Node
#      (wasi2-run.mjs: jco transpile + preview2 shim, same arguments, empty
#      environment, no preopens) and stdout, stderr and exit status must be
#      identical (the guest prints the shape of clock and random values);
#   2. tests/component/wasi2/command.c, a wasi-libc command made with the
#      command adapter: `baton call X.wasm` with no EXPORT runs
#      wasi:cli/run, compared with Node the same way;
#   3. deadlines ending blocking calls (a long sleep, a stdin read that
#      never gets data) at the call's --timeout;
#   4. an app whose component is the reactor: output prefixed with the
#      component's name (prefix_output), a flow calling an export.
# Needs clang, node and tools/node_modules; their absence is a failure.
# Prints "N passed, M failed" last.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
S=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-wasi2.XXXXXX")
trap 'rm -rf "$T"' EXIT
H=$S/tests/component
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAIL: $1"
  shift
  for f in "$@"; do [ -f "$f" ] && sed 's/^/    /' "$f"; done
}

CC="clang --target=wasm32-wasi --sysroot=/usr -O2 -g0 -Wl,--strip-all"
if ! $CC -mexec-model=reactor "$H/wasi2/guest.c" -o "$T/guest.core.wasm" 2>"$T/err" ||
   ! node "$H/wasi2-tools.mjs" new reactor "$T/guest.core.wasm" "$T/guest.wasm" "$H/wasi2/guest.wit" guest 2>>"$T/err" ||
   ! $CC "$H/wasi2/command.c" -o "$T/command.core.wasm" 2>>"$T/err" ||
   ! node "$H/wasi2-tools.mjs" new command "$T/command.core.wasm" "$T/command.wasm" 2>>"$T/err"; then
  bad "building the guests" "$T/err"
  echo "$passed passed, $failed failed"
  exit 1
fi
cd "$T" || exit 1

# compare NAME ARGS...: baton call and Node on the same component and export.
compare() {
  local name=$1 wasm=$2
  shift 2
  "$B" call "$wasm" "$@" >"$T/b.out" 2>"$T/b.err"
  local brc=$?
  node "$H/wasi2-run.mjs" "$wasm" "$T/js" "$wasm" "$@" >"$T/n.out" 2>"$T/n.err"
  local nrc=$?
  # baton reports a non-zero exit itself; Node does not
  grep -v '^baton: guest exited with status' "$T/b.err" >"$T/b.err2"
  if ! cmp -s "$T/b.out" "$T/n.out" || ! cmp -s "$T/b.err2" "$T/n.err" || [ $brc != $nrc ]; then
    echo "== baton (exit $brc)" >"$T/diff"
    cat "$T/b.out" "$T/b.err" >>"$T/diff"
    echo "== node (exit $nrc)" >>"$T/diff"
    cat "$T/n.out" "$T/n.err" >>"$T/diff"
    bad "$name" "$T/diff"
  else
    ok
  fi
}

# expect NAME FILE TEXT: FILE contains TEXT.
expect() {
  if grep -qF -- "$3" "$2"; then ok; else bad "$1: no '$3' in" "$2"; fi
}

compare "greet: stdout, stderr, result" guest.wasm greet 5
expect "greet output" "$T/b.out" "in one write"
expect "greet stderr" "$T/b.err" "to stderr 5"
compare "env: args, environ, getenv" guest.wasm env
expect "env output" "$T/b.out" "args=1 env=0 getenv=(null)"
compare "clocks: wall, monotonic, resolution, sleep" guest.wasm clocks
expect "clocks output" "$T/b.out" "wall-ok mono-ok res-ok sleep-ok"
compare "random: getentropy, arc4random" guest.wasm random
expect "random output" "$T/b.out" "64 bytes, not all zero, arc4random varies"
compare "files: fopen fails without preopens" guest.wasm files
expect "files output" "$T/b.out" "fopen write: failed"
compare "exit(3) from a reactor export" guest.wasm quit 3
expect "exit status reported" "$T/b.err" "guest exited with status 1"
compare "exit(0) from a reactor export" guest.wasm quit 0
compare "command component via wasi:cli/run" command.wasm
expect "command output" "$T/b.out" "command: argc=1"
expect "command stderr" "$T/b.err" "command: done"
# An explicit EXPORT still works on a command component.
"$B" call command.wasm 'wasi:cli/run@0.2.12#run' >"$T/b.out" 2>"$T/b.err"
if [ $? = 0 ]; then expect "run by name" "$T/b.out" "command: argc=1"; else bad "run by name" "$T/b.err"; fi

# Repeated sleeps: pollables are freed when the guest drops them.
for i in 1 2 3; do "$B" call guest.wasm clocks >/dev/null 2>&1 || bad "clocks again $i"; done
ok

# Deadlines end blocking WASI 0.2 calls: a 10 s sleep (poll on a
# monotonic-clock pollable) and a read of a stdin that stays open and never
# gets data, each under a 500 ms deadline, trap within 1.5 s (an upper bound
# only; before, the sleep ran its 10 s and the read waited for input).
# deadline_case NAME CMD...: CMD (baton call ... --timeout 500) must fail
# with the deadline trap in under 1500 ms.
deadline_case() {
  local name=$1
  shift
  local t0 t1 rc
  t0=$(date +%s%N)
  "$@" >"$T/d.out" 2>"$T/d.err"
  rc=$?
  t1=$(date +%s%N)
  local ms=$(((t1 - t0) / 1000000))
  if [ $rc = 0 ] || ! grep -q "deadline exceeded" "$T/d.err" || [ $ms -gt 1500 ]; then
    echo "exit $rc after $ms ms" >>"$T/d.err"
    bad "$name" "$T/d.out" "$T/d.err"
  else
    ok
  fi
}
deadline_case "deadline ends a WASI 0.2 sleep" "$B" call guest.wasm nap 10000 --timeout 500
mkfifo "$T/stdin.fifo"
sleep 4 >"$T/stdin.fifo" &
holder=$!
deadline_case "deadline ends a WASI 0.2 stdin read" "$B" call guest.wasm slurp --timeout 500 <"$T/stdin.fifo"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
# with data and no deadline the read still works
printf 'abc' | "$B" call guest.wasm slurp >"$T/s.out" 2>"$T/s.err"
expect "stdin read returns the data" "$T/s.out" "3"

# An app: WASI 0.2 imports from the host, output prefixed per line.
cat >"$T/app.toml" <<'TOML'
[application]
name = "w2"

[component.greeter]
source = "guest.wasm"

[flow.hello]
output = "steps.greet"

[[flow.hello.step]]
name = "greet"
component = "greeter"
export = "greet"
input = "$input"
TOML
if "$B" run -f "$T/app.toml" hello --input 7 >"$T/a.out" 2>"$T/a.err"; then
  expect "app output prefixed" "$T/a.out" "[greeter] two lines"
  expect "app result" "$T/a.out" "8"
  expect "app stderr prefixed" "$T/a.err" "[greeter] to stderr 7"
else
  bad "app run" "$T/a.out" "$T/a.err"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
