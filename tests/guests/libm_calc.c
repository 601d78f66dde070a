/*
 * tests/guests/libm_calc.c: a reactor using <math.h>: in wasm32-wasi, sqrt
 * and floor become f64.sqrt and f64.floor, rint becomes f64.nearest, and
 * fmod is wasi-libc code inside the guest. The AOT shared object of such a
 * module must link (floor and nearbyint are libm calls on the host).
 */
#include <math.h>

/* floor(hypot(x, y)) + fmod(x, y) + rint(y + 0.5): calc(3.5, 2) = 4 + 1.5 + 2. */
__attribute__((export_name("calc"))) double calc(double x, double y) {
  return floor(sqrt(x * x + y * y)) + fmod(x, y) + rint(y + 0.5);
}
