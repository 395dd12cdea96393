/* vocfed: an author's log made in memory (fz_log.h). */
#include "tests/fuzz/fz_log.h"
#include "tests/fuzz/fuzz.h"

#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/merkle.h"
#include "protocol/msg.h"

#include <msgpack.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define S_TIME 1767225600000ull /* 2026-01-01T00:00:00Z, the vectors' */

/* The perfect subtree (level, index) of the log's leaves. */
static int
s_source(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_LEN])
{
    const fz_log_t *log = ctx;
    if (level >= 8 || index >= FZ_LOG_MAX)
        return VOCFED_ENOTFOUND;
    uint64_t first = index << level, width = (uint64_t)1 << level;
    if (first + width > log->n)
        return VOCFED_ENOTFOUND;
    if (level == 0) {
        memcpy(out, log->leaves[first], PROTO_HASH_LEN);
        return VOCFED_OK;
    }
    uint8_t l[PROTO_HASH_LEN], r[PROTO_HASH_LEN];
    int rc = s_source(ctx, level - 1, 2 * index, l);
    if (!rc)
        rc = s_source(ctx, level - 1, 2 * index + 1, r);
    if (!rc)
        proto_hash_node(PROTO_HASH_BLAKE2B256, l, r, out);
    return rc;
}

/* Sets entry i (seq i + 1) to a put of kind and key with body fields (n
 * of them, sorted in place), or a del when fields is NULL. */
static int
s_set(fz_log_t *log, size_t i, const char *kind, const char *key,
      proto_field_t *fields, size_t n)
{
    proto_buf_t body;
    proto_buf_init(&body);
    int rc = fields ? proto_body_encode(fields, n, &body) : VOCFED_OK;
    proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                       .author = log->author,
                       .author_len = strlen(log->author),
                       .seq = i + 1,
                       .time_ms = S_TIME + i,
                       .op = fields ? PROTO_OP_PUT : PROTO_OP_DEL,
                       .kind = kind,
                       .kind_len = strlen(kind),
                       .key = key,
                       .key_len = strlen(key),
                       .body = fields ? body.data : NULL,
                       .body_len = fields ? body.len : 0};
    proto_buf_reset(&log->entries[i]);
    if (!rc)
        rc = proto_entry_encode(&e, &log->entries[i]);
    if (!rc)
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, log->entries[i].data,
                        log->entries[i].len, log->leaves[i]);
    proto_buf_release(&body);
    return rc;
}

/* Entry i (seq i + 1): a put of a student, every third a del of the one
 * before; its key is a pseudo_id made from the index, "a" then i in 63
 * hex digits ("b" past `shared` in a variant), and its body passes the
 * kinds table, as ingest wants (SPEC 8.4). */
static int
s_entry(fz_log_t *log, size_t i, unsigned variant, size_t shared)
{
    char key[PROTO_HASH_LEN * 2 + 1];
    bool del = i % 3 == 2;
    proto_field_t f[3] = {
        {.name = "intake_year",
         .name_len = 11,
         .value = {.type = PROTO_VAL_INT, .i = 2024}},
        {.name = "level",
         .name_len = 5,
         .value = {.type = PROTO_VAL_STR, .s = "higher", .slen = 6}},
        {.name = "status",
         .name_len = 6,
         .value = {.type = PROTO_VAL_STR, .s = "enrolled", .slen = 8}},
    };
    snprintf(key, sizeof key, "%c%063zx", variant && i >= shared ? 'b' : 'a',
             del ? i - 1 : i);
    return s_set(log, i, "student", key, del ? NULL : f, 3);
}

/* Signs the checkpoints at log->sizes (ncp of them) over the entries. */
static int
s_sign(fz_log_t *log, size_t ncp, unsigned variant, size_t shared)
{
    int rc = VOCFED_OK;
    for (size_t i = 0; i < ncp && !rc; i++) {
        uint64_t size = log->sizes[i];
        proto_checkpoint_t cp = {.version = PROTO_CHECKPOINT_VERSION,
                                 .size = size,
                                 .time_ms = S_TIME + size};
        snprintf(cp.author, sizeof cp.author, "%s", log->author);
        /* A variant's own checkpoints are signed at other times. */
        if (variant && size > shared)
            cp.time_ms += 1000 * (uint64_t)variant;
        if (log->cp_time[i])
            cp.time_ms = log->cp_time[i];
        if (size < 1 || size > log->n || (i && size <= log->sizes[i - 1]))
            return VOCFED_EINVALID;
        rc = proto_merkle_root(PROTO_HASH_BLAKE2B256, size, s_source, log,
                               cp.root);
        if (!rc && i)
            rc = proto_checkpoint_hash(log->cps[i - 1].data,
                                       log->cps[i - 1].len, cp.prev);
        proto_buf_reset(&log->cps[i]);
        if (!rc)
            rc = proto_checkpoint_sign(&cp, log->sk, &log->cps[i]);
        log->ncp = i + 1;
    }
    return rc;
}

int
fz_log_init(fz_log_t *log, const char *author, const uint8_t *sk)
{
    memset(log, 0, sizeof *log);
    for (size_t i = 0; i < FZ_LOG_MAX; i++) {
        proto_buf_init(&log->entries[i]);
        proto_buf_init(&log->cps[i]);
    }
    int w = snprintf(log->author, sizeof log->author, "%s", author);
    log->sk = sk;
    return w < 0 || (size_t)w >= sizeof log->author ? VOCFED_EINVALID
                                                    : VOCFED_OK;
}

int
fz_log_make(fz_log_t *log, size_t n, const uint64_t *sizes, size_t ncp,
            unsigned variant, size_t shared)
{
    int rc = fz_log_init(log, FZ_LOG_AUTHOR, fz_checkpoint_sk());
    if (rc)
        return rc;
    if (n > FZ_LOG_MAX || ncp > FZ_LOG_MAX)
        return VOCFED_EINVALID;
    for (size_t i = 0; i < n && !rc; i++)
        rc = s_entry(log, i, variant, shared);
    log->n = n;
    memcpy(log->sizes, sizes, ncp * sizeof *sizes);
    return rc ? rc : s_sign(log, ncp, variant, shared);
}

int
fz_log_set(fz_log_t *log, uint64_t seq, const char *kind, const char *key,
           proto_field_t *fields, size_t n)
{
    if (seq < 1 || seq > log->n)
        return VOCFED_EINVALID;
    int rc = s_set(log, (size_t)seq - 1, kind, key, fields, n);
    return rc ? rc : s_sign(log, log->ncp, 0, 0);
}

int
fz_log_retime(fz_log_t *log, size_t j, uint64_t time_ms)
{
    if (j >= log->ncp || time_ms == 0)
        return VOCFED_EINVALID;
    log->cp_time[j] = time_ms;
    return s_sign(log, log->ncp, 0, 0);
}

int
fz_log_append_raw(fz_log_t *log, bool del, const char *kind, size_t kind_len,
                  const char *key, size_t key_len, const uint8_t *body,
                  size_t body_len)
{
    if (log->n >= FZ_LOG_MAX)
        return VOCFED_ETOOLARGE;
    size_t i = log->n, alen = strlen(log->author);
    proto_buf_t *out = &log->entries[i];
    const char *op = del ? "del" : "put";
    msgpack_packer pk;
    proto_buf_reset(out);
    msgpack_packer_init(&pk, out, proto_buf_msgpack_write);
    int fail = msgpack_pack_array(&pk, 8) ||
               msgpack_pack_uint64(&pk, PROTO_ENTRY_VERSION) ||
               msgpack_pack_str(&pk, alen) ||
               msgpack_pack_str_body(&pk, log->author, alen) ||
               msgpack_pack_uint64(&pk, i + 1) ||
               msgpack_pack_uint64(&pk, S_TIME + i) ||
               msgpack_pack_str(&pk, 3) || msgpack_pack_str_body(&pk, op, 3) ||
               msgpack_pack_str(&pk, kind_len) ||
               msgpack_pack_str_body(&pk, kind, kind_len) ||
               msgpack_pack_str(&pk, key_len) ||
               msgpack_pack_str_body(&pk, key, key_len);
    if (!fail)
        fail = del ? msgpack_pack_nil(&pk)
                   : proto_buf_append(out, body, body_len) != 0;
    int rc = proto_buf_finish(out, 0, fail, PROTO_ENTRY_MAX);
    if (rc)
        return rc;
    proto_hash_leaf(PROTO_HASH_BLAKE2B256, out->data, out->len, log->leaves[i]);
    log->n++;
    return VOCFED_OK;
}

int
fz_log_seal(fz_log_t *log)
{
    if (log->ncp >= FZ_LOG_MAX || log->n == 0 ||
        (log->ncp && log->sizes[log->ncp - 1] >= log->n))
        return VOCFED_EINVALID;
    log->sizes[log->ncp] = log->n;
    return s_sign(log, log->ncp + 1, 0, 0);
}

void
fz_log_release(fz_log_t *log)
{
    for (size_t i = 0; i < FZ_LOG_MAX; i++) {
        proto_buf_release(&log->entries[i]);
        proto_buf_release(&log->cps[i]);
    }
    memset(log, 0, sizeof *log);
}

int
fz_log_batch(const fz_log_t *log, uint64_t first, size_t count,
             uint64_t old_size, proto_buf_t *out)
{
    proto_bytes_t e[FZ_LOG_MAX], c[FZ_LOG_MAX];
    static proto_proof_t consistency, range;
    size_t ncp = 0;
    uint64_t last = first + count - 1;
    if (first < 1 || count < 1 || last > log->n)
        return VOCFED_EINVALID;
    for (size_t i = 0; i < count; i++)
        e[i] = (proto_bytes_t){.data = log->entries[first - 1 + i].data,
                               .len = log->entries[first - 1 + i].len};
    /* The checkpoints within the batch, then the one covering its end. */
    uint64_t n = 0;
    for (size_t i = 0; i < log->ncp && n < last; i++) {
        if (log->sizes[i] < first)
            continue;
        c[ncp++] =
            (proto_bytes_t){.data = log->cps[i].data, .len = log->cps[i].len};
        n = log->sizes[i];
    }
    if (n < last)
        return VOCFED_EINVALID;
    int rc =
        proto_merkle_consistency_proof(PROTO_HASH_BLAKE2B256, old_size, n,
                                       s_source, (void *)log, &consistency);
    if (!rc)
        rc = proto_merkle_compact_range(PROTO_HASH_BLAKE2B256, last, n,
                                        s_source, (void *)log, &range);
    if (rc)
        return rc;
    proto_msg_batch_in_t in = {.author = log->author,
                               .first_seq = first,
                               .entries = e,
                               .count = count,
                               .checkpoints = c,
                               .ncp = ncp,
                               .old_size = old_size,
                               .consistency = &consistency,
                               .range = &range};
    return proto_msg_encode_batch(&in, out);
}
