/*
 * tests/guests/cli_ctor.c: a reactor whose global constructor must run (via
 * `_initialize`) before any export is called; `ctor_value` returns what it
 * set, and `ctor_runs` how many times it ran in this instance.
 */
static int g_value = 1, g_runs;

__attribute__((constructor)) static void init(void) {
  g_value = 4242;
  g_runs++;
}

__attribute__((export_name("ctor_value"))) int ctor_value(void) { return g_value; }
__attribute__((export_name("ctor_runs"))) int ctor_runs(void) { return g_runs; }
