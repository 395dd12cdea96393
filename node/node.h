/* vocfed: one node opened, the one way in to a node's store (DESIGN 8).
 *
 * node_open opens the store in a folder, attaches the figures to it (so
 * no write can forget them, SPEC 12), reads the node's identity from the
 * store's meta data (node/meta.h), works out which node is the
 * coordinator and, when asked, loads the node's secret key. node_append
 * applies the rules of the kinds table (protocol/kinds.h) and of the
 * node's role before it signs and appends. Every command and daemon that
 * opens a store goes through here. */
#ifndef VOCFED_NODE_NODE_H
#define VOCFED_NODE_NODE_H

#include "protocol/checkpoint.h"
#include "protocol/kinds.h"
#include "protocol/status.h"
#include "storage/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct node node_t;

/* What node_open does besides opening the store and attaching the
 * figures (or them together). */
enum {
    NODE_OPEN_CREATE = 1 << 0,      /* make the store if there is none (init) */
    NODE_OPEN_READONLY = 1 << 1,    /* no writes: node_append refuses */
    NODE_OPEN_IDENTITY = 1 << 2,    /* node_id, node_name, node_role and
                                       node_pubkey must be there and valid */
    NODE_OPEN_KEY = 1 << 3,         /* load DIR/node.key (implies IDENTITY) */
    NODE_OPEN_SETTINGS = 1 << 4,    /* a member: read DIR/vocfed.cfg and find
                                       its coordinator among the authors */
    NODE_OPEN_ASYNC_APPLY = 1 << 5, /* a daemon's store: writes commit the
                                       log only; its applier process
                                       (node/applier.h) applies them
                                       (store_opts_t.async_apply) */
    NODE_OPEN_LAZY_APPLY = 1 << 6,  /* a command's store: writes commit
                                       the log only, reads of derived data
                                       apply the backlog first
                                       (store_opts_t.lazy_apply) */
};

/* The step of node_open that failed, for the caller's message. */
typedef enum {
    NODE_STEP_STORE = 0, /* store_open (see found_version) */
    NODE_STEP_FIGURES,   /* node_figures_attach_store */
    NODE_STEP_META,      /* reading meta value `meta` (VOCFED_ENOTFOUND:
                            missing) */
    NODE_STEP_IDENTITY,  /* node_id, node_name or node_role not valid */
    NODE_STEP_PUBKEY,    /* node_pubkey not a public key in hex */
    NODE_STEP_KEY,       /* node_identity_load of DIR/node.key */
    NODE_STEP_SETTINGS,  /* node_config_load of DIR/vocfed.cfg */
    NODE_STEP_AUTHORS,   /* scanning the authors for the coordinator */
} node_step_t;

/* More about one node_open: what the caller gives and gets back. */
typedef struct {
    size_t map_size;         /* in: initial map size, 0 for the default */
    const char *derived_dir; /* in: the derived data's folder, NULL for
                                dir (store_opts_t.derived_dir) */
    node_step_t step;        /* out: the step that failed */
    const char *meta;        /* out: the meta name (NODE_STEP_META) */
    uint64_t found_version;  /* out: the store's format version found
                                (NODE_STEP_STORE, VOCFED_EVERSION) */
} node_open_info_t;

/* Opens the node in dir as flags say (NODE_OPEN_*). Returns 0 with *out
 * owned by the caller (node_close), or the status of the failed step
 * (info->step when info is not NULL): VOCFED_ENOTFOUND / -ENOENT (no
 * store, or a missing meta value), VOCFED_EVERSION, VOCFED_ELOCKED,
 * VOCFED_EINVALID (an identity value not valid), VOCFED_EKEY, or another
 * status. On error nothing is left open. info may be NULL. */
int node_open(const char *dir, unsigned flags, node_t **out) VOCFED_WUR;
int node_open_info(const char *dir, unsigned flags, node_open_info_t *info,
                   node_t **out) VOCFED_WUR;

/* Wipes the secret key, closes the store, frees the node and NULLs
 * *node. Accepts NULL and *node NULL. */
void node_close(node_t **node);

/* Loads DIR/node.key if not loaded yet (what NODE_OPEN_KEY does), for a
 * caller that checks something first. Needs the identity. Returns 0,
 * VOCFED_EINVALID (no identity read), or what node_identity_load
 * returns. */
int node_key_load(node_t *node) VOCFED_WUR;

/* ---- accessors: owned by the node, valid until node_close ----------- */

/* The store, with the figures attached. */
store_t *node_store(const node_t *node);
/* The folder it was opened from. */
const char *node_dir(const node_t *node);
/* node_id, node_name, node_role; NULL when the store has none (a store
 * opened without NODE_OPEN_IDENTITY before init wrote them). */
const char *node_id(const node_t *node);
const char *node_name(const node_t *node);
const char *node_role(const node_t *node);
/* node_pubkey as stored (hex) and decoded; NULL without an identity. */
const char *node_pubkey_hex(const node_t *node);
const uint8_t *node_pubkey(const node_t *node);
/* The secret key (guarded memory), or NULL when not loaded. */
const uint8_t *node_sk(const node_t *node);
/* True when node_role is NODE_ROLE_COORDINATOR. */
bool node_is_coordinator(const node_t *node);
/* The coordinator's id, whose log holds the targets and the subsidy
 * rules: this node's own on a coordinator; on a member (with
 * NODE_OPEN_SETTINGS) the one vocfed.cfg names as coordinator_id when its
 * log is here, else the author whose key is coordinator_key, else the
 * one other author. NULL when not known (yet). */
const char *node_coordinator_id(const node_t *node);
/* On a member, the coordinator's endpoint and public key (hex) from
 * vocfed.cfg (NODE_OPEN_SETTINGS), "" when not set; on a coordinator ""
 * and its own key. */
const char *node_coordinator_endpoint(const node_t *node);
const char *node_coordinator_key(const node_t *node);

/* ---- writing ----------------------------------------------------------- */

/* Whether a node of this role may write kind k (DESIGN 2.5): the
 * coordinator writes only the coordinator-only kinds (the policy and the
 * roster), a member only the others. */
bool node_kind_allowed(bool coordinator, const proto_kind_def_t *k);

/* Checks each record's kind against the kinds table and the role, and
 * its key against the kind's key form (an unknown kind, one this role
 * does not write, or a key not of its form: VOCFED_EINVALID with *bad
 * its index; also a put of a `target` or `subsidy_rule` whose key does
 * not name the figure catalogue, node_figcat_check), then signs and
 * appends them as store_append does
 * (time_ms 0 = now; head, bad may be NULL). Returns 0, VOCFED_EINVALID
 * (also a node opened read-only or without its key), or what
 * store_append returns; on error nothing was written. */
int node_append(node_t *node, const store_record_t *recs, size_t n,
                uint64_t time_ms, store_head_t *head, size_t *bad) VOCFED_WUR;

/* node_append for a caller that holds the parts instead of a node (the
 * roster, the seed): author and sk sign, coordinator is the author's
 * role. Same returns; both refuse a fenced store (SPEC 5.2 `fence`)
 * with VOCFED_EFENCED, signing nothing. */
int node_append_as(store_t *store, const char *author, const uint8_t *sk,
                   bool coordinator, const store_record_t *recs, size_t n,
                   uint64_t time_ms, store_head_t *head,
                   size_t *bad) VOCFED_WUR;

#endif
