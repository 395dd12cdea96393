/* vocfed serve: the users who may read the dashboard from another
 * machine (issue 15 item 5), kept in the file `--auth FILE` names.
 *
 * One user a line, "NAME:HASH", HASH made by libsodium's crypto_pwhash_str
 * (Argon2id at its interactive limits); '#' starts a comment line; blank
 * lines are skipped. NAME is 1 to 64 of [A-Za-z0-9._-]. The file is
 * written whole (a temporary file, fsync, rename) with mode 0600 by
 * `vocfed serve --add-user`; nothing else writes it.
 *
 * A password checked once is remembered for a few minutes as a keyed
 * hash (a key made at start, never written), so that a dashboard that
 * polls does not cost an Argon2 run per request. */
#ifndef VOCFED_TOOLS_SERVE_AUTH_H
#define VOCFED_TOOLS_SERVE_AUTH_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>

/* A user name's longest length in bytes. */
#define SERVE_USER_MAX 64
/* A password's longest length in bytes (longer ones are refused). */
#define SERVE_PASSWORD_MAX 256
/* A password's shortest length for --add-user. */
#define SERVE_PASSWORD_MIN 8

typedef struct serve_users serve_users_t;

/* Reads the users of path. Returns 0 with *out owned by the caller
 * (serve_users_destroy), -errno (the file cannot be read), or
 * VOCFED_EMALFORMED with why (cap bytes) saying which line is wrong and
 * how; VOCFED_ENOTFOUND when the file holds no user. */
int serve_users_load(const char *path, serve_users_t **out, char *why,
                     size_t cap) VOCFED_WUR;

/* Frees the users and NULLs *self; accepts NULL. */
void serve_users_destroy(serve_users_t **self);

/* How many users there are. */
size_t serve_users_count(const serve_users_t *self);

/* Whether user is known and password is theirs. Constant time in the
 * password once the user is found; an unknown user costs one hash
 * verification too, so that timing does not tell names. */
bool serve_users_check(serve_users_t *self, const char *user,
                       const char *password);

/* Whether name is a valid user name. */
bool serve_user_valid(const char *name);

/* Adds user with password to the file at path, or replaces their hash;
 * makes the file (mode 0600) when there is none. Returns 0, VOCFED_EINVALID
 * (a bad name, a password shorter than SERVE_PASSWORD_MIN or longer than
 * SERVE_PASSWORD_MAX), VOCFED_EMALFORMED (the file is not a users file:
 * why says the line), VOCFED_ENOMEM, or -errno. */
int serve_users_add(const char *path, const char *user, const char *password,
                    char *why, size_t cap) VOCFED_WUR;

#endif
