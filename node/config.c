/* vocfed: the node's settings file (config.h). */
#include "node/config.h"
#include "node/file.h"

#include "protocol/entry.h"
#include "protocol/hash.h"

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

/* A ZeroMQ endpoint as we accept one: "transport://address", printable
 * ASCII without spaces, quotes, '#' or '$' (which ZPL or a shell would
 * read as something else). The size of the field it sits in keeps it
 * shorter than NODE_ENDPOINT_MAX. */
static bool
s_endpoint_valid(const char *s)
{
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || sep[3] == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\'' || *p == '#' ||
            *p == '$')
            return false;
    return true;
}

/* 64 hex digits of an Ed25519 public key. */
static bool
s_key_valid(const char *s)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    return strlen(s) == S_KEY_HEX && proto_unhex(s, pk, sizeof pk) == 0;
}

bool
node_config_valid(const node_config_t *cfg, const char **bad)
{
    const char *what = NULL;
    if (cfg->coordinator[0] && !s_endpoint_valid(cfg->coordinator))
        what = "coordinator";
    else if (cfg->coordinator_key[0] && !s_key_valid(cfg->coordinator_key))
        what = "coordinator_key";
    else if (cfg->coordinator_id[0] &&
             !proto_id_valid(cfg->coordinator_id, strlen(cfg->coordinator_id)))
        what = "coordinator_id";
    else if (cfg->listen[0] && !s_endpoint_valid(cfg->listen))
        what = "listen";
    if (bad)
        *bad = what;
    return what == NULL;
}

/* Copies node/name from the tree into out (cap bytes). A value that does
 * not fit is malformed. */
static int
s_get(zconfig_t *root, const char *name, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "node/%s", name);
    const char *v = zconfig_get(root, path, NULL);
    if (!v)
        v = "";
    int n = snprintf(out, cap, "%s", v);
    return n < 0 || (size_t)n >= cap ? VOCFED_EMALFORMED : VOCFED_OK;
}

int
node_config_parse(const char *text, size_t len, node_config_t *cfg)
{
    char *copy = NULL;
    zconfig_t *root = NULL;
    int rc;
    memset(cfg, 0, sizeof *cfg);
    if (len > S_FILE_MAX)
        return VOCFED_EMALFORMED;
    /* A NUL would end the text early: what follows would go unread. */
    if (len && memchr(text, '\0', len))
        return VOCFED_EMALFORMED;
    /* zconfig reads a NUL-terminated string. */
    copy = malloc(len + 1);
    if (!copy)
        return VOCFED_ENOMEM;
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    root = zconfig_str_load(copy);
    if (!root) {
        rc = VOCFED_EMALFORMED;
        goto done;
    }
    if ((rc = s_get(root, "coordinator", cfg->coordinator,
                    sizeof cfg->coordinator)) ||
        (rc = s_get(root, "coordinator_key", cfg->coordinator_key,
                    sizeof cfg->coordinator_key)) ||
        (rc = s_get(root, "coordinator_id", cfg->coordinator_id,
                    sizeof cfg->coordinator_id)) ||
        (rc = s_get(root, "listen", cfg->listen, sizeof cfg->listen)))
        goto done;
    if (!node_config_valid(cfg, NULL)) {
        rc = VOCFED_EMALFORMED;
        goto done;
    }
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
node_config_load(const char *dir, node_config_t *cfg)
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
            rc = VOCFED_EMALFORMED;
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
        rc = VOCFED_EMALFORMED;
        goto done;
    }
    rc = node_config_parse(text, len, cfg);
done:
    free(text);
    close(fd);
    if (rc)
        memset(cfg, 0, sizeof *cfg);
    return rc;
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
    zconfig_set_comment(root, " vocfed node settings (see 'vocfed init "
                              "--help'); written by vocfed");
    const char *const items[][2] = {
        {"node/coordinator", cfg->coordinator},
        {"node/coordinator_key", cfg->coordinator_key},
        {"node/coordinator_id", cfg->coordinator_id},
        {"node/listen", cfg->listen},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (items[i][1][0])
            zconfig_put(root, items[i][0], items[i][1]);
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
