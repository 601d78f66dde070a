/*
 * src/value/value.h: text encodings of typed Component Model values.
 *
 * A baton_value_t (include/baton/value.h) only has meaning together with the
 * WIT type (src/wit/wit.h) it was built for. This module converts between the
 * value tree and two text forms, always guided by that type:
 *
 *   - WAVE, the WebAssembly Value Encoding used by wasm-tools and wasmtime
 *     (`{name: "x", tags: ["a"], price: some(3)}`), parsed in every form the
 *     specification allows and printed in its canonical form;
 *   - a JSON mapping for the same types, for scripts and web tooling.
 *
 * Both formats and their corner cases are documented in docs/values.md.
 *
 * Errors name the place inside the value where they happened, as a path of
 * `.field`, `[index]` and `.case` segments (`.` alone is the whole value),
 * followed by the position in the input for parse errors:
 *
 *     at .items[3].price: expected u32, got string "abc" (col 27)
 *
 * Positions are 1-based and counted in characters; the line is included
 * when the input has more than one line. Error codes: SYNTAX for text that is
 * not well-formed, TYPE when well-formed text (or a value tree) does not fit
 * the type, LIMIT for nesting deeper than BT_VALUE_MAX_DEPTH, UNSUPPORTED for
 * types that cannot carry values here (bare resources, flags with more than
 * 64 members), NO_MEMORY when an allocation fails.
 */
#ifndef BT_VALUE_INTERNAL_H
#define BT_VALUE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/value.h"
#include "util/common.h"
#include "util/strbuf.h"
#include "wit/wit.h"

/* Deepest nesting of values (and so of types) the parsers, printers and
 * checker accept. */
#define BT_VALUE_MAX_DEPTH 256

/* ---- public entry points of the module ---- */

/* Parses WAVE text (text[0..len), UTF-8, need not be NUL-terminated) as a
 * value of `type` into *out, which is overwritten. Returns NULL on success;
 * otherwise an error as described above, with *out left zeroed. */
BT_HIDDEN baton_error_t *bt_wave_parse(const char *text, size_t len,
                                       const bt_wit_type_t *type,
                                       baton_value_t *out);

/* Appends the canonical WAVE text of v, a value of `type`, to out. The value
 * is checked against the type first (bt_value_check). On error nothing is
 * appended (out is restored to its previous length). */
BT_HIDDEN baton_error_t *bt_wave_print(const baton_value_t *v,
                                       const bt_wit_type_t *type,
                                       bt_strbuf_t *out);

/* Parses JSON text as a value of `type` (see docs/values.md for the mapping);
 * the contract is bt_wave_parse's. */
BT_HIDDEN baton_error_t *bt_json_parse(const char *text, size_t len,
                                       const bt_wit_type_t *type,
                                       baton_value_t *out);

/* Appends the JSON form of v (compact, no whitespace) to out; the contract is
 * bt_wave_print's. */
BT_HIDDEN baton_error_t *bt_json_print(const baton_value_t *v,
                                       const bt_wit_type_t *type,
                                       bt_strbuf_t *out);

/* Checks that v is a well-formed value of `type`: kinds match, tuples and
 * records have the right length, case indexes are in range and payloads are
 * present exactly when the case has a type, flags use no undefined bits,
 * chars are Unicode scalar values and strings are valid UTF-8. Returns NULL
 * or a TYPE error naming the path of the first problem. */
BT_HIDDEN baton_error_t *bt_value_check(const baton_value_t *v,
                                        const bt_wit_type_t *type);

/* Returns an UNSUPPORTED error naming the part of `type` that has no value
 * form (map, future, stream, error-context, a record without fields; see
 * bt_wit_type_unsupported), or NULL. The parsers and printers call it. */
BT_HIDDEN baton_error_t *bt_value_type_supported(const bt_wit_type_t *type);

/* ---- helpers shared by wave.c and json.c ---- */

/* State shared by a parse or print: the input (NULL when printing), the path
 * of the value being worked on, the first error, and the nesting depth. */
typedef struct bt_vctx {
  const char *text;
  size_t len;
  bt_strbuf_t path;
  baton_error_t *err;
  unsigned depth;
} bt_vctx_t;

/* Records an error (unless one is already recorded) whose message is
 * "at PATH: " + the formatted text + " (col N)" when offset is a position in
 * the input, or without the position when offset is SIZE_MAX or there is no
 * input. Always returns false so callers can `return bt_vctx_fail(...)`. */
BT_HIDDEN bool bt_vctx_fail(bt_vctx_t *c, size_t offset, baton_errno_t code,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records an out-of-memory error; returns false. */
BT_HIDDEN bool bt_vctx_oom(bt_vctx_t *c);

/* Appends a `.name` or `[index]` segment to the path. Returns false (with an
 * out-of-memory error recorded) when the path cannot grow. Callers restore
 * the path by truncating it to its earlier length. */
BT_HIDDEN bool bt_vctx_push_name(bt_vctx_t *c, const char *name);
BT_HIDDEN bool bt_vctx_push_index(bt_vctx_t *c, size_t index);

/* Increments the depth, failing with a LIMIT error past BT_VALUE_MAX_DEPTH;
 * bt_vctx_leave undoes it. */
BT_HIDDEN bool bt_vctx_enter(bt_vctx_t *c, size_t offset);
BT_HIDDEN void bt_vctx_leave(bt_vctx_t *c);

/* Frees the context's path and returns its error (NULL when none). */
BT_HIDDEN baton_error_t *bt_vctx_finish(bt_vctx_t *c);

/* Returns the value kind that represents values of t (which must be
 * unaliased), or 0 for types that cannot carry values (resources). */
BT_HIDDEN baton_value_kind_t bt_value_kind_for(const bt_wit_type_t *t);

/* Returns a static name for a value kind ("u32", "record"). */
BT_HIDDEN const char *bt_value_kind_name(baton_value_kind_t kind);

/* Appends a short human-readable description of a type to b, such as "u32",
 * "list<item>", "record item", "option<u8>", for error messages. */
BT_HIDDEN void bt_value_describe_type(bt_strbuf_t *b, const bt_wit_type_t *t);

/* Returns the index of the member of a RECORD/VARIANT/ENUM/FLAGS type named
 * name[0..n), or -1. */
BT_HIDDEN long bt_value_member_index(const bt_wit_type_t *t, const char *name,
                                     size_t n);

/* Result of bt_value_parse_int. */
typedef enum {
  BT_INT_OK = 0,
  BT_INT_NOT_INTEGER, /* has a fraction or exponent, or is not a number */
  BT_INT_RANGE,       /* an integer outside the type's range */
} bt_int_status_t;

/* Parses s[0..n), a decimal number in JSON syntax, as an integer of the
 * integer kind `kind` (BT_WIT_S8..BT_WIT_U64), storing the value in *out
 * with the matching value kind. */
BT_HIDDEN bt_int_status_t bt_value_parse_int(const char *s, size_t n,
                                             bt_wit_kind_t kind,
                                             baton_value_t *out);

/* Converts s[0..n), a finite decimal number in JSON syntax, to the nearest
 * f64 (or f32 when is_f32), independent of the C locale. Returns 1 on
 * success, 0 when the magnitude overflows the type, -1 when out of memory. */
BT_HIDDEN int bt_value_parse_float(const char *s, size_t n, bool is_f32,
                                   double *out);

/* Formats a float as the shortest decimal that reads back as the same value
 * (as an f32 when is_f32), laid out like JavaScript's Number#toString:
 * "1", "-0.5", "1e+21", "1.5e-7"; "nan", "inf", "-inf" for the non-finite
 * values. buf must hold 40 bytes; returns the length. */
BT_HIDDEN size_t bt_value_format_float(double x, bool is_f32, char *buf);

/* Decodes one UTF-8 scalar value from s[0..n). Returns its length (1..4) and
 * stores it in *cp, or returns 0 when the bytes are not valid UTF-8
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
BT_HIDDEN size_t bt_utf8_decode(const unsigned char *s, size_t n,
                                uint32_t *cp);

/* Returns true when s[0..n) is valid UTF-8; otherwise stores the offset of
 * the first invalid byte in *bad (when bad is non-NULL). */
BT_HIDDEN bool bt_utf8_valid(const char *s, size_t n, size_t *bad);

/* Returns true for code points the printers write as escapes rather than
 * literally: C0 and C1 controls, DEL, and invisible formatting characters
 * (soft hyphen, zero-width and bidirectional controls, the BOM), and
 * noncharacters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF in every plane). */
BT_HIDDEN bool bt_value_escape_cp(uint32_t cp);

/* Returns true when cp is a Unicode scalar value. */
static inline bool bt_is_scalar(uint32_t cp) {
  return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
}

#endif
