/*
 * src/flow/types.c: structural operations on WIT types and values that the
 * flow compiler and runner need: equality (two components agree on a type
 * when its structure and names match, whatever the type is called), text
 * for error messages, and navigation by a dotted path of record fields,
 * tuple indices and case names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "value/value.h"

static const bt_wit_type_t *un(const bt_wit_type_t *t) { return bt_wit_type_unalias(t); }

bool bt_wit_type_equal(const bt_wit_type_t *a, const bt_wit_type_t *b) {
  a = un(a);
  b = un(b);
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  switch (a->kind) {
    case BT_WIT_LIST:
    case BT_WIT_OPTION:
      return bt_wit_type_equal(a->target, b->target);
    case BT_WIT_MAP:
      return bt_wit_type_equal(a->key, b->key) && bt_wit_type_equal(a->target, b->target);
    case BT_WIT_FUTURE:
    case BT_WIT_STREAM:
      return !a->target == !b->target && (!a->target || bt_wit_type_equal(a->target, b->target));
    case BT_WIT_RESULT:
      if (!a->ok != !b->ok || !a->err != !b->err) return false;
      return (!a->ok || bt_wit_type_equal(a->ok, b->ok)) && (!a->err || bt_wit_type_equal(a->err, b->err));
    case BT_WIT_TUPLE:
      if (a->count != b->count) return false;
      for (size_t i = 0; i < a->count; i++)
        if (!bt_wit_type_equal(a->types[i], b->types[i])) return false;
      return true;
    case BT_WIT_RECORD:
    case BT_WIT_VARIANT:
    case BT_WIT_ENUM:
    case BT_WIT_FLAGS:
      if (a->count != b->count) return false;
      for (size_t i = 0; i < a->count; i++) {
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0) return false;
        if (!a->fields[i].type != !b->fields[i].type) return false;
        if (a->fields[i].type && !bt_wit_type_equal(a->fields[i].type, b->fields[i].type)) return false;
      }
      return true;
    case BT_WIT_OWN:
    case BT_WIT_BORROW:
      return bt_wit_type_equal(a->resource, b->resource);
    case BT_WIT_RESOURCE:
      return a->name && b->name && strcmp(a->name, b->name) == 0;
    default:
      return true; /* primitives of the same kind */
  }
}

void bt_wit_type_str(const bt_wit_type_t *t, char *buf, size_t size) {
  bt_strbuf_t b = BT_STRBUF_INIT;
  bt_value_describe_type(&b, t);
  snprintf(buf, size, "%s", b.data && !b.failed ? b.data : "?");
  bt_strbuf_free(&b);
}

/* Copies the next path segment (up to '.') into seg; returns the rest. */
static const char *next_segment(const char *path, char *seg, size_t size) {
  size_t i = 0;
  while (path[i] && path[i] != '.' && i + 1 < size) {
    seg[i] = path[i];
    i++;
  }
  seg[i] = 0;
  return path[i] == '.' ? path + i + 1 : path + i;
}

static int parse_index(const char *s) {
  if (!*s) return -1;
  int v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 100000) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

/* Resolves one segment against a type: the member type and its position. */
static const bt_wit_type_t *step_type(const bt_wit_type_t *t, const char *seg, int *pos, bool *ok) {
  *ok = true;
  t = un(t);
  *pos = -1;
  switch (t->kind) {
    case BT_WIT_RECORD:
    case BT_WIT_VARIANT:
      for (size_t i = 0; i < t->count; i++)
        if (!strcmp(t->fields[i].name, seg)) {
          *pos = (int)i;
          return t->fields[i].type;
        }
      break;
    case BT_WIT_TUPLE: {
      int i = parse_index(seg);
      if (i >= 0 && (size_t)i < t->count) {
        *pos = i;
        return t->types[i];
      }
      break;
    }
    case BT_WIT_OPTION:
      if (!strcmp(seg, "some")) {
        *pos = 1;
        return t->target;
      }
      break;
    case BT_WIT_RESULT:
      if (!strcmp(seg, "ok")) {
        *pos = 0;
        return t->ok;
      }
      if (!strcmp(seg, "err")) {
        *pos = 1;
        return t->err;
      }
      break;
    default:
      break;
  }
  *ok = false;
  return NULL;
}

const bt_wit_type_t *bt_wit_type_path(const bt_wit_type_t *t, const char *path, char *why,
                                      size_t whysize) {
  char seg[256];
  while (path && *path) {
    path = next_segment(path, seg, sizeof seg);
    int pos;
    bool ok;
    const bt_wit_type_t *m = step_type(t, seg, &pos, &ok);
    if (!ok) {
      char ts[256];
      bt_wit_type_str(t, ts, sizeof ts);
      snprintf(why, whysize, "`%s` is not a field, element or case of %s", seg, ts);
      return NULL;
    }
    if (!m) {
      snprintf(why, whysize, "case `%s` carries no value", seg);
      return NULL;
    }
    t = m;
  }
  return t;
}

const baton_value_t *bt_value_path(const baton_value_t *v, const bt_wit_type_t *t, const char *path) {
  char seg[256];
  while (path && *path) {
    path = next_segment(path, seg, sizeof seg);
    int pos;
    bool ok;
    const bt_wit_type_t *m = step_type(t, seg, &pos, &ok);
    if (!ok || pos < 0) return NULL;
    switch (un(t)->kind) {
      case BT_WIT_RECORD:
      case BT_WIT_TUPLE:
        if ((size_t)pos >= v->of.seq.len) return NULL;
        v = &v->of.seq.items[pos];
        break;
      default: /* a case: the value must be in it */
        if (v->of.var.index != (uint32_t)pos || !v->of.var.payload) return NULL;
        v = v->of.var.payload;
        break;
    }
    t = m;
  }
  return v;
}

const char *bt_value_case_name(const baton_value_t *v, const bt_wit_type_t *t) {
  t = un(t);
  switch (t->kind) {
    case BT_WIT_RESULT: return v->of.var.index == 0 ? "ok" : "err";
    case BT_WIT_OPTION: return v->of.var.index == 0 ? "none" : "some";
    case BT_WIT_VARIANT:
    case BT_WIT_ENUM:
      return v->of.var.index < t->count ? t->fields[v->of.var.index].name : NULL;
    default: return NULL;
  }
}
