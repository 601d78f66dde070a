/*
 * src/wasi/fs.h: confined path resolution shared by the WASI preview1
 * (preview1.c) and WASI 0.2 (preview2.c) filesystem grants. Every path is
 * resolved beneath a granted directory with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS): "..", absolute paths and symlinks cannot leave it
 * (the kernel answers EXDEV). Internal (BT_HIDDEN).
 */
#ifndef BT_WASI_FS_H
#define BT_WASI_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/error.h"
#include "baton/wasi.h"
#include "util/common.h"

/* openat2 beneath dirfd (O_CLOEXEC added; mode only with O_CREAT). Returns
 * the new fd, or -1 with errno set (EXDEV: an escape was refused). */
BT_HIDDEN long bt_wasi_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode);

/* For calls that act on a name (mkdir, unlink): splits path (modified in
 * place; trailing slashes removed) into a parent directory opened beneath
 * dirfd (O_PATH, *parent to be closed by the caller) and the last
 * component *last, a single name, never "." or "..". Returns 0 or an errno
 * value (EXDEV for an absolute path or a "."/".." last component). */
BT_HIDDEN int bt_wasi_open_parent(int dirfd, char *path, int *parent, const char **last);

/* Opens the host directory of grant p into *dirfd (O_DIRECTORY, O_CLOEXEC)
 * and, when probe is set, checks once that openat2 works there (without it
 * nothing could be opened safely). i numbers the grant in messages. On
 * failure *dirfd is -1 and nothing stays open. */
BT_HIDDEN baton_error_t *bt_wasi_open_grant(const baton_wasi_preopen_t *p, size_t i, bool probe,
                                            int *dirfd);

/* Whether granting host directory host_path hands out far more than an
 * app should get: the root directory, or a directory that is or holds a
 * home directory (the user's $HOME or passwd home, /root, /home or
 * /home/NAME), after resolving symlinks and "..". Returns NULL when not,
 * else a short description for a warning ("the root directory /"). */
BT_HIDDEN const char *bt_wasi_grant_breadth(const char *host_path, char *buf, size_t size);

#endif
