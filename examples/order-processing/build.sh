#!/bin/sh
# Builds one guest of this example: C bindings for its world from wit/
# (baton bindgen), then clang for wasm32-wasi. `baton build` runs this with
# BATON_BIN set; run by hand it uses `baton` from PATH.
set -eu
name="$1"
baton="${BATON_BIN:-baton}"
mkdir -p build/gen
"$baton" bindgen c --wit wit --world "$name" --out build/gen
clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wall -Wextra \
  -Ibuild/gen -o "build/$name.wasm" "$name.c" "build/gen/$name.c"
