// tests/bindgen/jco_run.mjs: runs guests built against `baton bindgen c`
// under a second Component Model toolchain, jco (npm's
// @bytecodealliance/jco, installed under tools/node_modules), to show that
// the generated core module follows the canonical ABI as wit-bindgen lays
// it out.
//
//   node jco_run.mjs componentize CORE.wasm WIT_DIR WORLD OUT.wasm
//       embeds the world's WIT into the core module (wasm-tools component
//       embed), turns it into a component with the WASI preview1 reactor
//       adapter (wasm-tools component new: this validates every export,
//       import, post-return and resource intrinsic against the world) and
//       prints the component's WIT.
//   node jco_run.mjs run WORLD COMPONENT.wasm WORK_DIR
//       transpiles the component to JavaScript (jco transpile), instantiates
//       it with JavaScript implementations of the world's imports and runs
//       the world's checks (kitchen, resources, misc, orders): typed calls in both
//       directions whose values are compared exactly.
//
// Prints one line per failed check and "N passed, M failed" last; exit
// status 1 on any failure, 2 on a setup error. The node_modules directory
// defaults to <repo>/tools/node_modules (override: BATON_NODE_MODULES).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual, inspect } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = process.env.BATON_NODE_MODULES
  ? resolve(process.env.BATON_NODE_MODULES)
  : resolve(here, '..', '..', 'tools', 'node_modules');
const bca = join(nodeModules, '@bytecodealliance');

function die(msg) {
  process.stderr.write(`jco_run.mjs: ${msg}\n`);
  process.exit(2);
}

function firstExisting(paths, what) {
  for (const p of paths) if (existsSync(p)) return p;
  die(`cannot find ${what}; looked in:\n  ${paths.join('\n  ')}\n(install it with: npm --prefix tools ci)`);
}

const transpileDir = firstExisting([
  join(bca, 'jco-transpile'),
  join(bca, 'jco', 'node_modules', '@bytecodealliance', 'jco-transpile'),
], '@bytecodealliance/jco-transpile');
const shimDir = firstExisting([
  join(transpileDir, 'node_modules', '@bytecodealliance', 'preview2-shim'),
  join(bca, 'preview2-shim'),
], '@bytecodealliance/preview2-shim');
const adapterPath = firstExisting([
  join(bca, 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm'),
], 'the WASI preview1 reactor adapter');

function errText(e) {
  if (e && typeof e === 'object' && 'payload' in e) return String(e.payload);
  return String(e && e.message ? e.message : e);
}

// ---- checks ----

let passed = 0;
let failed = 0;

// Typed arrays become plain arrays so that list<T> compares by content.
function norm(v) {
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object' && v.constructor === Object) {
    const o = {};
    for (const k of Object.keys(v)) o[k] = norm(v[k]);
    return o;
  }
  return v;
}

function check(name, got, want) {
  if (isDeepStrictEqual(norm(got), norm(want))) {
    passed++;
  } else {
    failed++;
    process.stdout.write(`FAIL ${name}\n  got:  ${inspect(got, { depth: 8 })}\n  want: ${inspect(want, { depth: 8 })}\n`);
  }
}

// Calls f, an export returning result<T, E>, which must return err(want):
// jco throws the err payload itself.
function checkThrows(name, f, want) {
  try {
    const r = f();
    failed++;
    process.stdout.write(`FAIL ${name}: returned ${inspect(r)} instead of throwing\n`);
  } catch (e) {
    check(name, e instanceof Error ? `exception: ${e.stack}` : e, want);
  }
}

// An error the guest sees as `err(payload)` of an import's result.
function componentError(payload) {
  const e = new Error('component error');
  e.payload = payload;
  return e;
}

// ---- world: kitchen ----

function kitchenImports(log) {
  const host = {
    log(msg) { log.push(['log', msg]); },
    getConfig(key) {
      log.push(['get-config', key]);
      if (key === 'k') return 'v';
      throw componentError({ tag: 'not-found', val: key });
    },
    makeItems(n) {
      return Array.from({ length: n }, (_, i) => ({
        name: `n${i}`, qty: i, tags: ['t', ''], price: undefined, color: 'green',
      }));
    },
    checkMixed(s, m, c, p, ch, o) { log.push(['check-mixed', s, m, c, p, ch, o]); return 7; },
    count17(...a) { log.push(['count17', ...a]); return a.reduce((x, y) => x + y, 0); },
    join9(...a) { return a.join('+'); },
    getPrims(p) { return p; },
    maybe(x) { return x === undefined ? undefined : x + 1; },
    pickColor(n) { return ['red', 'green', 'blue'][n % 3]; },
    getFlags(p, m, w) { log.push(['get-flags', p, m, w]); return w; },
    nextChar(c) { return String.fromCodePoint(c.codePointAt(0) + 1); },
    getNested(v) { return v; },
    getDeep(d) { return d; },
    unit(ok) { if (!ok) throw componentError(undefined); },
    getF64(x) { return x * 2; },
    getU64(x) { return x - 1n; },
    getMixed(m) { log.push(['get-mixed', m]); return m; },
    getS8(x) { return -x; },
    onlyErr(x) { if (x) throw componentError({ tag: 'invalid', val: x }); },
    getTuple(t) { return t; },
  };
  return { 'test:bg/host': host, greet: { default: (name) => `Hi, ${name}!` } };
}

function kitchenChecks(k, log) {
  const { api, relay } = k;
  check('hello', k.hello('Ann'), 'hello/Ann/Hi, Ann!');
  const prims = { b: true, a: -128, c: 255, d: -32768, e: 65535, f: -2147483648, g: 4294967295,
                  h: -9223372036854775808n, i: 18446744073709551615n, j: -0.5, k: 1e300, l: '\u{10ffff}' };
  check('echo-prims', api.echoPrims(prims), prims);
  check('echo-point', api.echoPoint({ x: -1, y: 2 }), { x: -1, y: 2 });
  const item = { name: 'widget', qty: 3, tags: ['a', '', 'ccc'], price: 9.5, color: 'blue' };
  const bare = { name: '', qty: undefined, tags: [], price: undefined, color: 'red' };
  check('echo-item', api.echoItem(item), item);
  check('echo-items', api.echoItems([item, bare]), [item, bare]);
  check('reverse-list', api.reverseList(new Uint32Array([1, 2, 3])), [3, 2, 1]);
  const flags = (names, all) => Object.fromEntries(all.map((n) => [n, names.includes(n)]));
  const perms = ['read', 'write', 'exec'];
  const mid = Array.from({ length: 9 }, (_, i) => `m${i}`);
  const wide = Array.from({ length: 17 }, (_, i) => `w${i}`);
  check('sum-flags', api.sumFlags(flags(['read', 'exec'], perms), flags(['m0', 'm8'], mid),
                                  flags(['w0', 'w16'], wide)), 1021205);
  check('flip-perms', api.flipPerms(flags(['read'], perms)), flags(['write', 'exec'], perms));
  check('map-variant rect', api.mapVariant({ tag: 'rect', val: { x: 3, y: -4 } }), { tag: 'rect', val: { x: -4, y: 3 } });
  check('map-variant none', api.mapVariant({ tag: 'none' }), { tag: 'named', val: 'none' });
  check('map-variant named', api.mapVariant({ tag: 'named', val: 'abc' }), { tag: 'named', val: 'ABC' });
  check('map-variant big', api.mapVariant({ tag: 'big', val: 41n }), { tag: 'big', val: 42n });
  const describe = [
    [{ tag: 'a', val: 1.5 }, 'a=1.5'], [{ tag: 'b', val: 18446744073709551615n }, 'b=18446744073709551615'],
    [{ tag: 'c', val: -2.5 }, 'c=-2.5'], [{ tag: 'd', val: -128 }, 'd=-128'],
    [{ tag: 'e', val: [0.25, 4000000000] }, 'e=0.25,4000000000'], [{ tag: 'f', val: 'hé' }, 'f=hé'],
    [{ tag: 'g', val: 1e10 }, 'g=1e+10'], [{ tag: 'g', val: undefined }, 'g=none'], [{ tag: 'h' }, 'h'],
  ];
  for (const [m, want] of describe) {
    check(`describe-mixed ${m.tag}`, api.describeMixed(m), want);
    check(`echo-mixed ${m.tag}`, api.echoMixed(m), m);
  }
  check('echo-string', api.echoString('héllo 😀'), 'héllo 😀');
  check('echo-string empty', api.echoString(''), '');
  const big = 'x'.repeat(1 << 20);
  check('string-len 1 MiB', api.stringLen(big), 1 << 20);
  check('echo-string 1 MiB', api.echoString(big) === big, true);
  check('concat', api.concat('ab', 'cd'), 'abcd');
  check('parse ok', api.parse(new Uint8Array([1, 2, 3]), 0), [3, 2, 1]);
  checkThrows('parse not-found', () => api.parse(new Uint8Array([1]), 1), { tag: 'not-found', val: 'missing' });
  checkThrows('parse invalid', () => api.parse(new Uint8Array([9, 9]), 2), { tag: 'invalid', val: 2 });
  const args16 = Array.from({ length: 16 }, (_, i) => i + 1);
  check('sum16', api.sum16(...args16), 1496n);
  check('sum17', api.sum17(...args16, 17), 1785n);
  check('mix17', api.mix17('s', new Uint8Array([1, 2, 3]), { x: 1, y: -2 }, { tag: 'named', val: 'n' },
                           'opt', 1, 2, 3, 4, 5, 6), 's|3:6|1,-2|3|opt|21');
  const tup = [255, -32768, 0.125, 'x', 't'];
  check('echo-tuple', api.echoTuple(tup), tup);
  check('next-color', api.nextColor('blue'), 'red');
  check('echo-option some', api.echoOption('x'), 'x');
  check('echo-option none', api.echoOption(undefined), undefined);
  check('maybe-double', api.maybeDouble(21), 42);
  check('try-div', api.tryDiv(7, 2), 3);
  checkThrows('try-div by zero', () => api.tryDiv(1, 0), 'division by zero');
  check('only-ok', api.onlyOk(5), 15);
  checkThrows('only-err', () => api.onlyErr(5), { tag: 'invalid', val: 5 });
  const nested = [{ tag: 'ok', val: ['x', [1, 65535]] }, undefined, { tag: 'err', val: { tag: 'named', val: 'q' } },
                  { tag: 'err', val: { tag: 'big', val: 7n } }];
  check('echo-nested', api.echoNested(nested), nested);
  check('echo-chars', api.echoChars(['a', 'é', '😀']), ['a', 'é', '😀']);
  check('next-char', api.nextChar('\u{d7ff}'), '\u{e000}');
  const deep = {
    items: [item, bare], meta: ['m', [{ x: 1, y: 2 }, undefined]], res: { tag: 'err', val: { tag: 'not-found', val: 'nf' } },
    perms: flags(['read', 'exec'], perms), shapes: [{ tag: 'circle', val: 0.5 }, { tag: 'none' }, { tag: 'named', val: 'n' }],
    default: [['p', 'q'], [], ['']],
  };
  check('echo-deep', api.echoDeep(deep), deep);
  check('add-floats', api.addFloats(1.5, 2.25), 3.75);
  check('negate', api.negate(5, -300, 70000, -5000000000n), [-5, 300, -70000, 5000000000n]);

  // Imports, through relay: what the host received and what came back.
  log.length = 0;
  check('relay get-config ok', relay.getConfig('k'), 'v');
  checkThrows('relay get-config err', () => relay.getConfig('x'), { tag: 'not-found', val: 'x' });
  check('relay get-config log', log.splice(0), [['get-config', 'k'], ['get-config', 'x']]);
  check('relay check-mixed', relay.checkMixed({ tag: 'named', val: 's' }, { tag: 'g', val: 1.5 }, 'blue',
                                             flags(['read', 'write'], perms), '😀', -0.5), 7);
  check('relay check-mixed 2', relay.checkMixed({ tag: 'big', val: 18446744073709551615n },
                                               { tag: 'e', val: [1.5, 4000000000] }, 'red',
                                               flags([], perms), 'a', undefined), 7);
  check('relay check-mixed log', log.splice(0), [
    ['check-mixed', { tag: 'named', val: 's' }, { tag: 'g', val: 1.5 }, 'blue', flags(['read', 'write'], perms), '😀', -0.5],
    ['check-mixed', { tag: 'big', val: 18446744073709551615n }, { tag: 'e', val: [1.5, 4000000000] }, 'red',
     flags([], perms), 'a', undefined]]);
  const args17 = [...args16, 1000000];
  check('relay count17', relay.count17(...args17), 1000136);
  check('relay count17 log', log.splice(0), [['count17', ...args17]]);
  check('relay join9', relay.join9('a', '', 'c', 'd', 'e', 'f', 'g', 'h', 'ié'), 'a++c+d+e+f+g+h+ié');
  check('relay get-prims', relay.getPrims(prims), prims);
  check('relay maybe', relay.maybe(5), 6);
  check('relay maybe none', relay.maybe(undefined), undefined);
  check('relay pick-color', relay.pickColor(4), 'green');
  check('relay get-flags', relay.getFlags(flags(['read'], perms), flags(['m8'], mid), flags(['w1', 'w16'], wide)),
        flags(['w1', 'w16'], wide));
  check('relay get-flags log', log.splice(0), [['get-flags', flags(['read'], perms), flags(['m8'], mid), flags(['w1', 'w16'], wide)]]);
  check('relay next-char', relay.nextChar('a'), 'b');
  check('relay get-nested', relay.getNested(nested), nested);
  check('relay get-deep', relay.getDeep(deep), deep);
  check('relay unit ok', relay.unit(true), undefined);
  checkThrows('relay unit err', () => relay.unit(false), undefined);
  check('relay get-f64', relay.getF64(-1.5), -3);
  check('relay get-u64', relay.getU64(18446744073709551615n), 18446744073709551614n);
  check('relay get-s8', relay.getS8(-127), 127);
  for (const [m] of describe) check(`relay get-mixed ${m.tag}`, relay.getMixed(m), m);
  check('relay get-mixed log', log.splice(0), describe.map(([m]) => ['get-mixed', m]));
  check('relay make-items', relay.makeItems(2), [
    { name: 'n0', qty: 0, tags: ['t', ''], price: undefined, color: 'green' },
    { name: 'n1', qty: 1, tags: ['t', ''], price: undefined, color: 'green' }]);
  checkThrows('relay only-err', () => relay.onlyErr(3), { tag: 'invalid', val: 3 });
  check('relay get-tuple', relay.getTuple(tup), tup);
  relay.log('bye');
  check('relay log', log.splice(0), [['log', 'bye']]);
}

// ---- world: resources ----

function resourcesImports(log) {
  class Blob {
    constructor(init) { this.bytes = Array.from(init); log.push(['new', this.bytes.length]); }
    read(n) { return new Uint8Array(this.bytes.slice(0, n)); }
    size() { return this.bytes.length; }
    static merge(a, b) { const m = new Blob([]); m.bytes = [...a.bytes, ...b.bytes]; return m; }
  }
  const store = {
    Blob,
    open(name) {
      if (!name) throw componentError('empty name');
      return new Blob(new TextEncoder().encode(name));
    },
  };
  return { imports: { 'test:bg/store': store }, Blob };
}

function resourcesChecks(r, Blob) {
  const { counters } = r;
  const { Counter } = counters;
  const c = new Counter(5n);
  check('counter add', c.add(3n), 8n);
  check('counter get', c.get(), 8n);
  const m = Counter.make(4n);
  check('counter make', m.get(), 40n);
  const [p, q] = counters.makePair(10n);
  check('make-pair', [p.get(), q.get()], [10n, 11n]);
  check('total', counters.total([p, q, c]), 29n);
  check('live', counters.live(), 4n);
  check('absorb', c.absorb(new Blob(new Uint8Array([1, 2, 3, 4, 5]))), 5);
  check('after absorb', c.get(), 13n);
  check('peek', counters.peek(new Blob(new Uint8Array([9, 8, 7])), 2), [9, 8]);
  check('blob-roundtrip', counters.blobRoundtrip(new Uint8Array([1, 2, 3])), '3|6|1,2,3,1,');
  check('open-size', counters.openSize('abc'), 3);
  checkThrows('open-size empty', () => counters.openSize(''), 'empty name');
  const d = new Counter(7n);
  check('live before discard', counters.live(), 5n);
  check('discard', counters.discard(d), 7n);
  check('live after discard', counters.live(), 4n); // the runtime ran the destructor
  for (const x of [c, m, p, q]) x[Symbol.dispose]();
  check('live after dispose', counters.live(), 0n);
}

// ---- world: misc ----

function miscImports(log) {
  class Session {
    constructor(user) { this.user = user; log.push(['session', user]); }
    id() { return 4242; }
  }
  return {
    env: { get(name) { log.push(['get', name]); return name === 'HOME' ? '/home/ann' : undefined; } },
    'log-line': { default(line) { log.push(['log-line', line]); } },
    lookup: { default(c, l) { log.push(['lookup', c, l]); return [{ name: 'found', retries: 3, tags: ['x', 'y'] }]; } },
    session: { default: Session },
  };
}

function miscChecks(m, log) {
  check('run', m.run({ name: 'svc', retries: 2, tags: ['a'] }), 'n=1;first=found/3/2;home=/home/ann;id=4242;tags=1');
  check('run log', log.splice(0), [['log-line', 'run svc x2'], ['lookup', { name: 'svc', retries: 2, tags: ['a'] }, 'high'],
                                   ['get', 'HOME'], ['session', 'svc']]);
  check('twice', m.tools.twice(21), 42);
  check('describe', m.tools.describe([['a', 1], ['b', undefined], ['', 255]]), 'a=1;b;=255;');
}

// ---- world: orders (the example of docs/bindgen.md) ----

function ordersImports(log) {
  const config = {
    getConfig(key) {
      log.push(key);
      if (key === 'greeting') return 'Hello';
      throw componentError({ tag: 'missing', val: key });
    },
  };
  return { 'acme:orders/config': config };
}

function ordersChecks(o, log) {
  check('handle-init', o.handleInit('Bob'), 'Hello, Bob');
  check('handle-init log', log.splice(0), ['greeting']);
  check('total-qty', o.totalQty({ id: 7n, customer: 'c', lines: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 3 }],
                                  note: undefined }), 5n);
}

// ---- commands ----

async function loadTools() {
  const { _addPreopen } = await import(pathToFileURL(join(shimDir, 'dist', 'nodejs', 'filesystem.js')).href);
  _addPreopen('/', '/');
  return import(pathToFileURL(join(transpileDir, 'dist', 'wasm-tools.js')).href);
}

async function componentize(core, wit, world, out) {
  const tools = await loadTools();
  const embedded = await tools.componentEmbed({ binary: readFileSync(core), witPath: resolve(wit), world });
  const component = await tools.componentNew(embedded, [['wasi_snapshot_preview1', readFileSync(adapterPath)]]);
  writeFileSync(out, component);
  process.stdout.write(await tools.componentWit(component));
}

async function run(world, componentPath, workDir) {
  const { transpile } = await import(pathToFileURL(join(transpileDir, 'dist', 'index.js')).href);
  const out = join(resolve(workDir), `js-${world}`);
  const t = await transpile(resolve(componentPath), { name: world, instantiation: { tag: 'async' } });
  for (const [f, bytes] of Object.entries(t.files)) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    writeFileSync(join(out, f), bytes);
  }
  const { instantiate } = await import(pathToFileURL(join(out, `${world}.js`)).href);
  const { WASIShim } = await import(pathToFileURL(join(shimDir, 'dist', 'common', 'instantiation.js')).href);
  const getCoreModule = (p) => WebAssembly.compile(readFileSync(join(out, p)));
  const log = [];
  const wasi = new WASIShim().getImportObject();
  if (world === 'kitchen') {
    kitchenChecks(await instantiate(getCoreModule, { ...wasi, ...kitchenImports(log) }), log);
  } else if (world === 'resources') {
    const { imports, Blob } = resourcesImports(log);
    resourcesChecks(await instantiate(getCoreModule, { ...wasi, ...imports }), Blob);
  } else if (world === 'orders') {
    ordersChecks(await instantiate(getCoreModule, { ...wasi, ...ordersImports(log) }), log);
  } else if (world === 'misc') {
    miscChecks(await instantiate(getCoreModule, { ...wasi, ...miscImports(log) }), log);
  } else {
    die(`no checks for world ${world}`);
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed ? 1 : 0);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'componentize' && args.length === 4) await componentize(...args);
  else if (cmd === 'run' && args.length === 3) await run(...args);
  else die('usage: jco_run.mjs componentize CORE.wasm WIT_DIR WORLD OUT.wasm | run WORLD COMPONENT.wasm WORK_DIR');
} catch (e) {
  process.stdout.write(`error: ${errText(e)}\n${e && e.stack ? e.stack : ''}\n`);
  process.exit(1);
}
