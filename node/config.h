/* vocfed: the node's settings file, DIR/vocfed.cfg (ZPL, czmq zconfig).
 *
 *   node
 *       coordinator = "tcp://127.0.0.1:7700"   (members: where to dial)
 *       coordinator_key = "<64 hex digits>"     (its Ed25519 public key)
 *       coordinator_id = "coord"                (its node id)
 *       listen = "tcp://127.0.0.1:7700"         (coordinators: where to bind)
 *
 * Command-line options override the file. */
#ifndef VOCFED_NODE_CONFIG_H
#define VOCFED_NODE_CONFIG_H

#include "protocol/checkpoint.h"
#include "protocol/status.h"

#include <stdbool.h>

#define NODE_CONFIG_FILE "vocfed.cfg"
#define NODE_ENDPOINT_MAX 256

typedef struct {
    char coordinator[NODE_ENDPOINT_MAX];            /* endpoint, "" if unset */
    char coordinator_key[2 * PROTO_PUBKEY_LEN + 1]; /* hex, "" if unset */
    char coordinator_id[PROTO_ID_MAX + 1];          /* id, "" if unset */
    char listen[NODE_ENDPOINT_MAX];                 /* endpoint, "" if unset */
} node_config_t;

/* Reads DIR/vocfed.cfg into cfg (all empty when there is no file).
 * Returns 0, VOCFED_EMALFORMED (a value too long or not of its form) or
 * -errno. */
int node_config_load(const char *dir, node_config_t *cfg) VOCFED_WUR;

/* Reads settings from text, the len bytes of a settings file (need not
 * be NUL-terminated), into cfg. Returns 0, VOCFED_EMALFORMED (over
 * 64 KiB, a NUL byte, not ZPL, a value too long or not of its form) or
 * VOCFED_ENOMEM; on error cfg is all empty. */
int node_config_parse(const char *text, size_t len,
                      node_config_t *cfg) VOCFED_WUR;

/* True when every value of cfg is "" (unset) or of its form: an endpoint
 * is "transport://address" in printable ASCII without spaces, quotes,
 * '#' or '$', shorter than NODE_ENDPOINT_MAX; a key is 64 hex digits; an
 * id is a node id (SPEC 3.2). Otherwise false, with *bad (if not NULL)
 * the name of the first bad value ("coordinator", "coordinator_key",
 * "coordinator_id", "listen"). */
bool node_config_valid(const node_config_t *cfg, const char **bad);

/* Writes cfg to DIR/vocfed.cfg atomically (temporary file, fsync,
 * rename), mode 0600; "" values are left out. Returns 0,
 * VOCFED_EINVALID (a value not of its form: it would not load back) or
 * -errno. */
int node_config_save(const char *dir, const node_config_t *cfg) VOCFED_WUR;

#endif
