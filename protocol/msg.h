/* vocfed: replication messages (SPEC 8).
 *
 * One ZeroMQ frame is one message: a canonical msgpack array whose first
 * two elements are the format version and the type name. A member says
 * hello with the heads of the logs it holds, the other side answers with
 * its own heads, and then either side sends batches of entries with the
 * signed checkpoints that cover them, pulls, receipts or errors. No I/O
 * here: encoders append to a proto_buf_t, and one decoder checks a whole
 * message (caps before counts, counts against the bytes left, canonical
 * form, every byte consumed) and returns a tagged struct that borrows
 * from the message bytes. What needs a key or a store (the checkpoints'
 * signatures, each entry's fields, the proofs; SPEC 8.4) is left to the
 * receiver (store_ingest). */
#ifndef VOCFED_PROTOCOL_MSG_H
#define VOCFED_PROTOCOL_MSG_H

#include "protocol/buf.h"
#include "protocol/hash.h"
#include "protocol/merkle.h"
#include "protocol/mpack.h"
#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>

/* Version 2 (SPEC 8.1): a batch is an array of 9 (version 1 declared 10
 * and carried 9, which no standard msgpack library reads) and a head
 * carries the size of the latest checkpoint held. */
#define PROTO_MSG_VERSION 2
/* Bytes of one message: 16 MiB of entries and room for the rest. */
#define PROTO_MSG_MAX (16 * 1024 * 1024 + 64 * 1024)
#define PROTO_MSG_MAX_ENTRIES 8192 /* entries in one batch (SPEC 8.9) */
#define PROTO_MSG_MAX_HEADS 4096   /* authors in one heads map */
/* Checkpoints in one batch: one per entry and the one covering the last. */
#define PROTO_MSG_MAX_CHECKPOINTS (PROTO_MSG_MAX_ENTRIES + 1)
#define PROTO_MSG_TEXT_MAX 512 /* bytes of an error's text */
#define PROTO_MSG_CODE_MAX 32  /* bytes of an error's code */

typedef enum {
    PROTO_MSG_HELLO = 1, /* member -> peer on connect: who, what I hold */
    PROTO_MSG_HEADS,     /* the answer: what the answering node holds */
    PROTO_MSG_BATCH,     /* entries of one author and their checkpoints */
    PROTO_MSG_RECEIPT,   /* a signed receipt for what was committed */
    PROTO_MSG_PULL,      /* send me author's log from from_seq on */
    PROTO_MSG_ERROR,     /* a refusal, with a status token */
} proto_msg_type_t;

/* Bytes the caller owns, for the encoders. */
typedef struct {
    const uint8_t *data; /* first byte */
    size_t len;          /* number of bytes */
} proto_bytes_t;

/* One log's head: an author and how much of its log a node holds. */
typedef struct {
    const char *author;           /* author id, not NUL-terminated */
    size_t author_len;            /* its length */
    uint64_t size;                /* entries held: seq 1..size */
    uint8_t root[PROTO_HASH_LEN]; /* tree root at size */
    uint64_t cp_size;             /* size of the latest checkpoint held,
                                     <= size; 0 for none (SPEC 8.2) */
} proto_head_t;

/* A list inside a decoded message, already checked element by element:
 * the encoded elements, borrowed from the message bytes. */
typedef struct {
    const uint8_t *data; /* first element's first byte */
    size_t len;          /* bytes of all the elements */
    uint32_t count;      /* number of elements */
} proto_msg_list_t;

/* Walks a proto_msg_list_t. */
typedef struct {
    proto_rd_t rd;      /* cursor over the elements */
    uint32_t remaining; /* elements not read yet */
} proto_msg_iter_t;

/* hello and heads: [1, type, node_id, heads map] (SPEC 8.2). */
typedef struct {
    const char *node_id;    /* sender's id, not NUL-terminated */
    size_t node_id_len;     /* its length */
    proto_msg_list_t heads; /* author -> [size, root, cp_size], sorted;
                               count is the number of authors */
} proto_msg_heads_t;

/* batch (SPEC 8.3). */
typedef struct {
    const char *author;           /* author id, not NUL-terminated */
    size_t author_len;            /* its length */
    uint64_t first_seq;           /* seq of the first entry, >= 1 */
    proto_msg_list_t entries;     /* 1..PROTO_MSG_MAX_ENTRIES bins, each
                                     an encoded entry (not yet decoded) */
    proto_msg_list_t checkpoints; /* 1..count + 1 bins, each a signed
                                     checkpoint (not yet opened) */
    uint64_t old_size;            /* receiver's latest checkpoint size
                                     (its heads' cp_size), where the
                                     consistency proof starts */
    proto_msg_list_t consistency; /* PROOF(old_size, last checkpoint's
                                     size) */
    proto_msg_list_t range;       /* compact range [first_seq - 1 + count,
                                     last checkpoint's size) */
} proto_msg_batch_t;

/* receipt (SPEC 8.6). */
typedef struct {
    const uint8_t *receipt; /* signed receipt (not yet opened) */
    size_t receipt_len;     /* its length */
} proto_msg_receipt_t;

/* pull (SPEC 8.7). */
typedef struct {
    const char *author; /* author id, not NUL-terminated */
    size_t author_len;  /* its length */
    uint64_t from_seq;  /* first seq wanted, >= 1 */
} proto_msg_pull_t;

/* error (SPEC 8.8). */
typedef struct {
    const char *code;   /* status token, e.g. "bad-signature" */
    size_t code_len;    /* its length */
    const char *text;   /* human-readable, printable UTF-8 */
    size_t text_len;    /* its length, <= PROTO_MSG_TEXT_MAX */
    const char *author; /* author id the refusal is about, or NULL */
    size_t author_len;  /* its length; 0 when author is NULL */
    uint64_t seq;       /* entry the refusal is about, 0 for none */
} proto_msg_error_t;

/* A decoded message. Everything points into the message bytes, which
 * the caller keeps alive; nothing is NUL-terminated. */
typedef struct {
    proto_msg_type_t type; /* which member of the union is meaningful */
    union {
        proto_msg_heads_t hello;     /* PROTO_MSG_HELLO */
        proto_msg_heads_t heads;     /* PROTO_MSG_HEADS */
        proto_msg_batch_t batch;     /* PROTO_MSG_BATCH */
        proto_msg_receipt_t receipt; /* PROTO_MSG_RECEIPT */
        proto_msg_pull_t pull;       /* PROTO_MSG_PULL */
        proto_msg_error_t error;     /* PROTO_MSG_ERROR */
    };
} proto_msg_t;

/* What a sender puts in a batch (SPEC 8.3). */
typedef struct {
    const char *author;               /* NUL-terminated author id */
    uint64_t first_seq;               /* seq of entries[0], >= 1 */
    const proto_bytes_t *entries;     /* encoded entries, in seq order */
    size_t count;                     /* 1..PROTO_MSG_MAX_ENTRIES */
    const proto_bytes_t *checkpoints; /* signed checkpoints, ascending:
                                         each one at a size within the
                                         entries, then the one covering the
                                         last entry if it has none */
    size_t ncp;                       /* 1..count + 1 */
    uint64_t old_size;                /* where consistency starts, 0: none */
    const proto_proof_t *consistency; /* PROOF(old_size, last cp's size) */
    const proto_proof_t *range;       /* compact range after the entries */
} proto_msg_batch_in_t;

/* The type's name on the wire ("hello", ...); "?" for another value. */
const char *proto_msg_type_name(proto_msg_type_t type);

/* Each encoder appends one whole message to out, or nothing. They
 * return 0, VOCFED_EINVALID (an argument breaks SPEC 8), VOCFED_ETOOLARGE
 * (a count or length over its cap, or the message over PROTO_MSG_MAX)
 * or VOCFED_ENOMEM. */

/* hello and heads. heads (n of them, may be NULL when n is 0) is sorted
 * in place by author; two heads of one author, or a head whose cp_size
 * is over its size, are VOCFED_EINVALID. */
int proto_msg_encode_hello(const char *node_id, proto_head_t *heads, size_t n,
                           proto_buf_t *out) VOCFED_WUR;
int proto_msg_encode_heads(const char *node_id, proto_head_t *heads, size_t n,
                           proto_buf_t *out) VOCFED_WUR;

/* batch. Entries, checkpoints and proofs are copied as given: the
 * caller read them from its store, where they were verified; only their
 * counts and lengths are checked here. */
int proto_msg_encode_batch(const proto_msg_batch_in_t *b,
                           proto_buf_t *out) VOCFED_WUR;

/* receipt: a signed receipt (proto_receipt_sign). */
int proto_msg_encode_receipt(const uint8_t *receipt, size_t len,
                             proto_buf_t *out) VOCFED_WUR;

/* pull. */
int proto_msg_encode_pull(const char *author, uint64_t from_seq,
                          proto_buf_t *out) VOCFED_WUR;

/* error. code is a status token (vocfed_status_token), text at most
 * PROTO_MSG_TEXT_MAX bytes of UTF-8 without control characters, author
 * NULL when the refusal is about no log. */
int proto_msg_encode_error(const char *code, const char *text,
                           const char *author, uint64_t seq,
                           proto_buf_t *out) VOCFED_WUR;

/* Decodes and checks one untrusted message (SPEC 8). Returns 0,
 * VOCFED_ETOOLARGE (over PROTO_MSG_MAX, or a count or length over its
 * cap), VOCFED_EVERSION, VOCFED_EMALFORMED (including an unknown type) or
 * VOCFED_ENONCANONICAL. out borrows from data; on error its contents are
 * unspecified. */
int proto_msg_decode(const uint8_t *data, size_t len,
                     proto_msg_t *out) VOCFED_WUR;

/* Starts walking a list of a decoded message. */
void proto_msg_iter_init(proto_msg_iter_t *it, const proto_msg_list_t *list);

/* The next element of a list of bins (a batch's entries or
 * checkpoints; its consistency and range lists too): returns 1 and sets
 * p and len (borrowed), 0 at the end, or an error status if the list was
 * not one proto_msg_decode checked. */
int proto_msg_next_bin(proto_msg_iter_t *it, const uint8_t **p, size_t *len);

/* The next head of a hello's or heads' map: returns 1 and fills out
 * (author borrowed), 0 at the end, or an error status as above. */
int proto_msg_next_head(proto_msg_iter_t *it, proto_head_t *out);

/* Copies a batch's consistency or range list into out. Returns 0 or an
 * error status as above (then out is empty). */
int proto_msg_proof(const proto_msg_list_t *list,
                    proto_proof_t *out) VOCFED_WUR;

#endif
