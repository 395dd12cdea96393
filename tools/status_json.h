/* vocfed: the status of a node as one JSON object, what `vocfed status
 * --json` prints and `vocfed serve` gives at /api/status.json and turns
 * into /metrics (SPEC 10): the logs held, the peers and the alarms.
 *
 * One builder, so that the command line, the API and the metrics cannot
 * tell two stories. Reads the store in read transactions only. */
#ifndef VOCFED_TOOLS_STATUS_JSON_H
#define VOCFED_TOOLS_STATUS_JSON_H

#include "node/node.h"
#include "protocol/status.h"

#include <jansson.h>
#include <stddef.h>

/* Builds the status of node: {id, role, logs.<author>.{size, root,
 * checkpoint_size, quarantined, applied}, peers.<peer>.{connected, link,
 * last_contact, last_contact_ms, last_contact_age_s, acked.<author>,
 * acked_ms.<author>, lag.<author>, refused, malformed, abuse.{...}}, alarms
 * [...], alarms_raised, fenced} (the fields `vocfed status --help` lists).
 * Returns 0 with *out owned by the caller (json_decref), VOCFED_ENOMEM, or a
 * store status (then *out is untouched). */
int cmd_status_json(node_t *node, json_t **out) VOCFED_WUR;

#endif
