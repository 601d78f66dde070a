// tests/component/crosscheck.mjs: runs the same component exports through
// `baton call COMPONENT EXPORT --json ARGS...` and through the component
// transpiled by `jco transpile` (jco 1.35, from tools/node_modules) on Node,
// and checks that both give the expected result.
//
// Usage: node crosscheck.mjs BATON_BIN GUEST_DIR [MANIFEST]
//   GUEST_DIR holds the components built by build_guests.sh; the
//   transpiled JavaScript goes to GUEST_DIR/js. Components that import
//   another component's interfaces (cases with `app`) are transpiled with
//   --map pointing at their providers' transpiled modules (`deps` below),
//   so on Node the composition is jco's own; on baton they are called as
//   components of the app MANIFEST (`baton call -f MANIFEST APP EXPORT`),
//   composed through its [component.NAME.dependencies]
//   (test_component_run.sh writes it).
//
// Each case gives the baton export name and JSON arguments (docs/values.md),
// the JS export path and JS arguments (jco's mapping: records are objects
// with camelCase keys, variants {tag, val}, flags objects of booleans, u64 as
// BigInt, result<T, E> returns T or throws with E as `payload`), and the
// expected result in baton's JSON. The JS result is converted to that JSON.
// Prints one line per failure and "N passed, M failed"; exit status 1 on
// any failure.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [baton, guestDir, manifest] = process.argv.slice(2).map((p) => resolve(p));

// How jco composes: import name -> provider component and its export.
const deps = {
  consumer: { 'test:svc/text@0.1.0': 'provider#text', 'test:svc/store@0.1.0': 'provider#store' },
  text_user: { 'test:svc/text@0.1.0': 'text_provider#text' },
  text_user_warm: { 'test:svc/text@0.1.0': 'text_provider#text' },
  middle: { 'test:chain/stage@0.1.0': 'back#stage' },
  post_leave: { log: 'logger#log' },
  front: { 'test:chain/stage@0.1.0': 'middle#stage' },
};
const jco = resolve(process.env.BATON_NODE_MODULES || join(here, '..', '..', 'tools', 'node_modules'), '.bin', 'jco');

const cases = [
  // provider: every kind of value
  { c: 'provider', b: 'upper', js: 'text.upper', a: ['"héllo"'], j: ['héllo'], want: '"HéLLO"' },
  { c: 'provider', b: 'join', js: 'text.join', a: ['["a","b","c"]', '", "'], j: [['a', 'b', 'c'], ', '], want: '"a, b, c"' },
  { c: 'provider', b: 'join', js: 'text.join', a: ['[]', '"-"'], j: [[], '-'], want: '""' },
  { c: 'provider', b: 'stats', js: 'text.stats', a: ['"Hello big World"'], j: ['Hello big World'], want: '{"chars":15,"words":3,"upper":false}' },
  { c: 'provider', b: 'area', js: 'text.area', a: ['{"rect":[2.5,4]}'], j: [{ tag: 'rect', val: [2.5, 4] }], want: '10' },
  { c: 'provider', b: 'area', js: 'text.area', a: ['{"circle":1.5}'], j: [{ tag: 'circle', val: 1.5 }], want: '6.75' },
  { c: 'provider', b: 'area', js: 'text.area', a: ['"empty"'], j: [{ tag: 'empty' }], want: '0' },
  { c: 'provider', b: 'classify', js: 'text.classify', a: ['-3'], j: [-3], want: '"low"' },
  { c: 'provider', b: 'classify', js: 'text.classify', a: ['42'], j: [42], want: '"mid"' },
  { c: 'provider', b: 'toggle', js: 'text.toggle', a: ['["bold","italic"]', '["italic","under"]'],
    j: [{ bold: true, italic: true }, { italic: true, under: true }], want: '["bold","under"]' },
  { c: 'provider', b: 'find', js: 'text.find', a: ['[7,8,9]', '9'], j: [[7, 8, 9], 9], want: '2' },
  { c: 'provider', b: 'find', js: 'text.find', a: ['[7,8,9]', '1'], j: [[7, 8, 9], 1], want: 'null' },
  { c: 'provider', b: 'checked-div', js: 'text.checkedDiv', result: true, a: ['-9', '2'], j: [-9, 2], want: '{"ok":-4}' },
  { c: 'provider', b: 'checked-div', js: 'text.checkedDiv', result: true, a: ['1', '0'], j: [1, 0], want: '{"err":"division by zero"}' },
  { c: 'provider', b: 'many', js: 'text.many',
    a: ['1', '-2', '3', '-4', '5.5', '6.5', '"x"', 'true', '"spilled"', '9', '10', '11', '12', '-13', '14'],
    j: [1, -2, 3, -4n, 5.5, 6.5, 'x', true, 'spilled', 9, 10, 11, 12n, -13, 14], want: '[173,"spilled"]' },
  { c: 'provider', b: 'live', js: 'store.live', a: [], j: [], want: '0' },
  // the pre-composed component (each `baton call` is a fresh instance, while
  // the JS module keeps its instance: only calls that do not depend on
  // earlier ones)
  { c: 'nested', b: 'calc', js: 'api.calc', a: ['5'], j: [5], want: '101' },
  { c: 'nested', b: 'test:nest/api#double', js: 'api.double', a: ['0'], j: [0], want: '0' },
  { c: 'nested', b: 'hello', js: 'hello', a: ['"bob"'], j: ['bob'], want: '"hi bob"' },
  { c: 'nested', b: 'api#double', js: 'api.double', a: ['21'], j: [21], want: '42' },
  { c: 'back', b: 'process', js: 'stage.process', a: ['"in"', '3'], j: ['in', 3], want: '"back(in@3)"' },
  // types defined at world level: `(eq T)` type imports of the component
  { c: 'world_types', b: 'f', js: 'f', a: ['{"a":3,"b":"x"}'], j: [{ a: 3, b: 'x' }], want: '{"a":7,"b":"<x>"}' },
  { c: 'world_types', b: 'next', js: 'next', a: ['"blue"'], j: ['blue'], want: '"red"' },
  { c: 'world_types', b: 'describe', js: 'describe', a: ['{"named":{"a":9,"b":"n"}}', '[{"a":1,"b":"p"}]'],
    j: [{ tag: 'named', val: { a: 9, b: 'n' } }, [{ a: 1, b: 'p' }]], want: '[{"a":1,"b":"<p>"},{"a":9,"b":"<n>"}]' },
  { c: 'world_types', b: 'describe', js: 'describe', a: ['{"line":5}', '[{"a":1,"b":""},{"a":2,"b":"q"}]'],
    j: [{ tag: 'line', val: 5 }, [{ a: 1, b: '' }, { a: 2, b: 'q' }]], want: '[{"a":6,"b":"<>"},{"a":7,"b":"<q>"}]' },
  // a resource type a world defines: a `(sub resource)` type import
  { c: 'world_resource', b: 'f', js: 'f', a: [], j: [], want: '42' },
  // composed: on baton through the app's dependencies (the app's `front`
  // uses a core-module middle, `tu-comp` a core-module text provider)
  { c: 'consumer', app: 'consumer', b: 'run', js: 'run', a: ['"hello world"'], j: ['hello world'],
    want: '"HELLO WORLD|a-b-hello world|11,2,l|10|2|5|2|division by zero|98spilled"' },
  { c: 'consumer', app: 'consumer', b: 'blobs', js: 'blobs', a: ['2'], j: [2], want: '122420' },
  { c: 'text_user', app: 'tu-comp', b: 'shout', js: 'shout', a: ['["x","y"]'], j: [['x', 'y']], want: '"X Y"' },
  { c: 'text_user_warm', app: 'tu-warm', b: 'shout', js: 'shout', a: ['["x"]'], j: [['x']], want: '"WARM X"' },
  { c: 'front', app: 'front', b: 'run', js: 'run', a: ['"go"'], j: ['go'], want: '"front<mid[back(go@2)]>"' },
  { c: 'middle', app: 'middle-comp', b: 'process', js: 'stage.process', a: ['"m"', '7'], j: ['m', 7],
    want: '"mid[back(m@8)]"' },
  // a post-return calling an import traps (`trap`: both must fail with it)
  { c: 'post_leave', app: 'post-leave', b: 'loud', js: 'loud', a: [], j: [], want: '6' },
  { c: 'post_leave', app: 'post-leave', b: 'get', js: 'get', a: [], j: [], trap: 'cannot leave component instance' },
];

// jco's JavaScript values to baton's JSON.
function kebab(s) { return s.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase()); }
function toBaton(v) {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(toBaton);
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.includes('tag') && keys.every((k) => k === 'tag' || k === 'val'))
      return v.val === undefined ? v.tag : { [v.tag]: toBaton(v.val) };
    if (keys.length && keys.every((k) => typeof v[k] === 'boolean') && !keys.includes('upper'))
      return keys.filter((k) => v[k]).map(kebab);
    const o = {};
    for (const k of keys) o[kebab(k)] = toBaton(v[k]);
    return o;
  }
  return v;
}

const modules = new Map();
async function load(name) {
  if (modules.has(name)) return modules.get(name);
  const out = join(guestDir, 'js', name);
  if (!existsSync(join(out, `${name}.js`))) {
    mkdirSync(out, { recursive: true });
    const maps = [];
    for (const [imp, target] of Object.entries(deps[name] || {})) {
      const [dep, exp] = target.split('#');
      await load(dep);
      maps.push('--map', `${imp}=../${dep}/${dep}.js#${exp}`);
    }
    execFileSync(jco, ['transpile', join(guestDir, `${name}.wasm`), '-o', out, '--name', name, '--quiet', ...maps],
      { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  const m = await import(pathToFileURL(join(out, `${name}.js`)).href);
  modules.set(name, m);
  return m;
}

let passed = 0, failed = 0;
function check(what, got, want) {
  if (got === want) passed++;
  else {
    failed++;
    console.log(`FAIL ${what}: got ${got}, want ${want}`);
  }
}

for (const t of cases) {
  const label = `${t.c} ${t.b}(${t.a.join(', ')})`;
  let ours;
  if (t.app && !manifest) continue;
  const target = t.app ? ['-f', manifest, t.app] : [join(guestDir, `${t.c}.wasm`)];
  try {
    ours = execFileSync(baton, ['call', ...target, t.b, '--json', '--', ...t.a],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    ours = `error: ${(e.stderr || e.message).trim()}`;
  }
  if (t.trap) ours = ours.startsWith('error: ') && ours.includes(t.trap) ? 'trapped' : ours;
  check(`baton ${label}`, ours, t.trap ? 'trapped' : t.want);
  let theirs;
  try {
    const m = await load(t.c);
    let fn = m;
    for (const part of t.js.split('.')) fn = fn[part];
    try {
      const r = fn(...t.j);
      theirs = JSON.stringify(t.result ? { ok: toBaton(r) } : toBaton(r === undefined ? null : r));
    } catch (e) {
      if (!t.result || !('payload' in e)) throw e;
      theirs = JSON.stringify({ err: toBaton(e.payload) });
    }
  } catch (e) {
    theirs = t.trap && String(e.message).includes(t.trap) ? 'trapped' : `error: ${e.message}`;
  }
  check(`jco ${label}`, theirs, t.trap ? 'trapped' : t.want);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
