#!/usr/bin/env bash
# tests/app/test_app_files.sh: filesystem grants end to end through the
# `baton` CLI ($BATON_BIN). One guest (a wasi-libc reactor built here with
# clang) is used by two components of one app: `a` has `files`, `b` has
# none. `a` reads a host file through its grant (at the same path, relative
# to the manifest, and at a mapped guest path); `b` sees no filesystem;
# a read-only grant refuses writes; `baton call --dir` grants a core module
# a directory; grants of / or of a home directory are warned about, once,
# with their manifest position. Prints "N passed, M failed" last and exits non-zero on any
# failure.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-app-files.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0
failed=0

check() { # check NAME WANT CMD...: the last stdout line of CMD is WANT
  local name=$1 want=$2 got
  shift 2
  got=$("$@" 2>"$T/err" | tail -n 1)
  if [ "$got" = "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s: want %s, got %s\n  stderr: %s\n' "$name" "$want" "$got" "$(head -c 2000 "$T/err")" >&2
  fi
}

cd "$T" || exit 1
mkdir -p wit data secret
echo "shared data" >data/in.txt
echo "not granted" >secret/in.txt
cat >wit/probe.wit <<'EOF2'
package test:files@0.1.0;

world probe {
  export can-read: func() -> u32;
  export can-read-mapped: func() -> u32;
  export can-write: func() -> u32;
}
EOF2
cat >probe.c <<'EOF2'
#include <stdio.h>
#include <string.h>
static unsigned readable(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char buf[64] = {0};
  fgets(buf, sizeof buf, f);
  fclose(f);
  return strcmp(buf, "shared data\n") == 0;
}
__attribute__((export_name("can-read"))) unsigned can_read(void) { return readable("data/in.txt"); }
__attribute__((export_name("can-read-mapped"))) unsigned can_read_mapped(void) { return readable("/mnt/in.txt"); }
__attribute__((export_name("can-write"))) unsigned can_write(void) {
  FILE *f = fopen("/mnt/out.txt", "w");
  if (!f) return 0;
  fputs("x", f);
  return fclose(f) == 0;
}
EOF2
clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor probe.c -o probe.wasm || exit 1
cat >baton.toml <<'EOF2'
[application]
name = "files"

[component.a]
source = "probe.wasm"
wit = "wit"
world = "probe"
files = ["data", "data:/mnt:ro"]

[component.b]
source = "probe.wasm"
wit = "wit"
world = "probe"

[flow.read]
[[flow.read.step]]
name = "read"
component = "a"
export = "can-read"
EOF2

check "a reads its grant" 1 "$B" call -f baton.toml a can-read
check "a reads its mapped grant" 1 "$B" call -f baton.toml a can-read-mapped
check "a's read-only grant refuses writes" 0 "$B" call -f baton.toml a can-write
check "b has no filesystem" 0 "$B" call -f baton.toml b can-read
check "b has no mapped path either" 0 "$B" call -f baton.toml b can-read-mapped
# run from elsewhere: relative grants resolve against the manifest's dir
check "grants relative to the manifest" 1 bash -c "cd / && '$B' call -f '$T/baton.toml' a can-read"
if [ -e data/out.txt ] || [ -e out.txt ]; then
  failed=$((failed + 1))
  echo "FAIL a read-only grant let a file be created" >&2
else
  passed=$((passed + 1))
fi

# baton call --dir on a core module
cat >cmd.c <<'EOF2'
#include <stdio.h>
int main(void) {
  FILE *f = fopen("/g/in.txt", "r");
  if (!f) { puts("denied"); return 0; }
  char buf[64] = {0};
  fgets(buf, sizeof buf, f);
  fputs(buf, stdout);
  f = fopen("/g/new.txt", "w");
  puts(f ? "wrote" : "write refused");
  if (f) fclose(f);
  return 0;
}
EOF2
clang --target=wasm32-wasi --sysroot=/usr -O2 cmd.c -o cmd.wasm || exit 1
check "call without --dir" denied "$B" call cmd.wasm
check "call --dir :ro" "write refused" "$B" call --dir "$T/data:/g:ro" cmd.wasm
check "call --dir" wrote "$B" call cmd.wasm --dir="$T/data:/g"
if [ -e data/new.txt ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL call --dir: data/new.txt not created" >&2; fi

# over-broad grants work but are warned about, once, with their position:
# a path climbing to / and a home directory (from the manifest and --dir)
# err_has NAME TEXT: $T/err contains TEXT.
err_has() {
  if grep -qF -- "$2" "$T/err"; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    printf 'FAIL %s: want stderr containing %s\n  stderr: %s\n' "$1" "$2" "$(head -c 2000 "$T/err")" >&2
  fi
}
mkdir -p home/user
sed 's|^files = \["data", "data:/mnt:ro"\]|files = ["data", "../../../../../../../../../../../../..:/up", "home/user:/h"]|' \
  baton.toml >broad.toml
check "a broad grant still works" 1 env HOME="$T/home/user" "$B" call -f broad.toml a can-read
err_has "warning on a grant of /" \
  'baton: warning: broad.toml:8:18: component `a` is granted the root directory / (files entry `../../../../../../../../../../../../..:/up`)'
err_has "warning on a home directory" "baton: warning: broad.toml:8:64: component \`a\` is granted $T/home/user, a home directory"
if [ "$(grep -c warning "$T/err")" = 2 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL want each warning once" >&2; fi
check "call --dir /" denied "$B" call --dir /:/x cmd.wasm
err_has "warning on --dir /" 'baton: warning: --dir `/:/x` grants the root directory /'
check "no warning on an ordinary grant" 1 "$B" call -f baton.toml a can-read
if grep -q warning "$T/err"; then
  failed=$((failed + 1)); echo "FAIL a warning on an ordinary grant" >&2
else passed=$((passed + 1)); fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
