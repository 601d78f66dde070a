// tests/component/wasi2-tools.mjs: builds WASI 0.2 components from
// wasm32-wasi core modules with the preview1 adapter jco ships (what
// `jco new --wasi-reactor` / `--wasi-command` do: the adapter is
// lib/wasi_snapshot_preview1.{reactor,command}.wasm inside the jco package,
// passed to wasm-tools' `component new` as the `wasi_snapshot_preview1`
// adapter). The setup (shim preopen, direct tools API) follows
// tests/component/wasm-tools.mjs.
//
// Usage: node wasi2-tools.mjs new reactor|command CORE.wasm OUT.wasm [WIT_PATH WORLD]
//            (WIT_PATH WORLD: embed that world's exports first)
//        node wasi2-tools.mjs wit COMPONENT.wasm
// Exit status: 0 success, 1 tool error, 2 usage or setup error.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.BATON_NODE_MODULES
  ? resolve(process.env.BATON_NODE_MODULES)
  : resolve(here, '..', '..', 'tools', 'node_modules');

function die(msg) {
  process.stderr.write(`wasi2-tools.mjs: ${msg}\n`);
  process.exit(2);
}
function firstExisting(paths, what) {
  for (const p of paths) if (existsSync(p)) return p;
  die(`cannot find ${what}; looked in:\n  ${paths.join('\n  ')}`);
}
const bca = join(nodeModules, '@bytecodealliance');
const transpile = firstExisting([
  join(bca, 'jco-transpile'),
  join(bca, 'jco', 'node_modules', '@bytecodealliance', 'jco-transpile'),
], '@bytecodealliance/jco-transpile');
const toolsJs = firstExisting([join(transpile, 'dist', 'wasm-tools.js')], 'jco-transpile/dist/wasm-tools.js');
const shimFs = firstExisting([
  join(transpile, 'node_modules', '@bytecodealliance', 'preview2-shim', 'dist', 'nodejs', 'filesystem.js'),
  join(bca, 'preview2-shim', 'dist', 'nodejs', 'filesystem.js'),
], 'preview2-shim/dist/nodejs/filesystem.js');
const { _addPreopen } = await import(pathToFileURL(shimFs).href);
_addPreopen('/', '/');
const tools = await import(pathToFileURL(toolsJs).href);

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'new' && (args.length === 3 || args.length === 5) && (args[0] === 'reactor' || args[0] === 'command')) {
    const adapter = firstExisting([join(bca, 'jco', 'lib', `wasi_snapshot_preview1.${args[0]}.wasm`)],
      `the preview1 ${args[0]} adapter`);
    let core = readFileSync(args[1]);
    if (args.length === 5) core = await tools.componentEmbed({ binary: core, witPath: resolve(args[3]), world: args[4] });
    const out = await tools.componentNew(core,
      [['wasi_snapshot_preview1', readFileSync(adapter)]]);
    writeFileSync(args[2], out);
  } else if (cmd === 'wit' && args.length === 1) {
    process.stdout.write(await tools.componentWit(readFileSync(args[0])));
  } else {
    die('usage: new reactor|command CORE.wasm OUT.wasm | wit COMPONENT.wasm');
  }
} catch (e) {
  const m = e && typeof e === 'object' && 'payload' in e ? String(e.payload) : String(e && e.message ? e.message : e);
  process.stderr.write(`${m}\n`);
  process.exit(1);
}
