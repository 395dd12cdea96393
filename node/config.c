/* vocfed: the node's settings file (config.h). */
#include "node/config.h"
#include "node/file.h"

#include "protocol/entry.h"
#include "protocol/hash.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_KEY_HEX (2 * PROTO_PUBKEY_LEN)
#define S_FILE_MAX 65536 /* bytes of a settings file: a few lines */

static int
s_path(const char *dir, const char *suffix, char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/%s%s", dir, NODE_CONFIG_FILE, suffix);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : VOCFED_OK;
}

/* 64 hex digits of an Ed25519 public key. */
static bool
s_key_valid(const char *s)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    return strlen(s) == S_KEY_HEX && proto_unhex(s, pk, sizeof pk) == 0;
}

/* The keys: node_config_keys() and where each sits in node_config_t. */
static const node_config_key_t s_keys[] = {
    {"coordinator", "member", "tcp://HOST:PORT",
     "where the coordinator listens; the member dials it"},
    {"coordinator_key", "member", "64 hex digits",
     "the coordinator's public key ('vocfed whoami' on it)"},
    {"coordinator_id", "member", "node id",
     "the coordinator's id (optional: else found by its key); when\n"
     "                   changed, the store's place for its log, while it\n"
     "                   holds none of it, takes the new id"},
    {"listen", "coordinator", "tcp://HOST:PORT",
     "where to listen (HOST '*': every interface)"},
    {"heartbeat", "both", "seconds, 1 to 600",
     "the heartbeat interval (default 5; the same on every node;\n"
     "                   --heartbeat overrides it)"},
    {"rate_msgs", "coordinator", "messages a second, 1 to 1000000",
     "each member's message rate, bursts of twice it (default\n"
     "                   2000; --rate-msgs overrides it)"},
    {"rate_bytes", "coordinator", "bytes a second, 1M to 16G",
     "each member's byte rate, bursts of 1.5 times it (K, M, G:\n"
     "                   KiB, MiB, GiB; default 64M; --rate-bytes overrides "
     "it)"},
};
static const size_t s_offsets[] = {
    offsetof(node_config_t, coordinator),
    offsetof(node_config_t, coordinator_key),
    offsetof(node_config_t, coordinator_id),
    offsetof(node_config_t, listen),
    offsetof(node_config_t, heartbeat),
    offsetof(node_config_t, rate_msgs),
    offsetof(node_config_t, rate_bytes),
};
static const size_t s_sizes[] = {
    sizeof(((node_config_t *)0)->coordinator),
    sizeof(((node_config_t *)0)->coordinator_key),
    sizeof(((node_config_t *)0)->coordinator_id),
    sizeof(((node_config_t *)0)->listen),
    sizeof(((node_config_t *)0)->heartbeat),
    sizeof(((node_config_t *)0)->rate_msgs),
    sizeof(((node_config_t *)0)->rate_bytes),
};
#define S_NKEYS (sizeof s_keys / sizeof s_keys[0])

const node_config_key_t *
node_config_keys(size_t *n)
{
    *n = S_NKEYS;
    return s_keys;
}

static int
s_key_index(const char *key)
{
    for (size_t i = 0; i < S_NKEYS; i++)
        if (strcmp(s_keys[i].name, key) == 0)
            return (int)i;
    return -1;
}

/* Decimal digits only, at most max; 0 when s is not that. */
static uint64_t
s_count(const char *s, size_t len, uint64_t max)
{
    uint64_t v = 0;
    if (len == 0 || len > 19 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v <= max ? v : 0;
}

/* Seconds of a heartbeat: decimal digits only, 1 to
 * NODE_HEARTBEAT_MAX_S; 0 when value is not that. */
static uint64_t
s_heartbeat_s(const char *value)
{
    return s_count(value, strlen(value), NODE_HEARTBEAT_MAX_S);
}

uint64_t
node_config_heartbeat_ms(const node_config_t *cfg)
{
    return s_heartbeat_s(cfg->heartbeat) * 1000;
}

uint64_t
node_rate_msgs(const char *s)
{
    return s_count(s, strlen(s), NODE_RATE_MSGS_MAX);
}

uint64_t
node_rate_bytes(const char *s)
{
    size_t len = strlen(s);
    char last = len ? s[len - 1] : 0;
    unsigned shift = last == 'K' || last == 'k'   ? 10
                     : last == 'M' || last == 'm' ? 20
                     : last == 'G' || last == 'g' ? 30
                                                  : 0;
    uint64_t v =
        s_count(s, shift ? len - 1 : len, NODE_RATE_BYTES_MAX >> shift);
    v <<= shift;
    return v >= NODE_RATE_BYTES_MIN ? v : 0;
}

/* Checks value (not "") as key number i's value. Returns 0 or
 * VOCFED_EINVALID with why. */
static int
s_value_check(size_t i, const char *value, char *why, size_t cap)
{
    if (strlen(value) >= s_sizes[i]) {
        if (why && cap)
            snprintf(why, cap, "longer than %zu bytes", s_sizes[i] - 1);
        return VOCFED_EINVALID;
    }
    if (s_offsets[i] == offsetof(node_config_t, coordinator))
        return node_endpoint_check(value, NODE_ENDPOINT_DIAL, NULL, why, cap);
    if (s_offsets[i] == offsetof(node_config_t, listen))
        return node_endpoint_check(value, NODE_ENDPOINT_BIND, NULL, why, cap);
    if (s_offsets[i] == offsetof(node_config_t, rate_msgs) ||
        s_offsets[i] == offsetof(node_config_t, rate_bytes)) {
        bool msgs = s_offsets[i] == offsetof(node_config_t, rate_msgs);
        if (msgs ? node_rate_msgs(value) : node_rate_bytes(value))
            return VOCFED_OK;
        if (why && cap)
            snprintf(why, cap, "not %s", s_keys[i].form);
        return VOCFED_EINVALID;
    }
    if (s_offsets[i] == offsetof(node_config_t, heartbeat)) {
        if (s_heartbeat_s(value))
            return VOCFED_OK;
        if (why && cap)
            snprintf(why, cap, "not a whole number of seconds from 1 to %d",
                     NODE_HEARTBEAT_MAX_S);
        return VOCFED_EINVALID;
    }
    bool ok = s_offsets[i] == offsetof(node_config_t, coordinator_key)
                  ? s_key_valid(value)
                  : proto_id_valid(value, strlen(value));
    if (!ok && why && cap)
        snprintf(why, cap, "not %s", s_keys[i].form);
    return ok ? VOCFED_OK : VOCFED_EINVALID;
}

const char *
node_config_get(const node_config_t *cfg, const char *key)
{
    int i = s_key_index(key);
    return i < 0 ? NULL : (const char *)cfg + s_offsets[i];
}

int
node_config_set(node_config_t *cfg, const char *key, const char *value,
                char *why, size_t cap)
{
    int i = s_key_index(key);
    if (i < 0)
        return VOCFED_ENOTFOUND;
    int rc;
    if (value[0] && (rc = s_value_check((size_t)i, value, why, cap)))
        return rc;
    char *field = (char *)cfg + s_offsets[i];
    int n = snprintf(field, s_sizes[i], "%s", value);
    assert(n >= 0 && (size_t)n < s_sizes[i]); /* checked above */
    (void)n;
    /* One key, one spelling. */
    for (char *p = cfg->coordinator_key; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return VOCFED_OK;
}

int
node_config_check(const node_config_t *cfg, const char **bad, char *why,
                  size_t cap)
{
    if (bad)
        *bad = NULL;
    for (size_t i = 0; i < S_NKEYS; i++) {
        const char *v = (const char *)cfg + s_offsets[i];
        /* A field not NUL-terminated is not a value of its form. */
        if (!memchr(v, '\0', s_sizes[i]) ||
            (v[0] && s_value_check(i, v, why, cap))) {
            if (bad)
                *bad = s_keys[i].name;
            return VOCFED_EINVALID;
        }
    }
    return VOCFED_OK;
}

bool
node_config_valid(const node_config_t *cfg, const char **bad)
{
    return node_config_check(cfg, bad, NULL, 0) == VOCFED_OK;
}

/* Writes why (if any); returns VOCFED_EMALFORMED. */
static int
s_malformed(char *why, size_t cap, const char *what)
{
    if (why && cap)
        snprintf(why, cap, "%s", what);
    return VOCFED_EMALFORMED;
}

/* Copies node/<key i> from the tree into cfg. A value that does not fit
 * is malformed. */
static int
s_get(zconfig_t *root, size_t i, node_config_t *cfg, char *why, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "node/%s", s_keys[i].name);
    const char *v = zconfig_get(root, path, NULL);
    if (!v)
        v = "";
    char *out = (char *)cfg + s_offsets[i];
    int n = snprintf(out, s_sizes[i], "%s", v);
    if (n >= 0 && (size_t)n < s_sizes[i])
        return VOCFED_OK;
    if (why && cap)
        snprintf(why, cap, "%s: longer than %zu bytes", s_keys[i].name,
                 s_sizes[i] - 1);
    return VOCFED_EMALFORMED;
}

/* Checks the values read; says which is bad and why. */
static int
s_parsed_check(node_config_t *cfg, char *why, size_t cap)
{
    const char *bad = NULL;
    char reason[192] = "";
    if (node_config_check(cfg, &bad, reason, sizeof reason) == VOCFED_OK)
        return VOCFED_OK;
    if (why && cap)
        snprintf(why, cap, "%s '%s': %s", bad, node_config_get(cfg, bad),
                 reason);
    return VOCFED_EMALFORMED;
}

static int
s_parse(const char *text, size_t len, node_config_t *cfg, char *why, size_t cap)
{
    char *copy = NULL;
    zconfig_t *root = NULL;
    int rc = VOCFED_OK;
    memset(cfg, 0, sizeof *cfg);
    if (len > S_FILE_MAX)
        return s_malformed(why, cap, "over 64 KiB");
    /* A NUL would end the text early: what follows would go unread. */
    if (len && memchr(text, '\0', len))
        return s_malformed(why, cap, "a NUL byte in the text");
    /* zconfig reads a NUL-terminated string. */
    copy = malloc(len + 1);
    if (!copy)
        return VOCFED_ENOMEM;
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    root = zconfig_str_load(copy);
    if (!root) {
        rc = s_malformed(why, cap,
                         "not ZPL (a 'node' section of "
                         "'key = \"value\"' lines)");
        goto done;
    }
    for (size_t i = 0; i < S_NKEYS && rc == VOCFED_OK; i++)
        rc = s_get(root, i, cfg, why, cap);
    if (rc == VOCFED_OK)
        rc = s_parsed_check(cfg, why, cap);
    /* One key, one spelling. */
    for (char *p = cfg->coordinator_key; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
done:
    zconfig_destroy(&root);
    free(copy);
    if (rc)
        memset(cfg, 0, sizeof *cfg);
    return rc;
}

int
node_config_parse(const char *text, size_t len, node_config_t *cfg)
{
    return s_parse(text, len, cfg, NULL, 0);
}

int
node_config_load_why(const char *dir, node_config_t *cfg, char *why, size_t cap)
{
    char path[4096];
    struct stat st;
    char *text = NULL;
    memset(cfg, 0, sizeof *cfg);
    int rc = s_path(dir, "", path, sizeof path);
    if (rc)
        return rc;
    /* Read through our own bounded read, then node_config_parse
     * (zconfig_str_load): zconfig_load says NULL both for "no file" and
     * "cannot parse", and leaks its file handle on the second (czmq
     * 4.2.1). */
    int fd = node_file_open(path, &st);
    if (fd < 0)
        return fd == -ENOENT ? VOCFED_OK : fd;
    if ((rc = node_file_check(&st, S_FILE_MAX))) {
        if (rc == VOCFED_ETOOLARGE)
            rc = s_malformed(why, cap, "over 64 KiB");
        goto done;
    }
    text = malloc((size_t)st.st_size + 1);
    if (!text) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    size_t len = 0;
    if ((rc = node_file_read(fd, text, (size_t)st.st_size + 1, &len)))
        goto done;
    if (len > (size_t)st.st_size) { /* grew while read: too late */
        rc = s_malformed(why, cap, "changed while read");
        goto done;
    }
    rc = s_parse(text, len, cfg, why, cap);
done:
    free(text);
    close(fd);
    if (rc)
        memset(cfg, 0, sizeof *cfg);
    return rc;
}

int
node_config_load(const char *dir, node_config_t *cfg)
{
    return node_config_load_why(dir, cfg, NULL, 0);
}

/* cfg as the text of a settings file; NULL when out of memory. Free
 * with free(). */
static char *
s_config_text(const node_config_t *cfg)
{
    char *text = NULL;
    zconfig_t *root = zconfig_new("root", NULL);
    if (!root || !zconfig_new("node", root))
        goto done;
    zconfig_set_comment(root, " vocfed node settings (see 'vocfed config "
                              "--help'); written by vocfed");
    for (size_t i = 0; i < S_NKEYS; i++) { /* every key, in file order */
        const char *v = (const char *)cfg + s_offsets[i];
        char path[64];
        snprintf(path, sizeof path, "node/%s", s_keys[i].name);
        if (v[0])
            zconfig_put(root, path, v);
    }
    text = zconfig_str_save(root);
done:
    zconfig_destroy(&root);
    return text;
}

/* Writes text to path atomically: a temporary file tmp (a mkstemp
 * template) written, synced and renamed over path, then dir synced.
 * Returns 0 or -errno; on error tmp is removed. */
static int
s_replace_file(const char *dir, const char *path, char *tmp, const char *text)
{
    int rc;
    /* mkstemp makes the file with mode 0600, O_EXCL. */
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -errno;
    if ((rc = node_file_write(fd, text, strlen(text)))) {
        if (rc == VOCFED_ESTORAGEFULL) /* write() wrote nothing */
            rc = -EIO;
        goto unlink;
    }
    if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
        rc = -errno;
        goto unlink;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = -errno;
        goto unlink;
    }
    return node_file_replace(tmp, path, dir);

unlink:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

int
node_config_save(const char *dir, const node_config_t *cfg)
{
    char path[4096], tmp[4096];
    int rc;
    if (!node_config_valid(cfg, NULL))
        return VOCFED_EINVALID;
    if ((rc = s_path(dir, "", path, sizeof path)) ||
        (rc = s_path(dir, ".XXXXXX", tmp, sizeof tmp)))
        return rc;
    char *text = s_config_text(cfg);
    if (!text)
        return VOCFED_ENOMEM;
    rc = s_replace_file(dir, path, tmp, text);
    free(text);
    return rc;
}
