/* vocfed: a person's key from an ID-card number, for `get` and `del`
 * (issue 13; DESIGN 2.5, SPEC 11.3).
 *
 * People's records (student, staff, graduate) are keyed by pseudo_id, the
 * keyed hash of the ID-card number under the group linkage key. At their
 * own school a registrar knows the number, not the pseudo_id: these
 * compute the key locally through this member's DIR/linkage.key. The
 * number is read, normalised and hashed in memory only; it is never
 * stored, logged, or printed (messages name the pseudo_id). */
#ifndef VOCFED_TOOLS_PERSON_H
#define VOCFED_TOOLS_PERSON_H

#include "tools/cli.h"

/* The key of the person of kind k whose ID-card number is id_number
 * ("-": one line read from stdin, so that it stays out of the shell's
 * history), for a graduate with ":grad_year" after it. Writes key.
 * Returns CLI_GO_ON, or an exit code after printing why (not a person's
 * kind, no linkage key, not a valid number, a graduate without a
 * year). */
int cmd_person_key(const cli_t *cli, const proto_kind_def_t *k,
                   const char *id_number, const char *grad_year,
                   char key[PROTO_KEY_MAX + 1]);

/* Whether key, given for a person's kind k, looks like an ID-card
 * number rather than a pseudo_id (a valid number, 15 or 18 long). */
bool cmd_person_looks_raw(const proto_kind_def_t *k, const char *key);

/* Prints, after "no record", how a person is looked up by ID-card
 * number (stderr; never echoes the number). */
void cmd_person_hint(const cli_t *cli, const proto_kind_def_t *k);

#endif
