#!/usr/bin/env bash
# tests/component/test_wasi2_fs.sh: directory grants for components through
# WASI 0.2 (wasi:filesystem/preopens + types in src/wasi/preview2.c) on
# tests/component/wasi2/fsguest.c, a wasi-libc reactor made into a component
# with jco's preview1 reactor adapter:
#   1. `baton call --dir HOST:/data` and Node (wasi2-run.mjs, jco transpile
#      + preview2 shim with the same directory preopened) print the same
#      for reading a granted file, writing/appending a new one, mkdir/unlink,
#      listing the directory and escape attempts ("..", absolute paths,
#      symlinks out of the grant); the files each run leaves must match;
#   2. host-side only: no grant (nothing opens), a read-only grant (`:ro`:
#      no write, create, mkdir or unlink; escapes still refused);
#   3. an app whose component has `files = ["ad:/data"]` in baton.toml (a
#      second component without `files` sees nothing).
# Needs clang, node and tools/node_modules; their absence is a failure.
# Prints "N passed, M failed" last.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
S=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-wasi2fs.XXXXXX")
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
if ! $CC -mexec-model=reactor "$H/wasi2/fsguest.c" -o "$T/fsguest.core.wasm" 2>"$T/err" ||
   ! node "$H/wasi2-tools.mjs" new reactor "$T/fsguest.core.wasm" "$T/fsguest.wasm" "$H/wasi2/fsguest.wit" fsguest 2>>"$T/err"; then
  bad "building the guest" "$T/err"
  echo "$passed passed, $failed failed"
  exit 1
fi
cd "$T" || exit 1

# fresh DIR: a granted directory with in.txt and symlinks leading out of it,
# next to secret.txt (which the guest must never read).
fresh() {
  rm -rf "$T/$1"
  mkdir -p "$T/$1"
  printf 'hello file' >"$T/$1/in.txt"
  ln -s ../ "$T/$1/link"
  ln -s "$T" "$T/$1/abs"
  ln -s ../secret.txt "$T/$1/flink"
}
echo "top secret" >"$T/secret.txt"

# compare NAME EXPORT ARGS...: the same export with a fresh grant on baton
# and on Node; outputs, exit statuses and the directories left must match.
compare() {
  local name=$1
  shift
  fresh bd
  fresh nd
  "$B" call fsguest.wasm "$@" --dir "$T/bd:/data" >"$T/b.out" 2>"$T/b.err"
  local brc=$?
  W2_PREOPEN="/data=$T/nd" node "$H/wasi2-run.mjs" fsguest.wasm "$T/js" fsguest.wasm "$@" >"$T/n.out" 2>"$T/n.err"
  local nrc=$?
  (cd "$T/bd" && find . -type f -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; | sort) >"$T/b.tree"
  (cd "$T/nd" && find . -type f -exec sh -c 'echo "== $1"; cat "$1"' _ {} \; | sort) >"$T/n.tree"
  if ! cmp -s "$T/b.out" "$T/n.out" || ! cmp -s "$T/b.err" "$T/n.err" || [ $brc != $nrc ] ||
     ! cmp -s "$T/b.tree" "$T/n.tree"; then
    { echo "== baton (exit $brc)"; cat "$T/b.out" "$T/b.err" "$T/b.tree"
      echo "== node (exit $nrc)"; cat "$T/n.out" "$T/n.err" "$T/n.tree"; } >"$T/diff"
    bad "$name" "$T/diff"
  else
    ok
  fi
}

# expect NAME FILE TEXT: FILE contains TEXT.
expect() {
  if grep -qF -- "$3" "$2"; then ok; else bad "$1: no '$3' in" "$2"; fi
}

compare "read a granted file" read-in
expect "read output" "$T/b.out" "read: ok [hello file]"
expect "stat output" "$T/b.out" "stat: ok size=10"
compare "write and append a new file" write-out 3
expect "write output" "$T/b.out" "write: ok"
if [ "$(cat "$T/bd/out.txt" 2>/dev/null)" = "$(printf 'line 0\nline 1\nline 2\nappended')" ]; then ok; else
  bad "written file content" "$T/bd/out.txt"; fi
compare "mkdir, create, unlink" dirs
expect "dirs output" "$T/b.out" "mkdir: ok, create: ok, stat dir: ok, unlink: ok, gone: ok"
[ -d "$T/bd/sub" ] && [ ! -e "$T/bd/sub/t.txt" ] && ok || bad "dirs left sub/ without t.txt"
compare "list a directory" list-dir
expect "list output" "$T/b.out" "list: ../ ./ abs@ flink@ in.txt link@"
compare "escapes refused" escape
expect "escape result" "$T/b.out" "create /data/../escaped.txt: refused"
if grep -q opened "$T/b.out"; then bad "an escape opened a file" "$T/b.out"; else ok; fi
[ ! -e "$T/escaped.txt" ] && ok || bad "a file was created outside the grant"

# No grant: nothing can be opened.
fresh bd
"$B" call fsguest.wasm read-in >"$T/b.out" 2>"$T/b.err" || bad "read-in without a grant" "$T/b.err"
expect "no grant: read fails" "$T/b.out" "read: failed []"
"$B" call fsguest.wasm write-out 1 >"$T/b.out" 2>"$T/b.err"
expect "no grant: write fails" "$T/b.out" "write: failed"

# A read-only grant: reading works, nothing can be changed.
fresh bd
"$B" call fsguest.wasm read-in --dir "$T/bd:/data:ro" >"$T/b.out" 2>"$T/b.err"
expect "ro: read works" "$T/b.out" "read: ok [hello file]"
"$B" call fsguest.wasm write-out 2 --dir "$T/bd:/data:ro" >"$T/b.out" 2>"$T/b.err"
expect "ro: write fails" "$T/b.out" "write: failed"
expect "ro: append fails" "$T/b.out" "append: failed"
[ ! -e "$T/bd/out.txt" ] && ok || bad "ro: out.txt was created"
mkdir "$T/bd/sub" && echo x >"$T/bd/sub/t.txt"
"$B" call fsguest.wasm dirs --dir "$T/bd:/data:ro" >"$T/b.out" 2>"$T/b.err"
expect "ro: mkdir/unlink fail" "$T/b.out" "mkdir: failed, create: failed, stat dir: ok, unlink: failed"
[ -f "$T/bd/sub/t.txt" ] && ok || bad "ro: t.txt was removed"
"$B" call fsguest.wasm list-dir --dir "$T/bd:/data:ro" >"$T/b.out" 2>"$T/b.err"
expect "ro: listing works" "$T/b.out" "list: ../ ./ abs@ flink@ in.txt link@ sub/"
"$B" call fsguest.wasm escape --dir "$T/bd:/data:ro" >"$T/b.out" 2>"$T/b.err"
expect "ro: escapes refused" "$T/b.out" "create /data/../escaped.txt: refused"

# An app: the component's own `files` grant (relative to baton.toml).
fresh ad
cat >"$T/app.toml" <<'TOML'
[application]
name = "w2fs"

[component.files]
source = "fsguest.wasm"
files = ["ad:/data"]

[component.nofiles]
source = "fsguest.wasm"

[flow.write]
output = "steps.w"

[[flow.write.step]]
name = "w"
component = "files"
export = "write-out"
input = "$input"

[flow.denied]
output = "steps.w"

[[flow.denied.step]]
name = "w"
component = "nofiles"
export = "write-out"
input = "$input"
TOML
if "$B" run -f "$T/app.toml" write --input 2 >"$T/a.out" 2>"$T/a.err"; then
  expect "app: write" "$T/a.out" "[files] write: ok"
  if [ "$(cat "$T/ad/out.txt" 2>/dev/null)" = "$(printf 'line 0\nline 1\nappended')" ]; then ok; else
    bad "app: written file content" "$T/ad/out.txt"; fi
else
  bad "app run (files)" "$T/a.out" "$T/a.err"
fi
if "$B" run -f "$T/app.toml" denied --input 2 >"$T/a.out" 2>"$T/a.err"; then
  expect "app: no grant for another component" "$T/a.out" "[nofiles] write: failed"
else
  bad "app run (nofiles)" "$T/a.out" "$T/a.err"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
