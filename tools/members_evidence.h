/* vocfed: `members evidence` and `members release` (SPEC 8.5), for
 * tools/cmd_members.c: what a quarantine rests on, and lifting it. */
#ifndef VOCFED_TOOLS_MEMBERS_EVIDENCE_H
#define VOCFED_TOOLS_MEMBERS_EVIDENCE_H

#include "tools/cli.h"

/* Prints whether member id is quarantined, each piece of evidence kept
 * against it (when, why, both checkpoints: size, root, when signed,
 * whether its key opens it) and each release, as text or JSON. Returns
 * an exit code (1: id is no author here). */
int cli_members_evidence(node_t *node, const char *id, bool json) VOCFED_WUR;

/* Lifts id's quarantine, keeping the evidence and a release row with
 * note (NULL: none). Returns an exit code (1: not quarantined). */
int cli_members_release(node_t *node, const char *id, const char *note,
                        bool json) VOCFED_WUR;

#endif
