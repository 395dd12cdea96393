/* vocfed: before a command signs (put, del, import, members), a fenced store
 * fetches from the coordinator the entries of its own log it lacks
 * (SPEC 5.2 fence, 10.6): with no daemon on the store by a one-shot
 * session of its own, else by waiting for the daemon to do it. */
#ifndef VOCFED_TOOLS_CLI_FENCE_H
#define VOCFED_TOOLS_CLI_FENCE_H

#include "node/member.h"
#include "tools/cli.h"

/* Nothing when *node's store is not fenced. Else closes the node, runs a
 * one-shot session with the coordinator of DIR/vocfed.cfg (30 s at most;
 * or waits as long for the daemon that holds the store) and opens the
 * node again into *node. A fenced coordinator (SPEC 10.7) waits as long
 * for its daemon, or, with none running, is refused at once. Returns 0
 * when the store is no longer fenced, or an exit code after saying
 * why. */
int cli_unfence(cli_t *cli, node_t **node) VOCFED_WUR;

/* Closes cli's node and runs one session of the member in cli->dir with
 * the coordinator of DIR/vocfed.cfg until both sides are level (at most
 * timeout_ms); *status gets what node_member_run returned, stats (may
 * be NULL) what happened. Returns 0, or an exit code after saying why
 * the session could not start (vocfed.cfg unreadable or without the
 * coordinator). */
int cli_member_once(cli_t *cli, uint64_t timeout_ms, node_member_stats_t *stats,
                    int *status) VOCFED_WUR;

#endif
