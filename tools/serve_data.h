/* vocfed serve: what the server shows, read from the node's store
 * (issue 15 items 1-4).
 *
 * The store is opened read-only and as a daemon's store is
 * (NODE_OPEN_ASYNC_APPLY): reads take the derived data as the daemon's
 * applier left it and never apply anything themselves, so that serving
 * takes no writer's lock and cannot hold up ingest; the report says how
 * many entries are not in the figures yet. Every read is an LMDB read
 * transaction.
 *
 * The status (tools/status_json.h) is read at most once a second; its
 * generation, a hash of what the dashboard shows of it and of how far
 * the figures are applied, changes when the figures or the members'
 * state change. A report is computed once per generation and year. Not
 * thread-safe: one thread (the HTTP server's) uses it. */
#ifndef VOCFED_TOOLS_SERVE_DATA_H
#define VOCFED_TOOLS_SERVE_DATA_H

#include "node/node.h"
#include "protocol/status.h"
#include "storage/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct serve_data serve_data_t;

/* A generation as text: 32 hex digits. */
#define SERVE_GEN_LEN 32

/* Opens the node in dir for serving. Returns 0 with *out owned by the
 * caller (serve_data_destroy), or what node_open returns (info, may be
 * NULL, says the step). */
int serve_data_new(const char *dir, node_open_info_t *info,
                   serve_data_t **out) VOCFED_WUR;

/* Closes the node and frees everything; NULLs *self; accepts NULL. */
void serve_data_destroy(serve_data_t **self);

/* The node (borrowed). */
node_t *serve_data_node(const serve_data_t *self);

/* Brings the status up to date (at most once a second) and writes the
 * generation (SERVE_GEN_LEN hex digits and a NUL) into gen. Returns 0 or
 * a store status. */
int serve_data_state(serve_data_t *self,
                     char gen[SERVE_GEN_LEN + 1]) VOCFED_WUR;

/* The status, as `vocfed status --json` prints it: a reference the
 * caller owns (json_decref). Returns 0 or a store status. */
int serve_data_status(serve_data_t *self, json_t **out) VOCFED_WUR;

/* The report of year (0: every year), as `vocfed report --format json
 * --no-catch-up` makes it (a reference, as above). Returns 0, or
 * what node_figures_json returns. */
int serve_data_report(serve_data_t *self, int year, json_t **out) VOCFED_WUR;

/* The entries the log holds and how many of them the figures have
 * (store_apply_lag), as of the last status read. */
void serve_data_lag(const serve_data_t *self, uint64_t *log_n,
                    uint64_t *applied_n);

#endif
