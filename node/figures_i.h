/* vocfed: the figures engine's working set, shared by node/figures.c
 * (the hook, replay, rebuild, check, the read API) and
 * node/figures_claims.c (lists, claims, counters). Not a public header.
 *
 * The parts: figures_set.c (this working set, the blobs' encodings),
 * figures_claims.c (a record's items through lists and claims into
 * counters), figures_members.c (profiles, exclusion).
 *
 * The figures database holds (SPEC 12.2):
 *   f|<counter>|<year>|<dim>|<bucket>  counters (dims g m a c p q)
 *   H|<member>|<counter>|<year>        what member holds of the group's
 *                                      count (its claims that are paid)
 *   x|<identity>                       contested units of an identity
 *   e|<member>                         1: the member is excluded
 *   i|<member>|<identity>              blob: member's items about it
 *   h|<identity>                       blob: the claims on it, in the
 *                                      order received */
#ifndef VOCFED_NODE_FIGURES_I_H
#define VOCFED_NODE_FIGURES_I_H

#include "node/figures_map.h"
#include "node/figures_rules.h"
#include "storage/store.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

/* Items one member's records may yield about one identity: more than
 * valid records can reach (a person's student, staff and 101 graduate
 * records yield at most 309), so only a member's own invalid data can
 * meet it, and its batch is refused (SPEC 12.2). */
#define NODE_FIGX_LIST_MAX 512

/* The longest key of a member's own bucket (f|...|m|... or q), and the
 * most buckets a list change touches (m and q for each item of the old
 * list and of the new one). */
#define NODE_FIGX_BUCKET_KEY (PROTO_KEY_MAX + PROTO_ID_MAX + 64)
#define NODE_FIGX_BUCKETS (4 * NODE_FIGX_LIST_MAX)

/* A member's own bucket and what its list gives it: the largest of its
 * items there, before and after a change (INT64_MIN: none). The bucket
 * is f|<fig>|<year>|m|<member>, or for dim q f|...|q|<member>/<payee>. */
typedef struct {
    uint8_t fig;           /* node_counter_t */
    uint16_t year;         /* 0: no year */
    char dim;              /* 'm' or 'q' */
    const char *payee;     /* q: the item's payee (in the list's items) */
    int64_t before, after; /* from the old list, the new one */
} node_figx_bucket_t;

/* The counters a held claim (use 'h': g a c p H) or a member's own
 * bucket (use 'm' or 'q': v[0]) adds to, found once for each tuple (use,
 * counter, year, member, payee) and kept until the working set's reset
 * or a profile change (figures_claims.c): building a counter's key and
 * looking it up was a fifth of the applier's instructions (callgrind,
 * issue 11). A table of the chunk's tuples, open addressing under a
 * seeded hash (the payees come from members); it holds at most one slot
 * per counter of the working set, and keeps its memory for the next
 * chunk, as the working set does. */
typedef struct {
    node_figx_val_t *v[5]; /* h: g a c p H (p NULL: no payee) */
    uint64_t hash;         /* the tuple's */
    uint32_t gen;          /* in the table when its generation */
    uint32_t str;          /* the tuple's bytes in the arena */
    uint16_t len;          /*   and their length */
    bool filled;           /* v[] found */
} node_figx_slot_t;

typedef struct {
    node_figx_slot_t *s; /* cap slots (a power of 2, or 0) */
    size_t cap, n;       /* slots, those of this generation */
    uint32_t gen;        /* the current generation (> 0) */
    uint64_t seed;       /* the hash's */
    char *arena;         /* the tuples' bytes */
    size_t alen, acap;   /* used, allocated */
} node_figx_slots_t;

/* What the prefetch named for one entry (figures.c): its member's list
 * and the claims on its identity, so that the entry, applied, finds them
 * without building their keys and looking them up again. */
typedef struct {
    const void *e;                  /* the entry (its place in the chunk) */
    node_figx_val_t *list, *claims; /* its i| and h| values */
} node_figx_ahead_t;

/* A member's attributes for the a and c dimensions. */
typedef struct {
    char affiliation[PROTO_KEY_MAX + 1]; /* original_affiliation */
    char county[16];                     /* region_code */
} node_figx_profile_t;

/* One claim: a member's value for a unit (identity, counter, year, and
 * for a category counter the category). */
typedef struct {
    uint8_t fig;                   /* node_counter_t */
    uint16_t year;                 /* 0: no year */
    int64_t value;                 /* the member's value for the unit */
    char cat[PROTO_KEY_MAX + 1];   /* category (NODE_C_IND's industry) */
    char member[PROTO_ID_MAX + 1]; /* the claimant */
    char payee[PROTO_KEY_MAX + 1]; /* the payee its record names */
} node_figx_claim_t;

/* The claims of one identity, decoded. */
typedef struct {
    node_figx_claim_t *c; /* in the order received, per unit */
    size_t n, cap;        /* used, allocated */
} node_figx_claims_t;

typedef struct {
    store_t *st;                        /* the store */
    store_txn_t *txn;                   /* the transaction, or NULL */
    char coord[PROTO_ID_MAX + 1];       /* the coordinator's id, "" unknown */
    node_figx_map_t *vals;              /* key -> cached value */
    zhashx_t *profiles;                 /* member -> node_figx_profile_t */
    bool memory_only;                   /* replay (check, rebuild): the state is
                                           all in vals, nothing is read */
    node_fig_item_t *rec_items;         /* scratch: one record's items */
    node_fig_item_t *old_list;          /* scratch: a list before */
    node_fig_item_t *new_list;          /* scratch: a list after */
    node_figx_claim_t *units_old;       /* scratch: a member's units before */
    node_figx_claim_t *units_new;       /* scratch: and after */
    node_figx_claims_t claims;          /* scratch: one identity's claims */
    node_figx_bucket_t *buckets;        /* scratch: a member's own buckets
                                           (NODE_FIGX_BUCKETS) */
    node_figx_slots_t slots;            /* the tuples' counters */
    node_figx_ahead_t *ahead;           /* what the prefetch named, per entry,
                                           in the chunk's order */
    size_t nahead, aheadcap;            /* pushed, allocated */
    size_t ahead_next;                  /* the next one an entry may take */
    node_figx_val_t *hint_list;         /* for node_figx_change: the list it is
                                           to change, found already (NULL: look
                                           it up); taken by the call */
    node_figx_val_t *hint_claims;       /* and the claims on the identity */
    const node_figx_ahead_t *named;     /* what the prefetch named for the
                                           entry being applied, or NULL */
    uint32_t *order;                    /* map indexes in stored-key order: the
                                           chunk's named values (nsorted), then
                                           at a flush the changed ones added
                                           since */
    size_t nsorted, ordercap;           /* sorted when read, allocated */
    struct node_figx_sortrec *sortrec;  /* scratch: what is being sorted */
    size_t sortcap;                     /* its room */
    char excl_member[PROTO_ID_MAX + 1]; /* the member whose e| counter */
    node_figx_val_t *excl;              /* is this (NULL: none), found
                                           once per working set: every
                                           entry asks (node_figx_excluded) */
} node_figx_t;

/* A person's 3+2 / five-year progression as its claims give it
 * (figures_joins.c, issue 14): counted once, in the cohort of its
 * earliest p32 intake year, under the member of the first claim on it. */
typedef struct {
    uint16_t year;                 /* cohort year; 0: not in a cohort */
    char member[PROTO_ID_MAX + 1]; /* where that cohort's claim came from */
    bool progressed;               /* a claim says higher study (hv) or a
                                      higher graduate (lra) */
} node_figx_path_t;

/* The path of the claims c. */
void node_figx_path(const node_figx_claims_t *c, node_figx_path_t *out);

/* The cohort counters f|p32c|<year>|g| and |s|<member> (the cohort) and
 * f|p32n|... (those of it in higher study) move from before to after. */
int node_figx_path_change(node_figx_t *f, const node_figx_path_t *before,
                          const node_figx_path_t *after) VOCFED_WUR;

int node_figx_init(node_figx_t *f, store_t *st, const char *coord);
void node_figx_release(node_figx_t *f);
void node_figx_reset(node_figx_t *f);

/* The cached value of key (a counter when counter, else a blob), read
 * from the store the first time unless memory_only. NULL with *rc set
 * on failure. */
node_figx_val_t *node_figx_val(node_figx_t *f, const char *key, bool counter,
                               int *rc);

/* Names key as one the chunk will read (a prefetch): it is read with
 * the others, in key order, by node_figx_load_named. Returns its value
 * (valid until the reset), NULL when out of memory. */
node_figx_val_t *node_figx_name(node_figx_t *f, const char *key);

/* Notes what the prefetch named for entry e (at the chunk's end;
 * VOCFED_ENOMEM). */
int node_figx_ahead_push(node_figx_t *f, const void *e, node_figx_val_t *list,
                         node_figx_val_t *claims) VOCFED_WUR;

/* What the prefetch named for e, if e is the next entry it named for;
 * else NULL (an entry it named nothing for). Entries are applied in the
 * order they were prefetched, so an entry never looks past the next. */
const node_figx_ahead_t *node_figx_ahead_pop(node_figx_t *f, const void *e);

/* Reads every named value not read yet, in key order. */
int node_figx_load_named(node_figx_t *f) VOCFED_WUR;

/* Adds delta to counter key. VOCFED_EBADRECORD when the sum would
 * overflow (the record is refused, SPEC 12.2). */
int node_figx_add(node_figx_t *f, const char *key, int64_t delta) VOCFED_WUR;

/* Writes every changed value to the transaction (rebuild writes all). */
int node_figx_flush(node_figx_t *f) VOCFED_WUR;

/* The stored form of a working-set key (SPEC 12.2): a person's
 * identity "p:<64 hex>" at its end becomes NODE_FIGX_PSEUDO and 32
 * bytes. Returns its length (out: NODE_FIGX_KEY_MAX bytes). */
#define NODE_FIGX_PSEUDO 0x01
#define NODE_FIGX_KEY_MAX 600
size_t node_figx_key_disk(const char *key, uint8_t out[NODE_FIGX_KEY_MAX]);

/* A stored key (len bytes) back into text (out, cap bytes).
 * VOCFED_ECORRUPT when it is malformed or does not fit. */
int node_figx_key_text(const void *k, size_t len, char *out,
                       size_t cap) VOCFED_WUR;

/* Whether key names a counter (else a blob). */
bool node_figx_is_counter(const char *key);

/* Forgets the slots (node_figx_slot_t): the values they point to are
 * gone (a reset) or a member's a and c buckets have moved (a profile
 * change). */
void node_figx_slots_forget(node_figx_t *f);

/* member's profile as the figures know it. */
const node_figx_profile_t *node_figx_profile(node_figx_t *f,
                                             const char *member);

/* Member's record rec (kind/key) now yields items (n of them, possibly
 * none) under identity; rec NULL: every item member has there goes.
 * Moves member's own buckets, its claims, and the group's counters. */
int node_figx_change(node_figx_t *f, const char *member, const char *identity,
                     const char *rec, const node_fig_item_t *items,
                     size_t n) VOCFED_WUR;

/* Member's profile record changed from old_body (NULL: there was none;
 * ignored in a replay, which knows what it last saw) to new_body (NULL:
 * deleted). Costs what member holds,
 * not its records. */
int node_figx_profile_change(node_figx_t *f, const char *member,
                             const uint8_t *old_body, size_t old_len,
                             const uint8_t *new_body,
                             size_t new_len) VOCFED_WUR;

/* Takes every item of member out of the figures and marks it excluded
 * (a revoked member, SPEC 12.2). Does nothing if it is already. */
int node_figx_exclude(node_figx_t *f, const char *member) VOCFED_WUR;

/* Whether member is excluded. */
int node_figx_excluded(node_figx_t *f, const char *member,
                       bool *yes) VOCFED_WUR;

/* Member's list (blob b) about identity into items
 * (NODE_FIGX_LIST_MAX), each tagged with member; *n gets their number.
 * VOCFED_ECORRUPT for a bad blob. */
int node_figx_list_decode(const proto_buf_t *b, const char *member,
                          const char *identity, node_fig_item_t *items,
                          size_t *n) VOCFED_WUR;

/* Items (n) about identity into a list blob b (replaced). */
int node_figx_list_encode(const node_fig_item_t *items, size_t n,
                          const char *identity, proto_buf_t *b) VOCFED_WUR;

/* Claims into a claims blob b (replaced). */
int node_figx_claims_encode(const node_figx_claims_t *c,
                            proto_buf_t *b) VOCFED_WUR;

/* A new claim slot at the end of c (NULL: out of memory). */
node_figx_claim_t *node_figx_claims_push(node_figx_claims_t *c);

/* Decodes a claims blob into out (grown as needed). */
int node_figx_claims_decode(const uint8_t *b, size_t len,
                            node_figx_claims_t *out) VOCFED_WUR;

/* Whether the unit of claims c[i] (i the first claim on it) is contested:
 * two or more members, and a money counter or claims that disagree. */
bool node_figx_contested(const node_figx_claims_t *c, size_t i);

/* Whether claims a and b are on the same unit. */
bool node_figx_same_unit(const node_figx_claim_t *a,
                         const node_figx_claim_t *b);

#endif
