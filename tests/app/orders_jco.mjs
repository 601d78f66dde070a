// tests/app/orders_jco.mjs: the orders example's two guests, built as
// components (test_app_components.sh), run as a pipeline on Node by jco
// 1.35 (`jco transpile` and the preview2 shim), each with its `config`
// interface mapped to a JavaScript module serving the same values the
// example's spin.toml gives it. Prints the guests' own output, then the
// pipeline's result as a WAVE string on the last line, so the output can
// be compared with `baton run -q -f spin.toml` (without its line prefixes).
//
// Usage: node orders_jco.mjs DIR INPUT
//   DIR holds module1.wasm and module2.wasm; the JavaScript goes to DIR/js.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = resolve(process.env.BATON_NODE_MODULES || join(here, '..', '..', 'tools', 'node_modules'));
const [dir, input] = process.argv.slice(2);
if (!dir || input === undefined) {
  process.stderr.write('usage: orders_jco.mjs DIR INPUT\n');
  process.exit(2);
}
const out = join(resolve(dir), 'js');
mkdirSync(out, { recursive: true });
if (!existsSync(join(out, 'node_modules'))) symlinkSync(nodeModules, join(out, 'node_modules'));

// The variables of examples/orders/spin.toml, per component.
const config = {
  module1: { message: 'hello from module1' },
  module2: { timeout: '30', retries: '3' },
};
const shim = join(out, 'node_modules', '@bytecodealliance', 'preview2-shim', 'dist', 'nodejs');
const cli = await import(pathToFileURL(join(shim, 'cli.js')).href);
cli._setEnv({});

let value = input;
for (const name of ['module1', 'module2']) {
  // get-config: ok(value), or err(invalid-key(key)) as baton answers
  writeFileSync(join(out, `config-${name}.js`),
    `const vars = ${JSON.stringify(config[name])};\n` +
    'export function getConfig(key) {\n' +
    '  if (Object.hasOwn(vars, key)) return vars[key];\n' +
    "  throw { payload: { tag: 'invalid-key', val: key } };\n}\n");
  const js = join(out, name, `${name}.js`);
  if (!existsSync(js))
    execFileSync(join(nodeModules, '.bin', 'jco'), ['transpile', join(dir, `${name}.wasm`), '-o', join(out, name),
      '--name', name, '--quiet', '--map', `example:orders/config@0.1.0=../config-${name}.js`],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  cli._setArgs([name]);
  const m = await import(pathToFileURL(js).href);
  value = m.handleInit(value);
}
process.stdout.write(`${JSON.stringify(value)}\n`);
