/*
 * examples/hello/hello.c: the guest used by `make demo` (scripts/demo.sh).
 * A WASI reactor: no main(); the host calls its exports directly.
 *
 *   greet(n)   prints a greeting n times with printf, returns n
 *   fib(n)     the n-th Fibonacci number, as a 64-bit integer
 *   divide(a,b) a / b, which traps when b is 0
 *   spin()     loops forever, for showing deadlines
 *
 * Build: clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 \
 *          examples/hello/hello.c -o hello.wasm
 */
#include <stdint.h>
#include <stdio.h>

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("greet") int greet(int n) {
  for (int i = 1; i <= n; i++) printf("Hello from WebAssembly! (%d of %d)\n", i, n);
  fflush(stdout);
  return n;
}

EXPORT("fib") int64_t fib(int n) {
  int64_t a = 0, b = 1;
  for (int i = 0; i < n; i++) {
    int64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

EXPORT("divide") int divide(int a, int b) { return a / b; }

EXPORT("spin") void spin(void) {
  volatile uint64_t n = 0;
  for (;;) n++;
}
