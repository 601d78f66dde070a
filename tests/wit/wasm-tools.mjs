// tests/wit/wasm-tools.mjs: the reference WIT tooling (wasm-tools, as shipped
// inside the npm package @bytecodealliance/jco) wrapped for baton's tests.
//
// jco 1.35's own CLI cannot be used directly: its WASI shim has no preopened
// directories (so `embed`/`new` fail with ENOENT) and `embed --dummy` is
// ignored. This wrapper preopens `/` in the very shim instance wasm-tools
// imports and calls the tools API itself.
//
// Usage (paths may be relative):
//   node tests/wit/wasm-tools.mjs embed-dummy WIT_PATH WORLD OUT.wasm
//   node tests/wit/wasm-tools.mjs new IN.wasm OUT.wasm
//   node tests/wit/wasm-tools.mjs wit COMPONENT.wasm
//       (a core module carrying embedded WIT, as embed-dummy writes, is
//       first turned into a component)
//   node tests/wit/wasm-tools.mjs world-wit WIT_PATH WORLD
//       embed a dummy module for WORLD, make a component, print its WIT
//   node tests/wit/wasm-tools.mjs validate WIT_PATH
//       parse and resolve WIT_PATH; prints "ok" or the error (exit 1)
//   node tests/wit/wasm-tools.mjs worlds-wit OUT_DIR WIT_PATH WORLD...
//       world-wit for several worlds in one process: writes OUT_DIR/WORLD.wit,
//       or OUT_DIR/WORLD.err holding the error
//   node tests/wit/wasm-tools.mjs validate-many WIT_PATH...
//       validate several inputs; prints "ok PATH" or "error PATH: message"
//   node tests/wit/wasm-tools.mjs package-wasm WIT_PATH WORLD OUT.wasm
//       the WIT package holding WORLD, encoded as a component (the payload
//       of the `component-type` section `embed` writes: a component exporting
//       the world's type, the form `component wit --wasm` gives a package
//       with one world), for deps/*.wasm; jco has no `--wasm` option
//
// The node_modules directory defaults to <repo>/tools/node_modules and can be
// overridden with BATON_NODE_MODULES. Exit status: 0 success, 1 tool error,
// 2 usage or setup error.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

async function embedDummy(witPath, world) {
  return tools.componentEmbed({ dummy: true, witPath: resolve(witPath), world });
}

async function validate(witPath) {
  try {
    await embedDummy(witPath, undefined);
  } catch (e) {
    const msg = errText(e);
    // World selection failing means the WIT itself resolved fine.
    if (!/no worlds|contains no worlds|multiple worlds|contains multiple|world.*not found|specify a world/i.test(msg))
      throw e;
  }
}

// Returns the payload of a core module's `component-type` custom section.
function componentTypeSection(mod) {
  const leb = (pos) => {
    let v = 0, shift = 0, b;
    do { b = mod[pos++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return [v >>> 0, pos];
  };
  let p = 8;
  while (p < mod.length) {
    const id = mod[p++];
    let size;
    [size, p] = leb(p);
    const end = p + size;
    if (id === 0) {
      const [nlen, q] = leb(p);
      const name = Buffer.from(mod.subarray(q, q + nlen)).toString('utf8');
      if (name === 'component-type' || name.startsWith('component-type:')) return mod.subarray(q + nlen, end);
    }
    p = end;
  }
  throw new Error('no component-type custom section');
}

async function worldWit(witPath, world) {
  const core = await embedDummy(witPath, world);
  const component = await tools.componentNew(core);
  return tools.componentWit(component);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case 'embed-dummy': {
      if (args.length !== 3) die('usage: embed-dummy WIT_PATH WORLD OUT.wasm');
      writeFileSync(args[2], await embedDummy(args[0], args[1]));
      break;
    }
    case 'new': {
      if (args.length !== 2) die('usage: new IN.wasm OUT.wasm');
      writeFileSync(args[1], await tools.componentNew(readFileSync(args[0])));
      break;
    }
    case 'wit': {
      if (args.length !== 1) die('usage: wit COMPONENT.wasm');
      let bytes = readFileSync(args[0]);
      // A core module has version 1 and layer 0 in its header; a component
      // has layer 1. Embedded WIT only shows once the module is componentized.
      const isModule = bytes.length >= 8 && bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0;
      if (isModule) bytes = await tools.componentNew(bytes);
      process.stdout.write(await tools.componentWit(bytes));
      break;
    }
    case 'world-wit': {
      if (args.length !== 2) die('usage: world-wit WIT_PATH WORLD');
      process.stdout.write(await worldWit(args[0], args[1]));
      break;
    }
    case 'package-wasm': {
      if (args.length !== 3) die('usage: package-wasm WIT_PATH WORLD OUT.wasm');
      writeFileSync(args[2], componentTypeSection(await embedDummy(args[0], args[1])));
      break;
    }
    case 'validate': {
      if (args.length !== 1) die('usage: validate WIT_PATH');
      await validate(args[0]);
      process.stdout.write('ok\n');
      break;
    }
    case 'worlds-wit': {
      if (args.length < 2) die('usage: worlds-wit OUT_DIR WIT_PATH WORLD...');
      mkdirSync(args[0], { recursive: true });
      for (const world of args.slice(2)) {
        const base = join(args[0], world.replace(/^%/, ''));
        try {
          writeFileSync(`${base}.wit`, await worldWit(args[1], world));
        } catch (e) {
          writeFileSync(`${base}.err`, `${errText(e)}\n`);
        }
      }
      break;
    }
    case 'validate-many': {
      for (const p of args) {
        try {
          await validate(p);
          process.stdout.write(`ok ${p}\n`);
        } catch (e) {
          process.stdout.write(`error ${p}: ${errText(e).split('\n')[0]}\n`);
        }
      }
      break;
    }
    default:
      die('usage: wasm-tools.mjs {embed-dummy|new|wit|world-wit|validate|worlds-wit|validate-many} ...');
  }
} catch (e) {
  process.stderr.write(`${errText(e)}\n`);
  process.exit(1);
}
