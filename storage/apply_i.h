/* vocfed: the applier's chunk (apply_chunk.c), used by apply.c only.
 * A chunk is the entries one apply transaction takes, gathered in
 * arrival order, then applied to the record index and the hook with
 * each table walked once in key order (SPEC 5.5). */
#ifndef VOCFED_STORAGE_APPLY_I_H
#define VOCFED_STORAGE_APPLY_I_H

#include "storage/log_internal.h"

/* One entry of the chunk. */
typedef struct {
    proto_entry_t e;  /* decoded; its bytes are the log snapshot's */
    uint64_t seq;     /* its seq */
    uint64_t old_seq; /* the first entry of its record key: the seq the
                         index held (0: none) */
    uint32_t author;  /* its author's number in the chunk (ids) */
    uint32_t prev;    /* 1 + the chunk's previous entry with the same
                         record key, 0: none */
    uint32_t koff;    /* its record key in the key arena */
    uint32_t klen;    /* and its length */
} store_i_chunk_entry_t;

typedef struct {
    store_i_chunk_entry_t *e; /* the entries, in arrival order */
    size_t n, cap;            /* used, allocated */
    uint8_t *keys;            /* the key arena */
    size_t kused, kcap;       /* used, allocated */
    struct {
        uint32_t authno;           /* the log's number */
        char id[PROTO_ID_MAX + 1]; /* the id */
    } * ids;                       /* the chunk's authors */
    size_t nids, idcap;            /* used, allocated */
} store_i_chunk_t;

void store_i_chunk_init(store_i_chunk_t *c);
void store_i_chunk_release(store_i_chunk_t *c);

/* Empties c, keeping what it allocated. */
void store_i_chunk_reset(store_i_chunk_t *c);

/* Adds entry e (seq of authno, whose id is id) at the end of c. */
int store_i_chunk_add(store_i_chunk_t *c, uint32_t authno, const char *id,
                      uint64_t seq, const proto_entry_t *e) VOCFED_WUR;

/* Applies c in t: the record index, and the hook when one is set. On
 * the hook's refusal *failed gets the index of the entry it refused
 * (else SIZE_MAX). Returns an LMDB code or a vocfed status. */
int store_i_chunk_apply(store_t *self, store_txn_t *t, store_i_chunk_t *c,
                        size_t *failed) VOCFED_WUR;

/* Whether the hook is to leave out entry seq of authno: it refused it
 * (apply.c). */
bool store_i_skipped(const store_t *self, uint32_t authno, uint64_t seq);

#endif
