/* vocfed: status codes and their descriptions. */
#include "protocol/status.h"

#include <string.h>

typedef struct {
    int code;          /* the status value */
    const char *token; /* stable short name for logs and JSON */
    const char *text;  /* English description */
} s_status_desc_t;

static const s_status_desc_t s_descs[] = {
    {VOCFED_OK, "ok", "success"},
    {VOCFED_EMALFORMED, "malformed", "malformed encoding"},
    {VOCFED_ENONCANONICAL, "non-canonical", "encoding is not canonical"},
    {VOCFED_ETOOLARGE, "too-large", "length exceeds its limit"},
    {VOCFED_EVERSION, "version", "unsupported format version"},
    {VOCFED_EBADSIG, "bad-signature", "signature does not verify"},
    {VOCFED_ESEQGAP, "seq-gap", "sequence number out of order or missing"},
    {VOCFED_ECORRUPT, "corrupt", "store is corrupt"},
    {VOCFED_ESTORAGEFULL, "storage-full", "storage is full"},
    {VOCFED_EINTERRUPTED, "interrupted", "interrupted"},
    {VOCFED_ENOTFOUND, "not-found", "not found"},
    {VOCFED_EEXISTS, "exists", "already exists"},
    {VOCFED_ELOCKED, "locked", "store is locked by another process"},
    {VOCFED_EINVALID, "invalid", "invalid argument"},
    {VOCFED_EROOT, "bad-root", "Merkle root does not match"},
    {VOCFED_EPROOF, "bad-proof", "Merkle proof does not verify"},
    {VOCFED_EAUTHOR, "wrong-author", "entry names the wrong author"},
    {VOCFED_ENOMEM, "no-memory", "out of memory"},
    {VOCFED_ESTORE, "store-error", "storage engine error"},
    {VOCFED_EKEY, "bad-key", "key file missing, unreadable or unsafe"},
    {VOCFED_EQUARANTINED, "quarantined",
     "author is quarantined: it signed two histories"},
    {VOCFED_ESUSPENDED, "suspended", "member is suspended or revoked"},
    {VOCFED_EDENIED, "denied",
     "connection refused: not on the roster, not active, or a wrong key"},
    {VOCFED_EBADRECORD, "bad-record", "a record breaks the kinds table"},
    {VOCFED_EBADTIME, "bad-time",
     "checkpoint dated before the previous one or too far in the future"},
    {VOCFED_EFENCED, "fenced",
     "the store may lack entries of its own log that the coordinator "
     "holds: it signs nothing until a session fetched them"},
};

static const s_status_desc_t *
s_find(int status)
{
    for (size_t i = 0; i < sizeof s_descs / sizeof s_descs[0]; i++)
        if (s_descs[i].code == status)
            return &s_descs[i];
    return NULL;
}

const char *
vocfed_strerror(int status)
{
    const s_status_desc_t *d = s_find(status);
    if (d)
        return d->text;
    if (status < 0 && status > -4096)
        return strerror(-status);
    return "unknown error";
}

const char *
vocfed_status_token(int status)
{
    const s_status_desc_t *d = s_find(status);
    if (d)
        return d->token;
    if (status < 0 && status > -4096)
        return "system";
    return "unknown";
}

int
vocfed_status_from_token(const char *token, size_t len)
{
    for (size_t i = 0; i < sizeof s_descs / sizeof s_descs[0]; i++)
        if (s_descs[i].code != VOCFED_OK && strlen(s_descs[i].token) == len &&
            memcmp(s_descs[i].token, token, len) == 0)
            return s_descs[i].code;
    return VOCFED_EINVALID;
}
