/* vocfed: what the parts of node/certify*.c share (not a public
 * header): certify.c (claims and states), certify_log.c (decisions and
 * payments read and written, the member's check), certify_report.c (the
 * report's sections). */
#ifndef VOCFED_NODE_CERTIFY_I_H
#define VOCFED_NODE_CERTIFY_I_H

#include "node/certify.h"

/* The kind of record a claim subject names ("staff" for dual_qualified,
 * "" for enrolment), or NULL for an unknown subject. */
const char *node_cert_record_kind(const char *subject);

/* Field name of a body as text (false, out "", when absent, not text or
 * longer than cap - 1 bytes). body may be NULL. */
bool node_cert_body_str(const uint8_t *body, size_t len, const char *name,
                        char *out, size_t cap);

/* Field name of a body as an integer, or fallback. */
int64_t node_cert_body_int(const uint8_t *body, size_t len, const char *name,
                           int64_t fallback);

/* Adds an empty claim member/code (a decision on a claim no longer
 * there), keeping cs sorted. Returns it, or NULL when out of memory. */
node_claim_t *node_cert_claim_add(node_claims_t *cs, const char *member,
                                  const char *code);

/* The coordinator's `certification` records into the claims of cs
 * (only member's when not NULL). Returns 0, VOCFED_ENOMEM or a store
 * status. */
int node_cert_load_decisions(store_t *st, const char *coord, const char *member,
                             node_claims_t *cs) VOCFED_WUR;

/* The coordinator's `payment` records into cs->pay and the claims'
 * paid amounts. Returns 0, VOCFED_ENOMEM or a store status. */
int node_cert_load_payments(store_t *st, const char *coord, const char *member,
                            node_claims_t *cs) VOCFED_WUR;

#endif
