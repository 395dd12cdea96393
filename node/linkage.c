/* vocfed: the group linkage key and pseudonyms (see linkage.h). */
#include "node/linkage.h"

#include "node/file.h"
#include "node/identity.h"
#include "protocol/hash.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

_Static_assert(NODE_ID_NUMBER_MAX <= 128,
               "a normalised ID number is hashed in one block");
_Static_assert(NODE_LINKAGE_KEY_LEN >= crypto_generichash_KEYBYTES_MIN &&
                   NODE_LINKAGE_KEY_LEN <= crypto_generichash_KEYBYTES_MAX,
               "the linkage key is a BLAKE2b key");

/* The largest hex key file read: the 64 digits and some white space. */
#define S_HEX_FILE_MAX 256

static int
s_path(const char *dir, const char *name, char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? VOCFED_ETOOLARGE : VOCFED_OK;
}

static uint8_t *
s_alloc(void)
{
    if (sodium_init() < 0)
        return NULL;
    return sodium_malloc(NODE_LINKAGE_KEY_LEN);
}

int
node_linkage_generate(uint8_t **key)
{
    uint8_t *k = s_alloc();
    if (!k)
        return VOCFED_ENOMEM;
    randombytes_buf(k, NODE_LINKAGE_KEY_LEN);
    *key = k;
    return VOCFED_OK;
}

int
node_linkage_read_hex(const char *path, uint8_t **key)
{
    struct stat st;
    int rc = VOCFED_OK;
    char *text = NULL;
    uint8_t *k = NULL;
    size_t len = 0, bin_len = 0;
    const char *end = NULL;
    if (sodium_init() < 0)
        return VOCFED_ENOMEM;
    int fd = node_file_open(path, &st);
    if (fd < 0)
        return fd == -ENOENT ? VOCFED_ENOTFOUND : fd;
    if (node_file_check(&st, S_HEX_FILE_MAX) != VOCFED_OK) {
        rc = VOCFED_EKEY;
        goto done;
    }
    /* The text is the secret too: guarded memory, wiped when freed. */
    if (!(text = sodium_malloc(S_HEX_FILE_MAX + 1)) || !(k = s_alloc())) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    if ((rc = node_file_read(fd, text, S_HEX_FILE_MAX + 1, &len)))
        goto done;
    if (len > S_HEX_FILE_MAX) { /* grew while read */
        rc = VOCFED_EKEY;
        goto done;
    }
    /* sodium_hex2bin runs in constant time, unlike a table lookup. */
    if (sodium_hex2bin(k, NODE_LINKAGE_KEY_LEN, text, len, NULL, &bin_len,
                       &end) != 0 ||
        bin_len != NODE_LINKAGE_KEY_LEN) {
        rc = VOCFED_EKEY;
        goto done;
    }
    for (const char *p = end; p < text + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            rc = VOCFED_EKEY;
            goto done;
        }
    *key = k;
    k = NULL;
done:
    if (text)
        sodium_free(text);
    if (k)
        sodium_free(k);
    close(fd);
    return rc;
}

int
node_linkage_store(const char *dir, const uint8_t *key, bool replace)
{
    char path[4096], tmp[4096];
    int rc;
    if ((rc = s_path(dir, NODE_LINKAGE_FILE, path, sizeof path)) ||
        (rc = s_path(dir, NODE_LINKAGE_FILE ".new", tmp, sizeof tmp)))
        return rc;
    if (!replace)
        return node_secret_write(path, key, NODE_LINKAGE_KEY_LEN);
    /* A .new left by a run that died is ours to remove. */
    if (unlink(tmp) != 0 && errno != ENOENT)
        return -errno;
    if ((rc = node_secret_write(tmp, key, NODE_LINKAGE_KEY_LEN)))
        return rc;
    return node_file_replace(tmp, path, dir);
}

int
node_linkage_load(const char *dir, uint8_t **key)
{
    char path[4096];
    int rc = s_path(dir, NODE_LINKAGE_FILE, path, sizeof path);
    if (rc)
        return rc;
    uint8_t *k = s_alloc();
    if (!k)
        return VOCFED_ENOMEM;
    if ((rc = node_secret_read(path, k, NODE_LINKAGE_KEY_LEN))) {
        sodium_free(k);
        return rc;
    }
    sodium_mprotect_readonly(k);
    *key = k;
    return VOCFED_OK;
}

void
node_linkage_free(uint8_t **key)
{
    node_secret_free(key);
}

void
node_linkage_fingerprint(const uint8_t *key, char out[NODE_LINKAGE_FPR_HEX + 1])
{
    /* Keyed with the key over a fixed text that no normalised ID number
     * can be (it has spaces), so it is no one's pseudo_id. */
    static const char label[] = "vocfed linkage key fingerprint";
    uint8_t h[crypto_generichash_BYTES];
    crypto_generichash(h, sizeof h, (const uint8_t *)label, sizeof label - 1,
                       key, NODE_LINKAGE_KEY_LEN);
    sodium_bin2hex(out, NODE_LINKAGE_FPR_HEX + 1, h, NODE_LINKAGE_FPR_HEX / 2);
}

static bool
s_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z');
}

/* GB 11643-1999: the check digit of an 18-character resident ID number
 * (ISO 7064 MOD 11-2 over the first 17 digits). */
static char
s_check_digit(const char *id)
{
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (id[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

int
node_id_number_normalise(const char *id_number,
                         char out[NODE_ID_NUMBER_MAX + 1])
{
    const char *b = id_number, *e = id_number + strlen(id_number);
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    size_t n = (size_t)(e - b);
    if (n == 0 || n > NODE_ID_NUMBER_MAX)
        return VOCFED_EINVALID;
    for (size_t i = 0; i < n; i++) {
        if (!s_alnum(b[i]))
            return VOCFED_EINVALID;
        out[i] = b[i];
    }
    out[n] = '\0';
    if (out[n - 1] == 'x')
        out[n - 1] = 'X';
    /* A resident ID number: its check digit catches a mistyped digit,
     * which would otherwise make a different person silently. */
    bool resident = n == 18;
    for (size_t i = 0; resident && i < 17; i++)
        resident = out[i] >= '0' && out[i] <= '9';
    resident =
        resident && ((out[17] >= '0' && out[17] <= '9') || out[17] == 'X');
    if (resident && s_check_digit(out) != out[17])
        return VOCFED_EINVALID;
    return VOCFED_OK;
}

int
node_pseudo_id(const uint8_t *key, const char *id_number,
               char out_hex[NODE_PSEUDO_ID_HEX + 1])
{
    node_pseudonymiser_t p;
    node_pseudonymiser_init(&p, key);
    int rc = node_pseudo_id_with(&p, id_number, out_hex);
    node_pseudonymiser_wipe(&p);
    return rc;
}

void
node_pseudonymiser_init(node_pseudonymiser_t *p, const uint8_t *key)
{
    proto_hash_keyed_init(&p->keyed, key, NODE_LINKAGE_KEY_LEN,
                          NODE_PSEUDO_ID_HEX / 2);
}

void
node_pseudonymiser_wipe(node_pseudonymiser_t *p)
{
    sodium_memzero(p, sizeof *p);
}

int
node_pseudo_id_with(const node_pseudonymiser_t *p, const char *id_number,
                    char out_hex[NODE_PSEUDO_ID_HEX + 1])
{
    char norm[NODE_ID_NUMBER_MAX + 1];
    uint8_t h[NODE_PSEUDO_ID_HEX / 2];
    int rc = node_id_number_normalise(id_number, norm);
    if (rc == VOCFED_OK) {
        proto_hash_keyed(&p->keyed, (const uint8_t *)norm, strlen(norm), h);
        proto_hex(h, sizeof h, out_hex); /* a pseudo_id is no secret */
    }
    sodium_memzero(norm, sizeof norm);
    return rc;
}

void
node_pseudo_ids_normalised(const node_pseudonymiser_t *p, size_t n,
                           const char *const *norm,
                           char (*out_hex)[NODE_PSEUDO_ID_HEX + 1])
{
    enum { S_AT_ONCE = 8 };
    uint8_t h[S_AT_ONCE][NODE_PSEUDO_ID_HEX / 2];
    const uint8_t *msg[S_AT_ONCE];
    size_t len[S_AT_ONCE];
    for (size_t at = 0; at < n; at += S_AT_ONCE) {
        size_t k = n - at < S_AT_ONCE ? n - at : S_AT_ONCE;
        for (size_t i = 0; i < k; i++) {
            msg[i] = (const uint8_t *)norm[at + i];
            len[i] = strlen(norm[at + i]);
        }
        proto_hash_keyed_many(&p->keyed, k, msg, len, &h[0][0]);
        for (size_t i = 0; i < k; i++)
            proto_hex(h[i], sizeof h[i], out_hex[at + i]);
    }
    sodium_memzero(h, sizeof h);
}

bool
node_pseudo_id_valid(const char *s, size_t len)
{
    return len == NODE_PSEUDO_ID_HEX && proto_hex_lower_valid(s, len);
}
