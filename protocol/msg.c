/* vocfed: replication messages (SPEC 8). */
#include "protocol/msg.h"
#include "protocol/checkpoint.h"
#include "protocol/entry.h"
#include "protocol/receipt.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* Fewest bytes one element can take, to check a count against the bytes
 * left before walking it: a head is a 1-byte id, a fixarray, a fixint,
 * a bin8 of 32 and a fixint; an entry or checkpoint a bin8 of one byte; a
 * hash a bin8 of 32. */
#define S_HEAD_MIN (2 + 1 + 1 + 2 + PROTO_HASH_LEN + 1)
#define S_BIN_MIN 3
#define S_HASH_BYTES (2 + PROTO_HASH_LEN)

/* Wire names and element counts, indexed by proto_msg_type_t. */
static const struct {
    const char *name; /* type on the wire */
    uint32_t fields;  /* elements of the top-level array */
} s_types[] = {
    [PROTO_MSG_HELLO] = {"hello", 4}, [PROTO_MSG_HEADS] = {"heads", 4},
    [PROTO_MSG_BATCH] = {"batch", 9}, [PROTO_MSG_RECEIPT] = {"receipt", 3},
    [PROTO_MSG_PULL] = {"pull", 4},   [PROTO_MSG_ERROR] = {"error", 6},
};
#define S_NTYPES (sizeof s_types / sizeof s_types[0])

const char *
proto_msg_type_name(proto_msg_type_t type)
{
    if ((unsigned)type < S_NTYPES && s_types[type].name)
        return s_types[type].name;
    return "?";
}

/* An error code (SPEC 8.8): 1-32 bytes of [a-z0-9-]. */
static bool
s_code_valid(const char *s, size_t len)
{
    if (len == 0 || len > PROTO_MSG_CODE_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

/* ---- encoding ----------------------------------------------------------- */

static int
s_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    return msgpack_pack_str(pk, len) || msgpack_pack_str_body(pk, s, len);
}

static int
s_pack_bin(msgpack_packer *pk, const void *p, size_t len)
{
    return msgpack_pack_bin(pk, len) || msgpack_pack_bin_body(pk, p, len);
}

/* [1, type, ...: the first two elements of every message. */
static int
s_pack_head(msgpack_packer *pk, proto_msg_type_t type)
{
    const char *name = s_types[type].name;
    return msgpack_pack_array(pk, s_types[type].fields) ||
           msgpack_pack_uint64(pk, PROTO_MSG_VERSION) ||
           s_pack_str(pk, name, strlen(name));
}

static int
s_pack_proof(msgpack_packer *pk, const proto_proof_t *p)
{
    if (msgpack_pack_array(pk, p->len))
        return -1;
    for (size_t i = 0; i < p->len; i++)
        if (s_pack_bin(pk, p->hash[i], PROTO_HASH_LEN))
            return -1;
    return 0;
}

/* One message being appended to out. */
typedef struct {
    msgpack_packer pk; /* writes to out */
    proto_buf_t *out;  /* where the message goes */
    size_t start;      /* out->len before it */
} s_enc_t;

/* Starts a message of type at the end of out. Returns nonzero when a write
 * failed. */
static int
s_begin(s_enc_t *e, proto_buf_t *out, proto_msg_type_t type)
{
    e->out = out;
    e->start = out->len;
    msgpack_packer_init(&e->pk, out, proto_buf_msgpack_write);
    return s_pack_head(&e->pk, type);
}

/* Ends it: drops it when a write failed (fail) or when it is over
 * PROTO_MSG_MAX. Returns 0, VOCFED_ENOMEM or VOCFED_ETOOLARGE. */
static int
s_end(s_enc_t *e, int fail)
{
    return proto_buf_finish(e->out, e->start, fail, PROTO_MSG_MAX);
}

static int
s_head_cmp(const void *pa, const void *pb)
{
    const proto_head_t *a = pa, *b = pb;
    return proto_name_cmp(a->author, a->author_len, b->author, b->author_len);
}

static int
s_encode_heads(proto_msg_type_t type, const char *node_id, proto_head_t *heads,
               size_t n, proto_buf_t *out)
{
    if (!node_id || !proto_id_valid(node_id, strlen(node_id)) ||
        (n > 0 && !heads))
        return VOCFED_EINVALID;
    if (n > PROTO_MSG_MAX_HEADS)
        return VOCFED_ETOOLARGE;
    for (size_t i = 0; i < n; i++)
        if (!proto_id_valid(heads[i].author, heads[i].author_len) ||
            heads[i].cp_size > heads[i].size)
            return VOCFED_EINVALID;
    if (n > 1)
        qsort(heads, n, sizeof *heads, s_head_cmp);
    for (size_t i = 1; i < n; i++)
        if (s_head_cmp(&heads[i - 1], &heads[i]) == 0)
            return VOCFED_EINVALID;

    s_enc_t e;
    int fail = s_begin(&e, out, type) ||
               s_pack_str(&e.pk, node_id, strlen(node_id)) ||
               msgpack_pack_map(&e.pk, n);
    for (size_t i = 0; i < n && !fail; i++)
        fail = s_pack_str(&e.pk, heads[i].author, heads[i].author_len) ||
               msgpack_pack_array(&e.pk, 3) ||
               msgpack_pack_uint64(&e.pk, heads[i].size) ||
               s_pack_bin(&e.pk, heads[i].root, PROTO_HASH_LEN) ||
               msgpack_pack_uint64(&e.pk, heads[i].cp_size);
    return s_end(&e, fail);
}

int
proto_msg_encode_hello(const char *node_id, proto_head_t *heads, size_t n,
                       proto_buf_t *out)
{
    return s_encode_heads(PROTO_MSG_HELLO, node_id, heads, n, out);
}

int
proto_msg_encode_heads(const char *node_id, proto_head_t *heads, size_t n,
                       proto_buf_t *out)
{
    return s_encode_heads(PROTO_MSG_HEADS, node_id, heads, n, out);
}

/* Each of n byte strings is 1..max bytes; adds their lengths to total. */
static int
s_bytes_check(const proto_bytes_t *v, size_t n, size_t max, size_t *total)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].len == 0 || !v[i].data)
            return VOCFED_EINVALID;
        if (v[i].len > max)
            return VOCFED_ETOOLARGE;
        *total += v[i].len;
    }
    return VOCFED_OK;
}

int
proto_msg_encode_batch(const proto_msg_batch_in_t *b, proto_buf_t *out)
{
    if (!b->author || !proto_id_valid(b->author, strlen(b->author)) ||
        b->first_seq == 0 || b->count == 0 || !b->entries || b->ncp == 0 ||
        !b->checkpoints || !b->consistency || !b->range)
        return VOCFED_EINVALID;
    if (b->count > PROTO_MSG_MAX_ENTRIES ||
        b->ncp > PROTO_MSG_MAX_CHECKPOINTS ||
        b->consistency->len > PROTO_MERKLE_MAX_PROOF ||
        b->range->len > PROTO_MERKLE_MAX_PROOF)
        return VOCFED_ETOOLARGE;
    /* The last entry's seq must exist; at most one checkpoint per entry
     * and one past them (SPEC 8.3). */
    if (b->first_seq - 1 > UINT64_MAX - b->count || b->ncp > b->count + 1)
        return VOCFED_EINVALID;
    /* At most 4096 entries of 64 KiB and 4097 checkpoints of 256 bytes:
     * the sum cannot overflow. */
    size_t total = 0;
    int rc;
    if ((rc = s_bytes_check(b->entries, b->count, PROTO_ENTRY_MAX, &total)) ||
        (rc = s_bytes_check(b->checkpoints, b->ncp, PROTO_CHECKPOINT_MAX,
                            &total)))
        return rc;
    if (total > PROTO_MSG_MAX)
        return VOCFED_ETOOLARGE;

    s_enc_t e;
    int fail = s_begin(&e, out, PROTO_MSG_BATCH) ||
               s_pack_str(&e.pk, b->author, strlen(b->author)) ||
               msgpack_pack_uint64(&e.pk, b->first_seq) ||
               msgpack_pack_array(&e.pk, b->count);
    for (size_t i = 0; i < b->count && !fail; i++)
        fail = s_pack_bin(&e.pk, b->entries[i].data, b->entries[i].len);
    if (!fail)
        fail = msgpack_pack_array(&e.pk, b->ncp);
    for (size_t i = 0; i < b->ncp && !fail; i++)
        fail = s_pack_bin(&e.pk, b->checkpoints[i].data, b->checkpoints[i].len);
    if (!fail)
        fail = msgpack_pack_uint64(&e.pk, b->old_size) ||
               s_pack_proof(&e.pk, b->consistency) ||
               s_pack_proof(&e.pk, b->range);
    return s_end(&e, fail);
}

int
proto_msg_encode_receipt(const uint8_t *receipt, size_t len, proto_buf_t *out)
{
    if (!receipt || len == 0)
        return VOCFED_EINVALID;
    if (len > PROTO_RECEIPT_MAX)
        return VOCFED_ETOOLARGE;
    s_enc_t e;
    int fail =
        s_begin(&e, out, PROTO_MSG_RECEIPT) || s_pack_bin(&e.pk, receipt, len);
    return s_end(&e, fail);
}

int
proto_msg_encode_pull(const char *author, uint64_t from_seq, proto_buf_t *out)
{
    if (!author || !proto_id_valid(author, strlen(author)) || from_seq == 0)
        return VOCFED_EINVALID;
    s_enc_t e;
    int fail = s_begin(&e, out, PROTO_MSG_PULL) ||
               s_pack_str(&e.pk, author, strlen(author)) ||
               msgpack_pack_uint64(&e.pk, from_seq);
    return s_end(&e, fail);
}

int
proto_msg_encode_error(const char *code, const char *text, const char *author,
                       uint64_t seq, proto_buf_t *out)
{
    if (!code || !text || !s_code_valid(code, strlen(code)) ||
        (author && !proto_id_valid(author, strlen(author))))
        return VOCFED_EINVALID;
    size_t text_len = strlen(text);
    if (text_len > PROTO_MSG_TEXT_MAX)
        return VOCFED_ETOOLARGE;
    if (!proto_text_valid(text, text_len))
        return VOCFED_EINVALID;
    s_enc_t e;
    int fail = s_begin(&e, out, PROTO_MSG_ERROR) ||
               s_pack_str(&e.pk, code, strlen(code)) ||
               s_pack_str(&e.pk, text, text_len);
    if (!fail)
        fail = author ? s_pack_str(&e.pk, author, strlen(author))
                      : msgpack_pack_nil(&e.pk);
    if (!fail)
        fail = msgpack_pack_uint64(&e.pk, seq);
    return s_end(&e, fail);
}

/* ---- decoding ----------------------------------------------------------- */

static size_t
s_left(const proto_rd_t *r)
{
    return (size_t)(r->end - r->p);
}

/* A bin of 1..max bytes: an entry, a signed checkpoint or a receipt. */
/* How far ahead a walk over a list of bins asks for the bytes it will
 * read (s_read_bins, proto_msg_next_bin). */
#define S_AHEAD_BYTES 1024

/* Asks for the line S_AHEAD_BYTES past r's cursor, if r holds it. */
static inline void
s_ahead(const proto_rd_t *r)
{
    if (r->end - r->p > S_AHEAD_BYTES)
        __builtin_prefetch(r->p + S_AHEAD_BYTES);
}

static int
s_read_blob(proto_rd_t *r, size_t max, const uint8_t **p, size_t *len)
{
    int rc = proto_rd_bin(r, p, len);
    if (rc)
        return rc;
    if (*len > max)
        return VOCFED_ETOOLARGE;
    return *len == 0 ? VOCFED_EMALFORMED : VOCFED_OK;
}

/* A hash: a bin of exactly PROTO_HASH_LEN bytes. */
static int
s_read_hash(proto_rd_t *r, const uint8_t **p)
{
    size_t len;
    int rc = proto_rd_bin(r, p, &len);
    if (rc)
        return rc;
    return len == PROTO_HASH_LEN ? VOCFED_OK : VOCFED_EMALFORMED;
}

/* One head: id -> [size, bin 32, cp_size <= size] (SPEC 8.2). */
static int
s_read_head(proto_rd_t *r, proto_head_t *out)
{
    uint32_t n;
    const uint8_t *root;
    int rc;
    if ((rc = proto_rd_id(r, &out->author, &out->author_len)) ||
        (rc = proto_rd_array(r, &n)))
        return rc;
    if (n != 3)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_uint(r, &out->size)) || (rc = s_read_hash(r, &root)) ||
        (rc = proto_rd_uint(r, &out->cp_size)))
        return rc;
    memcpy(out->root, root, PROTO_HASH_LEN);
    return out->cp_size <= out->size ? VOCFED_OK : VOCFED_EMALFORMED;
}

/* What one list of a message may hold (SPEC 8.2, 8.3). */
typedef struct {
    uint32_t max_n;   /* most elements: more is VOCFED_ETOOLARGE */
    uint32_t min_n;   /* fewest elements: fewer is VOCFED_EMALFORMED */
    size_t min_bytes; /* fewest bytes one element takes */
    size_t max_len;   /* s_read_bins: bins of 1..max_len bytes, or hashes
                         (exactly PROTO_HASH_LEN bytes) when 0 */
} s_list_t;

static const s_list_t s_heads = {PROTO_MSG_MAX_HEADS, 0, S_HEAD_MIN, 0};
static const s_list_t s_entries = {PROTO_MSG_MAX_ENTRIES, 1, S_BIN_MIN,
                                   PROTO_ENTRY_MAX};
static const s_list_t s_checkpoints = {PROTO_MSG_MAX_CHECKPOINTS, 1, S_BIN_MIN,
                                       PROTO_CHECKPOINT_MAX};
static const s_list_t s_proof = {PROTO_MERKLE_MAX_PROOF, 0, S_HASH_BYTES, 0};

/* Starts a list whose header said n elements: checks n against the rule
 * and the bytes left, before anything walks it. */
static int
s_list_begin(proto_rd_t *r, uint32_t n, const s_list_t *rule,
             proto_msg_list_t *out)
{
    if (n > rule->max_n)
        return VOCFED_ETOOLARGE;
    if (n < rule->min_n || n > s_left(r) / rule->min_bytes)
        return VOCFED_EMALFORMED;
    out->data = r->p;
    out->count = n;
    return VOCFED_OK;
}

/* The heads map (SPEC 8.2): capped, sorted, unique. */
static int
s_read_heads(proto_rd_t *r, proto_msg_list_t *out)
{
    uint32_t n;
    int rc = proto_rd_map(r, &n);
    if (rc || (rc = s_list_begin(r, n, &s_heads, out)))
        return rc;
    proto_head_t prev = {0}, h;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = s_read_head(r, &h)))
            return rc;
        if (i > 0 && proto_name_cmp(prev.author, prev.author_len, h.author,
                                    h.author_len) >= 0)
            return VOCFED_ENONCANONICAL;
        prev = h;
    }
    out->len = (size_t)(r->p - out->data);
    return VOCFED_OK;
}

/* A batch's entries or checkpoints, or a proof (SPEC 8.3): an array of
 * bins as rule says. */
static int
s_read_bins(proto_rd_t *r, const s_list_t *rule, proto_msg_list_t *out)
{
    uint32_t n;
    int rc = proto_rd_array(r, &n);
    if (rc || (rc = s_list_begin(r, n, rule, out)))
        return rc;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p;
        size_t len;
        /* Each bin's header is where the one before ends: loads in a
         * chain, over a message just written by libzmq's thread. The
         * lines a few entries ahead are asked for now (a batch's entries
         * are ~250 bytes). */
        s_ahead(r);
        rc = rule->max_len ? s_read_blob(r, rule->max_len, &p, &len)
                           : s_read_hash(r, &p);
        if (rc)
            return rc;
    }
    out->len = (size_t)(r->p - out->data);
    return VOCFED_OK;
}

static int
s_decode_batch(proto_rd_t *r, proto_msg_batch_t *b)
{
    int rc;
    if ((rc = proto_rd_id(r, &b->author, &b->author_len)) ||
        (rc = proto_rd_uint(r, &b->first_seq)))
        return rc;
    if (b->first_seq == 0)
        return VOCFED_EMALFORMED;
    if ((rc = s_read_bins(r, &s_entries, &b->entries)))
        return rc;
    /* The last entry's seq must exist. */
    if (b->first_seq - 1 > UINT64_MAX - b->entries.count)
        return VOCFED_EMALFORMED;
    if ((rc = s_read_bins(r, &s_checkpoints, &b->checkpoints)))
        return rc;
    /* At most one checkpoint per entry and the one past them. */
    if (b->checkpoints.count > b->entries.count + 1)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_uint(r, &b->old_size)) ||
        (rc = s_read_bins(r, &s_proof, &b->consistency)) ||
        (rc = s_read_bins(r, &s_proof, &b->range)))
        return rc;
    return VOCFED_OK;
}

static int
s_decode_error(proto_rd_t *r, proto_msg_error_t *e)
{
    bool is_nil;
    int rc;
    if ((rc = proto_rd_name(r, &e->code, &e->code_len)))
        return rc;
    if (!s_code_valid(e->code, e->code_len))
        return proto_rd_name_error(e->code, e->code_len);
    if ((rc = proto_rd_str(r, &e->text, &e->text_len)))
        return rc;
    if (e->text_len > PROTO_MSG_TEXT_MAX)
        return VOCFED_ETOOLARGE;
    if (!proto_text_valid(e->text, e->text_len))
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_nil(r, &is_nil)))
        return rc;
    if (is_nil) {
        e->author = NULL;
        e->author_len = 0;
    } else if ((rc = proto_rd_id(r, &e->author, &e->author_len))) {
        return rc;
    }
    return proto_rd_uint(r, &e->seq);
}

/* [1, type, ...] (SPEC 8.1): the version is checked first, then the type,
 * then the element count the type has. */
static int
s_read_type(proto_rd_t *r, proto_msg_type_t *type)
{
    uint32_t n;
    uint64_t version;
    const char *name;
    size_t name_len;
    int rc;
    if ((rc = proto_rd_record(r, PROTO_MSG_VERSION, &version, &n)))
        return rc;
    if (n < 2)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_name(r, &name, &name_len)))
        return rc;
    for (unsigned t = 0; t < S_NTYPES; t++) {
        const char *tn = s_types[t].name;
        if (tn && strlen(tn) == name_len && memcmp(tn, name, name_len) == 0)
            *type = (proto_msg_type_t)t;
    }
    if (*type == 0 || n != s_types[*type].fields)
        return VOCFED_EMALFORMED;
    return VOCFED_OK;
}

/* The elements after the type, as out->type says. */
static int
s_decode_fields(proto_rd_t *r, proto_msg_t *out)
{
    int rc;
    switch (out->type) {
    case PROTO_MSG_HELLO:
    case PROTO_MSG_HEADS:
        /* hello and heads share one layout (and one union member). */
        if ((rc = proto_rd_id(r, &out->heads.node_id, &out->heads.node_id_len)))
            return rc;
        return s_read_heads(r, &out->heads.heads);
    case PROTO_MSG_BATCH:
        return s_decode_batch(r, &out->batch);
    case PROTO_MSG_RECEIPT:
        return s_read_blob(r, PROTO_RECEIPT_MAX, &out->receipt.receipt,
                           &out->receipt.receipt_len);
    case PROTO_MSG_PULL:
        if ((rc = proto_rd_id(r, &out->pull.author, &out->pull.author_len)) ||
            (rc = proto_rd_uint(r, &out->pull.from_seq)))
            return rc;
        return out->pull.from_seq == 0 ? VOCFED_EMALFORMED : VOCFED_OK;
    case PROTO_MSG_ERROR:
        return s_decode_error(r, &out->error);
    }
    return VOCFED_OK;
}

int
proto_msg_decode(const uint8_t *data, size_t len, proto_msg_t *out)
{
    proto_rd_t r;
    int rc;

    memset(out, 0, sizeof *out);
    if (len > PROTO_MSG_MAX)
        return VOCFED_ETOOLARGE;
    proto_rd_init(&r, data, len);
    if ((rc = s_read_type(&r, &out->type)) || (rc = s_decode_fields(&r, out)))
        return rc;
    return proto_rd_done(&r) ? VOCFED_OK : VOCFED_EMALFORMED;
}

/* ---- lists -------------------------------------------------------------- */

void
proto_msg_iter_init(proto_msg_iter_t *it, const proto_msg_list_t *list)
{
    proto_rd_init(&it->rd, list->data, list->len);
    it->remaining = list->count;
}

/* Ends an iterator's step whose read returned rc: 1 when it read one. */
static int
s_iter_step(proto_msg_iter_t *it, int rc)
{
    if (rc)
        return rc;
    it->remaining--;
    return 1;
}

int
proto_msg_next_bin(proto_msg_iter_t *it, const uint8_t **p, size_t *len)
{
    if (it->remaining == 0)
        return 0;
    s_ahead(&it->rd); /* as in s_read_bins */
    return s_iter_step(it, proto_rd_bin(&it->rd, p, len));
}

int
proto_msg_next_head(proto_msg_iter_t *it, proto_head_t *out)
{
    if (it->remaining == 0)
        return 0;
    return s_iter_step(it, s_read_head(&it->rd, out));
}

int
proto_msg_proof(const proto_msg_list_t *list, proto_proof_t *out)
{
    proto_msg_iter_t it;
    out->len = 0;
    if (list->count > PROTO_MERKLE_MAX_PROOF)
        return VOCFED_ETOOLARGE;
    proto_msg_iter_init(&it, list);
    for (uint32_t i = 0; i < list->count; i++) {
        const uint8_t *p;
        int rc = s_read_hash(&it.rd, &p);
        if (rc) {
            out->len = 0;
            return rc;
        }
        memcpy(out->hash[i], p, PROTO_HASH_LEN);
        out->len = i + 1;
    }
    return VOCFED_OK;
}
