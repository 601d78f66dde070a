/*
 * src/abi/utf.c: strings in the Canonical ABI: validation of the three
 * canonical encodings (utf8, utf16 and latin1+utf16, whose code-unit count
 * carries a tag bit selecting UTF-16), lifting into host UTF-8, and storing
 * into a guest's memory in its encoding with the spec's allocation
 * strategies: an exact-size copy when no transcoding is needed, an
 * optimistic allocation grown to the worst case and shrunk at the end when
 * transcoding (store_string_to_utf8, store_utf8_to_utf16,
 * store_string_to_latin1_or_utf16, store_probably_utf16_to_latin1_or_utf16
 * in CanonicalABI.md). A source is always validated completely before the
 * destination allocates, so an invalid string never leaves a half-written
 * allocation behind; the source bytes are re-derived from their offset
 * after every allocation, because an allocator call runs guest code.
 */
#include <inttypes.h>
#include <string.h>

#include "abi/abi.h"

typedef enum { ENC_UTF8, ENC_UTF16, ENC_LATIN1 } simple_enc_t;

/* A validated source string: host bytes, or bytes at an offset in a view
 * (re-read through src_bytes after guest code ran). */
typedef struct {
  bt_abi_cx_t *cx;
  const uint8_t *host;
  uint32_t off;
  uint32_t units; /* code units, untagged */
  simple_enc_t enc;
  bool from_tagged; /* the source used latin1+utf16 */
} src_str_t;

static const uint8_t *src_bytes(const src_str_t *s) {
  return s->cx ? s->cx->base + s->off : s->host;
}

/* ---- validation ---- */

typedef uint64_t bt_v2u64 __attribute__((vector_size(16), aligned(1), may_alias));

bool bt_abi_utf8_valid(const uint8_t *s, size_t n, size_t *bad) {
  size_t i = 0;
  /* Long ASCII runs, 128 bytes at a time; a block with a non-ASCII byte
   * falls through to the exact checks below. */
  while (i + 128 <= n) {
    const bt_v2u64 *q = (const bt_v2u64 *)(s + i);
    bt_v2u64 a = (q[0] | q[1]) | (q[2] | q[3]), b = (q[4] | q[5]) | (q[6] | q[7]);
    a |= b;
    if ((a[0] | a[1]) & 0x8080808080808080ull) break;
    i += 128;
  }
  while (i < n) {
    /* ASCII fast path, sixteen bytes at a time. */
    while (i + 16 <= n) {
      uint64_t w0, w1;
      memcpy(&w0, s + i, 8);
      memcpy(&w1, s + i + 8, 8);
      if ((w0 | w1) & 0x8080808080808080ull) break;
      i += 16;
    }
    if (i >= n) break;
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    /* The well-formed sequences of Unicode table 3-7: lead byte ranges and
     * the first continuation byte's range per lead. */
    size_t left = n - i;
    if (c >= 0xC2 && c <= 0xDF) {
      if (left < 2 || (s[i + 1] & 0xC0) != 0x80) break;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (left < 3) break;
      uint8_t b1 = s[i + 1], b2 = s[i + 2];
      uint8_t lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80) break;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (left < 4) break;
      uint8_t b1 = s[i + 1], b2 = s[i + 2], b3 = s[i + 3];
      uint8_t lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80) break;
      i += 4;
    } else {
      break;
    }
  }
  if (i >= n) return true;
  *bad = i;
  return false;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static void wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

/* Validates UTF-16LE; on failure stores the index of the bad code unit. */
static bool utf16_valid(const uint8_t *b, uint32_t units, uint32_t *bad) {
  for (uint32_t i = 0; i < units; i++) {
    uint16_t u = rd16(b + 2 * (size_t)i);
    if (u < 0xD800 || u > 0xDFFF) continue;
    if (u <= 0xDBFF && i + 1 < units) {
      uint16_t v = rd16(b + 2 * (size_t)i + 2);
      if (v >= 0xDC00 && v <= 0xDFFF) {
        i++;
        continue;
      }
    }
    *bad = i;
    return false;
  }
  return true;
}

/* Decodes the code point at *i of a validated source and advances *i (in
 * code units). */
static uint32_t next_cp(const uint8_t *b, simple_enc_t enc, uint32_t *i) {
  if (enc == ENC_LATIN1) return b[(*i)++];
  if (enc == ENC_UTF16) {
    uint32_t u = rd16(b + 2 * (size_t)*i);
    (*i)++;
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint32_t v = rd16(b + 2 * (size_t)*i);
      (*i)++;
      return 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
    }
    return u;
  }
  uint8_t c = b[*i];
  if (c < 0x80) {
    (*i)++;
    return c;
  }
  if (c < 0xE0) {
    uint32_t cp = ((uint32_t)(c & 0x1F) << 6) | (b[*i + 1] & 0x3F);
    *i += 2;
    return cp;
  }
  if (c < 0xF0) {
    uint32_t cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(b[*i + 1] & 0x3F) << 6) |
                  (b[*i + 2] & 0x3F);
    *i += 3;
    return cp;
  }
  uint32_t cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(b[*i + 1] & 0x3F) << 12) |
                ((uint32_t)(b[*i + 2] & 0x3F) << 6) | (b[*i + 3] & 0x3F);
  *i += 4;
  return cp;
}

static size_t put_utf8(uint8_t *p, uint32_t cp) {
  if (cp < 0x80) {
    p[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    p[0] = (uint8_t)(0xC0 | (cp >> 6));
    p[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    p[0] = (uint8_t)(0xE0 | (cp >> 12));
    p[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    p[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  p[0] = (uint8_t)(0xF0 | (cp >> 18));
  p[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
  p[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
  p[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static size_t put_utf16(uint8_t *p, uint32_t cp) {
  if (cp < 0x10000) {
    wr16(p, cp);
    return 2;
  }
  cp -= 0x10000;
  wr16(p, 0xD800 + (cp >> 10));
  wr16(p + 2, 0xDC00 + (cp & 0x3FF));
  return 4;
}

/* Reads (ptr, tagged units) of cx's encoding as a source string: checks the
 * byte-length limit, alignment, bounds and the encoding. */
static bool decode_src(bt_abi_cx_t *cx, uint32_t ptr, uint32_t tagged, src_str_t *s) {
  memset(s, 0, sizeof *s);
  s->cx = cx;
  s->off = ptr;
  uint32_t align = 1, unit = 1;
  switch (cx->encoding) {
    case BT_ABI_UTF8: s->enc = ENC_UTF8; s->units = tagged; break;
    case BT_ABI_UTF16: s->enc = ENC_UTF16; s->units = tagged; align = unit = 2; break;
    case BT_ABI_LATIN1_UTF16:
      s->from_tagged = true;
      align = 2;
      if (tagged & BT_ABI_UTF16_TAG) {
        s->enc = ENC_UTF16;
        s->units = tagged ^ BT_ABI_UTF16_TAG;
        unit = 2;
      } else {
        s->enc = ENC_LATIN1;
        s->units = tagged;
      }
      break;
  }
  uint64_t bytes = (uint64_t)s->units * unit;
  if (bytes > BT_ABI_MAX_STRING_BYTES)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                        "string at 0x%" PRIx32 " of %" PRIu64
                        " bytes exceeds the canonical ABI limit of %u bytes",
                        ptr, bytes, BT_ABI_MAX_STRING_BYTES);
  if (!bt_abi_check_range(cx, ptr, s->units, unit, align, "string")) return false;
  const uint8_t *b = cx->base + ptr;
  if (s->enc == ENC_UTF8) {
    size_t bad;
    if (!bt_abi_utf8_valid(b, s->units, &bad))
      return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                          "string at 0x%" PRIx32 " of length %" PRIu32
                          " is not valid UTF-8 (byte 0x%02x at offset %zu)",
                          ptr, s->units, b[bad], bad);
  } else if (s->enc == ENC_UTF16) {
    uint32_t bad;
    if (!utf16_valid(b, s->units, &bad))
      return bt_abi_failf(cx->st, BT_ABI_FAIL_ABI, cx->inst,
                          "string at 0x%" PRIx32 " of length %" PRIu32
                          " is not valid UTF-16 (unpaired surrogate 0x%04x at code unit %" PRIu32
                          ")",
                          ptr, s->units, rd16(b + 2 * (size_t)bad), bad);
  }
  return true;
}

/* ---- lifting to the host ---- */

bool bt_abi_lift_string(bt_abi_cx_t *cx, uint32_t ptr, uint32_t units, char **out,
                        size_t *out_len) {
  src_str_t s;
  *out = NULL;
  *out_len = 0;
  if (!decode_src(cx, ptr, units, &s)) return false;
  const uint8_t *b = cx->base + ptr;
  size_t len = 0;
  if (s.enc == ENC_UTF8) {
    len = s.units;
  } else {
    for (uint32_t i = 0; i < s.units;) {
      uint32_t cp = next_cp(b, s.enc, &i);
      len += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
  }
  char *r = bt_malloc(len + 1);
  if (!r) return bt_abi_failf(cx->st, BT_ABI_FAIL_NOMEM, NULL, "out of memory lifting a string");
  if (s.enc == ENC_UTF8) {
    if (len) memcpy(r, b, len);
  } else {
    size_t o = 0;
    for (uint32_t i = 0; i < s.units;) o += put_utf8((uint8_t *)r + o, next_cp(b, s.enc, &i));
  }
  r[len] = 0;
  *out = r;
  *out_len = len;
  return true;
}

/* ---- storing (the spec's store_string_into_range) ---- */

/* Allocates or reallocates through dst, then refreshes the source view:
 * the allocator ran guest code, which may have moved a memory. */
static bool dst_realloc(bt_abi_cx_t *dst, const src_str_t *s, uint32_t old, uint32_t old_size,
                        uint32_t align, uint32_t size, uint32_t *out) {
  bool ok = bt_abi_realloc(dst, old, old_size, align, size, out);
  if (s->cx && s->cx != dst) bt_abi_cx_refresh(s->cx);
  return ok;
}

/* Copies without transcoding except Latin-1 -> UTF-16 inflation: the
 * destination size is exact. */
static bool store_copy(bt_abi_cx_t *dst, const src_str_t *s, uint32_t unit, uint32_t align,
                       uint32_t *ptr, uint32_t *units) {
  uint32_t bytes = s->units * unit;
  if (!dst_realloc(dst, s, 0, 0, align, bytes, ptr)) return false;
  const uint8_t *b = src_bytes(s);
  uint8_t *d = dst->base + *ptr;
  uint32_t src_unit = s->enc == ENC_UTF16 ? 2 : 1;
  if (src_unit == unit) {
    if (bytes) memmove(d, b, bytes);
  } else { /* latin1 -> utf16 */
    for (uint32_t i = 0; i < s->units; i++) wr16(d + 2 * (size_t)i, b[i]);
  }
  *units = s->units;
  return true;
}

/* UTF-16 or Latin-1 into UTF-8: optimistic 1:1 allocation, grown to
 * `worst` on the first non-ASCII code point and shrunk at the end. */
static bool store_to_utf8(bt_abi_cx_t *dst, const src_str_t *s, uint64_t worst, uint32_t *ptr,
                          uint32_t *units) {
  if (worst > UINT32_MAX)
    return bt_abi_failf(dst->st, BT_ABI_FAIL_TYPE, NULL, "string too long to transcode");
  uint32_t p;
  if (!dst_realloc(dst, s, 0, 0, 1, s->units, &p)) return false;
  const uint8_t *b = src_bytes(s);
  uint32_t i = 0, o = 0;
  while (i < s->units) {
    uint32_t at = i;
    uint32_t cp = next_cp(b, s->enc, &i);
    if (cp < 0x80) {
      dst->base[p + o++] = (uint8_t)cp;
      continue;
    }
    if (!dst_realloc(dst, s, p, s->units, 1, (uint32_t)worst, &p)) return false;
    b = src_bytes(s);
    i = at;
    while (i < s->units) o += (uint32_t)put_utf8(dst->base + p + o, next_cp(b, s->enc, &i));
    if (worst > o && !dst_realloc(dst, s, p, (uint32_t)worst, 1, o, &p)) return false;
    *ptr = p;
    *units = o;
    return true;
  }
  *ptr = p;
  *units = o;
  return true;
}

/* UTF-8 into UTF-16: worst-case allocation (two bytes per UTF-8 byte),
 * shrunk at the end. */
static bool store_utf8_to_utf16(bt_abi_cx_t *dst, const src_str_t *s, uint32_t *ptr,
                                uint32_t *units) {
  uint32_t worst = 2 * s->units, p;
  if (!dst_realloc(dst, s, 0, 0, 2, worst, &p)) return false;
  const uint8_t *b = src_bytes(s);
  uint32_t o = 0;
  for (uint32_t i = 0; i < s->units;) o += (uint32_t)put_utf16(dst->base + p + o, next_cp(b, s->enc, &i));
  if (o < worst && !dst_realloc(dst, s, p, worst, 2, o, &p)) return false;
  *ptr = p;
  *units = o / 2;
  return true;
}

/* UTF-8 or UTF-16 into latin1+utf16: speculate Latin-1; on the first code
 * point above 0xFF grow to UTF-16 size, inflate what was written in place
 * (back to front) and continue in UTF-16. */
static bool store_to_latin1_or_utf16(bt_abi_cx_t *dst, const src_str_t *s, uint32_t *ptr,
                                     uint32_t *units) {
  uint32_t p;
  if (!dst_realloc(dst, s, 0, 0, 2, s->units, &p)) return false;
  const uint8_t *b = src_bytes(s);
  uint32_t i = 0, n = 0;
  while (i < s->units) {
    uint32_t at = i;
    uint32_t cp = next_cp(b, s->enc, &i);
    if (cp < 0x100) {
      dst->base[p + n++] = (uint8_t)cp;
      continue;
    }
    uint32_t worst = 2 * s->units;
    if (!dst_realloc(dst, s, p, s->units, 2, worst, &p)) return false;
    b = src_bytes(s);
    uint8_t *d = dst->base + p;
    for (uint32_t j = n; j-- > 0;) {
      d[2 * (size_t)j] = d[j];
      d[2 * (size_t)j + 1] = 0;
    }
    uint32_t o = 2 * n;
    i = at;
    while (i < s->units) o += (uint32_t)put_utf16(d + o, next_cp(b, s->enc, &i));
    if (worst > o) {
      if (!dst_realloc(dst, s, p, worst, 2, o, &p)) return false;
    }
    *ptr = p;
    *units = (o / 2) | BT_ABI_UTF16_TAG;
    return true;
  }
  if (n < s->units && !dst_realloc(dst, s, p, s->units, 2, n, &p)) return false;
  *ptr = p;
  *units = n;
  return true;
}

/* UTF-16 that chose not to be Latin-1 into latin1+utf16: copy as UTF-16,
 * then deflate to Latin-1 if every code point fits after all. */
static bool store_probably_utf16(bt_abi_cx_t *dst, const src_str_t *s, uint32_t *ptr,
                                 uint32_t *units) {
  uint32_t bytes = 2 * s->units, p;
  if (!dst_realloc(dst, s, 0, 0, 2, bytes, &p)) return false;
  const uint8_t *b = src_bytes(s);
  uint8_t *d = dst->base + p;
  if (bytes) memmove(d, b, bytes);
  bool latin1 = true;
  for (uint32_t i = 0; i < s->units && latin1; i++) latin1 = rd16(d + 2 * (size_t)i) < 0x100;
  if (!latin1) {
    *ptr = p;
    *units = s->units | BT_ABI_UTF16_TAG;
    return true;
  }
  for (uint32_t i = 0; i < s->units; i++) d[i] = d[2 * (size_t)i];
  if (!dst_realloc(dst, s, p, bytes, 2, s->units, &p)) return false;
  *ptr = p;
  *units = s->units;
  return true;
}

/* Stores a validated source in dst's encoding (the spec's case analysis of
 * store_string_into_range). */
static bool store_string(bt_abi_cx_t *dst, const src_str_t *s, uint32_t *ptr, uint32_t *units) {
  switch (dst->encoding) {
    case BT_ABI_UTF8:
      switch (s->enc) {
        case ENC_UTF8: return store_copy(dst, s, 1, 1, ptr, units);
        case ENC_UTF16: return store_to_utf8(dst, s, 3ull * s->units, ptr, units);
        case ENC_LATIN1: return store_to_utf8(dst, s, 2ull * s->units, ptr, units);
      }
      break;
    case BT_ABI_UTF16:
      if (s->enc == ENC_UTF8) return store_utf8_to_utf16(dst, s, ptr, units);
      return store_copy(dst, s, 2, 2, ptr, units);
    case BT_ABI_LATIN1_UTF16:
      if (!s->from_tagged) return store_to_latin1_or_utf16(dst, s, ptr, units);
      if (s->enc == ENC_LATIN1) return store_copy(dst, s, 1, 2, ptr, units);
      return store_probably_utf16(dst, s, ptr, units);
  }
  return bt_abi_failf(dst->st, BT_ABI_FAIL_UNSUPPORTED, NULL, "unknown string encoding");
}

bool bt_abi_lower_string(bt_abi_cx_t *cx, const char *str, size_t len, uint32_t *ptr,
                         uint32_t *units) {
  size_t bad;
  if (len > BT_ABI_MAX_STRING_BYTES)
    return bt_abi_failf(cx->st, BT_ABI_FAIL_TYPE, NULL,
                        "string of %zu bytes exceeds the canonical ABI limit of %u bytes", len,
                        BT_ABI_MAX_STRING_BYTES);
  if (len && !cx->values_checked && !bt_abi_utf8_valid((const uint8_t *)str, len, &bad))
    return bt_abi_failf(cx->st, BT_ABI_FAIL_TYPE, NULL,
                        "host string is not valid UTF-8 (byte 0x%02x at offset %zu)",
                        (uint8_t)str[bad], bad);
  src_str_t s = {.host = (const uint8_t *)(len ? str : ""), .units = (uint32_t)len,
                 .enc = ENC_UTF8};
  return store_string(cx, &s, ptr, units);
}

bool bt_abi_copy_string(bt_abi_cx_t *src, uint32_t ptr, uint32_t units, bt_abi_cx_t *dst,
                        uint32_t *out_ptr, uint32_t *out_units) {
  src_str_t s;
  if (!decode_src(src, ptr, units, &s)) return false;
  return store_string(dst, &s, out_ptr, out_units);
}
