#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes and $ in expected messages are literal
# tests/app/test_app_e2e.sh: the examples end to end through the `baton` CLI
# ($BATON_BIN, whose directory goes first on PATH) and the orders plugin
# (baton-orders, built beside it). Each example is copied into a temporary
# directory and built there with `baton build`, so the source tree stays
# clean. Then:
#   1. examples/orders: the pipeline from baton.toml and from spin.toml,
#      --input, variable overrides, guest output prefixes, `baton up`,
#      `baton call -f`, `baton graph`, --repeat, --json logs, --quiet;
#   2. examples/order-processing: the ok path, the retried reservation, the
#      err route to `reject`, the saga (trap in `confirm`, compensation),
#      retries exhausted, --input-json, --json results;
#   3. bad input, each exit 2 with a clear message and nothing run: TOML
#      syntax, unknown keys, unknown component/export in a step, a type
#      mismatch between steps, a missing .wasm, a step cycle, a missing
#      required variable, trigger config JSON and schema, a config import of
#      the wrong type, a module that does not match its world, wrong --input;
#   4. faults at run time, exit 1: a trap in a step (with retries) and a
#      step deadline, from a small WAT guest written here;
#   5. examples/orders-plugin: baton-orders run directly, as `baton orders`,
#      listed by `baton plugins list`, its routing and its retries on a trap.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

B=${BATON_BIN:?BATON_BIN must name the baton executable}
S=${BATON_SOURCE_DIR:?BATON_SOURCE_DIR must name the checkout}
BIN_DIR=$(cd "$(dirname "$B")" && pwd)
export PATH="$BIN_DIR:$PATH"
T=$(mktemp -d "${TMPDIR:-/tmp}/baton-app-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Variables of the examples must come from the manifests, not the caller.
unset BATON_MANIFEST BATON_VARIABLE_GREETING BATON_VARIABLE_TIMEOUT \
  BATON_VARIABLE_UNIT_PRICE_CENTS BATON_VARIABLE_BLOCKED_CUSTOMER

passed=0
failed=0
rc=0 out="" err="" name=""

# run CMD...: runs CMD, leaving its exit status, stdout and stderr in
# $rc, $out and $err (trailing newlines stripped).
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
  printf '  got rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "$(head -c 3000 <<<"$out")" \
    "$(head -c 3000 <<<"$err")" >&2
}

# t NAME RC CMD...: starts a case: runs CMD and checks its exit status.
# The checks below then look at the same run.
t() {
  name=$1
  local want=$2
  shift 2
  run "$@"
  if [ "$rc" = "$want" ]; then pass; else fail "want exit status $want"; fi
}
out_has() { if [[ "$out" == *"$1"* ]]; then pass; else fail "want stdout containing: $1"; fi; }
out_lacks() { if [[ "$out" != *"$1"* ]]; then pass; else fail "want stdout without: $1"; fi; }
err_has() { if [[ "$err" == *"$1"* ]]; then pass; else fail "want stderr containing: $1"; fi; }
err_lacks() { if [[ "$err" != *"$1"* ]]; then pass; else fail "want stderr without: $1"; fi; }
err_matches() { if [[ "$err" =~ $1 ]]; then pass; else fail "want stderr matching: $1"; fi; }
# last_out LINE: the last line of stdout (the result; guest output comes first).
last_out() { if [ "$(tail -n 1 <<<"$out")" = "$1" ]; then pass; else fail "want last stdout line: $1"; fi; }
# count TEXT SUBSTRING N: N lines of TEXT contain SUBSTRING.
count() {
  local n
  n=$(grep -cF -- "$2" <<<"$1")
  if [ "$n" = "$3" ]; then pass; else fail "want $3 lines containing: $2 (got $n)"; fi
}
# nothing_ran: a load-time error: no guest output, no result, no step
# events, and an error line starting with "baton: ".
nothing_ran() {
  if [ -z "$out" ] && [[ "$err" == "baton: "* ]] && ! grep -q '^\[' <<<"$err"; then
    pass
  else
    fail "want empty stdout and only an error on stderr"
  fi
}
# bad NAME SUBSTRING CMD...: exit 2, the message, nothing run.
bad() {
  local n=$1 sub=$2
  shift 2
  t "$n" 2 "$@"
  err_has "$sub"
  nothing_ran
}

O=$T/orders
P=$T/order-processing
F=$T/faults
cp -r "$S/examples/orders" "$O"
cp -r "$S/examples/order-processing" "$P"
rm -rf "$O/build" "$P/build" # a build left in the source tree is not used

R1='"order #1001 | module1: hello from module1 | module2: timeout=30 retries=3"'
G1='[module1] module1 received "order #1001", config message="hello from module1"'
G2='[module2] module2 received "order #1001 | module1: hello from module1", config timeout=30 retries=3'

# ---- 1. examples/orders ----
cd "$O" || exit 1
t "orders: baton build" 0 baton build
err_has "baton: building module1: sh build.sh module1"
err_has "baton: building module2: sh build.sh module2"
err_matches $'baton: module1: (compiled|up to date)\nbaton: module2: (compiled|up to date)'
if [ -f build/module1.wasm ] && [ -f build/module2.wasm ]; then pass; else fail "build/*.wasm made"; fi
t "orders: build again" 0 baton build
err_has "baton: module2: up to date"

sed 's/^command = "sh build.sh module1"/command = "sh build.sh nosuch"/' baton.toml >build-fails.toml
t "orders: a failing build command" 2 baton build -f build-fails.toml
err_has "baton: building module1: sh build.sh nosuch (in .)"
err_has "baton: build-fails.toml:32:11: build command of component \`module1\` failed (status 2)"

t "orders: run from baton.toml" 0 baton run
last_out "$R1"
out_has "$G1"
out_has "$G2"
err_matches '\[pipeline\] module1 +ok +attempt 1 +[0-9]+ us'
err_matches '\[pipeline\] module2 +ok +attempt 1 +[0-9]+ us'
t "orders: run -f baton.toml" 0 baton run -f baton.toml
last_out "$R1"
t "orders: run -f spin.toml" 0 baton run -f spin.toml --input '"order #1001"'
last_out "$R1"
out_has "$G1"
out_has "$G2"
t "orders: spin.toml has no default input" 2 baton run -f spin.toml
err_has "baton: flow \`pipeline\` needs an input (--input WAVE, or default_input in the manifest)"
nothing_ran
t "orders: --input" 0 baton run --input '"order #2002"'
last_out '"order #2002 | module1: hello from module1 | module2: timeout=30 retries=3"'
out_has '[module1] module1 received "order #2002"'
t "orders: WAVE escapes in --input" 0 baton run -q --input '"say \"hi\"\t!"'
last_out '"say \"hi\"\t! | module1: hello from module1 | module2: timeout=30 retries=3"'
t "orders: BATON_VARIABLE_GREETING" 0 env BATON_VARIABLE_GREETING="hi from the environment" baton run
last_out '"order #1001 | module1: hi from the environment | module2: timeout=30 retries=3"'
out_has '[module1] module1 received "order #1001", config message="hi from the environment"'
t "orders: BATON_VARIABLE_TIMEOUT" 0 env BATON_VARIABLE_TIMEOUT=45 baton run
last_out '"order #1001 | module1: hello from module1 | module2: timeout=45 retries=3"'
t "orders: --quiet" 0 baton run -q
last_out "$R1"
if [ -z "$err" ]; then pass; else fail "want no step log with --quiet"; fi

# a secret variable a guest copies into its result is printed redacted
sed 's/^greeting = { default = "hello from module1" }/greeting = { default = "hello from module1", secret = true }/' \
  baton.toml >secret.toml
t "orders: a secret in a flow result is redacted" 0 baton run -q -f secret.toml
last_out '"order #1001 | module1: <redacted> | module2: timeout=30 retries=3"'
out_lacks '| module1: hello from module1'
out_has '[module1] module1 received "order #1001", config message="<redacted>"'
t "orders: a secret in a call -f result is redacted" 0 baton call -f secret.toml module1 handle-init '"x"'
last_out '"x | module1: <redacted>"'

t "orders: baton up, two lines" 0 bash -c 'printf "%s\n" "\"first\"" "" "\"second\"" | baton up'
count "$out" ' | module2: timeout=30 retries=3"' 2
out_has '"first | module1: hello from module1 | module2: timeout=30 retries=3"'
last_out '"second | module1: hello from module1 | module2: timeout=30 retries=3"'
out_has '[module1] module1 received "second"'
count "$err" "[pipeline] module2" 2
t "orders: baton up -f spin.toml" 0 bash -c 'printf "%s\n" "\"a\"" | baton up -q -f spin.toml'
last_out '"a | module1: hello from module1 | module2: timeout=30 retries=3"'
t "orders: baton up, a bad line" 1 bash -c 'printf "%s\n" "\"a\"" "oops" "\"b\"" | baton up -q'
err_has "baton: input of flow \`pipeline\`: at .: expected string, got label oops"
count "$out" ' | module2: ' 2

t "orders: call -f one component" 0 baton call -f baton.toml module2 handle-init '"x"'
last_out '"x | module2: timeout=30 retries=3"'
out_has '[module2] module2 received "x", config timeout=30 retries=3'
out_lacks "[module1]"
t "orders: call -f module1 with its config" 0 baton call -f baton.toml module1 handle-init '"y"'
last_out '"y | module1: hello from module1"'
t "orders: call -f, unknown component" 2 baton call -f baton.toml module3 handle-init '"x"'
err_has "baton: the app has no component \`module3\`"
nothing_ran
t "orders: call -f, unknown export" 2 baton call -f baton.toml module2 handle '"x"'
err_has "baton: module2 has no export \`handle\` in world \`module2\`"
t "orders: call -f, argument count" 2 baton call -f baton.toml module2 handle-init
err_has "baton: handle-init takes 1 argument, 0 given"
t "orders: call -f, argument type" 2 baton call -f baton.toml module2 handle-init 5
err_has "baton: argument 1 (module1-output) of handle-init: at .: expected string, got number 5"
nothing_ran

t "orders: graph" 0 baton graph
out_has 'digraph "pipeline" {'
out_has '"$input" [shape=oval];'
out_has '"module1" [label="module1\nmodule1.handle-init"];'
out_has '"$input" -> "module1";'
out_has '"module2" [label="module2\nmodule2.handle-init"];'
out_has '"module1" -> "module2";'
last_out "}"
if [ -z "$err" ]; then pass; else fail "graph runs nothing"; fi

t "orders: --repeat 20" 0 baton run --repeat 20
err_matches '(^|'$'\n'')20 runs, median [0-9]+\.[0-9]+ us per flow run$'
last_out "$R1"
count "$out" "[module1] module1 received" 20
count "$out" "$R1" 1

t "orders: --json logs" 0 baton run --json
last_out "$R1"
bad_lines=$(grep -cvE '^\{"flow":"pipeline","step":"module[12]","event":"(start|ok)","attempt":1,"duration_us":[0-9]+\.[0-9]\}$' <<<"$err")
if [ "$bad_lines" = 0 ] && [ "$(wc -l <<<"$err")" = 4 ]; then pass; else fail "want 4 JSON log lines"; fi
count "$err" '"step":"module2","event":"ok","attempt":1,"duration_us":' 1
if command -v node >/dev/null; then
  if node -e 'for (const l of require("fs").readFileSync(0, "utf8").trim().split("\n")) {
      const o = JSON.parse(l);
      if (typeof o.step !== "string" || o.attempt !== 1 || typeof o.duration_us !== "number") process.exit(1);
    }' <<<"$err"; then pass; else fail "each log line is a JSON object with step, attempt, duration_us"; fi
fi
t "orders: --json with --input runs once" 0 baton run --json --input '"z"'
count "$out" "[module1] module1 received" 1
count "$err" '"event":"ok"' 2
last_out '"z | module1: hello from module1 | module2: timeout=30 retries=3"'

# ---- 2. examples/order-processing ----
cd "$P" || exit 1
t "order-processing: baton build" 0 baton build
for c in validator pricer inventory notifier; do err_matches "baton: $c: (compiled|up to date)"; done

t "order-processing: ok path" 0 baton run
last_out '"order A-100 confirmed for ada: 1250 cents, reservation R-A-100"'
out_has "[inventory] reserved R-A-100"
err_matches '\[place-order\] validate +ok +attempt 1 +[0-9]+ us +ok'
err_matches '\[place-order\] reject +skipped +attempt 0 +err'
err_matches '\[place-order\] confirm +ok +attempt 1'
# the retry: the warehouse is busy on an instance's first call
err_matches '\[place-order\] reserve +failed +attempt 1 +[0-9]+ us +returned err\("warehouse busy, try again"\)'
err_matches '\[place-order\] reserve +retry +attempt 1 +backoff 5 ms +returned err\("warehouse busy, try again"\)'
err_matches '\[place-order\] reserve +ok +attempt 2 +[0-9]+ us +ok'
err_lacks "compensate"

t "order-processing: variable override" 0 env BATON_VARIABLE_UNIT_PRICE_CENTS=100 baton run -q
last_out '"order A-100 confirmed for ada: 500 cents, reservation R-A-100"'

t "order-processing: err route to reject (blocked)" 0 baton run --input '{id: "A-106", customer: "mallory", lines: [{sku: "book", qty: 1}]}'
last_out '"order rejected (blocked customer): mallory"'
err_matches '\[place-order\] validate +ok +attempt 1 +[0-9]+ us +err'
err_matches '\[place-order\] price +skipped'
err_matches '\[place-order\] reserve +skipped'
err_matches '\[place-order\] reject +ok +attempt 1'
out_lacks "reserved"
t "order-processing: err route to reject (invalid)" 0 baton run -q --input '{id: "A-2", customer: "bob", lines: []}'
last_out '"order rejected (invalid): order A-2 has no lines"'
t "order-processing: blocked customer from the environment" 0 env BATON_VARIABLE_BLOCKED_CUSTOMER=bob baton run -q --input '{id: "A-3", customer: "bob", lines: [{sku: "pen", qty: 1}]}'
last_out '"order rejected (blocked customer): bob"'

t "order-processing: saga" 1 baton run --input '{id: "A-105", customer: "trudy", lines: [{sku: "book", qty: 1}]}'
err_has 'baton: flow `place-order` failed at step `confirm` (attempt 1): trap: unreachable executed'
err_has 'baton: ran 1 compensation'
err_has '[notifier] notifier: cannot reach customer trudy'
err_matches '\[place-order\] confirm +failed +attempt 1 +[0-9]+ us +trap: unreachable executed'
err_matches '\[place-order\] reserve +compensate +attempt 1 +[0-9]+ us +release'
out_has "[inventory] reserved R-A-105"
out_has "[inventory] released R-A-105"
out_lacks "confirmed"
if grep -q '^"' <<<"$out"; then fail "a failed flow prints no result"; else pass; fi

t "order-processing: retries exhausted" 1 baton run --input '{id: "A-107", customer: "bob", lines: [{sku: "book", qty: 101}]}'
err_has 'baton: flow `place-order` failed at step `reserve` (attempt 3): returned err("out of stock: book")'
err_matches '\[place-order\] reserve +retry +attempt 2 +backoff 10 ms +returned err\("out of stock: book"\)'
err_matches '\[place-order\] reserve +failed +attempt 3'
err_lacks "ran 1 compensation"
out_lacks "reserved"

t "order-processing: --input-json" 0 baton run --input-json '{"id": "A-108", "customer": "bob", "lines": [{"sku": "pen", "qty": 4}]}'
last_out '"order A-108 confirmed for bob: 1000 cents, reservation R-A-108"'
t "order-processing: --json" 0 baton run --json --input '{id: "A-109", customer: "eve", lines: [{sku: "pen", qty: 1}]}'
last_out '"order A-109 confirmed for eve: 250 cents, reservation R-A-109"'
err_has '{"flow":"place-order","step":"reserve","event":"retry","attempt":1,"duration_us":0.0,"backoff_ms":5,"message":"returned err(\"warehouse busy, try again\")"}'
err_matches '\{"flow":"place-order","step":"reserve","event":"ok","attempt":2,"duration_us":[0-9.]+,"message":"ok"\}'
t "order-processing: call -f with a record" 0 baton call -f baton.toml validator validate '{id: "", customer: "x", lines: []}'
last_out 'err(invalid("the order has no id"))'
t "order-processing: call -f --json" 0 baton call -f baton.toml pricer price --json '{"id": "A", "customer": "c", "lines": [{"sku": "s", "qty": 2}]}'
last_out '{"order":{"id":"A","customer":"c","lines":[{"sku":"s","qty":2}]},"total-cents":500}'

t "order-processing: graph" 0 baton graph place-order
out_has 'digraph "place-order" {'
out_has '"validate" -> "price" [label="ok"];'
out_has '"validate" -> "reject" [label="err"];'
out_has '"reserve" [label="reserve\ninventory.reserve\n(retry)"];'
out_has '"reserve" -> "reserve:undo" [style=dashed, label="compensate"];'
out_has '"reserve" -> "confirm";'
t "order-processing: unknown flow" 2 baton run nope
err_has "has no flow \`nope\`"
nothing_ran

# ---- 3. bad input: exit 2, a clear message, nothing run ----
cd "$O" || exit 1
sed 's/^version = "0.1.0"/version = "0.1.0/' baton.toml >syntax.toml
t "bad: TOML syntax" 2 baton run -f syntax.toml
err_has 'baton: syntax.toml:8:17: unterminated string: missing closing " before the end of the line'
err_has '  8 | version = "0.1.0'
if [ -z "$out" ]; then pass; else fail "nothing run"; fi

sed 's/^source = "build\/module1.wasm"/sorce = "build\/module1.wasm"/' baton.toml >unknown-key.toml
bad "bad: unknown key" "baton: unknown-key.toml:20:1: unknown key 'sorce' in [component.module1] (did you mean 'source'?)" \
  baton run -f unknown-key.toml

sed 's|"build/module2.wasm"|"build/nope.wasm"|' baton.toml >no-wasm.toml
bad "bad: missing .wasm" "baton: no-wasm.toml:35:10: component 'module2': source 'build/nope.wasm' does not exist (build it first: \`sh build.sh module2\`)" \
  baton run -f no-wasm.toml

sed 's/^greeting = { default = "hello from module1" }/greeting = { required = true }/' baton.toml >required.toml
bad "bad: missing required variable" \
  "baton: required.toml:13:1: required variable 'greeting' has no value (set BATON_VARIABLE_GREETING)" \
  baton run -f required.toml
t "required variable given" 0 env BATON_VARIABLE_GREETING=given baton run -q -f required.toml
last_out '"order #1001 | module1: given | module2: timeout=30 retries=3"'

sed "s/config = '{\"batch_size\": 6}'/config = '{\"batch_size\": 6,}'/" baton.toml >bad-json.toml
bad "bad: trigger config JSON" \
  "baton: bad-json.toml:44:10: key 'config' in [component.module2.trigger]: invalid JSON at 1:18: expected a string key in object" \
  baton run -f bad-json.toml
sed "s/config = '{\"batch_size\": 6}'/config = '{\"batch_size\": \"six\"}'/" baton.toml >bad-schema.toml
bad "bad: trigger config against config_schema" \
  "baton: bad-schema.toml:44:10: component 'module2': trigger config key 'batch_size' (JSON 1:16): expected integer, got string" \
  baton run -f bad-schema.toml
sed "s/config = '{\"ssl_only\": true}'/config = '{\"ssl\": true}'/" baton.toml >bad-required-key.toml
bad "bad: trigger config missing a required key" \
  "baton: bad-required-key.toml:28:10: component 'module1': trigger config is missing required key 'ssl_only'" \
  baton run -f bad-required-key.toml

# a config interface whose get-config returns string, not result<string, error>
mkdir -p wit-config
sed 's/get-config: func(key: string) -> result<string, error>;/get-config: func(key: string) -> string;/' \
  wit/orders.wit >wit-config/orders.wit
sed '0,/^wit = "wit"/s//wit = "wit-config"/' baton.toml >bad-config.toml
bad "bad: config import of the wrong type" \
  "baton: bad-config.toml:19:12: component \`module1\`: import \`example:orders/config@0.1.0\` is a config interface, but its get-config is \`func(key: string) -> string\`; baton provides get-config: func(key: string) -> result<string, error>" \
  baton run -f bad-config.toml
err_lacks "component \`module1\`: component"
# a world whose export does not match the module's
mkdir -p wit-sig
sed 's/export handle-init: func(start-input: string) -> string;/export handle-init: func(start-input: u32) -> string;/' \
  wit/orders.wit >wit-sig/orders.wit
sed '0,/^wit = "wit"/s//wit = "wit-sig"/' baton.toml >bad-world.toml
bad "bad: module does not match its world" \
  "baton: bad-world.toml:19:12: component \`module1\`: world module1: export \"handle-init\": WIT type func(start-input: u32) -> string flattens to (i32) -> i32 but the module has (i32, i32) -> i32" \
  baton run -f bad-world.toml
t "bad: --wit world with the wrong config import" 2 baton call build/module1.wasm handle-init '"x"' --wit wit-config --world module1
err_has "baton: build/module1.wasm: unresolved import example:orders/config@0.1.0.get-config with signature (i32, i32, i32) -> ()"
bad "bad: --input of the wrong type" "baton: input of flow \`pipeline\`: at .: expected string, got number 42 (col 1)" \
  baton run --input 42
bad "bad: --input not WAVE" "baton: input of flow \`pipeline\`: at .: expected string, got label order (col 1)" \
  baton run --input 'order'
t "bad: --input and --input-json" 2 baton run --input '"a"' --input-json '"a"'
err_has "baton: give --input or --input-json, not both"
if [ -z "$out" ]; then pass; else fail "nothing run"; fi

cd "$P" || exit 1
sed 's/^component = "pricer"/component = "pricr"/' baton.toml >unknown-component.toml
bad "bad: unknown component in a step" \
  "baton: unknown-component.toml:60:13: step 'price' of flow 'place-order': unknown component 'pricr' (did you mean 'pricer'?)" \
  baton run -f unknown-component.toml
sed 's/^export = "reserve"/export = "reserv"/' baton.toml >unknown-export.toml
bad "bad: unknown export in a step" \
  "baton: unknown-export.toml:62:1: flow \`place-order\`, step \`reserve\`: inventory has no export \`reserv\` in world \`inventory\`" \
  baton run -f unknown-export.toml
sed 's/^input = "steps.price"/input = "steps.validate"/' baton.toml >mismatch.toml
bad "bad: type mismatch between steps" \
  "baton: mismatch.toml:62:1: flow \`place-order\`, step \`reserve\`: parameter \`p\` of reserve expects record priced, but \`steps.validate\` is result<order, rejection>" \
  baton run -f mismatch.toml
sed 's/^input = \["steps.price", "steps.reserve.ok"\]/input = ["steps.reserve.ok", "steps.price"]/' baton.toml >mismatch2.toml
bad "bad: tuple input in the wrong order" \
  "baton: mismatch2.toml:71:1: flow \`place-order\`, step \`confirm\`: parameter \`p\` of confirm expects record priced, but \`steps.reserve.ok\` is record reservation" \
  baton run -f mismatch2.toml
sed 's/^component = "pricer"/component = "pricer"\nafter = ["confirm"]/' baton.toml >cycle.toml
bad "bad: step cycle" \
  "baton: cycle.toml:61:10: flow 'place-order': steps 'confirm' and 'price' form a cycle: 'price' -> 'reserve' -> 'confirm' -> 'price'" \
  baton run -f cycle.toml
bad "bad: step cycle in graph" "form a cycle" baton graph -f cycle.toml
bad "bad: --input, a field of the wrong type" \
  "baton: input of flow \`place-order\`: at .lines[0].qty: expected u32, got string \"one\"" \
  baton run --input '{id: "A", customer: "x", lines: [{sku: "b", qty: "one"}]}'
bad "bad: --input, an unknown field" "baton: input of flow \`place-order\`: at .lines[0]: record line has no field 'extra'" \
  baton run --input '{id: "A", customer: "x", lines: [{sku: "b", qty: 1, extra: 2}]}'
bad "bad: --input-json of the wrong type" "baton: input of flow \`place-order\`: at .id: expected string, got number 5" \
  baton run --input-json '{"id": 5}'

# ---- 4. faults at run time: a trap and a deadline in a step ----
mkdir -p "$F/wit" && cd "$F" || exit 1
cat >wit/faults.wit <<'EOF'
package example:faults@0.1.0;

world faulty {
  export spin: func(n: u32) -> u32;
  export divide: func(a: u32, b: u32) -> u32;
  export boom: func(n: u32) -> u32;
}
EOF
cat >faulty.wat <<'EOF'
(module
  (memory (export "memory") 1)
  (func (export "spin") (param i32) (result i32)
    (loop $forever (br $forever))
    (local.get 0))
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1)))
  (func (export "boom") (param i32) (result i32)
    unreachable))
EOF
cat >baton.toml <<'EOF'
[application]
name = "faults"
default_input = "6"

[component.faulty]
source = "faulty.wasm"
wit = "wit"
world = "faulty"
timeout_ms = 300
build = { command = "wat2wasm faulty.wat -o faulty.wasm" }

[flow.hang]
[[flow.hang.step]]
name = "loop"
component = "faulty"
export = "spin"

[flow.hang-fast]
[[flow.hang-fast.step]]
name = "loop"
component = "faulty"
export = "spin"
timeout_ms = 100

[flow.crash]
[[flow.crash.step]]
name = "div"
component = "faulty"
export = "divide"
input = ["$input", "$input"]
[[flow.crash.step]]
name = "explode"
component = "faulty"
export = "boom"
retry = { max_attempts = 2, initial_backoff_ms = 1 }
EOF
t "faults: build" 0 baton build
t "faults: step deadline" 1 baton run hang
err_has 'baton: flow `hang` failed at step `loop` (attempt 1): timeout: deadline exceeded (timeout 300 ms) (in export "spin")'
err_matches '\[hang\] loop +failed +attempt 1 +[0-9]+ us +timeout: deadline exceeded'
t "faults: step timeout_ms" 1 baton run hang-fast
err_has 'baton: flow `hang-fast` failed at step `loop` (attempt 1): timeout: deadline exceeded (timeout 100 ms)'
t "faults: trap in a step" 1 baton run crash --input 0
err_has 'baton: flow `crash` failed at step `div` (attempt 1): trap: integer divide by zero (in export "divide")'
err_lacks "explode"
t "faults: trap after retries" 1 baton run crash
err_matches '\[crash\] div +ok +attempt 1'
err_matches '\[crash\] explode +retry +attempt 1 +backoff 1 ms +trap: unreachable executed'
err_has 'baton: flow `crash` failed at step `explode` (attempt 2): trap: unreachable executed (in export "boom")'
t "faults: call -f a trapping export" 1 baton call -f baton.toml faulty divide 1 0
err_has 'trap: integer divide by zero (in export "divide")'
t "faults: several flows need a name" 2 baton run
err_has "has 3 flows; name one (hang, hang-fast, crash)"

# ---- 5. examples/orders-plugin: baton-orders ----
PLUGIN=$BIN_DIR/baton-orders
P1='order #1001 | module1: hello from module1 | module2: timeout=30 retries=3'
cd "$T" || exit 1
if [ -x "$PLUGIN" ]; then pass; else name="plugin: built"; fail "$PLUGIN missing"; fi
t "plugin: direct, -f" 0 "$PLUGIN" -f "$O/baton.toml"
last_out "$P1"
out_has "$G1"
out_has "$G2"
t "plugin: direct, BATON_MANIFEST" 0 env BATON_MANIFEST="$O/spin.toml" "$PLUGIN" "order #5"
last_out 'order #5 | module1: hello from module1 | module2: timeout=30 retries=3'
t "plugin: no manifest" 2 "$PLUGIN"
err_has "baton-orders: no baton.toml or spin.toml in '.'"
t "plugin: listed" 0 baton plugins list
out_has "orders"
out_has "$PLUGIN"
cd "$O" || exit 1
t "plugin: baton orders" 0 baton orders
last_out "$P1"
t "plugin: baton orders, routing by content" 1 baton orders "order #7" "draft #8" ""
out_has 'order #7 | module1: hello from module1 | module2: timeout=30 retries=3'
last_out 'draft #8 | module1: hello from module1'
count "$out" "[module2]" 1
err_has "baton-orders: draft order, module2 skipped"
err_has "baton-orders: rejected an empty order"
# module2 replaced by a guest that always traps: the plugin retries it
cat >trap.wat <<'EOF'
(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-init") (param i32 i32) (result i32) unreachable))
EOF
wat2wasm trap.wat -o build/trap.wasm
sed 's|"build/module2.wasm"|"build/trap.wasm"|' baton.toml >trap.toml
t "plugin: retries module2 on a trap" 1 baton-orders -f trap.toml -n 2 "order #9"
err_has 'baton-orders: module2 trapped (attempt 1 of 2): unreachable executed (in export "handle-init")'
err_has 'baton-orders: module2 trapped (attempt 2 of 2): unreachable executed'
err_has 'baton-orders: giving up on "order #9" after 2 attempts'
out_has '[module1] module1 received "order #9"'
t "plugin: the same app under baton run" 1 baton run -f trap.toml
err_has 'baton: flow `pipeline` failed at step `module2` (attempt 1): trap: unreachable executed'
t "plugin: load error" 2 baton-orders -f unknown-key.toml
err_has "baton-orders: unknown-key.toml:20:1: unknown key 'sorce'"
# what a plugin is given: BATON_MANIFEST (absolute), BATON_BIN, BATON_VERSION, its arguments
mkdir -p "$T/plugins"
cat >"$T/plugins/baton-env" <<'EOF'
#!/bin/sh
echo "manifest=$BATON_MANIFEST"
echo "bin=$BATON_BIN"
echo "version=$BATON_VERSION"
echo "args=$*"
EOF
chmod +x "$T/plugins/baton-env"
t "plugin: environment" 0 env PATH="$T/plugins:$PATH" baton env a "b c"
out_has "manifest=$(cd "$O" && pwd -P)/baton.toml"
out_has "bin=$(cd "$BIN_DIR" && pwd -P)/baton"
out_has "version=$(baton version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)"
out_has "args=a b c"
t "plugin: listed with another" 0 env PATH="$T/plugins:$PATH" baton plugins list
out_has "env "
out_has "orders "
t "unknown command" 2 baton nosuchplugin
err_has "baton: unknown command \`nosuchplugin\` (no plugin \`baton-nosuchplugin\` on PATH; see \`baton plugins list\`)"

# the source tree stayed clean: the variants were written in the copies
name="source tree untouched"
if [ ! -e "$S/examples/orders/trap.toml" ] && [ ! -e "$S/examples/order-processing/cycle.toml" ] &&
  [ ! -e "$S/examples/orders/wit-sig" ]; then pass; else fail "files appeared in $S/examples"; fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
