// tests/component/wasm-tools.mjs: the reference component tooling
// (wasm-tools, as shipped inside the npm package @bytecodealliance/jco)
// wrapped for the component reader's tests. The setup follows
// tests/wit/wasm-tools.mjs: jco 1.35's WASI shim has no preopened
// directories and its CLI drops `embed --dummy`, so this wrapper preopens
// `/` in the shim instance wasm-tools imports and calls the tools API
// (jco-transpile's dist/wasm-tools.js) directly.
//
// Usage (paths may be relative):
//   node wasm-tools.mjs parse IN.wat OUT.wasm
//       text (module or component WAT) to binary
//   node wasm-tools.mjs print IN.wasm
//   node wasm-tools.mjs wit IN.wasm
//   node wasm-tools.mjs embed WIT_PATH WORLD CORE.wasm OUT.wasm
//       embed WORLD's metadata (custom section `component-type`) in a core module
//   node wasm-tools.mjs new IN.wasm OUT.wasm
//       `component new` on a core module with embedded metadata
//   node wasm-tools.mjs worlds OUT_DIR WIT_PATH WORLD...
//       for each world: OUT_DIR/W.core.wasm (dummy module with metadata),
//       OUT_DIR/W.wasm (the component) and OUT_DIR/W.wit (its WIT), or
//       OUT_DIR/W.err with the error
//   node wasm-tools.mjs components OUT_DIR NAME=WIT_PATH:WORLD:CORE.wasm...
//       for each: OUT_DIR/NAME.embedded.wasm, OUT_DIR/NAME.wasm, OUT_DIR/NAME.wit
//   node wasm-tools.mjs parse-many OUT_DIR IN.wat...
//       parse each IN.wat into OUT_DIR/<basename>.wasm (or .err)
//
// The node_modules directory defaults to <repo>/tools/node_modules and can be
// overridden with BATON_NODE_MODULES. Exit status: 0 success, 1 tool error,
// 2 usage or setup error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.BATON_NODE_MODULES
  ? resolve(process.env.BATON_NODE_MODULES)
  : resolve(here, '..', '..', 'tools', 'node_modules');

function die(msg) {
  process.stderr.write(`wasm-tools.mjs: ${msg}\n`);
  process.exit(2);
}

function firstExisting(paths, what) {
  for (const p of paths) if (existsSync(p)) return p;
  die(`cannot find ${what}; looked in:\n  ${paths.join('\n  ')}\n` +
      `(install it with: npm --prefix tools ci)`);
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

function errText(e) {
  if (e && typeof e === 'object' && 'payload' in e) return String(e.payload);
  return String(e && e.message ? e.message : e);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case 'parse': {
      if (args.length !== 2) die('usage: parse IN.wat OUT.wasm');
      writeFileSync(args[1], await tools.parse(readFileSync(args[0], 'utf8')));
      break;
    }
    case 'print': {
      if (args.length !== 1) die('usage: print IN.wasm');
      process.stdout.write(await tools.print(readFileSync(args[0])));
      break;
    }
    case 'wit': {
      if (args.length !== 1) die('usage: wit IN.wasm');
      process.stdout.write(await tools.componentWit(readFileSync(args[0])));
      break;
    }
    case 'embed': {
      if (args.length !== 4) die('usage: embed WIT_PATH WORLD CORE.wasm OUT.wasm');
      const out = await tools.componentEmbed({
        binary: readFileSync(args[2]), witPath: resolve(args[0]), world: args[1],
      });
      writeFileSync(args[3], out);
      break;
    }
    case 'new': {
      if (args.length !== 2) die('usage: new IN.wasm OUT.wasm');
      writeFileSync(args[1], await tools.componentNew(readFileSync(args[0])));
      break;
    }
    case 'worlds': {
      if (args.length < 2) die('usage: worlds OUT_DIR WIT_PATH WORLD...');
      mkdirSync(args[0], { recursive: true });
      for (const world of args.slice(2)) {
        const base = join(args[0], world.replace(/^%/, ''));
        try {
          const core = await tools.componentEmbed({ dummy: true, witPath: resolve(args[1]), world });
          writeFileSync(`${base}.core.wasm`, core);
          const comp = await tools.componentNew(core);
          writeFileSync(`${base}.wasm`, comp);
          writeFileSync(`${base}.wit`, await tools.componentWit(comp));
        } catch (e) {
          writeFileSync(`${base}.err`, `${errText(e)}\n`);
        }
      }
      break;
    }
    case 'components': {
      if (args.length < 1) die('usage: components OUT_DIR NAME=WIT_PATH:WORLD:CORE.wasm...');
      mkdirSync(args[0], { recursive: true });
      for (const spec of args.slice(1)) {
        const m = /^([^=]+)=([^:]+):([^:]+):(.+)$/.exec(spec);
        if (!m) die(`bad spec ${spec}`);
        const base = join(args[0], m[1]);
        try {
          const emb = await tools.componentEmbed({
            binary: readFileSync(m[4]), witPath: resolve(m[2]), world: m[3],
          });
          writeFileSync(`${base}.embedded.wasm`, emb);
          const comp = await tools.componentNew(emb);
          writeFileSync(`${base}.wasm`, comp);
          writeFileSync(`${base}.wit`, await tools.componentWit(comp));
        } catch (e) {
          writeFileSync(`${base}.err`, `${errText(e)}\n`);
        }
      }
      break;
    }
    case 'parse-many': {
      if (args.length < 1) die('usage: parse-many OUT_DIR IN.wat...');
      mkdirSync(args[0], { recursive: true });
      for (const p of args.slice(1)) {
        const base = join(args[0], basename(p).replace(/\.wat$/, ''));
        try {
          writeFileSync(`${base}.wasm`, await tools.parse(readFileSync(p, 'utf8')));
        } catch (e) {
          writeFileSync(`${base}.err`, `${errText(e)}\n`);
        }
      }
      break;
    }
    default:
      die('usage: wasm-tools.mjs {parse|print|wit|embed|new|worlds|components|parse-many} ...');
  }
} catch (e) {
  process.stderr.write(`${errText(e)}\n`);
  process.exit(1);
}
