/* vocfed serve: the users file and password checks (see serve_auth.h). */
#include "tools/serve_auth.h"
#include "protocol/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most this many users, and lines this long. */
#define S_USERS_MAX 1000
#define S_LINE_MAX 512
/* How long a checked password is remembered. */
#define S_REMEMBER_MS (5 * 60 * 1000)

/* One user. */
typedef struct {
    char name[SERVE_USER_MAX + 1];          /* the user name */
    char hash[crypto_pwhash_STRBYTES];      /* crypto_pwhash_str's */
    uint8_t seen[crypto_generichash_BYTES]; /* keyed hash of the password
                                               last checked good */
    uint64_t seen_until;                    /* mono ms it is trusted to */
} s_user_t;

struct serve_users {
    s_user_t *users;                          /* the users */
    size_t n;                                 /* how many */
    uint8_t key[crypto_generichash_KEYBYTES]; /* for seen; never written */
    char dummy[crypto_pwhash_STRBYTES];       /* checked for unknown users */
};

bool
serve_user_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SERVE_USER_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Parses one line into u. Returns 0, 1 for a line to skip, or
 * VOCFED_EMALFORMED with why. */
static int
s_parse_line(char *line, size_t lineno, s_user_t *u, char *why, size_t cap)
{
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] == '\0' || line[0] == '#')
        return 1;
    char *colon = strchr(line, ':');
    if (!colon) {
        snprintf(why, cap, "line %zu: not NAME:HASH", lineno);
        return VOCFED_EMALFORMED;
    }
    *colon = 0;
    const char *hash = colon + 1;
    if (!serve_user_valid(line)) {
        snprintf(why, cap,
                 "line %zu: not a user name (1 to 64 of "
                 "A-Z a-z 0-9 . _ -)",
                 lineno);
        return VOCFED_EMALFORMED;
    }
    if (strncmp(hash, "$argon2", 7) != 0 || strlen(hash) >= sizeof u->hash) {
        snprintf(why, cap,
                 "line %zu: not a password hash made by 'vocfed "
                 "serve --add-user'",
                 lineno);
        return VOCFED_EMALFORMED;
    }
    memset(u, 0, sizeof *u);
    memcpy(u->name, line, strlen(line) + 1);
    memcpy(u->hash, hash, strlen(hash) + 1);
    return 0;
}

/* Reads the users of an open file into self. */
static int
s_read(FILE *f, serve_users_t *self, char *why, size_t cap)
{
    char line[S_LINE_MAX + 2];
    size_t lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, cap, "line %zu: longer than %d bytes", lineno,
                     S_LINE_MAX);
            return VOCFED_EMALFORMED;
        }
        if (self->n == S_USERS_MAX) {
            snprintf(why, cap, "more than %d users", S_USERS_MAX);
            return VOCFED_EMALFORMED;
        }
        int rc = s_parse_line(line, lineno, &self->users[self->n], why, cap);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            for (size_t i = 0; i < self->n; i++)
                if (!strcmp(self->users[i].name, self->users[self->n].name)) {
                    snprintf(why, cap, "line %zu: user %s again", lineno,
                             self->users[i].name);
                    return VOCFED_EMALFORMED;
                }
            self->n++;
        }
    }
    return ferror(f) ? -EIO : 0;
}

/* Reads path into a new users set; a missing file is an empty set when
 * missing_ok. */
static int
s_load(const char *path, bool missing_ok, serve_users_t **out, char *why,
       size_t cap)
{
    if (sodium_init() < 0)
        return VOCFED_ENOMEM;
    serve_users_t *self = calloc(1, sizeof *self);
    if (self)
        self->users = calloc(S_USERS_MAX, sizeof *self->users);
    if (!self || !self->users) {
        serve_users_destroy(&self);
        return VOCFED_ENOMEM;
    }
    randombytes_buf(self->key, sizeof self->key);
    int rc = 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        rc = errno == ENOENT && missing_ok ? 0 : -errno;
        snprintf(why, cap, "%s", strerror(errno));
    } else {
        rc = s_read(f, self, why, cap);
        fclose(f);
    }
    if (rc) {
        serve_users_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

int
serve_users_load(const char *path, serve_users_t **out, char *why, size_t cap)
{
    serve_users_t *self = NULL;
    int rc = s_load(path, false, &self, why, cap);
    if (!rc && self->n == 0) {
        snprintf(why, cap,
                 "no user in it (add one with 'vocfed serve "
                 "--add-user NAME --auth FILE')");
        serve_users_destroy(&self);
        return VOCFED_ENOTFOUND;
    }
    /* A hash for unknown names, so that they cost as much as known ones. */
    if (!rc && crypto_pwhash_str(self->dummy, "vocfed", 6,
                                 crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        serve_users_destroy(&self);
        return VOCFED_ENOMEM;
    }
    if (!rc)
        *out = self;
    return rc;
}

void
serve_users_destroy(serve_users_t **self)
{
    if (!self || !*self)
        return;
    if ((*self)->users) {
        sodium_memzero((*self)->users, S_USERS_MAX * sizeof(s_user_t));
        free((*self)->users);
    }
    sodium_memzero(*self, sizeof **self);
    free(*self);
    *self = NULL;
}

size_t
serve_users_count(const serve_users_t *self)
{
    return self ? self->n : 0;
}

bool
serve_users_check(serve_users_t *self, const char *user, const char *password)
{
    size_t plen = strlen(password);
    s_user_t *u = NULL;
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp(self->users[i].name, user))
            u = &self->users[i];
    if (!u || plen > SERVE_PASSWORD_MAX) {
        /* The same work as a wrong password; the answer is no whatever
         * the dummy's check says. */
        int same = crypto_pwhash_str_verify(
            self->dummy, password, plen > SERVE_PASSWORD_MAX ? 0 : plen);
        (void)same;
        return false;
    }
    uint8_t tag[crypto_generichash_BYTES];
    crypto_generichash(tag, sizeof tag, (const uint8_t *)password, plen,
                       self->key, sizeof self->key);
    uint64_t now = proto_mono_ms();
    if (now < u->seen_until && sodium_memcmp(tag, u->seen, sizeof tag) == 0)
        return true;
    if (crypto_pwhash_str_verify(u->hash, password, plen) != 0)
        return false;
    memcpy(u->seen, tag, sizeof tag);
    u->seen_until = now + S_REMEMBER_MS;
    return true;
}

/* Writes self's users to path through a temporary file (0600, fsync,
 * rename). */
static int
s_write(const serve_users_t *self, const char *path)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return VOCFED_EINVALID;
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = -errno;
        close(fd);
        unlink(tmp);
        return e;
    }
    fputs("# vocfed serve users: NAME:HASH (crypto_pwhash_str), one a line;"
          "\n# written by 'vocfed serve --add-user'\n",
          f);
    for (size_t i = 0; i < self->n; i++)
        fprintf(f, "%s:%s\n", self->users[i].name, self->users[i].hash);
    int rc = 0;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -errno;
    if (fclose(f) != 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

int
serve_users_add(const char *path, const char *user, const char *password,
                char *why, size_t cap)
{
    size_t plen = strlen(password);
    if (!serve_user_valid(user) || plen < SERVE_PASSWORD_MIN ||
        plen > SERVE_PASSWORD_MAX)
        return VOCFED_EINVALID;
    serve_users_t *self = NULL;
    int rc = s_load(path, true, &self, why, cap);
    if (rc)
        return rc;
    s_user_t *u = NULL;
    for (size_t i = 0; i < self->n; i++)
        if (!strcmp(self->users[i].name, user))
            u = &self->users[i];
    if (!u && self->n == S_USERS_MAX) {
        snprintf(why, cap, "already %d users", S_USERS_MAX);
        rc = VOCFED_EMALFORMED;
        goto done;
    }
    if (!u) {
        u = &self->users[self->n++];
        memcpy(u->name, user, strlen(user) + 1);
    }
    if (crypto_pwhash_str(u->hash, password, plen,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    rc = s_write(self, path);
done:
    serve_users_destroy(&self);
    return rc;
}
