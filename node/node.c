/* vocfed: one node opened (see node.h). */
#include "node/node.h"
#include "storage/backup.h"

#include "node/config.h"
#include "node/figures.h"
#include "node/figures_catalogue.h"
#include "node/identity.h"
#include "node/meta.h"
#include "storage/replica.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NAME_MAX PROTO_KEY_MAX /* node_name: a natural key's rule */
#define S_ROLE_MAX 32            /* node_role */

struct node {
    char *dir;                                 /* the folder; owned */
    unsigned flags;                            /* NODE_OPEN_* given */
    store_t *store;                            /* figures attached; owned */
    bool has_id;                               /* node_id was read */
    bool has_identity;                         /* all four were read */
    char id[PROTO_ID_MAX + 1];                 /* node_id */
    char name[S_NAME_MAX + 1];                 /* node_name */
    char role[S_ROLE_MAX + 1];                 /* node_role */
    char pubkey_hex[2 * PROTO_PUBKEY_LEN + 1]; /* node_pubkey, as stored */
    uint8_t pubkey[PROTO_PUBKEY_LEN];          /* node_pubkey, decoded */
    uint8_t *sk;                               /* guarded; NULL if unloaded */
    node_config_t cfg;                         /* vocfed.cfg (SETTINGS) */
    char coord[PROTO_ID_MAX + 1];              /* coordinator id, "" unknown */
};

/* Reads meta value name into out; a missing one is "" and 0 unless
 * required. Returns 0 or a status with info filled. */
static int
s_meta(node_t *n, const char *name, char *out, size_t cap, bool required,
       node_open_info_t *info)
{
    int rc = store_meta_get(n->store, name, out, cap);
    if (rc == VOCFED_ENOTFOUND && !required) {
        out[0] = '\0';
        return VOCFED_OK;
    }
    if (rc) {
        info->step = NODE_STEP_META;
        info->meta = name;
    }
    return rc;
}

/* Reads the identity from the meta data; checks it when required. */
static int
s_identity(node_t *n, bool required, node_open_info_t *info)
{
    int rc;
    if ((rc = s_meta(n, NODE_META_ID, n->id, sizeof n->id, required, info)) ||
        (rc = s_meta(n, NODE_META_NAME, n->name, sizeof n->name, required,
                     info)) ||
        (rc = s_meta(n, NODE_META_ROLE, n->role, sizeof n->role, required,
                     info)) ||
        (rc = s_meta(n, NODE_META_PUBKEY, n->pubkey_hex, sizeof n->pubkey_hex,
                     required, info)))
        return rc;
    n->has_id = n->id[0] != '\0';
    if (!n->id[0] || !n->name[0] || !n->role[0] || !n->pubkey_hex[0])
        return VOCFED_OK; /* not required, and not all there */
    /* What init checked, checked again: these go to terminals and logs. */
    if (!proto_id_valid(n->id, strlen(n->id)) ||
        !proto_key_valid(n->name, strlen(n->name)) ||
        !proto_kind_valid(n->role, strlen(n->role))) {
        info->step = NODE_STEP_IDENTITY;
        return required ? VOCFED_EINVALID : VOCFED_OK;
    }
    if (strlen(n->pubkey_hex) != 2 * PROTO_PUBKEY_LEN ||
        proto_unhex(n->pubkey_hex, n->pubkey, PROTO_PUBKEY_LEN) != 0) {
        info->step = NODE_STEP_PUBKEY;
        return required ? VOCFED_EINVALID : VOCFED_OK;
    }
    n->has_identity = true;
    return VOCFED_OK;
}

/* State of looking for the coordinator among the store's authors. */
typedef struct {
    const char *self;             /* this node's id: not it */
    const uint8_t *key;           /* its public key if known, or NULL */
    char found[PROTO_ID_MAX + 1]; /* the author with that key */
    size_t others;                /* authors other than self */
    char other[PROTO_ID_MAX + 1]; /* the last of them */
} s_find_t;

static int
s_find_author(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    s_find_t *f = ctx;
    if (strcmp(id, f->self) == 0)
        return 0;
    if (f->key && memcmp(pk, f->key, PROTO_PUBKEY_LEN) == 0)
        snprintf(f->found, sizeof f->found, "%s", id);
    f->others++;
    snprintf(f->other, sizeof f->other, "%s", id);
    return 0;
}

/* A member's coordinator: the one vocfed.cfg names (when entries of its
 * log are here), else the author with its key, else the one other
 * author. */
static int
s_find_coordinator(node_t *n, node_open_info_t *info)
{
    uint8_t key[PROTO_PUBKEY_LEN];
    int rc = node_config_load(n->dir, &n->cfg);
    if (rc) {
        info->step = NODE_STEP_SETTINGS;
        return rc;
    }
    s_find_t f = {.self = n->id};
    if (n->cfg.coordinator_key[0] &&
        proto_unhex(n->cfg.coordinator_key, key, sizeof key) == 0)
        f.key = key;
    if ((rc = store_scan_authors(n->store, s_find_author, &f))) {
        info->step = NODE_STEP_AUTHORS;
        return rc;
    }
    if (n->cfg.coordinator_id[0]) {
        store_head_t head;
        /* Named but its log not here yet (registered by init, SPEC 5.1,
         * but nothing taken): the same as not known. */
        if (store_head(n->store, n->cfg.coordinator_id, &head) == VOCFED_OK &&
            head.size > 0)
            snprintf(n->coord, sizeof n->coord, "%s", n->cfg.coordinator_id);
    } else if (f.found[0]) {
        snprintf(n->coord, sizeof n->coord, "%s", f.found);
    } else if (!f.key && f.others == 1) {
        snprintf(n->coord, sizeof n->coord, "%s", f.other);
    }
    return VOCFED_OK;
}

/* Everything after store_open. */
static int
s_setup(node_t *n, unsigned flags, node_open_info_t *info)
{
    bool required = (flags & (NODE_OPEN_IDENTITY | NODE_OPEN_KEY)) != 0;
    int rc;
    /* Every write keeps the figures in its own transaction (SPEC 12). */
    if ((rc = node_figures_attach_store(n->store))) {
        info->step = NODE_STEP_FIGURES;
        return rc;
    }
    if ((rc = s_identity(n, required, info)))
        return rc;
    if ((flags & NODE_OPEN_KEY) && (rc = node_key_load(n))) {
        info->step = NODE_STEP_KEY;
        return rc;
    }
    /* A coordinator's own log holds the targets and rules; its settings
     * (where it listens) are its daemon's business. */
    if (node_is_coordinator(n))
        snprintf(n->coord, sizeof n->coord, "%s", n->id);
    else if ((flags & NODE_OPEN_SETTINGS) && (rc = s_find_coordinator(n, info)))
        return rc;
    /* Ingest's role rule (SPEC 8.4) needs to know whose log is whose. */
    store_set_coordinator(n->store, n->coord);
    return VOCFED_OK;
}

int
node_open_info(const char *dir, unsigned flags, node_open_info_t *info,
               node_t **out)
{
    node_open_info_t local = {0};
    if (!info)
        info = &local;
    info->step = NODE_STEP_STORE;
    info->meta = NULL;
    info->found_version = 0;
    *out = NULL;
    node_t *n = calloc(1, sizeof *n);
    if (!n)
        return VOCFED_ENOMEM;
    n->flags = flags;
    if (!(n->dir = strdup(dir))) {
        free(n);
        return VOCFED_ENOMEM;
    }
    store_opts_t so = {.create = (flags & NODE_OPEN_CREATE) != 0,
                       .async_apply = (flags & NODE_OPEN_ASYNC_APPLY) != 0,
                       .lazy_apply = (flags & NODE_OPEN_LAZY_APPLY) != 0,
                       .map_size = info->map_size,
                       .derived_dir = info->derived_dir,
                       .found_version = &info->found_version};
    int rc = store_open(dir, &so, &n->store);
    if (rc == VOCFED_OK)
        rc = s_setup(n, flags, info);
    if (rc) {
        node_close(&n);
        return rc;
    }
    *out = n;
    return VOCFED_OK;
}

int
node_open(const char *dir, unsigned flags, node_t **out)
{
    return node_open_info(dir, flags, NULL, out);
}

void
node_close(node_t **node)
{
    if (!node || !*node)
        return;
    node_t *n = *node;
    node_identity_free(&n->sk); /* wipes */
    store_destroy(&n->store);
    free(n->dir);
    free(n);
    *node = NULL;
}

int
node_key_load(node_t *node)
{
    if (node->sk)
        return VOCFED_OK;
    if (!node->has_identity)
        return VOCFED_EINVALID;
    return node_identity_load(node->dir, node->pubkey, &node->sk);
}

store_t *
node_store(const node_t *node)
{
    return node->store;
}

const char *
node_dir(const node_t *node)
{
    return node->dir;
}

const char *
node_id(const node_t *node)
{
    return node->has_id ? node->id : NULL;
}

const char *
node_name(const node_t *node)
{
    return node->has_identity ? node->name : NULL;
}

const char *
node_role(const node_t *node)
{
    return node->has_identity ? node->role : NULL;
}

const char *
node_pubkey_hex(const node_t *node)
{
    return node->has_identity ? node->pubkey_hex : NULL;
}

const uint8_t *
node_pubkey(const node_t *node)
{
    return node->has_identity ? node->pubkey : NULL;
}

const uint8_t *
node_sk(const node_t *node)
{
    return node->sk;
}

bool
node_is_coordinator(const node_t *node)
{
    return node->has_id && strcmp(node->role, NODE_ROLE_COORDINATOR) == 0;
}

const char *
node_coordinator_id(const node_t *node)
{
    return node->coord[0] ? node->coord : NULL;
}

const char *
node_coordinator_endpoint(const node_t *node)
{
    return node->cfg.coordinator;
}

const char *
node_coordinator_key(const node_t *node)
{
    if (node_is_coordinator(node))
        return node->has_identity ? node->pubkey_hex : "";
    return node->cfg.coordinator_key;
}

bool
node_kind_allowed(bool coordinator, const proto_kind_def_t *k)
{
    return k->coordinator_only == coordinator;
}

int
node_append_as(store_t *store, const char *author, const uint8_t *sk,
               bool coordinator, const store_record_t *recs, size_t n,
               uint64_t time_ms, store_head_t *head, size_t *bad)
{
    /* A node that may lack entries of its own log signs nothing: it
     * would sign a second history (SPEC 5.2 fence, 10.6, 10.7). Every
     * signing path comes here: put, import, the roster. */
    char why[2];
    int rc = store_fence_get(store, why, sizeof why);
    if (rc != VOCFED_ENOTFOUND)
        return rc == VOCFED_OK || rc == VOCFED_ETOOLARGE ? VOCFED_EFENCED : rc;
    /* What depends on the kind alone is looked up once for a run of
     * records naming it by the same pointer (an import's chunk). */
    const char *kind = NULL;
    const proto_kind_def_t *k = NULL;
    bool allowed = false, keyed = false;
    for (size_t i = 0; i < n; i++) {
        if (!i || recs[i].kind != kind) {
            kind = recs[i].kind;
            k = kind ? proto_kind_find(kind) : NULL;
            allowed = k && node_kind_allowed(coordinator, k);
            keyed = k && node_figcat_keyed(k->name);
        }
        if (!allowed || proto_kind_check_key(k, recs[i].key, NULL) ||
            (recs[i].op == PROTO_OP_PUT && keyed &&
             node_figcat_check(k->name, recs[i].key, NULL))) {
            if (bad)
                *bad = i;
            return VOCFED_EINVALID;
        }
    }
    return store_append(store, author, sk, recs, n, time_ms, head, bad);
}

int
node_append(node_t *node, const store_record_t *recs, size_t n,
            uint64_t time_ms, store_head_t *head, size_t *bad)
{
    if ((node->flags & NODE_OPEN_READONLY) || !node->sk || !node->has_id)
        return VOCFED_EINVALID;
    /* The fence (SPEC 5.2) is checked by node_append_as. */
    int rc =
        node_append_as(node->store, node->id, node->sk,
                       node_is_coordinator(node), recs, n, time_ms, head, bad);
    if (rc == VOCFED_EKEY)
        zsys_error("node: node.key is no longer the key in force for %s: "
                   "a key handover was signed (SPEC 10.8); run 'vocfed "
                   "rekey' to finish it",
                   node->id);
    return rc;
}
