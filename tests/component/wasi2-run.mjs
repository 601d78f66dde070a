// tests/component/wasi2-run.mjs: runs a WASI 0.2 component on Node, as
// `jco transpile` makes it, with the host state baton call gives a
// component: arguments [ARGV0], an empty environment, no preopened
// directories (or the one W2_PREOPEN=GUEST=HOST names). For tests/component/test_wasi2.sh.
//
// Usage: node wasi2-run.mjs COMPONENT.wasm OUT_DIR ARGV0 [EXPORT [U32...]]
//   EXPORT: a root function export taking and returning u32 (the result is
//   printed on a line of its own); absent: wasi:cli/run#run (exit status 1
//   when it returns err). OUT_DIR receives the transpiled JavaScript and a
//   node_modules link so that it finds the preview2 shim.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.BATON_NODE_MODULES
  ? resolve(process.env.BATON_NODE_MODULES)
  : resolve(here, '..', '..', 'tools', 'node_modules');
const [wasm, outDir, argv0, exp, ...args] = process.argv.slice(2);
if (!wasm || !outDir || !argv0) {
  process.stderr.write('usage: wasi2-run.mjs COMPONENT.wasm OUT_DIR ARGV0 [EXPORT [U32...]]\n');
  process.exit(2);
}
const name = basename(wasm, '.wasm');
mkdirSync(outDir, { recursive: true });
if (!existsSync(join(outDir, 'node_modules'))) symlinkSync(nodeModules, join(outDir, 'node_modules'));
const js = join(outDir, name, `${name}.js`);
if (!existsSync(js)) {
  execFileSync(join(nodeModules, '.bin', 'jco'), ['transpile', wasm, '-o', join(outDir, name), '--name', name, '--quiet'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
}
const shim = join(outDir, 'node_modules', '@bytecodealliance', 'preview2-shim', 'dist', 'nodejs');
const cli = await import(pathToFileURL(join(shim, 'cli.js')).href);
const fs = await import(pathToFileURL(join(shim, 'filesystem.js')).href);
cli._setEnv({});
cli._setArgs([argv0]);
// W2_PREOPEN=GUEST=HOST grants one directory (test_wasi2_fs.sh); none by default.
const pre = process.env.W2_PREOPEN;
fs._setPreopens(pre ? { [pre.slice(0, pre.indexOf('='))]: pre.slice(pre.indexOf('=') + 1) } : {});
const m = await import(pathToFileURL(js).href);
if (exp) {
  const r = m[exp.replace(/-([a-z])/g, (_, c) => c.toUpperCase())](...args.map(Number));
  process.stdout.write(`${r}\n`);
} else {
  const run = m.run || m['wasi:cli/run@0.2.12'];
  try {
    run.run();
  } catch (e) {
    process.exitCode = 1;
  }
}
