/*
 * src/engine/runtime.c: baton's implementation of the wasm-rt services that
 * wasm2c-generated code relies on, plus trap frames, deadlines and the
 * linear-memory pool.
 *
 * Memory: every linear memory lives in an 8 GiB (+ guard) reservation, so
 * wasm2c's generated code needs no bounds checks: any address a 32-bit
 * memory instruction can form is inside the reservation, and everything past
 * the memory's current size is PROT_NONE. Released reservations go back to a
 * process-wide pool with their first MiB kept resident: its pages that hold
 * any non-zero byte are zeroed with memset, which on these VMs is far cheaper
 * than letting pages fault in again; anything beyond is returned to the
 * kernel with madvise(MADV_DONTNEED) so the pool does not pin large memories.
 *
 * Traps: a call into guest code pushes a bt_frame_t (thread-local) holding a
 * sigjmp_buf. wasm_rt_trap(), a host function that returns a trap, a SIGSEGV
 * inside the instance's reservation (out of bounds), a SIGSEGV next to the
 * thread's stack limit (stack exhaustion) and the deadline timer all unwind
 * to that frame. Signals are handled on an alternate stack with SA_NODEFER,
 * and frames use sigsetjmp(…, 0), so no signal mask syscalls happen per call.
 * While a host function runs (frame->in_host), asynchronous interruption is
 * deferred: the deadline sets a flag that the import trampoline checks when
 * the host function returns, so host code is never unwound mid-way. Host
 * functions that block (WASI reads, polls, sleeps) wait no longer than
 * bt_runtime_deadline_ns() and mark the flag themselves when it passes.
 *
 * Stack exhaustion relies on every wasm call being a native call (aot.c
 * compiles with -fno-optimize-sibling-calls, so recursion cannot become a
 * loop): runaway recursion reaches the guard page below the thread's stack.
 * A call into the host with less than BT_HOST_HEADROOM of stack left traps
 * as exhaustion too, because a fault inside host code cannot be unwound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <wasm-rt.h>

#include "baton/trap.h"
#include "engine/internal.h"
#include "util/error_internal.h"

#define BT_WASM_PAGE 65536u
#define BT_MEM_RESERVE (((size_t)8 << 30) + 2 * (size_t)BT_WASM_PAGE)
/* A read-write page below each memory holds a pointer to its slot, so a
 * memory imported by another instance can be grown through it. Guest
 * addresses are unsigned, so the page is unreachable from guest code. */
#define BT_MEM_HEADER 4096
#define BT_POOL_MAX_IDLE 64
#define BT_ALTSTACK_SIZE (256 * 1024)
#define BT_STACK_HEADROOM (256 * 1024)
/* Stack a host function called from guest code may use. */
#define BT_HOST_HEADROOM (128 * 1024)
#define BT_MAX_TABLE_ELEMS (10u * 1000 * 1000)

enum {
  BT_JMP_TRAP_OBJ = 1, /* frame->trap holds the trap */
  BT_JMP_TIMEOUT = 2,
  BT_JMP_MEMORY = 3,
  BT_JMP_WASM = 16, /* + wasm_rt_trap_t */
};

typedef struct bt_frame {
  sigjmp_buf jb;
  baton_instance_t *inst;
  struct bt_frame *prev;
  baton_trap_t *trap;
  volatile sig_atomic_t in_host;
  volatile sig_atomic_t timed_out;
  uint64_t deadline_ns; /* absolute CLOCK_MONOTONIC, 0 = none */
  uint64_t saved_armed;
} bt_frame_t;

typedef struct bt_mem_slot {
  uint8_t *base;
  size_t accessible; /* bytes currently PROT_READ|PROT_WRITE */
  struct bt_mem_slot *next;
} bt_mem_slot_t;

static __thread bt_frame_t *tls_frame;
static __thread baton_instance_t *tls_inst; /* instance being set up or freed */
static __thread int tls_ready;
static __thread uintptr_t tls_stack_lo;
static __thread timer_t tls_timer;
static __thread int tls_has_timer;
static __thread uint64_t tls_armed; /* deadline the timer is armed for */
static __thread void *tls_altstack;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_thread_key;
static struct sigaction g_old_segv, g_old_bus;
static int g_timer_signal;

static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static bt_mem_slot_t *g_pool;
static int g_pool_idle;

static pthread_mutex_t g_types_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  uint32_t np, nr;
  int *types;
} *g_types;
static uint32_t g_ntypes, g_types_cap;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- signals ---- */

static uintptr_t fault_sp(void *uctx) {
  ucontext_t *uc = uctx;
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.sp;
#else
  (void)uc;
  return 0;
#endif
}

/* Forwards a signal we do not own to the previous handler, or re-raises it
 * with the default action so the process dies as it would have. */
static void chain(int sig, siginfo_t *si, void *uctx, struct sigaction *old) {
  if (old->sa_flags & SA_SIGINFO) {
    if (old->sa_sigaction) {
      old->sa_sigaction(sig, si, uctx);
      return;
    }
  } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
    old->sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
}

static void on_fault(int sig, siginfo_t *si, void *uctx) {
  bt_frame_t *f = tls_frame;
  if (f && !f->in_host && f->inst) {
    uintptr_t a = (uintptr_t)si->si_addr;
    baton_instance_t *inst = f->inst;
    for (uint32_t i = 0; i < inst->nslots; i++) {
      uintptr_t b = (uintptr_t)inst->slots[i]->base;
      if (a >= b && a < b + BT_MEM_RESERVE) siglongjmp(f->jb, BT_JMP_WASM + WASM_RT_TRAP_OOB);
    }
    for (uint32_t i = 0; i < inst->nshared; i++) {
      uintptr_t b = (uintptr_t)inst->shared_bases[i];
      if (a >= b && a < b + BT_MEM_RESERVE) siglongjmp(f->jb, BT_JMP_WASM + WASM_RT_TRAP_OOB);
    }
    uintptr_t sp = fault_sp(uctx);
    bool near_sp = sp && a + 65536 >= sp && a <= sp + 65536;
    bool near_limit = tls_stack_lo && a < tls_stack_lo + 65536 && a + (16u << 20) >= tls_stack_lo;
    if (near_sp || near_limit) siglongjmp(f->jb, BT_JMP_WASM + WASM_RT_TRAP_EXHAUSTION);
  }
  chain(sig, si, uctx, sig == SIGBUS ? &g_old_bus : &g_old_segv);
}

static void on_timer(int sig, siginfo_t *si, void *uctx) {
  (void)sig; (void)si; (void)uctx;
  bt_frame_t *f = tls_frame;
  if (!f) return;
  uint64_t now = now_ns();
  bool expired = false;
  for (bt_frame_t *g = f; g; g = g->prev)
    if (g->deadline_ns && g->deadline_ns <= now) expired = true;
  if (!expired) return;
  if (f->in_host) {
    f->timed_out = 1;
    return;
  }
  siglongjmp(f->jb, BT_JMP_TIMEOUT);
}

static void thread_cleanup(void *arg) {
  (void)arg;
  if (tls_has_timer) timer_delete(tls_timer);
  if (tls_altstack) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    munmap(tls_altstack, BT_ALTSTACK_SIZE);
  }
}

static void init_once(void) {
  pthread_key_create(&g_thread_key, thread_cleanup);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_old_segv);
  sigaction(SIGBUS, &sa, &g_old_bus);
  g_timer_signal = SIGRTMIN + 3;
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
  sigaction(g_timer_signal, &sa, NULL);
}

void bt_runtime_init(void) { pthread_once(&g_once, init_once); }

/* Prepares the calling thread: alternate signal stack and stack bounds. */
static void thread_setup(void) {
  bt_runtime_init();
  tls_ready = 1;
  void *alt = mmap(NULL, BT_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (alt != MAP_FAILED) {
    stack_t ss = {.ss_sp = alt, .ss_size = BT_ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0) tls_altstack = alt;
    else munmap(alt, BT_ALTSTACK_SIZE);
  }
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *addr;
    size_t size;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) tls_stack_lo = (uintptr_t)addr;
    pthread_attr_destroy(&attr);
  }
  pthread_setspecific(g_thread_key, (void *)1);
}

/* Arms the thread's deadline timer for absolute time `deadline` (0 disarms). */
static void arm_timer(uint64_t deadline) {
  if (!tls_has_timer) {
    if (!deadline) return;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = g_timer_signal;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &tls_timer) != 0) return;
    tls_has_timer = 1;
  }
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(deadline / 1000000000u);
  its.it_value.tv_nsec = (long)(deadline % 1000000000u);
  timer_settime(tls_timer, TIMER_ABSTIME, &its, NULL);
  tls_armed = deadline;
}

/* ---- traps ---- */

static void rt_trap(int code) {
  bt_frame_t *f = tls_frame;
  if (!f) {
    fprintf(stderr, "baton: wasm trap %d outside of any call\n", code);
    abort();
  }
  siglongjmp(f->jb, BT_JMP_WASM + code);
}

static baton_trap_t *trap_from_wasm(baton_instance_t *inst, int code) {
  baton_trap_kind_t k;
  const char *msg;
  switch (code) {
    case WASM_RT_TRAP_OOB: k = BATON_TRAP_OOB; msg = "out of bounds memory access"; break;
    case WASM_RT_TRAP_INT_OVERFLOW: k = BATON_TRAP_INT_OVERFLOW; msg = "integer overflow"; break;
    case WASM_RT_TRAP_DIV_BY_ZERO: k = BATON_TRAP_DIV_BY_ZERO; msg = "integer divide by zero"; break;
    case WASM_RT_TRAP_INVALID_CONVERSION: k = BATON_TRAP_INVALID_CONVERSION; msg = "invalid conversion to integer"; break;
    case WASM_RT_TRAP_UNREACHABLE: k = BATON_TRAP_UNREACHABLE; msg = "unreachable executed"; break;
    case WASM_RT_TRAP_CALL_INDIRECT: k = BATON_TRAP_CALL_INDIRECT; msg = "indirect call type mismatch"; break;
    case BT_GLUE_TRAP_UNDEFINED_ELEMENT: k = BATON_TRAP_UNDEFINED_ELEMENT; msg = "undefined element"; break;
    case BT_GLUE_TRAP_UNINITIALIZED_ELEMENT: k = BATON_TRAP_UNINITIALIZED_ELEMENT; msg = "uninitialized element"; break;
    case BT_GLUE_TRAP_TABLE_OOB: k = BATON_TRAP_TABLE_OOB; msg = "out of bounds table access"; break;
    case WASM_RT_TRAP_EXHAUSTION: k = BATON_TRAP_EXHAUSTION; msg = "call stack exhausted"; break;
    default: k = BATON_TRAP_UNREACHABLE; msg = "uncaught exception"; break;
  }
  if (inst->limit_hit && k == BATON_TRAP_UNREACHABLE)
    return baton_trap_new(k, "%s (memory limit of %llu bytes reached)", msg,
                          (unsigned long long)inst->max_pages * BT_WASM_PAGE);
  return baton_trap_new(k, "%s", msg);
}

baton_trap_t *bt_runtime_enter(baton_instance_t *inst, bt_glue_thunk_t thunk,
                               const bt_glue_val_t *args, bt_glue_val_t *results) {
  if (inst->poisoned)
    return baton_trap_new(BATON_TRAP_POISONED, "instance unusable after an earlier trap");
  if (!tls_ready) thread_setup();
  char here;
  if (tls_stack_lo && (uintptr_t)&here < tls_stack_lo + BT_STACK_HEADROOM)
    return baton_trap_new(BATON_TRAP_EXHAUSTION, "call stack exhausted (host stack nearly full)");

  bt_frame_t fr;
  fr.inst = inst;
  fr.prev = tls_frame;
  fr.trap = NULL;
  fr.in_host = 0;
  fr.timed_out = 0;
  fr.deadline_ns = inst->timeout_ms ? now_ns() + inst->timeout_ms * 1000000u : 0;
  fr.saved_armed = tls_armed;
  for (bt_frame_t *g = fr.prev; g; g = g->prev) {
    if (g->deadline_ns && g->deadline_ns <= now_ns())
      return baton_trap_new(BATON_TRAP_TIMEOUT, "deadline exceeded");
  }
  if (fr.deadline_ns && (!tls_armed || fr.deadline_ns < tls_armed)) arm_timer(fr.deadline_ns);

  bt_frame_t *volatile fp = &fr;
  baton_instance_t *saved_inst = tls_inst;
  tls_inst = inst;
  tls_frame = &fr;
  int code = sigsetjmp(fr.jb, 0);
  if (code == 0) {
    if (thunk) thunk(inst->w2c, args, results);
    else inst->module->glue->instantiate(inst->w2c, &inst->self_cell);
    tls_frame = fp->prev;
    tls_inst = saved_inst;
    if (tls_armed != fp->saved_armed) arm_timer(fp->saved_armed);
    return NULL;
  }
  tls_frame = fp->prev;
  tls_inst = saved_inst;
  if (tls_armed != fp->saved_armed) arm_timer(fp->saved_armed);
  /* Core instances stay usable after a trap (the core spec's rule), unless
   * created with poison_on_trap (components); one that called proc_exit has
   * ended its program and is never entered again. */
  if (inst->poison_on_trap ||
      (code == BT_JMP_TRAP_OBJ && fp->trap && baton_trap_kind(fp->trap) == BATON_TRAP_EXIT))
    inst->poisoned = true;
  if (code == BT_JMP_TRAP_OBJ) return fp->trap;
  if (code == BT_JMP_TIMEOUT)
    return baton_trap_new(BATON_TRAP_TIMEOUT, "deadline exceeded (timeout %llu ms)",
                          (unsigned long long)inst->timeout_ms);
  if (code == BT_JMP_MEMORY)
    return baton_trap_new(BATON_TRAP_MEMORY, "out of memory: cannot reserve linear memory");
  return trap_from_wasm(inst, code - BT_JMP_WASM);
}

uint64_t bt_runtime_deadline_ns(void) {
  uint64_t d = 0;
  for (bt_frame_t *g = tls_frame; g; g = g->prev)
    if (g->deadline_ns && (!d || g->deadline_ns < d)) d = g->deadline_ns;
  return d;
}

bool bt_runtime_deadline_reached(void) {
  uint64_t d = bt_runtime_deadline_ns();
  if (!d || now_ns() < d) return false;
  tls_frame->timed_out = 1; /* read by rt_call_import when the host returns */
  return true;
}

baton_trap_t *bt_runtime_deadline_trap(void) {
  bt_frame_t *f = tls_frame;
  return baton_trap_new(BATON_TRAP_TIMEOUT, "deadline exceeded (timeout %llu ms)",
                        (unsigned long long)(f && f->inst ? f->inst->timeout_ms : 0));
}

/* Unwinds to the innermost frame with a runtime-detected condition. */
static void unwind(int code) {
  bt_frame_t *f = tls_frame;
  if (!f) abort();
  siglongjmp(f->jb, code);
}

static void rt_call_import(void *ctx, uint32_t index, const bt_glue_val_t *args,
                           bt_glue_val_t *results) {
  bt_frame_t *f = tls_frame;
  /* Guest recursion that calls the host at every level runs out of stack
   * inside host code, where a fault cannot be unwound: trap before that. */
  if (tls_stack_lo && (uintptr_t)__builtin_frame_address(0) < tls_stack_lo + BT_HOST_HEADROOM)
    siglongjmp(f->jb, BT_JMP_WASM + WASM_RT_TRAP_EXHAUSTION);
  baton_instance_t *inst = bt_instance_from_ctx(ctx);
  const bt_import_binding_t *b = &inst->bindings[index];
  baton_val_t a[b->nparams + 1], r[b->nresults + 1];
  for (uint32_t i = 0; i < b->nparams; i++) {
    a[i].kind = b->params[i];
    switch (b->params[i]) {
      case BATON_I32: a[i].of.i32 = (int32_t)args[i].i32; break;
      case BATON_I64: a[i].of.i64 = (int64_t)args[i].i64; break;
      case BATON_F32: a[i].of.f32 = args[i].f32; break;
      case BATON_F64: a[i].of.f64 = args[i].f64; break;
      case BATON_V128: memcpy(a[i].of.v128, args[i].v128, 16); break;
      case BATON_FUNCREF:
      case BATON_EXTERNREF: a[i].of.ref = args[i].ref; break;
    }
  }
  for (uint32_t i = 0; i < b->nresults; i++) {
    r[i].kind = b->results[i];
    memset(&r[i].of, 0, sizeof r[i].of);
  }
  f->in_host++;
  baton_trap_t *t = b->fn(b->env, &inst->caller, a, r);
  f->in_host--;
  if (t) {
    f->trap = t;
    siglongjmp(f->jb, BT_JMP_TRAP_OBJ);
  }
  if (f->timed_out) siglongjmp(f->jb, BT_JMP_TIMEOUT);
  for (uint32_t i = 0; i < b->nresults; i++) {
    switch (b->results[i]) {
      case BATON_I32: results[i].i32 = (uint32_t)r[i].of.i32; break;
      case BATON_I64: results[i].i64 = (uint64_t)r[i].of.i64; break;
      case BATON_F32: results[i].f32 = r[i].of.f32; break;
      case BATON_F64: results[i].f64 = r[i].of.f64; break;
      case BATON_V128: memcpy(results[i].v128, r[i].of.v128, 16); break;
      case BATON_FUNCREF:
      case BATON_EXTERNREF: results[i].ref = r[i].of.ref; break;
    }
  }
}

/* Boxes a funcref (a wasm_rt_funcref_t) leaving guest code so the host can
 * hold it as a pointer: one box per distinct funcref per instance, owned by
 * the instance whose code is running (freed with it). */
void *bt_runtime_box_funcref(baton_instance_t *inst, const void *fr) {
  const wasm_rt_funcref_t *f = fr;
  _Static_assert(sizeof(((bt_funcref_box_t *)0)->ref) == sizeof *f, "funcref box layout");
  if (!f->func) return NULL;
  for (bt_funcref_box_t *b = inst->funcref_boxes; b; b = b->next)
    if (b->ref.func_type == f->func_type && (void (*)(void))b->ref.func == (void (*)(void))f->func &&
        b->ref.module_instance == f->module_instance)
      return &b->ref;
  bt_funcref_box_t *b = bt_calloc(1, sizeof *b);
  if (!b) return NULL;
  memcpy(&b->ref, f, sizeof *f);
  b->next = inst->funcref_boxes;
  inst->funcref_boxes = b;
  return &b->ref;
}

static void *rt_intern_funcref(const void *fr) {
  void *box = bt_runtime_box_funcref(tls_inst, fr);
  if (!box) unwind(BT_JMP_MEMORY);
  return box;
}

/* ---- function types ---- */

static uint32_t rt_register_func_type(uint32_t np, uint32_t nr, const int *types) {
  pthread_mutex_lock(&g_types_lock);
  uint32_t idx = UINT32_MAX;
  for (uint32_t i = 0; i < g_ntypes; i++) {
    if (g_types[i].np == np && g_types[i].nr == nr &&
        memcmp(g_types[i].types, types, sizeof(int) * (np + nr)) == 0) {
      idx = i;
      break;
    }
  }
  if (idx == UINT32_MAX) {
    if (g_ntypes == g_types_cap) {
      uint32_t cap = g_types_cap ? g_types_cap * 2 : 64;
      void *nt = realloc(g_types, sizeof *g_types * cap);
      if (!nt) abort(); /* called while loading a module; cannot report */
      g_types = nt;
      g_types_cap = cap;
    }
    int *copy = malloc(sizeof(int) * (np + nr + 1));
    if (!copy) abort();
    memcpy(copy, types, sizeof(int) * (np + nr));
    g_types[g_ntypes].np = np;
    g_types[g_ntypes].nr = nr;
    g_types[g_ntypes].types = copy;
    idx = g_ntypes++;
  }
  pthread_mutex_unlock(&g_types_lock);
  return idx + 1; /* 0 is the null function's type */
}

/* ---- linear memory ---- */

/* Bytes of a released memory kept resident and zeroed in place; the rest is
 * returned to the kernel (which zero-fills it on the next touch). */
#define BT_KEEP_RESIDENT ((size_t)1 << 20)

/* Returns whether the 4 KiB page at p is all zero, reading 256-byte chunks
 * and stopping at the first non-zero one. Reading is much cheaper than
 * writing here, and a short-lived instance leaves most pages untouched. */
static bool page_is_zero(const uint8_t *p) {
  typedef uint64_t v2 __attribute__((vector_size(16), aligned(16), may_alias));
  const v2 *q = (const v2 *)p;
  for (size_t i = 0; i < 4096 / 16; i += 16) {
    v2 a = (q[i] | q[i + 1]) | (q[i + 2] | q[i + 3]);
    v2 b = (q[i + 4] | q[i + 5]) | (q[i + 6] | q[i + 7]);
    v2 c = (q[i + 8] | q[i + 9]) | (q[i + 10] | q[i + 11]);
    v2 d = (q[i + 12] | q[i + 13]) | (q[i + 14] | q[i + 15]);
    a |= (b | c) | d;
    if (a[0] | a[1]) return false;
  }
  return true;
}

/* Zeroes what a released instance could have written: dirty pages of the
 * first BT_KEEP_RESIDENT bytes in place, the rest through the kernel. */
static void slot_reset(bt_mem_slot_t *s) {
  size_t keep = s->accessible < BT_KEEP_RESIDENT ? s->accessible : BT_KEEP_RESIDENT;
  for (size_t off = 0; off < keep; off += 4096)
    if (!page_is_zero(s->base + off)) memset(s->base + off, 0, 4096);
  if (s->accessible > keep && madvise(s->base + keep, s->accessible - keep, MADV_DONTNEED) != 0)
    memset(s->base + keep, 0, s->accessible - keep);
}

static bt_mem_slot_t *slot_of(baton_instance_t *inst, const uint8_t *base) {
  (void)inst;
  if (!base) return NULL;
  bt_mem_slot_t *s;
  memcpy(&s, base - sizeof s, sizeof s);
  return s && s->base == base ? s : NULL;
}

/* Makes exactly `bytes` of the slot accessible. Returns 0 or an errno. */
static int slot_set_accessible(bt_mem_slot_t *s, size_t bytes) {
  if (bytes > s->accessible) {
    if (mprotect(s->base + s->accessible, bytes - s->accessible, PROT_READ | PROT_WRITE) != 0)
      return errno;
  } else if (bytes < s->accessible) {
    if (mprotect(s->base + bytes, s->accessible - bytes, PROT_NONE) != 0) return errno;
  }
  s->accessible = bytes;
  return 0;
}

static void rt_allocate_memory(void *memp, uint32_t initial, uint32_t max) {
  wasm_rt_memory_t *mem = memp;
  baton_instance_t *inst = tls_inst;
  bt_frame_t *f = tls_frame;
  if (f) f->in_host++;
  bt_mem_slot_t *s = NULL;
  pthread_mutex_lock(&g_pool_lock);
  if (g_pool) {
    s = g_pool;
    g_pool = s->next;
    g_pool_idle--;
  }
  pthread_mutex_unlock(&g_pool_lock);
  if (!s) {
    s = calloc(1, sizeof *s);
    void *p = s ? mmap(NULL, BT_MEM_HEADER + BT_MEM_RESERVE, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                : MAP_FAILED;
    if (p == MAP_FAILED || mprotect(p, BT_MEM_HEADER, PROT_READ | PROT_WRITE) != 0) {
      if (p != MAP_FAILED) munmap(p, BT_MEM_HEADER + BT_MEM_RESERVE);
      free(s);
      if (f) f->in_host--;
      unwind(BT_JMP_MEMORY);
    }
    s->base = (uint8_t *)p + BT_MEM_HEADER;
    memcpy(s->base - sizeof s, &s, sizeof s);
    s->accessible = 0;
  }
  if (slot_set_accessible(s, (size_t)initial * BT_WASM_PAGE) != 0 ||
      !inst || inst->nslots == BT_ARRAY_LEN(inst->slots)) {
    munmap(s->base - BT_MEM_HEADER, BT_MEM_HEADER + BT_MEM_RESERVE);
    free(s);
    if (f) f->in_host--;
    unwind(BT_JMP_MEMORY);
  }
  inst->slots[inst->nslots++] = s;
  uint32_t limit = inst->max_pages ? inst->max_pages : 65536;
  mem->data = s->base;
  mem->pages = initial;
  mem->max_pages = max < limit ? max : limit;
  mem->size = initial * BT_WASM_PAGE;
  if (f) f->in_host--;
}

static uint32_t rt_grow_memory(void *memp, uint32_t delta) {
  wasm_rt_memory_t *mem = memp;
  baton_instance_t *inst = tls_frame ? tls_frame->inst : tls_inst;
  uint32_t old = mem->pages;
  uint64_t want = (uint64_t)old + delta;
  if (want > mem->max_pages) {
    if (inst && inst->max_pages && want > inst->max_pages) inst->limit_hit = true;
    return UINT32_MAX;
  }
  if (delta == 0) return old;
  bt_mem_slot_t *s = slot_of(inst, mem->data);
  if (!s || slot_set_accessible(s, (size_t)want * BT_WASM_PAGE) != 0) return UINT32_MAX;
  mem->pages = (uint32_t)want;
  mem->size = (uint32_t)(want * BT_WASM_PAGE);
  return old;
}

static void rt_free_memory(void *memp) {
  wasm_rt_memory_t *mem = memp;
  baton_instance_t *inst = tls_inst;
  bt_mem_slot_t *s = NULL;
  for (uint32_t i = 0; inst && i < inst->nslots; i++) {
    if (inst->slots[i]->base == mem->data) {
      s = inst->slots[i];
      inst->slots[i] = inst->slots[--inst->nslots];
      break;
    }
  }
  if (!s) return; /* not this instance's own memory */
  slot_reset(s);
  pthread_mutex_lock(&g_pool_lock);
  bool keep = g_pool_idle < BT_POOL_MAX_IDLE;
  if (keep) {
    s->next = g_pool;
    g_pool = s;
    g_pool_idle++;
  }
  pthread_mutex_unlock(&g_pool_lock);
  if (!keep) {
    munmap(s->base - BT_MEM_HEADER, BT_MEM_HEADER + BT_MEM_RESERVE);
    free(s);
  }
  mem->data = NULL;
}

void bt_runtime_release_instance(baton_instance_t *inst) {
  baton_instance_t *saved = tls_inst;
  tls_inst = inst;
  inst->module->glue->free(inst->w2c);
  /* Slots left by a trap in the middle of instantiation. */
  while (inst->nslots) {
    wasm_rt_memory_t m = {.data = inst->slots[inst->nslots - 1]->base};
    rt_free_memory(&m);
  }
  tls_inst = saved;
}

/* ---- tables ---- */

typedef struct {
  void *data;
  uint32_t max_size;
  uint32_t size;
} bt_table_t;

static void rt_allocate_table(void *tp, size_t elem_size, uint32_t n, uint32_t max) {
  bt_table_t *t = tp;
  bt_frame_t *f = tls_frame;
  baton_instance_t *inst = tls_inst;
  /* Within the instance's table budget (checked before instantiation). */
  if (n > BT_MAX_TABLE_ELEMS || (inst && inst->table_elems + n > inst->max_table_elems))
    unwind(BT_JMP_MEMORY);
  if (inst) inst->table_elems += n;
  if (f) f->in_host++;
  t->data = calloc(n ? n : 1, elem_size);
  if (f) f->in_host--;
  if (!t->data) unwind(BT_JMP_MEMORY);
  t->size = n;
  t->max_size = max;
}

static uint32_t rt_grow_table(void *tp, size_t elem_size, uint32_t delta, const void *init) {
  bt_table_t *t = tp;
  uint32_t old = t->size;
  uint64_t want = (uint64_t)old + delta;
  if (want > t->max_size || want > BT_MAX_TABLE_ELEMS) return UINT32_MAX;
  if (delta == 0) return old;
  bt_frame_t *f = tls_frame;
  /* Growth counts against the growing instance's table budget: past it,
   * table.grow returns -1 (the spec allows a grow to fail). */
  baton_instance_t *inst = f ? f->inst : tls_inst;
  if (inst && inst->table_elems + delta > inst->max_table_elems) return UINT32_MAX;
  if (f) f->in_host++;
  void *nd = realloc(t->data, (size_t)want * elem_size);
  if (f) f->in_host--;
  if (!nd) return UINT32_MAX;
  if (inst) inst->table_elems += delta;
  for (uint64_t i = old; i < want; i++) memcpy((char *)nd + i * elem_size, init, elem_size);
  t->data = nd;
  t->size = (uint32_t)want;
  return old;
}

static void rt_free_table(void *tp) {
  bt_table_t *t = tp;
  free(t->data);
  t->data = NULL;
}

static void *rt_import_ptr(void *ctx, uint32_t index) {
  baton_instance_t *inst = bt_instance_from_ctx(ctx);
  return inst->bindings[index].ptr;
}

const bt_glue_rt_t bt_runtime = {
    .trap = rt_trap,
    .register_func_type = rt_register_func_type,
    .allocate_memory = rt_allocate_memory,
    .grow_memory = rt_grow_memory,
    .free_memory = rt_free_memory,
    .allocate_table = rt_allocate_table,
    .grow_table = rt_grow_table,
    .free_table = rt_free_table,
    .call_import = rt_call_import,
    .import_ptr = rt_import_ptr,
    .intern_funcref = rt_intern_funcref,
};
