// bench/node_instance.mjs: the Node.js peer of `bench_engine instance`.
// Given a .wasm file, it compiles it once (new WebAssembly.Module, timed
// once as context for baton's AOT numbers), then measures fresh instance +
// one call exactly as the baton side does: `new WebAssembly.Instance(module,
// imports)`, the reactor's `_initialize` when exported (baton runs it inside
// pre_instantiate), and one call of the export (default `add(1, 2)`, checked
// to return 3). Every function import is stubbed with a plain function
// returning 0, so WASI guests link without a WASI implementation.
//
// Usage: node bench/node_instance.mjs FILE.wasm [--batches K] [--batch B]
//                                               [--export NAME]
// Cycles run in K timed batches of B after a warm-up; it prints a summary
// and `@ instance.node_us.median X` style lines collected by bench/run.sh.
import { readFileSync } from 'node:fs';

// Returns the value following `--name` in argv, or def.
function opt(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

// Median, nearest-rank 90th percentile, minimum and mean of a non-empty
// array (sorted in place).
function stats(v) {
  v.sort((a, b) => a - b);
  const n = v.length;
  const median = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  const p90 = v[Math.max(1, Math.ceil(0.9 * n)) - 1];
  const mean = v.reduce((a, b) => a + b, 0) / n;
  return { median, p90, min: v[0], mean };
}

// Builds an import object with a no-op function for every function import.
function stubImports(module) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') {
      throw new Error(`import ${imp.module}.${imp.name} is a ${imp.kind}; only functions can be stubbed`);
    }
    (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  return imports;
}

const file = process.argv[2];
if (!file || file.startsWith('--')) {
  console.error('usage: node bench/node_instance.mjs FILE.wasm [--batches K] [--batch B] [--export NAME]');
  process.exit(2);
}
const batches = Number(opt('batches', 200));
const batch = Number(opt('batch', 50));
const exportName = opt('export', 'add');

const bytes = readFileSync(file);
let t0 = process.hrtime.bigint();
const module = new WebAssembly.Module(bytes);
const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
const imports = stubImports(module);

// One fresh-instance cycle; throws if the call gives the wrong answer.
function cycle() {
  const instance = new WebAssembly.Instance(module, imports);
  const ex = instance.exports;
  if (ex._initialize) ex._initialize();
  const r = ex[exportName](1, 2);
  if (exportName === 'add' && r !== 3) throw new Error(`add(1, 2) returned ${r}`);
}

const us = [];
for (let b = 0; b < batches + 10; b++) { // the first 10 batches warm up
  t0 = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) cycle();
  const t = Number(process.hrtime.bigint() - t0) / 1e3 / batch;
  if (b >= 10) us.push(t);
}
const s = stats(us);
console.log(`node ${process.version}: ${file}, ${batches} batches of ${batch} cycles`);
console.log(`  new WebAssembly.Module (once)         : ${compileMs.toFixed(3)} ms`);
console.log(`  new Instance + ${exportName}() : median ${s.median.toFixed(3)} us, p90 ${s.p90.toFixed(3)} us, min ${s.min.toFixed(3)} us; throughput ${(1e6 / s.mean).toFixed(0)} cycles/s`);
console.log(`@ instance.node_us.median ${s.median}`);
console.log(`@ instance.node_us.p90 ${s.p90}`);
console.log(`@ instance.node_ops ${1e6 / s.mean}`); // total cycles / total time, GC included
console.log(`@ instance.node_compile_ms ${compileMs}`);
