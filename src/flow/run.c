/*
 * src/flow/run.c: executing a compiled flow.
 *
 * The runner keeps each step's state (pending, running, done, skipped,
 * failed) under one mutex. A step becomes ready when every dependency is done
 * or skipped; it is skipped instead when a dependency was skipped or when the
 * route that gates it chose another case. A single ready step runs on the
 * calling thread; several ready at once run on threads of their own and are
 * joined. Each attempt of a step gets its arguments from the flow input,
 * earlier outputs or literals, calls the invoker with the step's deadline,
 * and is retried per its policy with exponential backoff and optional
 * jitter. After the first failure nothing new starts; running steps finish;
 * then completed steps are compensated in reverse completion order.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/internal.h"
#include "value/value.h"

enum { ST_PENDING, ST_RUNNING, ST_DONE, ST_SKIPPED, ST_FAILED };

typedef struct {
  char *component;
  void *instance;
  bool busy;
} slot_t;

typedef struct {
  const bt_flow_t *flow;
  const bt_flow_invoker_t *inv;
  const bt_flow_observer_t *obs;
  const baton_value_t *input;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int *state;
  baton_value_t *outputs;
  const char **chosen; /* case chosen by a routing step */
  int *order;          /* completion order */
  size_t ncompleted;
  int running;
  bool failed;
  bt_flow_failure_t *failure;
  baton_error_t *host_error;
  slot_t *slots;
  size_t nslots;
  pthread_t *threads;
  size_t nthreads;
} run_t;

typedef struct {
  run_t *run;
  int step;
} job_t;

void bt_flow_failure_clear(bt_flow_failure_t *f) {
  bt_free(f->step);
  bt_free(f->message);
  memset(f, 0, sizeof *f);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void emit(run_t *r, bt_flow_event_kind_t kind, const char *step, uint32_t attempt,
                 double dur, uint64_t backoff, const char *msg) {
  if (!r->obs || !r->obs->event) return;
  bt_flow_event_t ev = {kind, r->flow->name, step, attempt, dur, backoff, msg};
  r->obs->event(r->obs->ctx, &ev);
}

/* Returns the value a selector picks, or NULL (with why) when a path names
 * a case the value is not in. Caller holds no lock: outputs of finished
 * steps are immutable. */
static const baton_value_t *resolve(run_t *r, const bt_sel_t *s, int self, char *why, size_t whysize) {
  const baton_value_t *base;
  const char *from;
  switch (s->kind) {
    case BT_SEL_LITERAL: return &s->literal;
    case BT_SEL_INPUT:
      base = r->input;
      from = "$input";
      break;
    case BT_SEL_OUTPUT:
      base = &r->outputs[self];
      from = "$output";
      break;
    default:
      base = &r->outputs[s->step];
      from = r->flow->steps[s->step].name;
      break;
  }
  if (!base) {
    snprintf(why, whysize, "the flow was given no input");
    return NULL;
  }
  const baton_value_t *v = bt_value_path(base, s->base, s->path);
  if (!v) snprintf(why, whysize, "`%s%s%s` is not present: the value took another case", from,
                   *s->path ? "." : "", s->path);
  return v;
}

/* Finds or claims the reusable-instance slot of a component. */
static slot_t *claim_slot(run_t *r, const char *component) {
  slot_t *free_slot = NULL;
  pthread_mutex_lock(&r->lock);
  for (size_t i = 0; i < r->nslots; i++) {
    if (!strcmp(r->slots[i].component, component)) {
      slot_t *s = r->slots[i].busy ? NULL : &r->slots[i];
      if (s) s->busy = true;
      pthread_mutex_unlock(&r->lock);
      return s;
    }
  }
  slot_t *ns = bt_realloc(r->slots, sizeof *ns * (r->nslots + 1));
  if (ns) {
    r->slots = ns;
    free_slot = &ns[r->nslots];
    free_slot->component = bt_strdup(component);
    free_slot->instance = NULL;
    free_slot->busy = true;
    if (free_slot->component) r->nslots++;
    else free_slot = NULL;
  }
  pthread_mutex_unlock(&r->lock);
  return free_slot;
}

static void release_slot(run_t *r, slot_t *s) {
  if (!s) return;
  pthread_mutex_lock(&r->lock);
  s->busy = false;
  pthread_mutex_unlock(&r->lock);
}

static void sleep_ms(uint64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

/* Computes the backoff before attempt `next` (2, 3, ...). */
static uint64_t backoff_ms(const bt_retry_policy_t *p, uint32_t next, unsigned *seed) {
  double d = p->initial_backoff_ms;
  for (uint32_t i = 2; i < next; i++) d *= p->multiplier;
  if (p->max_backoff_ms && d > p->max_backoff_ms) d = p->max_backoff_ms;
  if (p->jitter && d > 0) d = d / 2 + (d / 2) * ((double)rand_r(seed) / RAND_MAX);
  return (uint64_t)d;
}

/* Runs one step with retries. Stores the output or the failure. Returns
 * true on success. */
static bool run_step(run_t *r, int i) {
  const bt_step_t *s = &r->flow->steps[i];
  bt_retry_policy_t pol = s->retry;
  if (pol.max_attempts <= 1 && r->obs && r->obs->default_max_attempts > 1) {
    pol.max_attempts = r->obs->default_max_attempts;
    if (!pol.retry_on) pol.retry_on = BT_RETRY_ON_TRAP | BT_RETRY_ON_TIMEOUT;
  }
  unsigned seed = (unsigned)(uint64_t)now_us() ^ (unsigned)i; /* via uint64_t: a double above UINT_MAX is UB */
  const baton_value_t **args = bt_calloc(s->nargs + 1, sizeof *args);
  char why[512] = "", msg[1024] = "";
  baton_trap_kind_t tk = BATON_TRAP_NONE;
  if (!args) {
    snprintf(msg, sizeof msg, "out of memory");
    goto fail;
  }
  for (size_t k = 0; k < s->nargs; k++) {
    args[k] = resolve(r, &s->args[k], i, why, sizeof why);
    if (!args[k]) {
      snprintf(msg, sizeof msg, "parameter `%s`: %s", s->fn->params[k].name, why);
      goto fail;
    }
  }
  baton_value_t *flat = bt_calloc(s->nargs + 1, sizeof *flat);
  if (!flat) {
    snprintf(msg, sizeof msg, "out of memory");
    goto fail;
  }
  for (size_t k = 0; k < s->nargs; k++) flat[k] = *args[k]; /* shallow: borrowed */
  slot_t *slot = s->reuse_instance ? claim_slot(r, s->component) : NULL;
  bool ok = false;
  uint32_t attempt;
  for (attempt = 1; attempt <= pol.max_attempts; attempt++) {
    emit(r, BT_FLOW_EV_STEP_START, s->name, attempt, 0, 0, NULL);
    double t0 = now_us();
    baton_value_t out = {0};
    baton_trap_t *trap = NULL;
    void *dummy = NULL;
    baton_error_t *err = r->inv->invoke(r->inv->ctx, s->component, s->export_name, s->fn, flat, s->nargs,
                                        s->timeout_ms, slot ? &slot->instance : &dummy, &out, &trap);
    double dur = now_us() - t0;
    if (!slot && dummy && r->inv->release_instance) r->inv->release_instance(r->inv->ctx, s->component, dummy);
    unsigned cause = 0;
    if (err) {
      snprintf(msg, sizeof msg, "%s", baton_error_message(err));
      baton_error_delete(err);
      tk = BATON_TRAP_NONE;
      cause = 0; /* host errors are not retried */
    } else if (trap) {
      tk = baton_trap_kind(trap);
      snprintf(msg, sizeof msg, "%s: %s", tk == BATON_TRAP_TIMEOUT ? "timeout" : "trap", baton_trap_message(trap));
      baton_trap_delete(trap);
      cause = tk == BATON_TRAP_TIMEOUT ? BT_RETRY_ON_TIMEOUT : BT_RETRY_ON_TRAP;
      if (slot && slot->instance && r->inv->release_instance) { /* a trapped instance is unusable */
        r->inv->release_instance(r->inv->ctx, s->component, slot->instance);
        slot->instance = NULL;
      }
    } else {
      const bt_wit_type_t *rt = bt_wit_type_unalias(s->fn->result);
      bool unhandled_err = false;
      if (rt && rt->kind == BT_WIT_RESULT && out.of.var.index == 1) {
        unhandled_err = true;
        for (size_t k = 0; k < s->nroutes; k++) unhandled_err &= strcmp(s->routes[k].cas, "err") != 0;
      }
      if (!unhandled_err) {
        pthread_mutex_lock(&r->lock);
        r->outputs[i] = out;
        r->chosen[i] = rt ? bt_value_case_name(&r->outputs[i], s->fn->result) : NULL;
        pthread_mutex_unlock(&r->lock);
        emit(r, BT_FLOW_EV_STEP_OK, s->name, attempt, dur, 0, r->chosen[i]);
        ok = true;
        break;
      }
      bt_strbuf_t b = BT_STRBUF_INIT;
      baton_error_t *pe = out.of.var.payload ? bt_wave_print(out.of.var.payload, rt->err, &b) : NULL;
      snprintf(msg, sizeof msg, "returned err%s%s%s", b.data ? "(" : "", b.data ? b.data : "", b.data ? ")" : "");
      baton_error_delete(pe);
      bt_strbuf_free(&b);
      baton_value_clear(&out);
      tk = BATON_TRAP_NONE;
      cause = BT_RETRY_ON_ERR;
    }
    emit(r, BT_FLOW_EV_STEP_FAILED, s->name, attempt, dur, 0, msg);
    if (!(pol.retry_on & cause) || attempt == pol.max_attempts) break;
    uint64_t wait = backoff_ms(&pol, attempt + 1, &seed);
    emit(r, BT_FLOW_EV_STEP_RETRY, s->name, attempt, 0, wait, msg);
    if (wait) sleep_ms(wait);
  }
  release_slot(r, slot);
  bt_free(flat);
  bt_free(args);
  if (ok) return true;
  if (attempt > pol.max_attempts) attempt = pol.max_attempts;
  pthread_mutex_lock(&r->lock);
  if (!r->failed) {
    r->failed = true;
    r->failure->step = bt_strdup(s->name);
    r->failure->attempt = attempt;
    r->failure->message = bt_strdup(msg);
    r->failure->trap_kind = tk;
  }
  pthread_mutex_unlock(&r->lock);
  return false;
fail:
  bt_free(args);
  pthread_mutex_lock(&r->lock);
  if (!r->failed) {
    r->failed = true;
    r->failure->step = bt_strdup(s->name);
    r->failure->attempt = 1;
    r->failure->message = bt_strdup(msg);
    r->failure->trap_kind = tk;
  }
  pthread_mutex_unlock(&r->lock);
  emit(r, BT_FLOW_EV_STEP_FAILED, s->name, 1, 0, 0, msg);
  return false;
}

/* Records a finished step; caller holds the lock. */
static void finish(run_t *r, int i, bool ok) {
  r->state[i] = ok ? ST_DONE : ST_FAILED;
  if (ok) r->order[r->ncompleted++] = i;
  r->running--;
  pthread_cond_broadcast(&r->cond);
}

static void *job_main(void *p) {
  job_t *j = p;
  bool ok = run_step(j->run, j->step);
  pthread_mutex_lock(&j->run->lock);
  finish(j->run, j->step, ok);
  pthread_mutex_unlock(&j->run->lock);
  bt_free(j);
  return NULL;
}

/* Marks pending steps skipped when they can no longer run; returns whether
 * anything changed. Caller holds the lock. */
static bool propagate_skips(run_t *r) {
  bool changed = false;
  for (size_t i = 0; i < r->flow->nsteps; i++) {
    const bt_step_t *s = &r->flow->steps[i];
    if (r->state[i] != ST_PENDING) continue;
    bool skip = false, waiting = false;
    for (size_t k = 0; k < s->ndeps; k++) {
      int d = r->state[s->deps[k]];
      if (d == ST_SKIPPED) skip = true;
      else if (d != ST_DONE) waiting = true;
    }
    if (!skip && !waiting && s->gate_step >= 0) {
      const char *c = r->chosen[s->gate_step];
      skip = !c || strcmp(c, s->gate_case) != 0;
    }
    if (skip) {
      r->state[i] = ST_SKIPPED;
      changed = true;
      emit(r, BT_FLOW_EV_STEP_SKIPPED, s->name, 0, 0, 0, s->gate_case);
    }
  }
  return changed;
}

static bool is_ready(run_t *r, size_t i) {
  const bt_step_t *s = &r->flow->steps[i];
  if (r->state[i] != ST_PENDING) return false;
  for (size_t k = 0; k < s->ndeps; k++)
    if (r->state[s->deps[k]] != ST_DONE) return false;
  return true;
}

/* Runs compensations of completed steps in reverse completion order. */
static void compensate(run_t *r) {
  for (size_t n = r->ncompleted; n-- > 0;) {
    int i = r->order[n];
    const bt_step_t *s = &r->flow->steps[i];
    if (!s->has_comp) continue;
    char why[512], msg[1024];
    baton_value_t *args = bt_calloc(s->ncomp_args + 1, sizeof *args);
    bool ok = args != NULL;
    for (size_t k = 0; ok && k < s->ncomp_args; k++) {
      const baton_value_t *v = resolve(r, &s->comp_args[k], i, why, sizeof why);
      if (v) args[k] = *v;
      else {
        snprintf(msg, sizeof msg, "%s", why);
        ok = false;
      }
    }
    double t0 = now_us();
    if (ok) {
      baton_value_t out = {0};
      baton_trap_t *trap = NULL;
      void *inst = NULL;
      baton_error_t *err = r->inv->invoke(r->inv->ctx, s->comp_component, s->comp_export, s->comp_fn, args,
                                          s->ncomp_args, s->timeout_ms, &inst, &out, &trap);
      if (inst && r->inv->release_instance) r->inv->release_instance(r->inv->ctx, s->comp_component, inst);
      if (err) snprintf(msg, sizeof msg, "%s", baton_error_message(err));
      else if (trap) snprintf(msg, sizeof msg, "trap: %s", baton_trap_message(trap));
      ok = !err && !trap;
      baton_error_delete(err);
      baton_trap_delete(trap);
      baton_value_clear(&out);
    }
    bt_free(args);
    r->failure->compensated++;
    emit(r, ok ? BT_FLOW_EV_COMPENSATE : BT_FLOW_EV_COMPENSATE_FAILED, s->name, 1, now_us() - t0, 0,
         ok ? s->comp_export : msg);
  }
}

baton_error_t *bt_flow_run(const bt_flow_t *flow, const bt_flow_invoker_t *inv,
                           const bt_flow_observer_t *obs, const baton_value_t *input,
                           baton_value_t *output, bool *failed, bt_flow_failure_t *failure) {
  memset(output, 0, sizeof *output);
  memset(failure, 0, sizeof *failure);
  *failed = false;
  size_t n = flow->nsteps;
  run_t r = {.flow = flow, .inv = inv, .obs = obs, .input = input, .failure = failure};
  r.state = bt_calloc(n, sizeof *r.state);
  r.outputs = bt_calloc(n, sizeof *r.outputs);
  r.chosen = bt_calloc(n, sizeof *r.chosen);
  r.order = bt_calloc(n, sizeof *r.order);
  r.threads = bt_calloc(n, sizeof *r.threads);
  baton_error_t *err = NULL;
  if (!r.state || !r.outputs || !r.chosen || !r.order || !r.threads) {
    err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    goto out;
  }
  pthread_mutex_init(&r.lock, NULL);
  pthread_cond_init(&r.cond, NULL);
  pthread_mutex_lock(&r.lock);
  for (;;) {
    while (propagate_skips(&r)) {
    }
    int ready[64];
    size_t nready = 0;
    for (size_t i = 0; i < n && !r.failed && nready < 64; i++)
      if (is_ready(&r, i)) ready[nready++] = (int)i;
    if (nready == 0 && r.running == 0) break;
    for (size_t k = 0; k < nready; k++) {
      int i = ready[k];
      r.state[i] = ST_RUNNING;
      r.running++;
      if (nready == 1 && r.running == 1) {
        pthread_mutex_unlock(&r.lock);
        bool ok = run_step(&r, i);
        pthread_mutex_lock(&r.lock);
        finish(&r, i, ok);
        continue;
      }
      job_t *j = bt_malloc(sizeof *j);
      bool started = false;
      if (j) {
        j->run = &r;
        j->step = i;
        started = pthread_create(&r.threads[r.nthreads], NULL, job_main, j) == 0;
        if (started) r.nthreads++;
        else bt_free(j);
      }
      if (!started) { /* fall back to running it here */
        pthread_mutex_unlock(&r.lock);
        bool ok = run_step(&r, i);
        pthread_mutex_lock(&r.lock);
        finish(&r, i, ok);
      }
    }
    if (r.running > 0) pthread_cond_wait(&r.cond, &r.lock);
  }
  pthread_mutex_unlock(&r.lock);
  for (size_t t = 0; t < r.nthreads; t++) pthread_join(r.threads[t], NULL);

  if (r.failed) {
    compensate(&r);
    *failed = true;
  } else {
    /* The flow's result: the output selector, or the last step that ran. */
    const baton_value_t *res = NULL;
    char why[512] = "no step ran";
    if (flow->has_output) {
      if (flow->output.kind == BT_SEL_STEP && r.state[flow->output.step] != ST_DONE)
        snprintf(why, sizeof why, "step `%s`, which gives the flow output, was skipped",
                 flow->steps[flow->output.step].name);
      else res = resolve(&r, &flow->output, -1, why, sizeof why);
    } else {
      for (size_t i = n; i-- > 0 && !res;)
        if (r.state[i] == ST_DONE) res = &r.outputs[i];
    }
    if (res && res->kind && !baton_value_copy(output, res))
      err = baton_error_new(BATON_ENO_MEMORY, "out of memory");
    if (!res) {
      *failed = true;
      failure->message = bt_strdup(why);
      failure->step = bt_strdup(flow->name);
    }
  }
  pthread_cond_destroy(&r.cond);
  pthread_mutex_destroy(&r.lock);
out:
  for (size_t i = 0; r.outputs && i < n; i++) baton_value_clear(&r.outputs[i]);
  for (size_t i = 0; i < r.nslots; i++) {
    if (r.slots[i].instance && inv->release_instance)
      inv->release_instance(inv->ctx, r.slots[i].component, r.slots[i].instance);
    bt_free(r.slots[i].component);
  }
  bt_free(r.slots);
  bt_free(r.state);
  bt_free(r.outputs);
  bt_free(r.chosen);
  bt_free(r.order);
  bt_free(r.threads);
  return err;
}
