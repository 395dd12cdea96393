/* vocfed: the node's settings file, DIR/vocfed.cfg (ZPL, czmq zconfig).
 *
 *   node
 *       coordinator = "tcp://127.0.0.1:7700"   (members: where to dial)
 *       coordinator_key = "<64 hex digits>"     (its Ed25519 public key)
 *       coordinator_id = "coord"                (its node id)
 *       listen = "tcp://127.0.0.1:7700"         (coordinators: where to bind)
 *       heartbeat = "5"                         (both daemons: seconds)
 *       rate_msgs = "2000"                      (coordinators: a member's
 *       rate_bytes = "64M"                       rate a second, SPEC 10.5)
 *
 * Command-line options override the file. The keys and what each means
 * are node_config_keys(); `vocfed config` reads and writes them. */
#ifndef VOCFED_NODE_CONFIG_H
#define VOCFED_NODE_CONFIG_H

#include "node/endpoint.h"
#include "protocol/checkpoint.h"
#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>

#define NODE_CONFIG_FILE "vocfed.cfg"

typedef struct {
    char coordinator[NODE_ENDPOINT_MAX];            /* endpoint, "" if unset */
    char coordinator_key[2 * PROTO_PUBKEY_LEN + 1]; /* hex, "" if unset */
    char coordinator_id[PROTO_ID_MAX + 1];          /* id, "" if unset */
    char listen[NODE_ENDPOINT_MAX];                 /* endpoint, "" if unset */
    char heartbeat[8];   /* seconds, 1 to NODE_HEARTBEAT_MAX_S, "" if unset */
    char rate_msgs[16];  /* messages a second (node_rate_msgs), "" if unset */
    char rate_bytes[24]; /* bytes a second (node_rate_bytes), "" if unset */
} node_config_t;

/* A member's rate at the coordinator (SPEC 10.5), as the settings and
 * `vocfed coordinator --rate-msgs/--rate-bytes` take it: messages a
 * second, decimal digits, 1 to 1,000,000; bytes a second, decimal digits
 * with an optional K, M or G (KiB, MiB, GiB), 1 MiB to 16 GiB. Each
 * returns the rate, or 0 when s is not of that form. */
#define NODE_RATE_MSGS_MAX 1000000
#define NODE_RATE_BYTES_MIN ((uint64_t)1 << 20)
#define NODE_RATE_BYTES_MAX ((uint64_t)16 << 30)
uint64_t node_rate_msgs(const char *s);
uint64_t node_rate_bytes(const char *s);

/* The longest heartbeat interval the settings and --heartbeat take. */
#define NODE_HEARTBEAT_MAX_S 600

/* The heartbeat interval cfg gives, in ms; 0 when unset (the daemon's
 * default, 5 s). */
uint64_t node_config_heartbeat_ms(const node_config_t *cfg);

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
 * is tcp://HOST:PORT (node_endpoint_check: coordinator dials, listen
 * binds); a key is 64 hex digits; an id is a node id (SPEC 3.2); the
 * heartbeat a whole number of seconds from 1 to NODE_HEARTBEAT_MAX_S.
 * Otherwise false, with *bad (if not NULL) the name of the first bad
 * value ("coordinator", "coordinator_key", "coordinator_id", "listen"). */
bool node_config_valid(const node_config_t *cfg, const char **bad);

/* node_config_valid, saying why: returns 0, or VOCFED_EINVALID with *bad
 * (if not NULL) the first bad key and why (cap bytes, if not NULL) what
 * is wrong with its value. */
int node_config_check(const node_config_t *cfg, const char **bad, char *why,
                      size_t cap) VOCFED_WUR;

/* node_config_load, saying why (cap bytes, if not NULL) when it returns
 * VOCFED_EMALFORMED: which key is bad and how, or that the file is not
 * ZPL or too large. */
int node_config_load_why(const char *dir, node_config_t *cfg, char *why,
                         size_t cap) VOCFED_WUR;

/* One key of the settings file (the table `vocfed config` and its help
 * print). */
typedef struct {
    const char *name; /* as in the file: "coordinator" */
    const char *role; /* the node that reads it: "member", "coordinator",
                         "both" (either daemon) */
    const char *form; /* its form: "tcp://HOST:PORT", "64 hex digits" */
    const char *help; /* what it is, one line */
} node_config_key_t;

/* The keys, in file order; *n set to how many. Static, never NULL. */
const node_config_key_t *node_config_keys(size_t *n);

/* The value of key in cfg ("" when unset), or NULL when there is no
 * such key. Points into cfg. */
const char *node_config_get(const node_config_t *cfg, const char *key);

/* Sets key in cfg to value, checked as loading checks it ("" unsets it;
 * a key's hex digits are kept in lower case). Returns 0,
 * VOCFED_ENOTFOUND for an unknown key, or VOCFED_EINVALID with why (cap
 * bytes, if not NULL) what is wrong; cfg is unchanged on error. */
int node_config_set(node_config_t *cfg, const char *key, const char *value,
                    char *why, size_t cap) VOCFED_WUR;

/* Writes cfg to DIR/vocfed.cfg atomically (temporary file, fsync,
 * rename), mode 0600; "" values are left out. Returns 0,
 * VOCFED_EINVALID (a value not of its form: it would not load back) or
 * -errno. */
int node_config_save(const char *dir, const node_config_t *cfg) VOCFED_WUR;

#endif
