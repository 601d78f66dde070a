#!/usr/bin/env bash
# tests/cli/test_cli.sh: end-to-end tests of the `baton` CLI ($BATON_BIN)
# against the built guests ($BATON_GUESTS): result formatting for every
# value type, exit codes 0/1/2 with their exact messages, every trap kind,
# deadlines and memory limits, option parsing, load/link/compile/cache
# errors, `compile` caching and its lock under concurrency, `inspect`,
# `--repeat`, reactors' _initialize and commands' _start.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
G=${BATON_GUESTS:?BATON_GUESTS must name the built guests directory}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$G" || exit 1 # messages then name guests as given: traps.wasm

passed=0
failed=0
rc=0 out="" err=""

# run CMD...: runs CMD, leaving its exit status, stdout and stderr in
# $rc, $out and $err (trailing newlines stripped, as $(...) does).
run() {
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
  out=$(cat "$T/out")
  err=$(cat "$T/err")
}

pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL %s\n' "$1" >&2
  shift
  [ $# -gt 0 ] && printf '  %s\n' "$@" >&2
  printf '  got rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "$out" "$err" >&2
}

# expect NAME RC STDOUT STDERR CMD...: exact exit status and output.
expect() {
  local name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 4
  run "$@"
  if [ "$rc" = "$want_rc" ] && [ "$out" = "$want_out" ] && [ "$err" = "$want_err" ]; then
    pass
  else
    fail "$name" "want rc=$want_rc" "want stdout: $want_out" "want stderr: $want_err"
  fi
}

# expect_err NAME RC SUBSTRING CMD...: exit status, empty stdout, and a
# single-line stderr containing SUBSTRING.
expect_err() {
  local name=$1 want_rc=$2 sub=$3
  shift 3
  run "$@"
  if [ "$rc" = "$want_rc" ] && [ -z "$out" ] && [[ "$err" == *"$sub"* ]] &&
     [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]; then
    pass
  else
    fail "$name" "want rc=$want_rc" "want stderr containing: $sub"
  fi
}

# check NAME CONDITION-COMMAND...: passes when the command succeeds.
check() {
  local name=$1
  shift
  if "$@"; then pass; else fail "$name" "condition failed: $*"; fi
}

# matches STRING REGEX: bash regex match, usable as a check condition.
matches() { [[ $1 =~ $2 ]]; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- results, one per line ----
expect "i32 result" 0 "3" "" "$B" call traps.wasm div 7 2
expect "i64 result wraps" 0 "-9223372036854775808" "" "$B" call traps.wasm add64 9223372036854775807 1
expect "f32 result" 0 "1.5" "" "$B" call cli_values.wasm half 3
expect "f64 result" 0 "-3" "" "$B" call traps.wasm mulf 1.5 -2
expect "multi-value" 0 $'5\n6\n2.5' "" "$B" call traps.wasm multi 5
expect "no results" 0 "" "" "$B" call cli_values.wasm none
expect "four params" 0 "6.25" "" "$B" call cli_values.wasm four 1 2 3.5 -0.25
expect "i32 unsigned literal" 0 "-1" "" "$B" call cli_values.wasm id_i32 4294967295
expect "i32 hex literal" 0 "16" "" "$B" call cli_values.wasm id_i32 0x10
expect "i32 negative hex" 0 "-16" "" "$B" call cli_values.wasm id_i32 -0x10
expect "i64 min" 0 "-9223372036854775808" "" "$B" call cli_values.wasm id_i64 -9223372036854775808
expect "f32 shortest form" 0 "0.1" "" "$B" call cli_values.wasm id_f32 0.1
expect "f64 shortest form" 0 "0.1" "" "$B" call cli_values.wasm id_f64 0.1
expect "f64 negative zero" 0 "-0" "" "$B" call cli_values.wasm id_f64 -0
expect "f64 subnormal" 0 "1e-310" "" "$B" call cli_values.wasm id_f64 1e-310
expect "f32 nan" 0 "nan" "" "$B" call cli_values.wasm id_f32 nan
expect "f64 -inf" 0 "-inf" "" "$B" call cli_values.wasm id_f64 -inf
expect "f64 no exponent for 249750" 0 "249750" "" "$B" call cli_values.wasm id_f64 249750
expect "f64 small exponent form" 0 "1e-7" "" "$B" call cli_values.wasm id_f64 0.0000001
expect "f32 negative nan is nan" 0 "nan" "" "$B" call cli_values.wasm id_f32 -nan
expect "f64 negative nan is nan" 0 "nan" "" "$B" call cli_values.wasm id_f64 -nan
expect "f32 shortest digits" 0 "16777216" "" "$B" call cli_values.wasm id_f32 16777217
expect "guest stdout then result" 0 $'hello, world 42\nsecond line\n0' "to stderr: oops" \
  "$B" call wasi_io.wasm print_hello

# ---- every trap kind: exit 1 and one exact line ----
expect "trap div by zero" 1 "" 'trap: integer divide by zero (in export "div")' "$B" call traps.wasm div 1 0
expect "trap rem by zero" 1 "" 'trap: integer divide by zero (in export "rem_u")' "$B" call traps.wasm rem_u 1 0
expect "trap int overflow" 1 "" 'trap: integer overflow (in export "div")' "$B" call traps.wasm div -2147483648 -1
expect "trap unreachable" 1 "" 'trap: unreachable executed (in export "unreachable")' "$B" call traps.wasm unreachable
expect "trap oob load" 1 "" 'trap: out of bounds memory access (in export "load")' "$B" call traps.wasm load 65536
expect "trap oob store" 1 "" 'trap: out of bounds memory access (in export "store")' "$B" call traps.wasm store 65533 1
expect "trap oob offset" 1 "" 'trap: out of bounds memory access (in export "load_offset")' "$B" call traps.wasm load_offset 0
expect "in-bounds load" 0 "0" "" "$B" call traps.wasm load 65532
expect "trap null call_indirect" 1 "" 'trap: uninitialized element (in export "call_table")' \
  "$B" call traps.wasm call_table 3
expect "trap mismatched call_indirect" 1 "" 'trap: indirect call type mismatch (in export "call_table")' \
  "$B" call traps.wasm call_table 1
expect "trap call_indirect past the table" 1 "" 'trap: undefined element (in export "call_table")' \
  "$B" call traps.wasm call_table 4
expect "trap table.get out of bounds" 1 "" 'trap: out of bounds table access (in export "table_get")' \
  "$B" call traps.wasm table_get 4
expect "trap element segment out of bounds" 1 "" 'trap: out of bounds table access' \
  "$B" call elem_oob.wasm f
expect "good call_indirect" 0 "42" "" "$B" call traps.wasm call_table 0
expect "trap invalid conversion" 1 "" 'trap: invalid conversion to integer (in export "trunc")' "$B" call traps.wasm trunc nan
expect "trap conversion overflow" 1 "" 'trap: integer overflow (in export "trunc")' "$B" call traps.wasm trunc 1e100
expect "trap stack exhausted" 1 "" 'trap: call stack exhausted (in export "recurse")' "$B" call traps.wasm recurse 0

# ---- deadlines ----
t0=$(now_ms)
expect "timeout on forever" 1 "" 'trap: deadline exceeded (timeout 50 ms) (in export "forever")' \
  "$B" call traps.wasm forever --timeout 50
t1=$(now_ms)
check "timeout is prompt" [ $((t1 - t0)) -lt 5000 ]
expect "timeout= form, before positionals" 1 "" 'trap: deadline exceeded (timeout 50 ms) (in export "forever")' \
  "$B" call --timeout=50 traps.wasm forever
expect "timeout not reached" 0 "1000000" "" "$B" call traps.wasm spin 1000000 --timeout 10000
t0=$(now_ms)
expect "timeout interrupts sleep" 1 "" 'trap: deadline exceeded (timeout 100 ms) (in export "sleep_ms")' \
  "$B" call wasi_io.wasm sleep_ms 5000 --timeout 100
t1=$(now_ms)
check "sleep cut short" [ $((t1 - t0)) -lt 3000 ]

# ---- memory limits ----
expect "max-memory stops growth" 1 "" \
  'trap: unreachable executed (memory limit of 1048576 bytes reached) (in export "grow_until_trap")' \
  "$B" call traps.wasm grow_until_trap --max-memory 1M
expect "max-memory K suffix" 1 "" \
  'trap: unreachable executed (memory limit of 131072 bytes reached) (in export "grow_until_trap")' \
  "$B" call --max-memory 128K traps.wasm grow_until_trap
expect "grow within limit" 0 "1" "" "$B" call traps.wasm grow 1 --max-memory 128K
expect "grow over limit fails softly" 0 "-1" "" "$B" call traps.wasm grow 2 --max-memory=128K
expect "grow without limit" 0 "1" "" "$B" call traps.wasm grow 10
expect "limit below initial memory" 2 "" \
  "baton: traps.wasm: memory needs 65536 bytes initially, over the limit of 100 bytes" \
  "$B" call traps.wasm grow_until_trap --max-memory 100

# ---- guest exit status ----
expect "proc_exit(3)" 1 "bye 3" "baton: guest exited with status 3" "$B" call wasi_io.wasm exit_with 3
expect "proc_exit(0)" 0 "bye 0" "" "$B" call wasi_io.wasm exit_with 0
expect "command main returns 7" 1 $'argc=1\nargv[0]=wasi_cmd.wasm\nGREETING=(unset)' \
  "baton: guest exited with status 7" "$B" call wasi_cmd.wasm
expect "command _start without EXPORT" 0 "hello from _start (argc=1)" "note on stderr" "$B" call cli_command.wasm
expect "command _start by name" 0 "hello from _start (argc=1)" "note on stderr" "$B" call cli_command.wasm _start
expect "reactor _initialize ran" 0 "4242" "" "$B" call cli_ctor.wasm ctor_value
expect "reactor _initialize ran once" 0 "1" "" "$B" call cli_ctor.wasm ctor_runs
# A C guest using <math.h>: f64.sqrt, f64.floor and f64.nearest in the AOT
# shared object need libm (the link has -z defs); fmod runs inside the guest.
expect "C guest with sqrt, floor, fmod, rint links and runs" 0 "7.5" "" "$B" call libm_calc.wasm calc 3.5 2
expect "C guest with sqrt, floor, fmod, rint (negative)" 0 "0.5" "" "$B" call libm_calc.wasm calc -3.5 -2
expect "stdin is inherited" 0 $'read:hi\n3' "" bash -c 'echo hi | "$1" call wasi_io.wasm read_stdin' _ "$B"

# ---- option parsing ----
expect "options between positionals" 0 "3" "" "$B" call traps.wasm --timeout 1000 div 7 2
expect "negative arguments" 0 "3" "" "$B" call traps.wasm div -7 -2
expect "-- then negatives" 0 "-3" "" "$B" call traps.wasm div -- -7 2
expect "-- makes options positional" 2 "" 'baton: argument 2 `--timeout` is not a valid i32 for export "div"' \
  "$B" call traps.wasm div -- 7 --timeout
expect "-- before the file" 0 "-4" "" "$B" call -- traps.wasm div -8 2
expect "-inf is an argument" 0 "-inf" "" "$B" call cli_values.wasm id_f32 -inf
expect "unknown long option" 2 "" 'baton: unknown option --bogus (see `baton help`)' "$B" call traps.wasm div 1 2 --bogus
expect "unknown short option" 2 "" 'baton: unknown option -x (see `baton help`)' "$B" call traps.wasm -x div 1 2
expect "option needs a value" 2 "" "baton: option --timeout needs a value" "$B" call traps.wasm div 1 2 --timeout
expect "timeout zero" 2 "" 'baton: --timeout expects a positive number of milliseconds, got `0`' \
  "$B" call traps.wasm div 1 2 --timeout 0
expect "timeout negative" 2 "" 'baton: --timeout expects a positive number of milliseconds, got `-5`' \
  "$B" call traps.wasm div 1 2 --timeout=-5
expect "bad max-memory" 2 "" 'baton: --max-memory expects a positive size in bytes (K, M, G suffixes), got `1X`' \
  "$B" call traps.wasm div 1 2 --max-memory 1X
expect "bad repeat" 2 "" 'baton: --repeat expects a positive count, got `0`' "$B" call traps.wasm div 1 2 --repeat 0
expect "too few arguments" 2 "" 'baton: export "div" takes 2 arguments, 1 given' "$B" call traps.wasm div 1
expect "too many arguments" 2 "" 'baton: export "unreachable" takes 0 arguments, 1 given' "$B" call traps.wasm unreachable 5
expect "missing one argument" 2 "" 'baton: export "id_i32" takes 1 argument, 0 given' "$B" call cli_values.wasm id_i32
expect "bad i32 literal" 2 "" 'baton: argument 2 `x` is not a valid i32 for export "div"' "$B" call traps.wasm div 1 x
expect "i32 out of range" 2 "" 'baton: argument 1 `4294967296` is not a valid i32 for export "id_i32"' \
  "$B" call cli_values.wasm id_i32 4294967296
expect "i32 below range" 2 "" 'baton: argument 1 `-2147483649` is not a valid i32 for export "id_i32"' \
  "$B" call cli_values.wasm id_i32 -2147483649
expect "i64 fraction" 2 "" 'baton: argument 1 `1.5` is not a valid i64 for export "id_i64"' \
  "$B" call cli_values.wasm id_i64 1.5
expect "f64 overflow literal" 2 "" 'baton: argument 1 `1e400` is not a valid f64 for export "id_f64"' \
  "$B" call cli_values.wasm id_f64 1e400
expect "f32 overflow literal" 2 "" 'baton: argument 1 `1e39` is not a valid f32 for export "id_f32"' \
  "$B" call cli_values.wasm id_f32 1e39
expect "empty literal" 2 "" 'baton: argument 1 `` is not a valid f32 for export "id_f32"' \
  "$B" call cli_values.wasm id_f32 ""
expect "leading space literal" 2 "" 'baton: argument 1 ` 1` is not a valid i32 for export "id_i32"' \
  "$B" call cli_values.wasm id_i32 " 1"
expect "unknown export" 2 "" 'baton: traps.wasm has no exported function "nope"' "$B" call traps.wasm nope
expect "memory is not a function" 2 "" 'baton: traps.wasm has no exported function "memory"' "$B" call traps.wasm memory
expect "reactor without EXPORT" 2 "" 'baton: traps.wasm: no EXPORT given and the module has no `_start`' \
  "$B" call traps.wasm
expect_err "call without FILE" 2 "usage: baton call FILE.wasm" "$B" call
run "$B"
check "no command is usage" [ "$rc" = 2 ]
check "no command prints usage" matches "$err" '^usage: baton <command>'
run "$B" frob
check "unknown command" [ "$rc" = 2 ]
check "unknown command named" [ "${err%%$'\n'*}" = 'baton: unknown command `frob` (no plugin `baton-frob` on PATH; see `baton plugins list`)' ]
run "$B" version
check "version" [ "$rc" = 0 ]
check "version text" matches "$out" '^baton [0-9]+\.[0-9]+\.[0-9]+$'

# ---- load and link errors (exit 2) ----
: >"$T/empty.wasm"
head -c 100 wasi_io.wasm >"$T/trunc.wasm"
printf 'hello, world' >"$T/magic.wasm"
printf '\0asm\2\0\0\0' >"$T/version.wasm"
expect "missing file" 2 "" "baton: $T/missing.wasm: No such file or directory" "$B" call "$T/missing.wasm" f
expect_err "empty file" 2 "baton: $T/empty.wasm: offset 0x0: unexpected end" "$B" call "$T/empty.wasm" f
expect_err "truncated file" 2 "baton: $T/trunc.wasm: offset 0x" "$B" call "$T/trunc.wasm" f
check "truncated file says so" grep -q "unexpected end of data" "$T/err"
expect_err "wrong magic" 2 "baton: $T/magic.wasm: offset 0x0: bad magic number" "$B" call "$T/magic.wasm" f
expect_err "wrong version" 2 "baton: $T/version.wasm: offset 0x4: unsupported version" "$B" call "$T/version.wasm" f
expect "unresolved import" 2 "" \
  "baton: cli_badimport.wasm: unresolved import env.missing with signature (i32, i64) -> (f32)" \
  "$B" call cli_badimport.wasm run
expect "mistyped WASI import" 2 "" \
  "baton: cli_badsig.wasm: import wasi_snapshot_preview1.fd_write has signature (i32) -> (i32) but the host provides (i32, i32, i32, i32) -> (i32)" \
  "$B" call cli_badsig.wasm run

# ---- bounded input: only regular files, up to a size cap (exit 2 at once) ----
# Before, /dev/zero was read until the OOM killer, a directory asked malloc
# for LONG_MAX bytes and a FIFO blocked forever.
mkdir -p "$T/adir"
mkfifo "$T/fifo.wasm"
expect_err "module is /dev/zero" 2 "baton: /dev/zero is not a regular file" timeout 10 "$B" call /dev/zero f
expect_err "module is a directory" 2 "baton: $T/adir is a directory, not a file" timeout 10 "$B" call "$T/adir" f
expect_err "module is a FIFO" 2 "baton: $T/fifo.wasm is not a regular file" timeout 10 "$B" call "$T/fifo.wasm" f
expect_err "compile /dev/zero" 2 "baton: /dev/zero is not a regular file" timeout 10 "$B" compile /dev/zero
expect_err "inspect /dev/zero" 2 "baton: /dev/zero is not a regular file" timeout 10 "$B" inspect /dev/zero
expect_err "manifest is /dev/zero" 2 "/dev/zero is not a regular file" timeout 10 "$B" run -f /dev/zero
expect_err "manifest is a directory" 2 "$T/adir is a directory, not a file" timeout 10 "$B" run -f "$T/adir"
expect_err "WIT is /dev/zero" 2 "baton: /dev/zero is not a regular file" timeout 10 "$B" wit /dev/zero
expect_err "WIT is a FIFO" 2 "$T/fifo.wasm is not a regular file" timeout 10 "$B" wit "$T/fifo.wasm"
expect_err "module over BATON_MAX_INPUT" 2 "traps.wasm is $(wc -c <traps.wasm) bytes, over the limit of 100 (BATON_MAX_INPUT raises it)" \
  env BATON_MAX_INPUT=100 "$B" call traps.wasm div 1 0
printf 'package a:b;\nworld w {}\n' >"$T/w.wit"
expect_err "WIT over BATON_MAX_INPUT" 2 "w.wit is $(wc -c <"$T/w.wit") bytes, over the limit of 10" env BATON_MAX_INPUT=10 "$B" wit "$T/w.wit"
run env BATON_MAX_INPUT=1K "$B" wit "$T/w.wit"
check "BATON_MAX_INPUT takes a suffix" [ "$rc" = 0 ]

# ---- cache and compiler errors ----
: >"$T/x"
expect_err "cache dir under a file" 2 \
  "cache directory $T/x/cache is not usable: Not a directory (set BATON_CACHE_DIR" \
  env BATON_CACHE_DIR="$T/x/cache" "$B" call traps.wasm div 1 1
expect_err "C compiler fails" 2 "baton: traps.wasm: C compiler \`false\` failed (exit 1)" \
  env BATON_CACHE_DIR="$T/cc-false" CC=false "$B" call traps.wasm div 1 1
check "failed compile leaves no object" [ -z "$(ls "$T/cc-false" | grep -v '\.lock$' | grep -v '\.err$')" ]
check "failed compile is remembered" [ "$(ls "$T/cc-false" | grep -c '\.err$')" = 1 ]
# The remembered failure is returned again without running the compiler.
printf '#!/bin/sh\necho run >>"%s"\necho "cc: error: no" >&2\nexit 1\n' "$T/cc-runs" >"$T/cc-count"
chmod +x "$T/cc-count"
for i in 1 2 3; do
  expect_err "C compiler fails, remembered ($i)" 2 "baton: traps.wasm: C compiler \`$T/cc-count\` failed (exit 1): cc: error: no" \
    env BATON_CACHE_DIR="$T/cc-count-cache" CC="$T/cc-count" "$B" call traps.wasm div 1 1
done
check "remembered failure: compiler ran once" [ "$(wc -l <"$T/cc-runs")" = 1 ]
expect_err "C compiler missing" 2 "baton: traps.wasm: cannot run the C compiler \`$T/no-such-cc\`" \
  env BATON_CACHE_DIR="$T/cc-missing" CC="$T/no-such-cc" "$B" compile traps.wasm
check "missing compiler is not remembered" [ -z "$(ls "$T/cc-missing" | grep '\.err$')" ]

# ---- compile: cached the second time ----
run env BATON_CACHE_DIR="$T/c1" "$B" compile cli_values.wasm
check "compile ok" [ "$rc" = 0 ]
check "compile reports compiling" matches "$out" "^cli_values\\.wasm: compiled in [0-9.]+ s -> $T/c1/[0-9a-f]{64}\\.so\$"
so=${out##*-> }
check "compiled object exists" [ -f "$so" ]
run env BATON_CACHE_DIR="$T/c1" "$B" compile cli_values.wasm
check "second compile cached" [ "$rc" = 0 ]
check "second compile says cached" [ "$out" = "cli_values.wasm: cached $so" ]
expect "call uses the cache" 0 "7" "" env BATON_CACHE_DIR="$T/c1" "$B" call cli_values.wasm id_i32 7
run env BATON_CACHE_DIR="$T/c1" "$B" compile cli_values.wasm "$T/missing.wasm"
check "compile continues past a bad file" [ "$rc" = 2 ]
check "compile reports good file" [ "$out" = "cli_values.wasm: cached $so" ]
check "compile reports bad file" [ "$err" = "baton: $T/missing.wasm: No such file or directory" ]
expect_err "compile without files" 2 "usage: baton compile" "$B" compile

# ---- two concurrent compiles of a new module share one object ----
mkdir -p "$T/c2"
BATON_CACHE_DIR="$T/c2" "$B" compile wasi_io.wasm >"$T/o1" 2>&1 &
p1=$!
BATON_CACHE_DIR="$T/c2" "$B" compile wasi_io.wasm >"$T/o2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
out=$(cat "$T/o1" "$T/o2") err="" rc="$r1/$r2"
check "both concurrent compiles succeed" [ "$r1" = 0 ]
check "second concurrent compile succeeds" [ "$r2" = 0 ]
check "exactly one compiled" [ "$(grep -c ': compiled in ' "$T/o1" "$T/o2" | awk -F: '{s += $2} END {print s}')" = 1 ]
check "the other found it cached" [ "$(grep -c ': cached ' "$T/o1" "$T/o2" | awk -F: '{s += $2} END {print s}')" = 1 ]
check "exactly one object" [ "$(ls "$T/c2" | grep -c '\.so$')" = 1 ]
check "no work directories left" [ -z "$(ls "$T/c2" | grep '^tmp-')" ]

# ---- inspect ----
cp cli_values.wasm "$T/v.wasm"
size=$(stat -c %s "$T/v.wasm")
printf '\0\016\010cli-notehello' >>"$T/v.wasm" # custom section "cli-note": "hello"
run env BATON_CACHE_DIR="$T/never" "$B" inspect "$T/v.wasm"
check "inspect ok" [ "$rc" = 0 ]
want_inspect="module $T/v.wasm ($((size + 16)) bytes)
imports (0):
exports (9):
  memory mem
  global answer
  func id_i32 (i32) -> i32
  func id_i64 (i64) -> i64
  func id_f32 (f32) -> f32
  func id_f64 (f64) -> f64
  func half (f32) -> f32
  func none () -> ()
  func four (i32, i64, f32, f64) -> f64
memories (1):
  memory 0: 1 pages initial, 3 maximum
tables (0):
functions: 7 defined, 0 imported
globals: 1 defined, 0 imported
data segments: 0, element segments: 0
custom sections (1):
  cli-note (5 bytes at offset $(printf '0x%x' $((size + 11))))"
if [ "$out" = "$want_inspect" ]; then pass; else fail "inspect output" "want: $want_inspect"; fi
check "inspect compiles nothing" [ ! -e "$T/never" ]
run "$B" inspect wasi_io.wasm
check "inspect lists imports" grep -qx '  func wasi_snapshot_preview1.fd_write (i32, i32, i32, i32) -> i32' "$T/out"
check "inspect lists proc_exit" grep -qx '  func wasi_snapshot_preview1.proc_exit (i32) -> ()' "$T/out"
check "inspect lists exports" grep -qx '  func clock_ns (i32) -> i64' "$T/out"
check "inspect lists _initialize" grep -qx '  func _initialize () -> ()' "$T/out"
check "inspect lists memory" grep -qx '  memory 0: 2 pages initial, no maximum' "$T/out"
check "inspect lists producers" grep -q '^  producers ([0-9]* bytes at offset 0x[0-9a-f]*)$' "$T/out"
run "$B" inspect traps.wasm
check "inspect multi-value signature" grep -qx '  func multi (i32) -> (i32, i64, f64)' "$T/out"
expect "inspect missing file" 2 "" "baton: $T/missing.wasm: No such file or directory" "$B" inspect "$T/missing.wasm"
expect_err "inspect bad magic" 2 "baton: $T/magic.wasm: offset 0x0: bad magic number" "$B" inspect "$T/magic.wasm"
expect_err "inspect two files" 2 "usage: baton inspect FILE.wasm" "$B" inspect traps.wasm traps.wasm

# ---- --repeat ----
run "$B" call traps.wasm div 7 2 --repeat 50
check "repeat result printed once" [ "$out" = 3 ]
check "repeat ok" [ "$rc" = 0 ]
check "repeat prints median" matches "$err" '^50 calls, median [0-9]+\.[0-9]+ us per fresh instance\+call$'
run bash -c '"$1" call traps.wasm div 7 2 --repeat 3 2>&1' _ "$B"
check "results come before the timing line" matches "$out" $'^3\n3 calls, median '
run "$B" call traps.wasm counter --repeat 5
check "repeat uses fresh instances" [ "$out" = 1 ]
check "repeat prints its count" matches "$err" '^5 calls, median '
run "$B" call wasi_io.wasm exit_with 0 --repeat 3
check "repeat with exit(0) runs every time" [ "$out" = "bye 0bye 0bye 0" ]
check "repeat with exit(0) ok" [ "$rc" = 0 ]
check "repeat with exit(0) prints median" matches "$err" '^3 calls, median [0-9.]+ us'
expect "repeat stops at a trap" 1 "" 'trap: integer divide by zero (in export "div")' "$B" call traps.wasm div 1 0 --repeat 5

# ---- baton wast: the spec-script runner itself ----
cat >"$T/ok.wast" <<'WAST'
(module $M
  (func $p (import "spectest" "print_i32") (param i32))
  (global (export "g") (mut i32) (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "print") (call $p (i32.const 1))))
(register "M" $M)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (get "g") (i32.const 7))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_return (invoke "add" (i32.const 2) (i32.const 2)) (i32.const 4))
(invoke "print")
(assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
WAST
run "$B" wast "$T/ok.wast"
check "wast: all pass" [ "$rc" = 0 ]
check "wast: counts" matches "$out" $'1 not applicable [^\n]*\n10 passed, 0 failed$'
sed -e 's/(i32.const 3))$/(i32.const 4))/' "$T/ok.wast" >"$T/bad.wast"
run "$B" wast "$T/bad.wast"
check "wast: a wrong result fails" [ "$rc" = 1 ]
check "wast: failure line names file, line, export, expected and got" \
  matches "$out" 'bad\.wast:9: assert_return add: expected i32:4, got i32:3'
check "wast: closing line counts the failure" matches "$out" $'\n9 passed, 1 failed$'
printf 'bad.wast:9 known wrong on purpose\nbad.wast:99 stale entry\n' >"$T/skip.txt"
run "$B" wast --skip "$T/skip.txt" "$T/bad.wast"
check "wast: a listed command is skipped" [ "$rc" = 0 ]
check "wast: skips are counted" matches "$out" '1 skipped \(listed in '
check "wast: a stale skip entry is reported" matches "$out" 'bad\.wast:99: skip-list entry matches no command'
printf 'bad.wast:9\n' >"$T/skip2.txt"
run "$B" wast --skip "$T/skip2.txt" "$T/bad.wast"
check "wast: a skip needs a reason" [ "$rc" = 2 ]
printf '(module (func (export "f"))\n(assert_return (invoke "f")\n' >"$T/broken.wast"
run "$B" wast "$T/broken.wast"
check "wast: wast2json's complaint is shown" matches "$out" 'broken\.wast:0: wast2json rejected the script: .*broken\.wast:2'
check "wast: a script that cannot be read fails" [ "$rc" = 1 ]
printf '(module (func (export "loop") (loop (br 0))))\n(invoke "loop")\n' >"$T/loop.wast"
run "$B" wast --timeout 200 "$T/loop.wast"
check "wast: a runaway guest is a failure, not a hang" matches "$out" 'loop\.wast:2: action: trap: deadline exceeded'

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
