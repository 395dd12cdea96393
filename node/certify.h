/* vocfed: certification (认定) of members' claims, and payments against
 * them (措施 2, 9-11; SPEC 11.6).
 *
 * A member files a `claim` record in its own log: what it claims
 * (subject), the key of the claimed record of its own log (record), the
 * year and the amount asked. The secretariat decides at the coordinator:
 * a `certification` record (key <member>/<claim>) in the coordinator's
 * own signed log that names the exact entries it decided: the claim's
 * entry and the claimed record's entry, each by seq and entry hash
 * (the Merkle leaf hash H(0x00 || entry bytes), SPEC 2). A decision holds
 * while both entries are still the current records; once the member
 * changes either, the claim is "changed since the decision" until it is
 * decided again. A `payment` record (key <member>/<claim>/<voucher>)
 * records money paid against a holding approval, never above the amount
 * approved.
 *
 * node_claims_load reads the claims, decisions and payments of a store
 * (the coordinator's, or a member's that holds the coordinator's log)
 * and works out each claim's state; node_certify_decide and
 * node_certify_pay check and write; node_certify_verify is the member's
 * end-to-end check of a decision. Nothing here is kept in the derived
 * data: the state is computed from the logs when asked. */
#ifndef VOCFED_NODE_CERTIFY_H
#define VOCFED_NODE_CERTIFY_H

#include "protocol/entry.h"
#include "protocol/hash.h"
#include "protocol/status.h"
#include "storage/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define NODE_CLAIM_KIND "claim"
#define NODE_CERT_KIND "certification"
#define NODE_PAY_KIND "payment"
#define NODE_CERT_NOTE_MAX 512   /* bytes of a decision's note kept */
#define NODE_CERT_VOUCHER_MAX 64 /* bytes of a voucher reference */

/* Where a claim stands (SPEC 11.6). */
typedef enum {
    NODE_CLAIM_CLAIMED = 0, /* filed, not decided */
    NODE_CLAIM_APPROVED,    /* approved, the decision holds, not paid in full */
    NODE_CLAIM_PAID,        /* approved, holds, paid in full */
    NODE_CLAIM_REJECTED,    /* rejected, the decision holds */
    NODE_CLAIM_REVOKED,     /* an approval revoked, the decision holds */
    NODE_CLAIM_CHANGED,     /* the claim or its record changed since the
                               decision: to be decided again */
    NODE_CLAIM_WITHDRAWN,   /* decided, then the member deleted the claim */
    NODE_CLAIM_NSTATES
} node_claim_state_t;

/* One claim with what the logs say about it. */
typedef struct {
    char member[PROTO_ID_MAX + 1];        /* the claimant */
    char code[PROTO_KEY_MAX + 1];         /* the claim's key */
    char subject[32];                     /* claim subject (kinds table) */
    int year;                             /* the year claimed for */
    int64_t asked;                        /* yuan asked (0 if none) */
    int64_t quantity;                     /* quantity claimed (0 if none) */
    char attachments[512];                /* attachments' hashes, as given */
    bool has_claim;                       /* the claim is a current record */
    uint64_t claim_seq;                   /* its entry's seq */
    uint8_t claim_hash[PROTO_HASH_LEN];   /* its entry hash */
    char record_kind[PROTO_KIND_MAX + 1]; /* the claimed record's kind ("" for
                                            an enrolment claim) */
    char record[PROTO_KEY_MAX + 1];       /* its key ("" none) */
    bool has_record;                      /* it is a current record of the
                                             member's own log */
    uint64_t record_seq;                  /* its entry's seq */
    uint8_t record_hash[PROTO_HASH_LEN];  /* its entry hash */
    char level[32];        /* the record's level (industry_college,
                              consortium, reform_project) or
                              dual_qualified (staff); "" */
    int64_t students;      /* coop_class students_at_start; staff: 1 when
                              a professional full-time teacher */
    bool decided;          /* a decision exists */
    char decision[16];     /* approved | rejected | revoked */
    uint64_t decision_seq; /* its entry in the coordinator's log */
    bool holds;            /* the decision names the current entries */
    int64_t approved;      /* yuan approved (the decision's amount) */
    char note[NODE_CERT_NOTE_MAX]; /* the decision's note */
    int64_t paid;                  /* yuan paid against it, all payments */
    size_t npayments;              /* how many payments */
    node_claim_state_t state;      /* where it stands */
} node_claim_t;

/* A payment as the coordinator's log holds it. */
typedef struct {
    char member[PROTO_ID_MAX + 1];           /* the claimant */
    char code[PROTO_KEY_MAX + 1];            /* the claim */
    char voucher[NODE_CERT_VOUCHER_MAX + 1]; /* the voucher reference */
    int64_t amount;                          /* yuan */
    char date[16];                           /* YYYY-MM-DD */
    uint64_t decision_seq;                   /* the approval it pays */
    uint64_t seq;                            /* its own entry */
} node_payment_t;

/* The claims of a store. */
typedef struct {
    node_claim_t *v;     /* by member, then code; owned */
    size_t n;            /* how many */
    node_payment_t *pay; /* every payment, in key order; owned */
    size_t npay;         /* how many */
} node_claims_t;

/* "claimed", "approved", "paid", "rejected", "revoked", "changed",
 * "withdrawn"; and for people, Chinese first ("已认定 approved"...,
 * "认定后已变更 changed since approval"). */
const char *node_claim_state_name(node_claim_state_t s);
const char *node_claim_state_label(const node_claim_t *c);

/* Reads every claim of the members' logs held in st (only member's when
 * member is not NULL), the coordinator's decisions and payments, and
 * works out each claim's state. coord may be NULL (no decisions then).
 * out is replaced; free with node_claims_release. Returns 0,
 * VOCFED_ENOMEM or a store status. */
int node_claims_load(store_t *st, const char *coord, const char *member,
                     node_claims_t *out) VOCFED_WUR;

/* Frees what node_claims_load allocated. */
void node_claims_release(node_claims_t *c);

/* The claim member/code, or NULL. */
const node_claim_t *node_claims_find(const node_claims_t *c, const char *member,
                                     const char *code);

/* Splits "MEMBER/CODE" at its first '/': member and code get copies.
 * Returns false when there is no '/' or a part is empty or too long. */
bool node_claim_ref(const char *ref, char *member, size_t mcap, char *code,
                    size_t ccap);

/* What node_certify_decide is asked. */
typedef struct {
    const char *member;   /* the claimant */
    const char *code;     /* its claim */
    const char *decision; /* approved | rejected | revoked */
    int64_t amount;       /* approve: yuan approved; -1 for the amount
                             asked (capped as below) */
    const char *note;     /* or NULL */
} node_decide_t;

/* Decides a claim at the coordinator (coord, signed with sk), after
 * checking it (SPEC 11.6): the claim is a current record; an approval
 * needs the claimed record in the member's own log, of the subject's
 * kind, meeting the subject's rule (a class of at least the threshold, a
 * provincial or national college or consortium, a dual-qualified
 * professional teacher), an amount not above the amount asked nor the
 * rule's amount for the year, and a year's approvals and payments within
 * the year's budget; revoked needs a standing approval. Returns 0 with
 * *seq the decision's entry, VOCFED_ENOTFOUND (no such claim),
 * VOCFED_EINVALID with why[] saying what was refused, or a store status.
 * The caller holds node_roster_lock (one change at a time). */
int node_certify_decide(store_t *st, const char *coord, const uint8_t *sk,
                        const node_decide_t *d, uint64_t *seq, char *why,
                        size_t cap) VOCFED_WUR;

/* What node_certify_pay is asked. */
typedef struct {
    const char *member;  /* the claimant */
    const char *code;    /* its claim */
    int64_t amount;      /* yuan paid, > 0 */
    const char *date;    /* YYYY-MM-DD */
    const char *voucher; /* voucher reference: printable, no '/' */
    const char *note;    /* or NULL */
} node_pay_t;

/* Records a payment against a standing approval: refused (VOCFED_EINVALID,
 * why[] says) when the claim is not approved as it stands (changed since
 * approval, rejected...), when the payments would pass the amount
 * approved, when the voucher was used for the claim already, or the date
 * is not a date. Returns 0 with *seq the payment's entry,
 * VOCFED_ENOTFOUND or a store status. */
int node_certify_pay(store_t *st, const char *coord, const uint8_t *sk,
                     const node_pay_t *p, uint64_t *seq, char *why,
                     size_t cap) VOCFED_WUR;

/* The member's check of the decision on its claim c (SPEC 11.6): the
 * decision's entry is in the coordinator's log under a checkpoint signed
 * by coord_pk (the key in the member's settings, not the store's
 * registration) with an inclusion proof, it is a certification of
 * member/code, and the entry hashes it names are those of the member's
 * own entries at those seqs. Returns 0 (verified), VOCFED_EBADSIG,
 * VOCFED_EPROOF or VOCFED_EINVALID with why[] saying what failed, or a
 * store status. */
int node_certify_verify(store_t *st, const char *coord,
                        const uint8_t coord_pk[PROTO_PUBKEY_LEN],
                        const node_claim_t *c, char *why,
                        size_t cap) VOCFED_WUR;

/* One claim as JSON: {member, claim, subject, year, asked, quantity,
 * record_kind, record, state, decision, decision_seq, holds, approved,
 * paid, payments, claim_seq, claim_hash, record_seq, record_hash,
 * attachments, note}. NULL when out of memory. */
json_t *node_claim_json(const node_claim_t *c);

/* Adds the certification sections to a report made by node_figures_json
 * (SPEC 12.3): "claims" (each claim, node_claim_json), "claim_states"
 * (state -> {count, asked, approved, paid}), "money" (per subsidy
 * figure, year and member: eligible, claimed, approved, paid),
 * "certified" (approved cooperation classes and certified dual-qualified
 * teachers beside the claimed ones) and, per year of "subsidy_total",
 * approved, paid and committed (approved or paid, the larger, per claim)
 * against the budget. Returns 0, VOCFED_ENOMEM or a store status. */
int node_certify_sections(store_t *st, const char *coord,
                          json_t *report) VOCFED_WUR;

#endif
