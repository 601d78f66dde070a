/*
 * src/wit/parser.c: recursive-descent parser from WIT tokens to syntax trees.
 *
 * The grammar is the one in the Component Model's WIT.md: an optional
 * `package ns:name@version;` header, then interfaces, worlds, top-level
 * `use` and nested `package ns:name { ... }` blocks. The parser checks only
 * syntax and identifier spelling; names are resolved later (resolve.c).
 *
 * Constructs that baton does not support are parsed far enough to be
 * recognised and then rejected with an UNSUPPORTED error at their position:
 * fixed-length `list<T, N>`, `@external-id`, `import x: path`
 * and nested namespaces (`a:b:c`). All trees live in the scratch arena.
 */
#include <string.h>

#include "wit/wit_internal.h"

#define MAX_TYPE_DEPTH 100

typedef struct parser {
  wit_ctx *c;
  wit_lexer lx;
  uint32_t file;
} parser;

static wit_span tok_span(parser *p, wit_tok t) {
  wit_span sp = {p->file, t.start, t.end};
  return sp;
}

static wit_span join(wit_span a, wit_span b) {
  wit_span sp = {a.file, a.start, b.end > a.end ? b.end : a.end};
  return sp;
}

static wit_tok peek(parser *p) { return wit_lex_peek(&p->lx); }
static wit_tok next(parser *p) { return wit_lex_next(&p->lx); }

/* Consumes the next token when it has the given kind. */
static bool eat(parser *p, wit_tok_kind kind) {
  if (peek(p).kind != kind) return false;
  next(p);
  return true;
}

/* Raises "expected WHAT, found TOKEN"; when a keyword stands where an
 * identifier was expected, suggests the `%keyword` escape. */
static _Noreturn void unexpected(parser *p, wit_tok t, const char *what) {
  if (t.kind >= T_USE && t.kind < T_KIND_COUNT && strcmp(what, "an identifier") == 0)
    wit_fail(p->c, tok_span(p, t),
             "expected an identifier, found %s (write `%%%.*s` to use a keyword as a name)",
             wit_tok_describe(t.kind), (int)(t.end - t.start), p->lx.text + t.start);
  wit_fail(p->c, tok_span(p, t), "expected %s, found %s", what, wit_tok_describe(t.kind));
}

/* Consumes a token of the given kind or raises "expected X, found Y". */
static wit_tok expect(parser *p, wit_tok_kind kind) {
  wit_tok t = next(p);
  if (t.kind != kind) unexpected(p, t, wit_tok_describe(kind));
  return t;
}

/* Raises an UNSUPPORTED error naming the construct at `sp`. */
static _Noreturn void unsupported(parser *p, wit_span sp, const char *what) {
  wit_fail_code(p->c, BATON_EUNSUPPORTED, sp, "unsupported: %s", what);
}

/* Turns an identifier token into an ast_id (without the `%` of an explicit
 * identifier), validating its spelling. Raises on an invalid identifier. */
static ast_id id_from(parser *p, wit_tok t) {
  ast_id id;
  id.span = tok_span(p, t);
  const char *s = p->lx.text + t.start;
  size_t n = t.end - t.start;
  if (t.kind == T_EXPLICIT_ID) {
    s++;
    n--;
  }
  wit_validate_id(p->c, s, n, id.span);
  id.s = wit_tmp_strn(p->c, s, n);
  return id;
}

/* Parses an identifier (`name` or `%name`). Raises otherwise. */
static ast_id parse_id(parser *p) {
  wit_tok t = next(p);
  if (t.kind != T_ID && t.kind != T_EXPLICIT_ID) unexpected(p, t, "an identifier");
  return id_from(p, t);
}

static bool is_id(wit_tok t) { return t.kind == T_ID || t.kind == T_EXPLICIT_ID; }

/* Parses `@version` if present. */
static bool parse_opt_version(parser *p, bt_wit_version_t *v, wit_span *sp) {
  if (!eat(p, T_AT)) return false;
  wit_lex_version(&p->lx, v, sp);
  return true;
}

/* Rejects the nested-namespace forms `a:b:c` and `a:b/c/d`. */
static void reject_nested_namespace(parser *p) {
  wit_tok t = peek(p);
  if (t.kind == T_COLON || t.kind == T_SLASH)
    unsupported(p, tok_span(p, t), "nested namespaces and packages (`a:b:c`, `a:b/c/d`)");
}

/* Parses `ns:name@version` after the `package` keyword. */
static ast_pkg_name parse_pkg_name(parser *p) {
  ast_pkg_name n;
  memset(&n, 0, sizeof n);
  n.ns = parse_id(p);
  expect(p, T_COLON);
  n.name = parse_id(p);
  if (peek(p).kind == T_COLON) reject_nested_namespace(p);
  wit_span vsp = n.name.span;
  n.has_version = parse_opt_version(p, &n.version, &vsp);
  n.span = join(n.ns.span, vsp);
  return n;
}

/* Parses a use-path: `name` or `ns:pkg/name@version`. */
static ast_path parse_path(parser *p) {
  ast_path path;
  memset(&path, 0, sizeof path);
  ast_id first = parse_id(p);
  if (!eat(p, T_COLON)) {
    path.name = first;
    path.span = first.span;
    return path;
  }
  path.foreign = true;
  path.ns = first;
  path.pkg = parse_id(p);
  if (peek(p).kind == T_COLON) reject_nested_namespace(p);
  expect(p, T_SLASH);
  path.name = parse_id(p);
  if (peek(p).kind == T_SLASH) reject_nested_namespace(p);
  wit_span vsp = path.name.span;
  path.has_version = parse_opt_version(p, &path.version, &vsp);
  path.pkg_span = join(first.span, vsp);
  path.span = path.pkg_span;
  return path;
}

/* Parses a `@version = X` / `@feature = id` style argument list body. */
static void expect_key(parser *p, const char *key) {
  ast_id id = parse_id(p);
  if (strcmp(id.s, key) != 0) wit_fail(p->c, id.span, "expected `%s`, found `%s`", key, id.s);
  expect(p, T_EQUALS);
}

/* Parses zero or more feature-gate attributes and validates their
 * combination: at most one of each, not both @since and @unstable, and
 * @deprecated only together with one of them. */
static ast_attrs parse_attrs(parser *p) {
  ast_attrs a;
  memset(&a, 0, sizeof a);
  bool any = false;
  while (peek(p).kind == T_AT) {
    wit_tok at = next(p);
    ast_id id = parse_id(p);
    wit_span sp = join(tok_span(p, at), id.span);
    if (!any) a.span = sp;
    any = true;
    if (strcmp(id.s, "since") == 0) {
      if (a.has_since) wit_fail(p->c, sp, "`@since` is given twice");
      expect(p, T_LPAREN);
      expect_key(p, "version");
      wit_lex_version(&p->lx, &a.since, NULL);
      expect(p, T_RPAREN);
      a.has_since = true;
      a.since_span = sp;
    } else if (strcmp(id.s, "unstable") == 0) {
      if (a.has_unstable) wit_fail(p->c, sp, "`@unstable` is given twice");
      expect(p, T_LPAREN);
      expect_key(p, "feature");
      a.feature = parse_id(p);
      expect(p, T_RPAREN);
      a.has_unstable = true;
      a.unstable_span = sp;
    } else if (strcmp(id.s, "deprecated") == 0) {
      if (a.has_deprecated) wit_fail(p->c, sp, "`@deprecated` is given twice");
      expect(p, T_LPAREN);
      expect_key(p, "version");
      wit_lex_version(&p->lx, &a.deprecated, NULL);
      expect(p, T_RPAREN);
      a.has_deprecated = true;
      a.deprecated_span = sp;
    } else if (strcmp(id.s, "external-id") == 0) {
      unsupported(p, sp, "`@external-id` annotations");
    } else {
      wit_fail(p->c, sp, "unknown attribute `@%s` (expected @since, @unstable or @deprecated)",
               id.s);
    }
  }
  if (a.has_since && a.has_unstable)
    wit_fail(p->c, a.since_span, "an item cannot be both `@since` and `@unstable`");
  if (a.has_deprecated && !a.has_since && !a.has_unstable)
    wit_fail(p->c, a.deprecated_span, "`@deprecated` requires `@since` or `@unstable` as well");
  return a;
}

static ast_type *parse_type(parser *p, int depth);

static ast_type *new_type(parser *p, ast_type_kind kind, wit_span sp) {
  ast_type *t = wit_tmp(p->c, sizeof *t);
  t->kind = kind;
  t->span = sp;
  return t;
}

/* Parses `<` T `>` after a type keyword. */
static ast_type *parse_angle_one(parser *p, int depth) {
  expect(p, T_LT);
  ast_type *t = parse_type(p, depth + 1);
  expect(p, T_GT);
  return t;
}

/* Parses `<` id `>` for own/borrow. */
static ast_id parse_angle_id(parser *p) {
  expect(p, T_LT);
  ast_id id = parse_id(p);
  expect(p, T_GT);
  return id;
}

/* Parses a type expression; `depth` counts enclosing type constructors and
 * is limited to MAX_TYPE_DEPTH so that hostile input cannot exhaust the
 * stack. Raises on syntax errors and unsupported types. */
static ast_type *parse_type(parser *p, int depth) {
  wit_tok t = next(p);
  wit_span sp = tok_span(p, t);
  if (depth >= MAX_TYPE_DEPTH) wit_fail(p->c, sp, "types are nested too deeply");
  bt_wit_kind_t prim = 0;
  switch (t.kind) {
    case T_BOOL: prim = BT_WIT_BOOL; break;
    case T_U8: prim = BT_WIT_U8; break;
    case T_U16: prim = BT_WIT_U16; break;
    case T_U32: prim = BT_WIT_U32; break;
    case T_U64: prim = BT_WIT_U64; break;
    case T_S8: prim = BT_WIT_S8; break;
    case T_S16: prim = BT_WIT_S16; break;
    case T_S32: prim = BT_WIT_S32; break;
    case T_S64: prim = BT_WIT_S64; break;
    case T_F32: prim = BT_WIT_F32; break;
    case T_F64: prim = BT_WIT_F64; break;
    case T_CHAR: prim = BT_WIT_CHAR; break;
    case T_STRING_KW: prim = BT_WIT_STRING; break;
    default: break;
  }
  if (prim) {
    ast_type *ty = new_type(p, AT_PRIM, sp);
    ty->prim = prim;
    return ty;
  }
  switch (t.kind) {
    case T_LIST: {
      ast_type *ty = new_type(p, AT_LIST, sp);
      expect(p, T_LT);
      ty->a = parse_type(p, depth + 1);
      wit_tok c = peek(p);
      if (c.kind == T_COMMA)
        unsupported(p, join(sp, tok_span(p, c)), "fixed-length lists (`list<T, N>`)");
      expect(p, T_GT);
      return ty;
    }
    case T_OPTION: {
      ast_type *ty = new_type(p, AT_OPTION, sp);
      ty->a = parse_angle_one(p, depth);
      return ty;
    }
    case T_TUPLE: {
      ast_type *ty = new_type(p, AT_TUPLE, sp);
      size_t cap = 0;
      expect(p, T_LT);
      while (!eat(p, T_GT)) {
        ast_type *item = parse_type(p, depth + 1);
        WIT_PUSH(p->c, &p->c->tmp, ty->items, ty->nitems, cap, item);
        if (!eat(p, T_COMMA)) {
          expect(p, T_GT);
          break;
        }
      }
      return ty;
    }
    case T_RESULT: {
      ast_type *ty = new_type(p, AT_RESULT, sp);
      if (eat(p, T_LT)) {
        if (eat(p, T_UNDERSCORE)) {
          expect(p, T_COMMA);
          ty->b = parse_type(p, depth + 1);
        } else {
          ty->a = parse_type(p, depth + 1);
          if (eat(p, T_COMMA)) ty->b = parse_type(p, depth + 1);
        }
        expect(p, T_GT);
      }
      return ty;
    }
    case T_OWN:
    case T_BORROW: {
      ast_type *ty = new_type(p, t.kind == T_OWN ? AT_OWN : AT_BORROW, sp);
      ty->name = parse_angle_id(p);
      ty->span = join(sp, ty->name.span);
      return ty;
    }
    case T_ID:
    case T_EXPLICIT_ID: {
      ast_type *ty = new_type(p, AT_NAME, sp);
      ty->name = id_from(p, t);
      return ty;
    }
    case T_FUTURE:
    case T_STREAM: {
      /* `future`/`stream` alone have no payload. */
      ast_type *ty = new_type(p, t.kind == T_FUTURE ? AT_FUTURE : AT_STREAM, sp);
      if (peek(p).kind == T_LT) ty->a = parse_angle_one(p, depth);
      return ty;
    }
    case T_ERROR_CONTEXT: {
      ast_type *ty = new_type(p, AT_PRIM, sp);
      ty->prim = BT_WIT_ERROR_CONTEXT;
      return ty;
    }
    case T_MAP: {
      ast_type *ty = new_type(p, AT_MAP, sp);
      expect(p, T_LT);
      ty->a = parse_type(p, depth + 1);
      expect(p, T_COMMA);
      ty->b = parse_type(p, depth + 1);
      expect(p, T_GT);
      return ty;
    }
    default:
      unexpected(p, t, "a type");
  }
}

/* Parses `(name: type, ...)` including the parentheses. */
static void parse_params(parser *p, ast_param **params, size_t *n) {
  size_t cap = 0;
  expect(p, T_LPAREN);
  while (!eat(p, T_RPAREN)) {
    ast_param prm;
    prm.name = parse_id(p);
    expect(p, T_COLON);
    prm.type = parse_type(p, 0);
    WIT_PUSH(p->c, &p->c->tmp, *params, *n, cap, prm);
    if (!eat(p, T_COMMA)) {
      expect(p, T_RPAREN);
      break;
    }
  }
}

/* Parses a func-type: `[async] func(params) -> T`. */
static void parse_func_type(parser *p, ast_func *f) {
  f->is_async = eat(p, T_ASYNC);
  f->span = tok_span(p, expect(p, T_FUNC));
  parse_params(p, &f->params, &f->nparams);
  if (eat(p, T_ARROW)) f->result = parse_type(p, 0);
}

/* Parses `name: func(...) -> T;` with docs and attributes already read. */
static ast_func *parse_named_func(parser *p, const char *docs, ast_attrs attrs) {
  ast_func *f = wit_tmp(p->c, sizeof *f);
  f->kind = AF_FREESTANDING;
  f->docs = docs;
  f->attrs = attrs;
  f->name = parse_id(p);
  expect(p, T_COLON);
  parse_func_type(p, f);
  expect(p, T_SEMI);
  return f;
}

/* Parses a comma-separated, brace-enclosed member list with optional
 * trailing comma; `with_type` 1 for `name: type`, 2 for `name(type)?`. */
static void parse_members(parser *p, ast_typedef *d, int with_type) {
  size_t cap = 0;
  expect(p, T_LBRACE);
  for (;;) {
    const char *docs = wit_lex_docs(&p->lx, NULL);
    if (eat(p, T_RBRACE)) break;
    ast_member m;
    memset(&m, 0, sizeof m);
    m.docs = docs;
    m.name = parse_id(p);
    if (with_type == 1) {
      expect(p, T_COLON);
      m.type = parse_type(p, 0);
    } else if (with_type == 2 && eat(p, T_LPAREN)) {
      m.type = parse_type(p, 0);
      expect(p, T_RPAREN);
    }
    WIT_PUSH(p->c, &p->c->tmp, d->members, d->nmembers, cap, m);
    if (!eat(p, T_COMMA)) {
      expect(p, T_RBRACE);
      break;
    }
  }
}

/* Parses the body of `resource name { ... }` or the `;` of `resource name;`. */
static void parse_resource_body(parser *p, ast_typedef *d) {
  size_t cap = 0;
  if (!eat(p, T_LBRACE)) {
    expect(p, T_SEMI);
    return;
  }
  d->resource_has_body = true;
  for (;;) {
    const char *docs = wit_lex_docs(&p->lx, NULL);
    if (eat(p, T_RBRACE)) break;
    ast_attrs attrs = parse_attrs(p);
    ast_func *f = wit_tmp(p->c, sizeof *f);
    f->docs = docs;
    f->attrs = attrs;
    wit_tok t = peek(p);
    if (t.kind == T_CONSTRUCTOR) {
      next(p);
      f->kind = AF_CONSTRUCTOR;
      f->name.s = "constructor";
      f->name.span = tok_span(p, t);
      f->span = f->name.span;
      parse_params(p, &f->params, &f->nparams);
      if (eat(p, T_ARROW)) f->result = parse_type(p, 0);
      expect(p, T_SEMI);
    } else if (is_id(t)) {
      f->name = parse_id(p);
      expect(p, T_COLON);
      f->kind = eat(p, T_STATIC) ? AF_STATIC : AF_METHOD;
      parse_func_type(p, f);
      expect(p, T_SEMI);
    } else {
      unexpected(p, t, "`constructor` or a method name");
    }
    WIT_PUSH(p->c, &p->c->tmp, d->funcs, d->nfuncs, cap, *f);
  }
}

/* Parses a type definition starting at its keyword (type, record, variant,
 * enum, flags or resource). */
static ast_typedef *parse_typedef(parser *p, const char *docs, ast_attrs attrs) {
  ast_typedef *d = wit_tmp(p->c, sizeof *d);
  d->docs = docs;
  d->attrs = attrs;
  wit_tok kw = next(p);
  d->name = parse_id(p);
  switch (kw.kind) {
    case T_TYPE:
      d->kind = AD_ALIAS;
      expect(p, T_EQUALS);
      d->alias = parse_type(p, 0);
      expect(p, T_SEMI);
      break;
    case T_RECORD:
      d->kind = AD_RECORD;
      parse_members(p, d, 1);
      break;
    case T_VARIANT:
      d->kind = AD_VARIANT;
      parse_members(p, d, 2);
      if (d->nmembers == 0) wit_fail(p->c, d->name.span, "variant `%s` has no cases", d->name.s);
      break;
    case T_ENUM:
      d->kind = AD_ENUM;
      parse_members(p, d, 0);
      if (d->nmembers == 0) wit_fail(p->c, d->name.span, "enum `%s` has no cases", d->name.s);
      break;
    case T_FLAGS:
      d->kind = AD_FLAGS;
      parse_members(p, d, 0);
      break;
    case T_RESOURCE:
      d->kind = AD_RESOURCE;
      parse_resource_body(p, d);
      break;
    default:
      unexpected(p, kw, "a type definition");
  }
  return d;
}

static bool is_typedef_start(wit_tok_kind k) {
  return k == T_TYPE || k == T_RECORD || k == T_VARIANT || k == T_ENUM || k == T_FLAGS ||
         k == T_RESOURCE;
}

/* Parses `use path.{a, b as c};` after attributes. */
static ast_use *parse_use(parser *p, ast_attrs attrs) {
  ast_use *u = wit_tmp(p->c, sizeof *u);
  size_t cap = 0;
  u->attrs = attrs;
  u->span = tok_span(p, expect(p, T_USE));
  u->from = parse_path(p);
  expect(p, T_PERIOD);
  expect(p, T_LBRACE);
  while (!eat(p, T_RBRACE)) {
    ast_use_name n;
    memset(&n, 0, sizeof n);
    n.name = parse_id(p);
    if (eat(p, T_AS)) n.as = parse_id(p);
    WIT_PUSH(p->c, &p->c->tmp, u->names, u->nnames, cap, n);
    if (!eat(p, T_COMMA)) {
      expect(p, T_RBRACE);
      break;
    }
  }
  expect(p, T_SEMI);
  return u;
}

/* Parses `{ items }` of an interface (named or inline). */
static void parse_interface_items(parser *p, ast_interface *iface) {
  size_t cap = 0;
  expect(p, T_LBRACE);
  for (;;) {
    const char *docs = wit_lex_docs(&p->lx, NULL);
    if (eat(p, T_RBRACE)) break;
    ast_attrs attrs = parse_attrs(p);
    wit_tok t = peek(p);
    ast_iface_item item;
    memset(&item, 0, sizeof item);
    if (is_typedef_start(t.kind)) {
      item.kind = AI_TYPE;
      item.type = parse_typedef(p, docs, attrs);
    } else if (is_id(t)) {
      item.kind = AI_FUNC;
      item.func = parse_named_func(p, docs, attrs);
    } else if (t.kind == T_USE) {
      item.kind = AI_USE;
      item.use = parse_use(p, attrs);
    } else {
      unexpected(p, t, "a type definition, a function or `use`");
    }
    WIT_PUSH(p->c, &p->c->tmp, iface->items, iface->nitems, cap, item);
  }
}

/* Parses the part of an import/export after the keyword. */
static void parse_extern(parser *p, ast_world_item *it) {
  wit_lexer save = p->lx;
  wit_tok t = peek(p);
  if (is_id(t)) {
    next(p);
    if (eat(p, T_COLON)) {
      wit_tok k = peek(p);
      if (k.kind == T_FUNC || k.kind == T_ASYNC) {
        it->ext = AE_FUNC;
        it->label = id_from(p, t);
        it->func = wit_tmp(p->c, sizeof *it->func);
        it->func->name = it->label;
        it->func->docs = it->docs;
        it->func->attrs = it->attrs;
        parse_func_type(p, it->func);
        expect(p, T_SEMI);
        return;
      }
      if (k.kind == T_INTERFACE) {
        next(p);
        it->ext = AE_INTERFACE;
        it->label = id_from(p, t);
        it->iface = wit_tmp(p->c, sizeof *it->iface);
        it->iface->docs = it->docs;
        it->iface->attrs = it->attrs;
        it->iface->name.span = it->label.span;
        parse_interface_items(p, it->iface);
        return;
      }
      /* `import label: path` unless this is `ns:pkg/iface`. */
      wit_lexer probe = p->lx;
      wit_tok a = wit_lex_next(&probe);
      wit_tok b = wit_lex_next(&probe);
      if (!(is_id(a) && b.kind == T_SLASH))
        unsupported(p, join(tok_span(p, t), tok_span(p, a)),
                    "named interface imports/exports (`label: path`)");
    }
  }
  p->lx = save;
  it->ext = AE_PATH;
  it->path = parse_path(p);
  expect(p, T_SEMI);
}

/* Parses `include path;` or `include path with { a as b, ... }`. */
static void parse_include(parser *p, ast_world_item *it) {
  size_t cap = 0;
  it->path = parse_path(p);
  if (!eat(p, T_WITH)) {
    expect(p, T_SEMI);
    return;
  }
  expect(p, T_LBRACE);
  for (;;) {
    wit_lex_docs(&p->lx, NULL);
    if (eat(p, T_RBRACE)) break;
    ast_include_name n;
    n.name = parse_id(p);
    expect(p, T_AS);
    n.as = parse_id(p);
    WIT_PUSH(p->c, &p->c->tmp, it->with, it->nwith, cap, n);
    if (!eat(p, T_COMMA)) {
      expect(p, T_RBRACE);
      break;
    }
  }
}

/* Parses `world name { items }` after its docs and attributes. */
static ast_world *parse_world(parser *p, const char *docs, ast_attrs attrs) {
  ast_world *w = wit_tmp(p->c, sizeof *w);
  size_t cap = 0;
  w->docs = docs;
  w->attrs = attrs;
  expect(p, T_WORLD);
  w->name = parse_id(p);
  expect(p, T_LBRACE);
  for (;;) {
    const char *idocs = wit_lex_docs(&p->lx, NULL);
    if (eat(p, T_RBRACE)) break;
    ast_attrs iattrs = parse_attrs(p);
    wit_tok t = peek(p);
    ast_world_item it;
    memset(&it, 0, sizeof it);
    it.docs = idocs;
    it.attrs = iattrs;
    it.span = tok_span(p, t);
    if (t.kind == T_IMPORT || t.kind == T_EXPORT) {
      next(p);
      it.kind = t.kind == T_IMPORT ? AW_IMPORT : AW_EXPORT;
      parse_extern(p, &it);
    } else if (t.kind == T_USE) {
      it.kind = AW_USE;
      it.use = parse_use(p, iattrs);
    } else if (is_typedef_start(t.kind)) {
      it.kind = AW_TYPE;
      it.type = parse_typedef(p, idocs, iattrs);
    } else if (t.kind == T_INCLUDE) {
      next(p);
      it.kind = AW_INCLUDE;
      parse_include(p, &it);
    } else {
      unexpected(p, t, "`import`, `export`, `include`, `use` or a type definition");
    }
    WIT_PUSH(p->c, &p->c->tmp, w->items, w->nitems, cap, it);
  }
  return w;
}

/* Parses package-level items until EOF (top level) or `}` (nested). The
 * first item of a file may be the `package x:y;` header, returned through
 * `file`; nested blocks are collected into `file` as well. */
static void parse_decls(parser *p, ast_file *file, ast_decls *decls, bool nested) {
  size_t cap = 0, ncap = 0;
  bool first = !nested;
  decls->file = p->file;
  for (;;) {
    wit_span dspan;
    const char *docs = wit_lex_docs(&p->lx, &dspan);
    wit_tok t = peek(p);
    if (nested && t.kind == T_RBRACE) {
      next(p);
      return;
    }
    if (t.kind == T_EOF) {
      if (nested) unexpected(p, t, "`}`");
      return;
    }
    ast_attrs attrs = parse_attrs(p);
    t = peek(p);
    ast_item item;
    memset(&item, 0, sizeof item);
    switch (t.kind) {
      case T_PACKAGE: {
        wit_span psp = tok_span(p, t);
        if (attrs.has_since || attrs.has_unstable)
          wit_fail(p->c, attrs.span, "attributes are not allowed on packages");
        next(p);
        ast_pkg_name name = parse_pkg_name(p);
        name.docs = docs;
        name.docs_span = dspan;
        if (first && eat(p, T_SEMI)) {
          file->has_package = true;
          file->package = name;
          first = false;
          continue;
        }
        if (nested)
          wit_fail(p->c, join(psp, name.span),
                   "nested packages must be placed at the top level of a file");
        expect(p, T_LBRACE);
        ast_nested n;
        memset(&n, 0, sizeof n);
        n.name = name;
        parse_decls(p, file, &n.decls, true);
        WIT_PUSH(p->c, &p->c->tmp, file->nested, file->nnested, ncap, n);
        first = false;
        continue;
      }
      case T_INTERFACE: {
        item.kind = AK_INTERFACE;
        item.iface = wit_tmp(p->c, sizeof *item.iface);
        item.iface->docs = docs;
        item.iface->attrs = attrs;
        next(p);
        item.iface->name = parse_id(p);
        parse_interface_items(p, item.iface);
        break;
      }
      case T_WORLD:
        item.kind = AK_WORLD;
        item.world = parse_world(p, docs, attrs);
        break;
      case T_USE: {
        if (attrs.has_since || attrs.has_unstable)
          wit_fail(p->c, attrs.span, "attributes are not allowed on a top-level `use`");
        item.kind = AK_USE;
        item.use = wit_tmp(p->c, sizeof *item.use);
        item.use->span = tok_span(p, next(p));
        item.use->path = parse_path(p);
        if (eat(p, T_AS)) item.use->as = parse_id(p);
        expect(p, T_SEMI);
        break;
      }
      default:
        unexpected(p, t, "`package`, `interface`, `world` or `use`");
    }
    first = false;
    WIT_PUSH(p->c, &p->c->tmp, decls->items, decls->nitems, cap, item);
  }
}

ast_file *wit_parse_file(wit_ctx *c, uint32_t file) {
  parser p;
  p.c = c;
  p.file = file;
  wit_lex_init(&p.lx, c, file);
  ast_file *f = wit_tmp(c, sizeof *f);
  f->file = file;
  parse_decls(&p, f, &f->decls, false);
  return f;
}
