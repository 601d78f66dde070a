#!/usr/bin/env bash
# tests/component/test_component_run.sh: real components through the
# `baton` CLI ($BATON_BIN), checked against jco on Node:
#   1. the guests of build_guests.sh (C guests with `baton bindgen c`
#      bindings made into components by wasm-tools as jco 1.35 ships it, the
#      WAT calc guest, the pre-composed tests/component/wat/run/nested.wat);
#   2. crosscheck.mjs: the same exports called with `baton call --json` and
#      on the component transpiled by `jco transpile`, both against the
#      expected value, for single components and for compositions (jco's
#      --map on Node, the app of section 4 on baton);
#   3. `baton call` on components: WAVE arguments and results, interface
#      names, traps (exit 1), a missing or unknown export, a wrong argument
#      count or type, an import the command line cannot provide (exit 2);
#      `baton wit` on a component;
#   4. apps composing components with [component.NAME.dependencies]: a
#      component consumer of a component provider (strings, lists, records,
#      resources), package and interface keys, an `export` rename, a
#      core-module guest using a component and a component using a
#      core-module guest, a three-stage chain both ways round, a flow over
#      them, a spin.toml v2 pipeline (providers are not steps);
#   5. load-time errors naming both sides: a type mismatch, a provider
#      without the export, an import no dependency covers, resources between
#      a core module and a component, a dependency matching no import, a
#      cycle.
# Needs clang, wat2wasm, node and tools/node_modules; their absence is a
# failure. Prints "N passed, M failed" last.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
S=${BATON_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-comp-run.XXXXXX")
trap 'rm -rf "$T"' EXIT
G=$T/guests

passed=0
failed=0
rc=0 out="" err="" name=""

run() {
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
  out=$(cat "$T/out")
  err=$(cat "$T/err")
}
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL %s: %s\n' "$name" "$1" >&2
  printf '  got rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "$(head -c 2000 <<<"$out")" \
    "$(head -c 2000 <<<"$err")" >&2
}
t() {
  name=$1
  local want=$2
  shift 2
  run "$@"
  if [ "$rc" = "$want" ]; then pass; else fail "want exit status $want"; fi
}
out_is() { if [ "$(tail -n 1 <<<"$out")" = "$1" ]; then pass; else fail "want stdout: $1"; fi; }
err_has() { if [[ "$err" == *"$1"* ]]; then pass; else fail "want stderr containing: $1"; fi; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

# ---- 1. guests ----
name="build guests"
if BATON_BIN=$B BATON_SOURCE_DIR=$S bash "$S/tests/component/build_guests.sh" "$G" >"$T/build" 2>&1; then
  pass
else
  rc=1 out=$(cat "$T/build") err=""
  fail "build_guests.sh failed (needs clang, wat2wasm, node and tools/node_modules)"
  finish
fi

# ---- 3. baton call on components ----
P=$G/provider.wasm
t "call upper" 0 "$B" call "$P" upper '"héllo"'
out_is '"HéLLO"'
t "call by interface name" 0 "$B" call "$P" 'test:svc/text@0.1.0#stats' '"a bc"'
out_is '{chars: 4, words: 2, upper: false}'
t "call short interface name" 0 "$B" call "$P" 'text#checked-div' 7 0
out_is 'err("division by zero")'
t "call spilled parameters" 0 "$B" call "$P" many 1 2 3 4 5 6 "'a'" false '"s"' 9 10 11 12 13 14
out_is '(187, "s")'
t "call json" 0 "$B" call "$P" --json area '{"rect":[2,3]}'
out_is '6'
t "call constructor" 0 "$B" call "$P" '[constructor]blob' '[1, 2]'
t "call trap" 1 "$B" call "$P" boom
err_has "unreachable"
t "call without export" 2 "$B" call "$P"
err_has "needs an EXPORT"
err_has "test:svc/text@0.1.0#upper"
t "call unknown export" 2 "$B" call "$P" nope
err_has "no exported function \`nope\`"
t "call argument count" 2 "$B" call "$P" upper
err_has "1 argument expected, 0 given"
t "call argument type" 2 "$B" call "$P" upper 5
err_has "argument 1 (s)"
t "call component with imports" 2 "$B" call "$G/consumer.wasm" run '"x"'
err_has "import \`test:svc/text@0.1.0\`"
t "call world-level types" 0 "$B" call "$G/world_types.wasm" f '{a: 3, b: "x"}'
out_is '{a: 7, b: "<x>"}'
t "call world-level resource import" 0 "$B" call "$G/world_resource.wasm" f
out_is '42'
t "call nested component" 0 "$B" call "$G/nested.wasm" calc 4
out_is '81'
t "call calc component needs log" 2 "$B" call "$G/calc.wasm" run
err_has "import \`log\`"
t "inspect a component" 0 "$B" inspect "$G/calc.wasm"
if [[ "$out" == "component "*"instance baton:calc/math@0.1.0"*"core modules: 3, core instances: 6"*"nested component 0"* ]]; then pass; else fail "inspect output: $out"; fi
t "compile a component" 0 "$B" compile "$G/calc.wasm"
out_is "$G/calc.wasm: component: 1 core module compiled or cached, 2 adapter modules run without compiling"
t "wit of a component" 0 "$B" wit "$P"
if grep -q "export test:svc/store@0.1.0;" "$T/out"; then pass; else fail "want the exported interfaces"; fi

# ---- 4. apps ----
A=$T/app
mkdir -p "$A"
cp "$G"/*.wasm "$A"/
node "$S/tests/component/wasm-tools.mjs" parse "$S/tests/component/wat/run/mismatch.wat" "$A/mismatch.wasm"
cat >"$A/baton.toml" <<'EOF'
[application]
name = "compose"

[component.provider]
source = "provider.wasm"

[component.consumer]
source = "consumer.wasm"
[component.consumer.dependencies]
"test:svc" = { component = "provider" }

[component.tp]
source = "text_provider.wasm"
[component.tp-core]
source = "text_provider.embedded.wasm"
[component.tu-core]
source = "text_user.embedded.wasm"
[component.tu-core.dependencies]
"test:svc/text" = { component = "tp" }
[component.tu-comp]
source = "text_user.wasm"
[component.tu-comp.dependencies]
"test:svc/text@0.1.0" = { component = "tp-core", export = "test:svc/text@0.1.0" }
[component.tu-warm]
source = "text_user_warm.wasm"
[component.tu-warm.dependencies]
"test:svc/text" = { component = "tp" }

[component.back]
source = "back.wasm"
[component.middle]
source = "middle.embedded.wasm"
[component.middle.dependencies]
"test:chain/stage" = { component = "back" }
[component.front]
source = "front.wasm"
[component.front.dependencies]
"test:chain" = { component = "middle" }

[component.back-core]
source = "back.embedded.wasm"
[component.middle-comp]
source = "middle.wasm"
[component.middle-comp.dependencies]
"test:chain/stage" = { component = "back-core" }
[component.front-core]
source = "front.embedded.wasm"
[component.front-core.dependencies]
"test:chain/stage" = { component = "middle-comp" }

[component.wt]
source = "world_types.wasm"

[component.logger]
source = "logger.wasm"
[component.post-leave]
source = "post_leave.wasm"
[component.post-leave.dependencies]
log = { component = "logger" }

[flow.main]
[[flow.main.step]]
name = "words"
component = "tu-core"
[[flow.main.step]]
name = "chain"
component = "front"
[[flow.main.step]]
name = "chain2"
component = "front-core"
[[flow.main.step]]
name = "all"
component = "consumer"
export = "run"
EOF
M=$A/baton.toml

# ---- baton and jco agree (section 2: alone and composed, with this app) ----
name="crosscheck with jco"
if node "$S/tests/component/crosscheck.mjs" "$B" "$G" "$A/baton.toml" >"$T/cc" 2>&1; then
  pass
  echo "crosscheck: $(tail -n 1 "$T/cc")"
else
  rc=1 out=$(cat "$T/cc") err=""
  fail "baton and jco disagree"
fi

t "app component -> component" 0 "$B" call -f "$M" consumer run '"hi there"'
out_is '"HI THERE|a-b-hi there|8,2,l|10|2|5|2|division by zero|98spilled"'
t "app component with world-level types" 0 "$B" call -f "$M" wt describe 'named({a: 9, b: "n"})' '[{a: 1, b: "p"}]'
out_is '[{a: 1, b: "<p>"}, {a: 9, b: "<n>"}]'
t "app resources across components" 0 "$B" call -f "$M" consumer blobs 3
out_is '153020'
t "app core module -> component" 0 "$B" call -f "$M" tu-core shout '["a", "b"]'
out_is '"A B"'
t "app component -> core module" 0 "$B" call -f "$M" tu-comp shout '["c", "d"]'
out_is '"C D"'
t "app constructor calling an import" 0 "$B" call -f "$M" tu-warm shout '["a"]'
out_is '"WARM A"'
t "app chain component -> core -> component" 0 "$B" call -f "$M" front run '"x"'
out_is '"front<mid[back(x@2)]>"'
t "app chain core -> component -> core" 0 "$B" call -f "$M" front-core run '"y"'
out_is '"front<mid[back(y@2)]>"'
t "app flow over composed components" 0 "$B" run -f "$M" main --input '["w1", "w2"]' --quiet
out_is '"FRONT<MID[BACK(FRONT<MID[BACK(W1 W2@2)]>@2)]>|a-b-front<mid[back(front<mid[back(W1 W2@2)]>@2)]>|45,2,l|10|2|5|2|division by zero|98spilled"'

cat >"$A/spin.toml" <<'EOF'
spin_manifest_version = 2

[application]
name = "compose"

[[trigger.http]]
route = "/..."
component = "shout"

[component.shout]
source = "text_user.wasm"
[component.shout.dependencies]
"test:svc" = { component = "text" }

[component.text]
source = "text_provider.wasm"
EOF
t "build an app of components" 0 "$B" build -f "$A/spin.toml"
err_has "shout: component: 1 core module"
t "spin.toml v2 pipeline with a dependency" 0 "$B" run -f "$A/spin.toml" --input '["spin", "two"]' --quiet
out_is '"SPIN TWO"'
t "spin.toml v2 dependency through baton call -f" 0 "$B" call -f "$A/spin.toml" shout shout '["via", "call"]'
out_is '"VIA CALL"'

# ---- 5. load-time errors ----
bad() { # bad NAME TOML EXPECTED
  printf '%s\n' "$2" >"$A/bad.toml"
  t "$1" 2 "$B" call -f "$A/bad.toml" x shout '[]'
  err_has "$3"
}
bad "type mismatch names both sides" '[application]
name = "bad"
[component.p]
source = "mismatch.wasm"
[component.x]
source = "text_user.wasm"
[component.x.dependencies]
"test:svc/text" = { component = "p" }' \
  '`test:svc/text@0.1.0#upper` is func(s: string) -> string in component `x` (import) but func(s: string) -> u32 in component `p` (export)'
bad "provider without the export" '[application]
name = "bad"
[component.p]
source = "back.wasm"
[component.x]
source = "text_user.wasm"
[component.x.dependencies]
"test:svc/text" = { component = "p" }' \
  "component \`x\` imports \`test:svc/text@0.1.0\` from component \`p\`, which exports \`test:chain/stage@0.1.0\`"
bad "import no dependency covers" '[application]
name = "bad"
[component.x]
source = "text_user.wasm"' \
  "component \`x\` imports \`test:svc/text@0.1.0\`, which no dependency provides"
bad "resources between a core module and a component" '[application]
name = "bad"
[component.p]
source = "provider.wasm"
[component.x]
source = "consumer.embedded.wasm"
[component.x.dependencies]
"test:svc" = { component = "p" }' \
  "passes resource handles, which only components (not core modules) can exchange"
bad "dependency matching no import" '[application]
name = "bad"
[component.p]
source = "provider.wasm"
[component.x]
source = "text_user.wasm"
[component.x.dependencies]
"test:svc" = { component = "p" }
"test:chain/stage" = { component = "p" }' \
  "has no import matching dependency \`test:chain/stage\`"
bad "dependency cycle" '[application]
name = "bad"
[component.x]
source = "middle.wasm"
[component.x.dependencies]
"test:chain/stage" = { component = "y" }
[component.y]
source = "middle.wasm"
[component.y.dependencies]
"test:chain/stage" = { component = "x" }' \
  "dependency cycle between components"

finish
