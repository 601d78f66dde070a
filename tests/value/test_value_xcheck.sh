#!/bin/bash
# tests/value/test_value_xcheck.sh: cross-checks baton's float printing
# (src/value: WAVE and JSON share one routine) against JavaScript, whose
# Number#toString is the reference for both the digits (shortest round trip)
# and the layout baton documents (docs/values.md): positional from 1e-6 up to
# 1e21, exponent form `1e+21` / `1.5e-7` outside.
#
# node draws random f64 and f32 bit patterns (plus subnormals, extremes and
# powers of ten) and computes the expected text: String(x) for f64; for f32
# the fewest digits p with Math.fround(Number(x.toPrecision(p))) === x, laid
# out by String(). NaN is `nan`, infinities `inf`/`-inf` (WAVE keywords).
# `test_value print-floats` prints baton's WAVE form for the same patterns.
#
# Requirements: node. Its absence is a failure, not a skip.
set -u
SRC=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -n "${BATON_BUILD_DIR:-}" ]; then
  BUILD=$BATON_BUILD_DIR
elif [ -n "${BATON_BIN:-}" ]; then
  BUILD=$(dirname "$BATON_BIN")
else
  BUILD=$SRC/build
fi
TV=$BUILD/test_value
if [ ! -x "$TV" ]; then echo "FAIL test_value is not built at $TV"; exit 1; fi
if ! command -v node >/dev/null 2>&1; then echo "FAIL node is not installed"; exit 1; fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

node - "$TMP/in" "$TMP/want" <<'JS'
const fs = require('fs');
const [inPath, wantPath] = process.argv.slice(2);
let seed = 0x2545F4914F6CDD1Dn;
const mask = (1n << 64n) - 1n;
function rnd() { // xorshift64
  seed ^= (seed << 13n) & mask; seed ^= seed >> 7n; seed ^= (seed << 17n) & mask;
  return seed;
}
const dv = new DataView(new ArrayBuffer(8));
function f64(bits) { dv.setBigUint64(0, bits); return dv.getFloat64(0); }
function f32(bits) { dv.setUint32(0, Number(bits)); return dv.getFloat32(0); }
function special(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return null;
}
function show64(x) { return special(x) ?? String(x); }
function show32(x) {
  const s = special(x);
  if (s !== null) return s;
  for (let p = 1; p <= 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return String(t);
  }
  throw new Error(`no f32 form for ${x}`);
}
const lines = [], want = [];
function add64(bits) { bits &= mask; lines.push(`f64 ${bits.toString(16)}`); want.push(show64(f64(bits))); }
function add32(bits) { bits &= 0xffffffffn; lines.push(`f32 ${bits.toString(16)}`); want.push(show32(f32(bits))); }
for (const b of [0n, 1n, 0xfffffffffffffn, 0x10000000000000n, 0x7fefffffffffffffn, 0x7ff0000000000000n,
                 0x7ff8000000000000n, 0x3fb999999999999an, 0x4340000000000001n]) {
  add64(b); add64(b | (1n << 63n));
}
for (const b of [0n, 1n, 0x7fffffn, 0x800000n, 0x7f7fffffn, 0x7f800000n, 0x7fc00000n, 0x3dcccccdn]) {
  add32(b); add32(b | 0x80000000n);
}
for (let e = -323; e <= 308; e++) {
  dv.setFloat64(0, Number(`1e${e}`));
  add64(dv.getBigUint64(0));
  if (e >= -45 && e <= 38) { dv.setFloat32(0, Math.fround(Number(`1e${e}`))); add32(BigInt(dv.getUint32(0))); }
}
for (let i = 0; i < 20000; i++) {
  const r = rnd();
  add64(r); add32(r >> 32n);
  add64(r & 0x800fffffffffffffn); add32((r >> 32n) & 0x807fffffn);
}
fs.writeFileSync(inPath, lines.join('\n') + '\n');
fs.writeFileSync(wantPath, want.join('\n') + '\n');
JS
[ -s "$TMP/in" ] || { echo "FAIL node did not produce the inputs"; exit 1; }
"$TV" print-floats <"$TMP/in" >"$TMP/got" || { echo "FAIL test_value print-floats failed"; exit 1; }
node - "$TMP/in" "$TMP/want" "$TMP/got" <<'JS'
// Compares line by line. The one accepted difference: an f32 whose exact
// value lies halfway between two shortest candidates (e.g. 2740573.25 ->
// 2740573.2 or 2740573.3); JavaScript's toPrecision rounds such ties up,
// C's printf (used by baton) to even. Both must then read back exactly.
const fs = require('fs');
const [inp, want, got] = process.argv.slice(2).map((p) => fs.readFileSync(p, 'utf8').split('\n'));
const dv = new DataView(new ArrayBuffer(4));
let pass = 0, fail = 0, ties = 0;
for (let i = 0; i < inp.length && inp[i]; i++) {
  if (want[i] === got[i]) { pass++; continue; }
  const [kind, hex] = inp[i].split(' ');
  let tie = false;
  if (kind === 'f32' && got[i] !== undefined) {
    dv.setUint32(0, parseInt(hex, 16));
    const x = dv.getFloat32(0);
    const digits = (s) => s.replace(/e.*/, '').replace(/[^0-9]/g, '').replace(/^0+/, '').replace(/0+$/, '').length;
    const a = Number(want[i]), b = Number(got[i]);
    tie = Math.fround(a) === x && Math.fround(b) === x && digits(want[i]) === digits(got[i]) &&
      Math.abs(Math.abs(a - x) - Math.abs(b - x)) <= Math.abs(x) * 1e-15;
  }
  if (tie) { pass++; ties++; continue; }
  fail++;
  console.log(`FAIL ${inp[i]}: JavaScript ${want[i]}, baton ${got[i]}`);
}
console.log(`${pass} passed (${ties} f32 halfway ties), ${fail} failed`);
process.exit(fail === 0 && pass > 1000 ? 0 : 1);
JS
