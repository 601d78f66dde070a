/*
 * src/util/sha256.h: SHA-256 (FIPS 180-4), used for content-addressed
 * cache keys. Streaming interface; not constant-time (no secrets hashed).
 */
#ifndef BT_SHA256_H
#define BT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "util/common.h"

typedef struct {
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t nbuf;
} bt_sha256_t;

BT_HIDDEN void bt_sha256_init(bt_sha256_t *s);
BT_HIDDEN void bt_sha256_update(bt_sha256_t *s, const void *data, size_t len);
BT_HIDDEN void bt_sha256_final(bt_sha256_t *s, uint8_t out[32]);
/* Writes the 64-character lowercase hex digest plus NUL. */
BT_HIDDEN void bt_sha256_hex(const uint8_t digest[32], char out[65]);

#endif
