/* vocfed: what a new coordinator's log starts with (DESIGN 6, 7).
 *
 * `vocfed init --coordinator` writes the default leading-industry list
 * (`industry`), the policy's targets (`target`) and its amounts
 * (`subsidy_rule`) into the coordinator's own log, in one signed append.
 * The secretariat changes them later with `vocfed put`. The industries
 * are a table in seed.c; the targets and amounts are the figure
 * catalogue's (node/figures_catalogue.c), each citing the measure of
 * 宜政秘〔2024〕91号 it comes from. */
#ifndef VOCFED_NODE_SEED_H
#define VOCFED_NODE_SEED_H

#include "protocol/checkpoint.h"
#include "protocol/status.h"
#include "storage/store.h"

#include <stddef.h>

/* How many records node_seed_coordinator writes. */
size_t node_seed_count(void);

/* Appends the seed records to author's log in store, signed with sk, in
 * one transaction (one checkpoint): the industries, then the catalogue's
 * targets and subsidy rules in catalogue order. head, if not NULL,
 * receives the new head. Returns 0, VOCFED_EINVALID (the tables do not
 * pass the kinds table: a bug), VOCFED_ENOMEM, or a store status. */
int node_seed_coordinator(store_t *store, const char *author,
                          const uint8_t sk[PROTO_SECKEY_LEN],
                          store_head_t *head) VOCFED_WUR;

#endif
