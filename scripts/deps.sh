#!/usr/bin/env bash
# Installs what baton needs on Debian 12, skipping what is already present:
# the compilers and wasm2c (apt-get), and the pinned npm test tooling under
# tools/ (npm ci). Safe to run repeatedly; `make demo` and `make test` call it.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake clang lld wabt wasi-libc libclang-rt-dev-wasm32 libclang-rt-14-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from Debian or elsewhere: only the commands matter.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f tools/package-lock.json ] && [ ! -d tools/node_modules ] || \
   [ tools/package-lock.json -nt tools/node_modules ]; then
  echo "deps: npm ci in tools/" >&2
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  touch tools/node_modules
fi
