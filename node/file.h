/* vocfed: whole files on disk: opened and checked, read with a cap,
 * written whole, renamed durably; secret files (node.key, linkage.key:
 * raw bytes, mode 0600, created with O_EXCL).
 *
 * Reads and writes retry on EINTR; nothing logs; each function returns what its
 * comment says; callers translate the statuses into their own. */
#ifndef VOCFED_NODE_FILE_H
#define VOCFED_NODE_FILE_H

#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Opens path for reading (O_CLOEXEC) and stats it into *st. Returns the
 * descriptor (>= 0, the caller's to close) or -errno (-ENOENT: there is
 * no such file). */
int node_file_open(const char *path, struct stat *st) VOCFED_WUR;

/* Whether st (from node_file_open) is a regular file of at most max
 * bytes. Returns 0, -EISDIR (a folder), -EINVAL (another kind of file
 * that is not a regular one: a device, a pipe) or VOCFED_ETOOLARGE. */
int node_file_check(const struct stat *st, uint64_t max) VOCFED_WUR;

/* Reads fd into buf until the end of the file or until buf (cap bytes)
 * is full; *len is how many bytes were read. To learn whether a file
 * holds more than N bytes, read it with cap N + 1. Returns 0 or -errno. */
int node_file_read(int fd, void *buf, size_t cap, size_t *len) VOCFED_WUR;

/* Writes all len bytes of data to fd. Returns 0, -errno, or
 * VOCFED_ESTORAGEFULL when write() wrote nothing. */
int node_file_write(int fd, const void *data, size_t len) VOCFED_WUR;

/* Syncs the folder dir's entries (a rename, a new file) to disk.
 * Returns 0 or -errno. */
int node_file_sync_dir(const char *dir) VOCFED_WUR;

/* Renames tmp over path, then syncs dir (the folder of both) so that
 * the rename survives a crash. When the rename fails, tmp is removed.
 * Returns 0 or -errno. */
int node_file_replace(const char *tmp, const char *path,
                      const char *dir) VOCFED_WUR;

/* node_secret_write creates path with O_EXCL (an existing file is never
 * overwritten) and mode 0600, writes the len bytes and fsyncs; on
 * failure the file is removed. Returns 0, VOCFED_EEXISTS,
 * VOCFED_ESTORAGEFULL or -errno.
 *
 * node_secret_read reads exactly len bytes from path into out (memory
 * the caller guards and wipes). Refuses (VOCFED_EKEY) anything but a
 * regular file of exactly len bytes that group and others cannot read.
 * Returns 0, VOCFED_EKEY, VOCFED_ENOTFOUND or -errno. */
int node_secret_write(const char *path, const uint8_t *data,
                      size_t len) VOCFED_WUR;
int node_secret_read(const char *path, uint8_t *out, size_t len) VOCFED_WUR;

#endif
