#!/usr/bin/env bash
# tests/cli/test_cache.sh: the compiled-module cache as an attacker and as an
# unlucky user see it (issue 9, items 1 and 2): planted, symlinked,
# truncated and foreign objects, corrupt or missing integrity records,
# foreign and world-writable cache directories, a symlink at the lock path,
# umask 000, `kill -9` during a compile (no orphaned compiler, no work
# directory left), compile timeouts, a full disk, and `baton cache
# ls|prune|clear` with BATON_CACHE_MAX. Steps that need root (the attacker
# as `nobody`, a small tmpfs) are skipped with a reason otherwise.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
G=${BATON_GUESTS:?BATON_GUESTS must name the built guests directory}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-cachetest.XXXXXX")
MNT=""
cleanup() {
  [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
  chmod -R u+rwX "$T" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
cd "$G" || exit 1
unset BATON_CACHE_MAX BATON_COMPILE_TIMEOUT BATON_KEEP_AOT

passed=0
failed=0
rc=0 out="" err=""

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
  printf '  got rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "$out" "$err" >&2
}
check() {
  local name=$1
  shift
  if "$@"; then pass; else fail "$name"; fi
}
contains() { [[ "$1" == *"$2"* ]]; }
lines() { printf '%s\n' "$1" | grep -c .; }
skip() { printf 'SKIP %s\n' "$*"; }
# alive PIDFILE: the process runs (a zombie left to a PID 1 that does not
# reap counts as dead).
alive() {
  local st
  st=$(ps -o stat= -p "$(cat "$1")" 2>/dev/null)
  [ -n "$st" ] && [[ "$st" != Z* ]]
}

# An object whose constructor leaves a mark: what an attacker plants.
cat >"$T/evil.c" <<EOF
#include <stdio.h>
__attribute__((constructor)) static void pwn(void) {
  FILE *f = fopen("$T/pwned", "w");
  if (f) fclose(f);
}
int baton_glue_module;
EOF
cc -shared -fPIC -o "$T/evil.so" "$T/evil.c" || exit 1
chmod 644 "$T/evil.so"
evil_sum=$(sha256sum <"$T/evil.so")

# fresh DIR: a cache holding a verified traps.wasm entry; sets $key, $so.
fresh() {
  rm -rf "$1"
  BATON_CACHE_DIR="$1" "$B" compile traps.wasm >"$T/fresh.out" 2>&1 || cat "$T/fresh.out" >&2
  so=$(ls "$1"/*.so)
  key=$(basename "$so" .so)
}
# call_ok NAME DIR: traps.wasm div 6 3 prints 2, rc 0, nothing planted ran.
call_ok() {
  run env BATON_CACHE_DIR="$2" "$B" call traps.wasm div 6 3
  check "$1: call works" [ "$rc" = 0 ] && check "$1: result" [ "$out" = 2 ]
  check "$1: planted code never ran" [ ! -e "$T/pwned" ]
}
# verified DIR: the entry is a regular 0600 file matching its record.
verified() {
  [ -f "$1/$key.so" ] && [ ! -L "$1/$key.so" ] && [ "$(stat -c %a "$1/$key.so")" = 600 ] &&
    grep -q "sha256 $(sha256sum <"$1/$key.so" | cut -d' ' -f1)" "$1/$key.sum"
}

# ---- a verified entry is a hit, silently ----
fresh "$T/c"
check "entry has an integrity record" [ -f "$T/c/$key.sum" ]
check "record holds the object's SHA-256" verified "$T/c"
run env BATON_CACHE_DIR="$T/c" "$B" compile traps.wasm
check "second compile is a hit" [ "$out" = "traps.wasm: cached $so" ]
check "a hit says nothing" [ -z "$err" ]

# ---- planted object at the key: never loaded, replaced ----
cp "$T/evil.so" "$so"
call_ok "planted .so" "$T/c"
check "planted .so: said once" [ "$(lines "$err")" = 1 ]
check "planted .so: reason" contains "$err" "cache entry $so is truncated or altered"
check "planted .so: replaced" verified "$T/c"
run env BATON_CACHE_DIR="$T/c" "$B" call traps.wasm div 6 3
check "planted .so: repaired for good" [ -z "$err" ]
# The same size as the real object, so only the hash can tell.
fresh "$T/c"
head -c "$(stat -c %s "$so")" /dev/urandom >"$so"
call_ok "same-size garbage" "$T/c"
check "same-size garbage: reason" contains "$err" "does not match its recorded SHA-256"

# ---- symlinked entry ----
fresh "$T/c"
rm "$so" && ln -s "$T/evil.so" "$so"
call_ok "symlinked .so" "$T/c"
check "symlinked .so: reason" contains "$err" "$key.so is a symbolic link; compiling it again"
check "symlinked .so: replaced by a file" verified "$T/c"
check "symlink target untouched" [ "$(sha256sum <"$T/evil.so")" = "$evil_sum" ]

# ---- truncated entry (used to SIGBUS) ----
for size in 100 0 4096; do
  fresh "$T/c"
  truncate -s "$size" "$so"
  call_ok "truncated to $size" "$T/c"
  check "truncated to $size: reason" contains "$err" "is truncated or altered ($size bytes"
  check "truncated to $size: said once" [ "$(lines "$err")" = 1 ]
  check "truncated to $size: replaced" verified "$T/c"
done

# ---- corrupt or missing integrity record ----
fresh "$T/c"
printf 'baton-cache-index 1\nsize 12\nsha256 zz\n' >"$T/c/$key.sum"
call_ok "corrupt record" "$T/c"
check "corrupt record: reason" contains "$err" "has a corrupt integrity record"
check "corrupt record: replaced" verified "$T/c"
fresh "$T/c"
rm "$T/c/$key.sum"
call_ok "missing record" "$T/c"
check "missing record: reason" contains "$err" "has no integrity record"
check "missing record: replaced" verified "$T/c"
# a planted object together with a record that matches it (an attacker who
# can write the directory): the directory checks below are what stop that.

# ---- a verified object with a wrong glue ABI tag: a miss, compiled again ----
printf 'const struct { unsigned abi; } baton_glue_module = {999};\n' >"$T/abi.c"
cc -shared -fPIC -o "$T/abi.so" "$T/abi.c" || exit 1
fresh "$T/c"
cp "$T/abi.so" "$so" && chmod 600 "$so"
printf 'baton-cache-index 1\nsize %s\nsha256 %s\n' "$(stat -c %s "$so")" "$(sha256sum <"$so" | cut -d' ' -f1)" >"$T/c/$key.sum"
call_ok "bad ABI tag" "$T/c"
check "bad ABI tag: reason" contains "$err" "$key.so is not a baton"
check "bad ABI tag: said once" [ "$(lines "$err")" = 1 ]
check "bad ABI tag: replaced" verified "$T/c"

# ---- modes: explicit, whatever the umask ----
rm -rf "$T/u"
(umask 000 && BATON_CACHE_DIR="$T/u/deep/cache" "$B" compile traps.wasm >/dev/null 2>&1)
check "umask 000: object 0600" [ "$(stat -c %a "$T"/u/deep/cache/*.so)" = 600 ]
check "umask 000: record 0600" [ "$(stat -c %a "$T"/u/deep/cache/*.sum)" = 600 ]
check "umask 000: lock 0600" [ "$(stat -c %a "$T"/u/deep/cache/*.lock)" = 600 ]
check "umask 000: cache dir 0700" [ "$(stat -c %a "$T/u/deep/cache")" = 700 ]
check "umask 000: created parents 0700" [ "$(stat -c %a "$T/u/deep")" = 700 ]

# ---- the cache directory itself ----
mkdir -p "$T/ww" && chmod 777 "$T/ww"
run env BATON_CACHE_DIR="$T/ww" "$B" call traps.wasm div 6 3
check "world-writable cache dir refused (exit 2)" [ "$rc" = 2 ]
check "world-writable: names the path and the fix" contains "$err" "cache directory $T/ww is writable by group or others (mode 0777); run \`chmod 700 $T/ww\`"
chmod 770 "$T/ww"
run env BATON_CACHE_DIR="$T/ww" "$B" call traps.wasm div 6 3
check "group-writable cache dir refused" contains "$err" "is writable by group or others (mode 0770)"
mkdir -p "$T/xdg" && chmod 777 "$T/xdg"
run env -u BATON_CACHE_DIR XDG_CACHE_HOME="$T/xdg" "$B" call traps.wasm div 6 3
check "world-writable XDG_CACHE_HOME refused" [ "$rc" = 2 ]
check "world-writable XDG_CACHE_HOME: names it" contains "$err" "$T/xdg above it is writable by group or others"
check "nothing created under it" [ -z "$(ls "$T/xdg")" ]
chmod 700 "$T/xdg"
run env -u BATON_CACHE_DIR XDG_CACHE_HOME="$T/xdg" "$B" call traps.wasm div 6 3
check "private XDG_CACHE_HOME used" [ "$rc" = 0 ] && check "XDG cache created 0700" [ "$(stat -c %a "$T/xdg/baton")" = 700 ]

# ---- the attacker as another user (root only) ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  S=$T/shared
  mkdir -p "$S" && chmod 755 "$T" && chmod 1777 "$S"
  fresh "$T/c"
  # nobody prepares a cache where root will look, with a planted object and
  # a record that matches it, as in the /tmp/.cache/baton attack.
  as_nobody sh -c "mkdir -p '$S/cache' && cp '$T/evil.so' '$S/cache/$key.so' &&
    printf 'baton-cache-index 1\nsize %s\nsha256 %s\n' \$(stat -c %s '$T/evil.so') \$(sha256sum <'$T/evil.so' | cut -d' ' -f1) >'$S/cache/$key.sum' &&
    chmod 755 '$S/cache'"
  check "attacker step ran as nobody" [ "$(stat -c %u "$S/cache/$key.so")" = 65534 ]
  run env BATON_CACHE_DIR="$S/cache" "$B" call traps.wasm div 6 3
  check "cache dir of another user refused (exit 2)" [ "$rc" = 2 ]
  check "foreign dir: names the path and the fix" contains "$err" "cache directory $S/cache is owned by another user (uid 65534)"
  check "foreign dir: planted code never ran" [ ! -e "$T/pwned" ]
  # A parent directory of someone else's.
  as_nobody mkdir -p "$S/nob/inner"
  mkdir -p "$S/nob/inner/mine" # root may; the directory is ours, its parent is not
  chmod 700 "$S/nob/inner/mine"
  run env BATON_CACHE_DIR="$S/nob/inner/mine" "$B" call traps.wasm div 6 3
  check "parent owned by another user refused" contains "$err" "above it is owned by another user (uid 65534)"
  # A foreign file inside our own directory.
  fresh "$T/c"
  chown 65534 "$so"
  call_ok "object owned by nobody" "$T/c"
  check "object owned by nobody: reason" contains "$err" "$key.so is owned by another user (uid 65534)"
  check "object owned by nobody: replaced" [ "$(stat -c %u "$so")" = 0 ]
  # Without HOME or XDG_CACHE_HOME, nobody (home /nonexistent) gets a
  # private cache for the process, never a shared one.
  cp traps.wasm "$S/traps.wasm" && chmod 644 "$S/traps.wasm"
  run as_nobody env -i PATH="$PATH" "$B" call "$S/traps.wasm" div 6 3
  check "no per-user location: call works" [ "$rc" = 0 ] && check "no per-user location: result" [ "$out" = 2 ]
  check "no per-user location: private cache announced once" contains "$err" "no per-user cache directory (HOME and XDG_CACHE_HOME are unset): compiling into ${TMPDIR:-/tmp}/baton-private-cache-"
  priv=$(printf '%s' "$err" | sed -n 's/.*compiling into \([^ ]*\) for this process only.*/\1/p')
  check "private cache removed at exit" [ -n "$priv" ] && check "private cache gone" [ ! -e "$priv" ]
else
  skip "attacker steps as nobody (needs root and setpriv)"
fi

# ---- a symlink at the lock path ----
fresh "$T/c"
rm -f "$so" "$T/c/$key.lock" "$T/victim"
ln -s "$T/victim" "$T/c/$key.lock"
run env BATON_CACHE_DIR="$T/c" "$B" call traps.wasm div 6 3
check "lock symlink: call works" [ "$rc" = 0 ]
check "lock symlink: target not created" [ ! -e "$T/victim" ]
check "lock symlink: replaced by a file" [ -f "$T/c/$key.lock" ] && check "lock is not a symlink" [ ! -L "$T/c/$key.lock" ]
echo "keep me" >"$T/victim2"
rm -f "$so" "$T/c/$key.lock" && ln -s "$T/victim2" "$T/c/$key.lock"
run env BATON_CACHE_DIR="$T/c" "$B" call traps.wasm div 6 3
check "lock symlink to a file: file untouched" [ "$(cat "$T/victim2")" = "keep me" ]

# ---- kill -9 during a compile: no orphan, no work directory left ----
# The "compiler" records its pid and that of a child, then hangs.
cat >"$T/slowcc" <<EOF
#!/bin/sh
[ -e "$T/hang" ] || exec cc "\$@"
sleep 300 &
echo \$! >"$T/cc-child.pid"
echo \$\$ >"$T/cc.pid"
wait
EOF
chmod +x "$T/slowcc"
rm -rf "$T/k" "$T"/cc*.pid
touch "$T/hang"
BATON_CACHE_DIR="$T/k" CC="$T/slowcc" "$B" compile traps.wasm >/dev/null 2>&1 &
bpid=$!
for _ in $(seq 100); do [ -s "$T/cc-child.pid" ] && [ -s "$T/cc.pid" ] && break; sleep 0.1; done
kill -9 "$bpid"
wait "$bpid" 2>/dev/null
sleep 0.5
check "kill -9: the compiler died with baton" eval '! alive "$T/cc.pid"'
check "kill -9: the compiler's own child died too" eval '! alive "$T/cc-child.pid"'
check "kill -9: a work directory was left" [ -n "$(ls "$T/k" | grep '^tmp-')" ]
rm "$T/hang" # the same compiler, working again: the same key
run env BATON_CACHE_DIR="$T/k" CC="$T/slowcc" "$B" call traps.wasm div 6 3
check "next run works" [ "$rc" = 0 ] && check "next run result" [ "$out" = 2 ]
check "next run removed the work directory" [ -z "$(ls "$T/k" | grep '^tmp-')" ]

# Stale work directories of other keys: older than an hour and not locked.
old=tmp-$(printf 'a%.0s' $(seq 64))-OLD001 young=tmp-$(printf 'b%.0s' $(seq 64))-YNG001
busy=tmp-$(printf 'c%.0s' $(seq 64))-BSY001
mkdir -p "$T/k/$old" "$T/k/$young" "$T/k/$busy"
echo x >"$T/k/$old/module.c"
touch -d '2 hours ago' "$T/k/$old" "$T/k/$busy"
: >"$T/k/$(printf 'c%.0s' $(seq 64)).lock"
flock "$T/k/$(printf 'c%.0s' $(seq 64)).lock" sleep 30 &
fpid=$!
sleep 0.3
run env BATON_CACHE_DIR="$T/k" "$B" compile cli_values.wasm
check "sweep: compile works" [ "$rc" = 0 ]
check "sweep: old unlocked work dir removed" [ ! -e "$T/k/$old" ]
check "sweep: young work dir kept" [ -d "$T/k/$young" ]
check "sweep: work dir of a running compile kept" [ -d "$T/k/$busy" ]
kill "$fpid" 2>/dev/null

# ---- compile timeout kills the compiler ----
rm -rf "$T/to" "$T"/cc*.pid
touch "$T/hang"
start=$(date +%s)
run env BATON_CACHE_DIR="$T/to" CC="$T/slowcc" BATON_COMPILE_TIMEOUT=1 "$B" call traps.wasm div 6 3
check "timeout: exit 2" [ "$rc" = 2 ]
check "timeout: says so" contains "$err" "timed out after 1000 ms (BATON_COMPILE_TIMEOUT)"
check "timeout: within seconds" [ $(($(date +%s) - start)) -lt 20 ]
check "timeout: compiler killed" eval '! alive "$T/cc.pid"'
check "timeout: its child killed" eval '! alive "$T/cc-child.pid"'
check "timeout: not remembered as a failure" [ -z "$(ls "$T/to" | grep '\.err$')" ]

# ---- a full disk ----
if [ "$(id -u)" = 0 ] && mkdir -p "$T/full" && mount -t tmpfs -o size=300k,mode=700 tmpfs "$T/full" 2>/dev/null; then
  MNT=$T/full
  run env BATON_CACHE_DIR="$T/full/c" "$B" compile wasi_io.wasm
  # wasi_io.wasm (about 230 KB) fits, wasm2c's C file (about 460 KB) does not.
  check "full disk: exit 2" [ "$rc" = 2 ]
  check "full disk: says so, naming the cache dir" contains "$err" "no space left on device for the cache directory $T/full/c"
  check "full disk: not the glue's complaint" eval '! contains "$err" "cannot find the memory"'
  check "full disk: not remembered" [ -z "$(ls "$T/full/c" | grep '\.err$')" ]
  check "full disk: work dir removed" [ -z "$(ls "$T/full/c" | grep '^tmp-')" ]
  umount "$T/full" && MNT=""
else
  skip "tmpfs full disk (needs root and mount); using ulimit -f"
fi
# 16 KiB: the module (548 bytes) fits, wasm2c's C file does not.
run bash -c "ulimit -f 16; BATON_CACHE_DIR='$T/fsize' exec '$B' compile traps.wasm"
check "file size limit: exit 2" [ "$rc" = 2 ]
check "file size limit: says so" contains "$err" "cannot write to the cache directory $T/fsize: file too large"

# ---- baton cache ls | prune | clear, BATON_CACHE_MAX ----
rm -rf "$T/m"
for g in traps cli_values wasi_io; do
  BATON_CACHE_DIR="$T/m" "$B" compile $g.wasm >/dev/null 2>&1
  sleep 1.1 # distinct last-use times
done
echo "not ours" >"$T/m/notes.txt"
run env BATON_CACHE_DIR="$T/m" "$B" cache ls
check "cache ls: rc 0" [ "$rc" = 0 ]
check "cache ls: three entries" [ "$(printf '%s\n' "$out" | grep -cE '^[0-9a-f]{64} ')" = 3 ]
check "cache ls: total line" contains "$out" "3 entries, "
first=$(printf '%s\n' "$out" | head -1 | cut -d' ' -f1)
last=$(printf '%s\n' "$out" | sed -n 3p | cut -d' ' -f1)
traps_key=$(BATON_CACHE_DIR="$T/m" "$B" compile traps.wasm | sed 's/.*\/\([0-9a-f]*\)\.so$/\1/')
check "cache ls: least recently used first" [ "$first" = "$traps_key" ]
# Using traps.wasm again (the compile above) makes it the most recent.
run env BATON_CACHE_DIR="$T/m" "$B" cache ls
check "a load refreshes last use" [ "$(printf '%s\n' "$out" | sed -n 3p | cut -d' ' -f1)" = "$traps_key" ]
keep_size=$(( $(stat -c %s "$T/m/$traps_key.so") + $(stat -c %s "$T/m/$traps_key.sum") ))
run env BATON_CACHE_DIR="$T/m" "$B" cache prune --max "$keep_size"
check "cache prune: rc 0" [ "$rc" = 0 ]
check "cache prune: says what it removed" contains "$out" "removed 2 entries"
check "cache prune: kept the most recent" [ -f "$T/m/$traps_key.so" ]
check "cache prune: one object left" [ "$(ls "$T/m" | grep -c '\.so$')" = 1 ]
run env BATON_CACHE_DIR="$T/m" "$B" cache prune
check "cache prune without a size: exit 2" [ "$rc" = 2 ]
# BATON_CACHE_MAX is enforced after each compile.
run env BATON_CACHE_DIR="$T/m" BATON_CACHE_MAX=1K "$B" compile cli_values.wasm
check "BATON_CACHE_MAX: compile works" [ "$rc" = 0 ]
check "BATON_CACHE_MAX: only the new entry left" [ "$(ls "$T/m" | grep -c '\.so$')" = 1 ] && check "it is not traps" [ ! -e "$T/m/$traps_key.so" ]
run env BATON_CACHE_DIR="$T/m" "$B" call cli_values.wasm id_i32 5
check "BATON_CACHE_MAX: the new entry loads" [ "$out" = 5 ]
run env BATON_CACHE_DIR="$T/m" "$B" cache clear
check "cache clear: rc 0" [ "$rc" = 0 ]
check "cache clear: no baton files left" [ "$(ls "$T/m")" = notes.txt ]
run env BATON_CACHE_DIR="$T/m" "$B" cache ls
check "cache ls after clear" contains "$out" "0 entries, 0 B in $T/m"
run "$B" cache bogus
check "cache bogus: usage, exit 2" [ "$rc" = 2 ] && check "usage text" contains "$err" "usage: baton cache ls | prune [--max SIZE] | clear"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
