// bench/chain_node.mjs: the three-component chain benchmark, Node's side
// (bench/chain.sh runs it next to bench_chain.c). The components of
// bench/chain/chain.wit, transpiled by `jco transpile` (bench/chain/build.sh):
// JS_DIR/chain_a/chain_a.js imports chain_b's module through --map, which
// imports chain_c's, so the composition is jco's own, as in
// tests/component/crosscheck.mjs. A call is `run(s)` with a JS string:
// jco encodes it into A's memory, lifts it out of A for B's import (a JS
// string), encodes it into B, and so on, and decodes each result.
//
//   node bench/chain_node.mjs JS_DIR [--len BYTES] [--samples K] [--batch N]
//        [--inst-samples K2] [--inst-batch N2] [--out FILE]
//
// Same input, method and keys as bench_chain.c (`@ chain.node_*`): K samples
// of N calls after a warm-up of K/4 samples; fresh cycles use the
// `--instantiation sync` builds (JS_DIR/chain_X-inst) with the core modules
// compiled once: instantiate C, B (given C's stage), A (given B's stage),
// call run once.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const dir = resolve(argv[0]);
function opt(name, def) {
  const i = argv.indexOf(name);
  return i > 0 && i + 1 < argv.length ? argv[i + 1] : def;
}
const len = Number(opt('--len', 1024));
const samples = Number(opt('--samples', 301)), batch = Number(opt('--batch', 200));
const isamples = Number(opt('--inst-samples', 101)), ibatch = Number(opt('--inst-batch', 10));
const out = opt('--out', null);

const pat = 'baton three-component chain 0123456789 ';
let input = '';
while (input.length < len) input += pat;
input = input.slice(0, len);
const want = input + '|c|b|a';

function stats(key, v) {
  v.sort((x, y) => x - y);
  const n = v.length;
  const med = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  const p90 = v[Math.min(n, Math.ceil(n * 0.9)) - 1];
  console.log(`@ ${key}.median ${med.toPrecision(6)}\n@ ${key}.p90 ${p90.toPrecision(6)}\n@ ${key}.min ${v[0].toPrecision(6)}`);
}
const now = () => process.hrtime.bigint();

const t0 = now();
const { run } = await import(pathToFileURL(join(dir, 'chain_a', 'chain_a.js')).href);
console.log(`imported the transpiled chain in ${(Number(now() - t0) / 1e6).toFixed(2)} ms`);
const first = run(input);
if (first !== want) {
  console.error('chain_node.mjs: run returned the wrong string');
  process.exit(1);
}
if (out) writeFileSync(out, first);
console.log(`run(${len} bytes) = input + "|c|b|a" (${want.length} bytes): ok`);

let sink = 0;
for (let s = 0; s < (samples >> 2) + 1; s++) for (let i = 0; i < batch; i++) sink += run(input).length;
const v = [];
for (let s = 0; s < samples; s++) {
  const t = now();
  for (let i = 0; i < batch; i++) sink += run(input).length;
  v.push(Number(now() - t) / 1e3 / batch);
}
console.log(`chain call, ${samples} samples of ${batch} calls, us per call:`);
stats('chain.node_us', v);

// Fresh chains from the instantiation builds.
const mods = {};
const inst = {};
for (const x of ['a', 'b', 'c']) {
  const d = join(dir, `chain_${x}-inst`);
  inst[x] = (await import(pathToFileURL(join(d, `chain_${x}.js`)).href)).instantiate;
  const cache = new Map();
  mods[x] = (name) => {
    let m = cache.get(name);
    if (!m) cache.set(name, (m = new WebAssembly.Module(readFileSync(join(d, name)))));
    return m;
  };
}
const IMP = 'bench:chain/stage';
function fresh() {
  const c = inst.c(mods.c, {});
  const b = inst.b(mods.b, { [IMP]: c.stage });
  const a = inst.a(mods.a, { [IMP]: b.stage });
  return a.run(input);
}
if (fresh() !== want) {
  console.error('chain_node.mjs: a fresh chain returned the wrong string');
  process.exit(1);
}
for (let s = 0; s < (isamples >> 2) + 1; s++) for (let i = 0; i < ibatch; i++) sink += fresh().length;
const w = [];
for (let s = 0; s < isamples; s++) {
  const t = now();
  for (let i = 0; i < ibatch; i++) sink += fresh().length;
  w.push(Number(now() - t) / 1e3 / ibatch);
}
console.log(`fresh chain (3 instantiations + run), ${isamples} samples of ${ibatch}, us per cycle:`);
stats('chain.node_fresh_us', w);
if (sink === 42) console.log('');
