/* vocfed: the group's roster, the coordinator's member_key records
 * (roster.h).
 *
 * The roster log is the truth; the author registration that lets the
 * store verify a member's checkpoints is derived from it. The two are
 * written by two transactions (the store has no call that does both), so
 * node_roster_add writes the roster entry first and registers the author
 * second, after checking that the registration cannot be refused. If the
 * process dies between the two, the roster names a member the store
 * cannot verify yet (fails safe: its batches are refused as from an
 * unknown author), and running the same add again finishes the
 * registration and succeeds. The other order would leave a key the store
 * accepts signatures from that no roster entry vouches for.
 *
 * The checks (id free, key unused) read the store before the append's
 * write transaction: two changes at once in two processes would both
 * pass them. Callers hold node_roster_lock around the whole change. */
#include "node/roster.h"
#include "node/node.h"

#include "node/identity.h"
#include "protocol/hash.h"
#include "storage/replica.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char *const s_status_names[] = {
    [NODE_MEMBER_ACTIVE] = "active",
    [NODE_MEMBER_SUSPENDED] = "suspended",
    [NODE_MEMBER_REVOKED] = "revoked",
};

#define S_NSTATUS (sizeof s_status_names / sizeof s_status_names[0])

const char *
node_member_status_name(node_member_status_t s)
{
    return (unsigned)s < S_NSTATUS ? s_status_names[s] : "unknown";
}

int
node_roster_lock(const char *dir, int *fd)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/roster.lock", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return VOCFED_EINVALID;
    int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0)
        return -errno;
    /* Held for a check and one append: the wait is short. */
    while (flock(lock, LOCK_EX) != 0)
        if (errno != EINTR) {
            int err = errno;
            close(lock);
            return -err;
        }
    *fd = lock;
    return VOCFED_OK;
}

void
node_roster_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* True when [s, s + len) is exactly the NUL-terminated string z. */
static bool
s_is(const char *s, size_t len, const char *z)
{
    return strlen(z) == len && (len == 0 || memcmp(s, z, len) == 0);
}

/* A display name: empty, or printable UTF-8 of at most NODE_NAME_MAX
 * bytes (the rule of a natural key). */
static bool
s_name_valid(const char *s, size_t len)
{
    return len == 0 || (len <= NODE_NAME_MAX && proto_key_valid(s, len));
}

/* A role: empty, or a kind-like name ([a-z][a-z0-9_]*). */
static bool
s_role_valid(const char *s, size_t len)
{
    return len == 0 || proto_kind_valid(s, len);
}

/* Reads string field name of a validated body into out (cap bytes with
 * the NUL). A missing optional field gives "". Returns 0,
 * VOCFED_ENOTFOUND (missing and required) or VOCFED_EMALFORMED (not a
 * string, too long). */
static int
s_body_str(const uint8_t *body, size_t len, const char *name, bool required,
           char *out, size_t cap)
{
    proto_value_t v;
    int rc = proto_body_get(body, len, name, &v);
    out[0] = '\0';
    if (rc == VOCFED_ENOTFOUND && !required)
        return VOCFED_OK;
    if (rc)
        return rc;
    if (v.type != PROTO_VAL_STR || v.slen >= cap)
        return VOCFED_EMALFORMED;
    if (v.slen)
        memcpy(out, v.s, v.slen);
    out[v.slen] = '\0';
    return VOCFED_OK;
}

/* The optional key_from field of a validated body (0 when absent).
 * Returns 0 or VOCFED_EMALFORMED (not a non-negative integer). */
static int
s_body_from(const uint8_t *body, size_t len, uint64_t *from)
{
    proto_value_t v;
    int rc = proto_body_get(body, len, "key_from", &v);
    *from = 0;
    if (rc == VOCFED_ENOTFOUND)
        return VOCFED_OK;
    if (rc || v.type != PROTO_VAL_INT || v.i < 0)
        return VOCFED_EMALFORMED;
    *from = (uint64_t)v.i;
    return VOCFED_OK;
}

/* Parses the entry that holds member key's current record (seq) in
 * coord_id's log into m. The bytes come from the disk or a peer: every
 * field is checked as if hostile. Returns 0, VOCFED_ECORRUPT (the entry
 * is not the one the index points at) or VOCFED_EMALFORMED (not a
 * member_key body as roster.h states it). */
static int
s_member_parse(const char *coord_id, const char *key, uint64_t seq,
               const uint8_t *data, size_t len, node_member_t *m)
{
    proto_entry_t e;
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    char status[16];
    size_t key_len = strlen(key);
    int rc = proto_entry_decode(data, len, &e);
    if (rc)
        return rc;
    if (e.seq != seq || !s_is(e.author, e.author_len, coord_id) ||
        !s_is(e.kind, e.kind_len, NODE_ROSTER_KIND) ||
        !s_is(e.key, e.key_len, key) || e.op != PROTO_OP_PUT)
        return VOCFED_ECORRUPT;
    if (key_len > PROTO_ID_MAX || !proto_id_valid(key, key_len))
        return VOCFED_EMALFORMED;
    memset(m, 0, sizeof *m);
    memcpy(m->id, key, key_len + 1);
    m->seq = seq;
    if ((rc =
             s_body_str(e.body, e.body_len, "pubkey", true, hex, sizeof hex)) ||
        (rc = s_body_str(e.body, e.body_len, "status", true, status,
                         sizeof status)) ||
        (rc = s_body_str(e.body, e.body_len, "name", false, m->name,
                         sizeof m->name)) ||
        (rc = s_body_str(e.body, e.body_len, "role", false, m->role,
                         sizeof m->role)))
        return rc == VOCFED_ENOTFOUND ? VOCFED_EMALFORMED : rc;
    /* 64 lowercase hex digits: one key has one spelling. */
    if (strlen(hex) != 2 * PROTO_PUBKEY_LEN ||
        !proto_hex_lower_valid(hex, 2 * PROTO_PUBKEY_LEN))
        return VOCFED_EMALFORMED;
    if (proto_unhex(hex, m->pk, PROTO_PUBKEY_LEN))
        return VOCFED_EMALFORMED;
    if (!s_name_valid(m->name, strlen(m->name)) ||
        !s_role_valid(m->role, strlen(m->role)) ||
        (rc = s_body_from(e.body, e.body_len, &m->key_from)))
        return VOCFED_EMALFORMED;
    for (size_t i = 0; i < S_NSTATUS; i++)
        if (strcmp(status, s_status_names[i]) == 0) {
            m->status = (node_member_status_t)i;
            return VOCFED_OK;
        }
    return VOCFED_EMALFORMED;
}

/* Reads member id's current record: m, and its entry bytes appended to
 * entry. Returns 0, VOCFED_ENOTFOUND (not on the roster) or a status. */
static int
s_member_get(store_t *store, const char *coord_id, const char *id,
             node_member_t *m, proto_buf_t *entry)
{
    uint64_t seq = 0;
    int rc =
        store_record_get(store, coord_id, NODE_ROSTER_KIND, id, entry, &seq);
    if (rc)
        return rc;
    return s_member_parse(coord_id, id, seq, entry->data, entry->len, m);
}

/* Appends one member_key put of id with body fields (n of them, sorted
 * in place) to coord_id's log. */
static int
s_append(store_t *store, const char *coord_id, const uint8_t *sk,
         const char *id, proto_field_t *fields, size_t n)
{
    proto_buf_t body;
    proto_buf_init(&body);
    int rc = proto_body_encode(fields, n, &body);
    if (rc == VOCFED_OK) {
        store_record_t rec = {.op = PROTO_OP_PUT,
                              .kind = NODE_ROSTER_KIND,
                              .key = id,
                              .body = body.data,
                              .body_len = body.len};
        /* The roster's kind is the coordinator's (node_append_as). */
        rc = node_append_as(store, coord_id, sk, true, &rec, 1, 0, NULL, NULL);
    }
    proto_buf_release(&body);
    return rc;
}

static proto_value_t
s_str_value(const char *s)
{
    proto_value_t v = {.type = PROTO_VAL_STR, .s = s, .slen = strlen(s)};
    return v;
}

/* Returns 0 when no member on the roster (revoked ones included) and not
 * the coordinator has key pk or a key of the same X25519 form (curve):
 * an Ed25519 key and its negation (the sign bit of byte 31 flipped) are
 * two keys with one X25519 key, so CURVE could not tell their holders
 * apart. VOCFED_EEXISTS if one has, or a status. */
static int
s_key_unused(store_t *store, const char *coord_id,
             const uint8_t pk[PROTO_PUBKEY_LEN],
             const uint8_t curve[PROTO_PUBKEY_LEN])
{
    uint8_t own[PROTO_PUBKEY_LEN], own_curve[PROTO_PUBKEY_LEN];
    node_roster_t r;
    int rc = store_author_key(store, coord_id, own);
    if (rc)
        return rc;
    if (memcmp(own, pk, PROTO_PUBKEY_LEN) == 0 ||
        (node_pubkey_curve(own, own_curve) == VOCFED_OK &&
         memcmp(own_curve, curve, PROTO_PUBKEY_LEN) == 0))
        return VOCFED_EEXISTS;
    if ((rc = node_roster_load(store, coord_id, &r)))
        return rc;
    rc = node_roster_curves(&r);
    for (size_t i = 0; i < r.count && rc == VOCFED_OK; i++)
        if (memcmp(r.members[i].pk, pk, PROTO_PUBKEY_LEN) == 0 ||
            memcmp(r.members[i].curve_pk, curve, PROTO_PUBKEY_LEN) == 0)
            rc = VOCFED_EEXISTS;
    node_roster_release(&r);
    return rc;
}

/* An add of id that may have run before: VOCFED_ENOTFOUND when id is
 * not on the roster (the add goes on), VOCFED_OK when this same add
 * stopped between its two writes and is now complete, VOCFED_EEXISTS
 * when id is on the roster, or another status. */
static int
s_add_again(store_t *store, const char *coord_id, const char *id,
            const uint8_t pk[PROTO_PUBKEY_LEN], const char *name,
            const char *role)
{
    uint8_t known[PROTO_PUBKEY_LEN];
    node_member_t cur;
    proto_buf_t entry;
    int rc;
    proto_buf_init(&entry);
    rc = s_member_get(store, coord_id, id, &cur, &entry);
    proto_buf_release(&entry);
    if (rc == VOCFED_OK) {
        /* On the roster already. A registration missing means an earlier
         * add stopped between its two writes: finish it, and if this is
         * that same add, it has now succeeded. */
        int krc = store_author_key(store, id, known);
        if (krc == VOCFED_ENOTFOUND &&
            memcmp(cur.pk, pk, PROTO_PUBKEY_LEN) == 0) {
            if ((krc = store_author_add(store, id, pk)))
                return krc;
            zsys_info("roster: registration completed member=%s seq=%llu", id,
                      (unsigned long long)cur.seq);
            if (cur.status == NODE_MEMBER_ACTIVE &&
                strcmp(cur.name, name) == 0 && strcmp(cur.role, role) == 0)
                return VOCFED_OK;
        } else if (krc && krc != VOCFED_ENOTFOUND) {
            return krc;
        }
        return VOCFED_EEXISTS;
    }
    return rc;
}

int
node_roster_add(store_t *store, const char *coord_id, const uint8_t *sk,
                const char *id, const uint8_t pk[PROTO_PUBKEY_LEN],
                const char *name, const char *role)
{
    assert(store && coord_id && sk && id && pk);
    uint8_t curve[PROTO_PUBKEY_LEN], known[PROTO_PUBKEY_LEN];
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    int rc;
    name = name ? name : "";
    role = role ? role : "";
    if (!proto_id_valid(coord_id, strlen(coord_id)) ||
        !proto_id_valid(id, strlen(id)) || strcmp(id, coord_id) == 0 ||
        !s_name_valid(name, strlen(name)) || !s_role_valid(role, strlen(role)))
        return VOCFED_EINVALID;
    /* Not a point of the curve (or of small order): no one could sign
     * with it, and CURVE could not use it. */
    if (node_pubkey_curve(pk, curve))
        return VOCFED_EINVALID;

    if ((rc = s_add_again(store, coord_id, id, pk, name, role)) !=
        VOCFED_ENOTFOUND)
        return rc;

    /* An id the store knows with another key (a log it replicates, made
     * before this roster entry) could not be registered with this one:
     * refuse before writing anything. */
    rc = store_author_key(store, id, known);
    if (rc == VOCFED_OK && memcmp(known, pk, PROTO_PUBKEY_LEN) != 0)
        return VOCFED_EEXISTS;
    if (rc && rc != VOCFED_ENOTFOUND)
        return rc;

    /* One key, one member: CURVE admits a connection by its key alone
     * (node_roster_find_curve), so a key shared by two ids, or with the
     * coordinator, or kept by a revoked member, would be ambiguous. */
    if ((rc = node_roster_key_unused(store, coord_id, pk, id)))
        return rc;

    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    proto_field_t fields[] = {
        {"name", 4, s_str_value(name)},
        {"pubkey", 6, s_str_value(hex)},
        {"role", 4, s_str_value(role)},
        {"status", 6, s_str_value(s_status_names[NODE_MEMBER_ACTIVE])},
    };
    if ((rc = s_append(store, coord_id, sk, id, fields,
                       sizeof fields / sizeof fields[0])))
        return rc;
    if ((rc = store_author_add(store, id, pk))) {
        zsys_error("roster: member added but not registered member=%s "
                   "reason=%s (run the same add again)",
                   id, vocfed_status_token(rc));
        return rc;
    }
    return VOCFED_OK;
}

/* A new entry for member id: its current body with the fields of repl
 * (n of them) replaced or added. cur gets the member as it was. */
static int
s_rewrite(store_t *store, const char *coord_id, const uint8_t *sk,
          const char *id, const proto_field_t *repl, size_t nrepl,
          node_member_t *cur)
{
    proto_buf_t entry;
    proto_entry_t e;
    proto_body_iter_t it;
    proto_field_t *fields = NULL;
    size_t n = 0;
    int rc;
    proto_buf_init(&entry);
    if ((rc = s_member_get(store, coord_id, id, cur, &entry)) ||
        (rc = proto_entry_decode(entry.data, entry.len, &e)) ||
        (rc = proto_body_iter_init(&it, e.body, e.body_len)))
        goto done;
    fields = calloc(it.remaining + nrepl + 1, sizeof *fields);
    if (!fields) {
        rc = VOCFED_ENOMEM;
        goto done;
    }
    bool used[8] = {false};
    while ((rc = proto_body_iter_next(&it, &fields[n])) == 1) {
        for (size_t r = 0; r < nrepl && r < 8; r++)
            if (fields[n].name_len == repl[r].name_len &&
                memcmp(fields[n].name, repl[r].name, repl[r].name_len) == 0) {
                fields[n].value = repl[r].value;
                used[r] = true;
            }
        n++;
    }
    if (rc < 0)
        goto done;
    for (size_t r = 0; r < nrepl && r < 8; r++)
        if (!used[r])
            fields[n++] = repl[r];
    rc = s_append(store, coord_id, sk, id, fields, n);
done:
    free(fields);
    proto_buf_release(&entry);
    return rc;
}

int
node_roster_set_status(store_t *store, const char *coord_id, const uint8_t *sk,
                       const char *id, node_member_status_t status)
{
    assert(store && coord_id && sk && id);
    node_member_t cur;
    proto_buf_t entry;
    int rc;
    if ((unsigned)status >= S_NSTATUS ||
        !proto_id_valid(coord_id, strlen(coord_id)) ||
        !proto_id_valid(id, strlen(id)))
        return VOCFED_EINVALID;
    proto_buf_init(&entry);
    rc = s_member_get(store, coord_id, id, &cur, &entry);
    proto_buf_release(&entry);
    if (rc)
        return rc;
    /* Revoked is final: a revoked key may have leaked. */
    if (cur.status == NODE_MEMBER_REVOKED)
        return VOCFED_EINVALID;
    /* Nothing changes: no entry to say so. */
    if (cur.status == status)
        return VOCFED_OK;
    proto_field_t f = {"status", 6, s_str_value(s_status_names[status])};
    return s_rewrite(store, coord_id, sk, id, &f, 1, &cur);
}

int
node_roster_set_key(store_t *store, const char *coord_id, const uint8_t *sk,
                    const char *id, const uint8_t pk[PROTO_PUBKEY_LEN],
                    uint64_t from)
{
    assert(store && coord_id && sk && id && pk);
    uint8_t curve[PROTO_PUBKEY_LEN];
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    node_member_t cur;
    proto_buf_t entry;
    int rc;
    if (!proto_id_valid(coord_id, strlen(coord_id)) ||
        !proto_id_valid(id, strlen(id)) || from > INT64_MAX ||
        node_pubkey_curve(pk, curve))
        return VOCFED_EINVALID;
    proto_buf_init(&entry);
    rc = s_member_get(store, coord_id, id, &cur, &entry);
    proto_buf_release(&entry);
    if (rc)
        return rc;
    if (cur.status == NODE_MEMBER_REVOKED)
        return VOCFED_EINVALID;
    if (memcmp(cur.pk, pk, PROTO_PUBKEY_LEN) == 0)
        return VOCFED_EEXISTS;
    proto_hex(pk, PROTO_PUBKEY_LEN, hex);
    proto_field_t f[] = {
        {"pubkey", 6, s_str_value(hex)},
        {"key_from", 8, {.type = PROTO_VAL_INT, .i = (int64_t)from}},
    };
    return s_rewrite(store, coord_id, sk, id, f, 2, &cur);
}

/* The ids of every author the store knows, into a zlist of strings. */
static int
s_author_id(void *ctx, const char *id, const uint8_t pk[PROTO_PUBKEY_LEN])
{
    (void)pk;
    zlist_append(ctx, (char *)id); /* autofree: copied */
    return 0;
}

int
node_roster_key_unused(store_t *store, const char *coord_id,
                       const uint8_t pk[PROTO_PUBKEY_LEN], const char *except)
{
    uint8_t curve[PROTO_PUBKEY_LEN], other[PROTO_PUBKEY_LEN];
    store_key_t keys[STORE_KEYS_MAX];
    size_t n = 0;
    if (node_pubkey_curve(pk, curve))
        return VOCFED_EINVALID;
    int rc = s_key_unused(store, coord_id, pk, curve);
    zlist_t *ids = zlist_new();
    if (!rc && !ids)
        rc = VOCFED_ENOMEM;
    if (rc)
        goto done;
    zlist_autofree(ids);
    if ((rc = store_scan_authors(store, s_author_id, ids)))
        goto done;
    for (const char *id = zlist_first(ids); id && !rc; id = zlist_next(ids)) {
        if ((rc = store_author_keys(store, id, keys, STORE_KEYS_MAX, &n)))
            break;
        /* except's key in force is the one an add may register again */
        bool own = except && strcmp(id, except) == 0;
        for (size_t i = 0; i < n - (own ? 1 : 0) && !rc; i++)
            if (memcmp(keys[i].pk, pk, PROTO_PUBKEY_LEN) == 0 ||
                (node_pubkey_curve(keys[i].pk, other) == VOCFED_OK &&
                 memcmp(other, curve, PROTO_PUBKEY_LEN) == 0))
                rc = VOCFED_EEXISTS;
    }
done:
    zlist_destroy(&ids);
    return rc;
}

/* What node_roster_load gathers. */
typedef struct {
    const char *coord_id; /* whose log */
    node_member_t *v;     /* members read so far */
    size_t n;             /* how many */
    size_t cap;           /* allocated */
} s_load_t;

static int
s_load_one(void *ctx, const char *key, uint64_t seq, const uint8_t *entry,
           size_t len)
{
    s_load_t *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        node_member_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return VOCFED_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    int rc = s_member_parse(l->coord_id, key, seq, entry, len, &l->v[l->n]);
    if (rc) {
        /* Fail closed: a record that cannot be read might be the one
         * that revoked a member. The operator must see it. */
        zsys_error("roster: bad member_key record author=%s seq=%llu "
                   "reason=%s",
                   l->coord_id, (unsigned long long)seq,
                   vocfed_status_token(rc));
        return rc;
    }
    l->n++;
    return VOCFED_OK;
}

static int
s_member_cmp(const void *a, const void *b)
{
    return strcmp(((const node_member_t *)a)->id,
                  ((const node_member_t *)b)->id);
}

int
node_roster_load(store_t *store, const char *coord_id, node_roster_t *out)
{
    assert(store && coord_id && out);
    s_load_t l = {.coord_id = coord_id};
    out->members = NULL;
    out->count = 0;
    if (!proto_id_valid(coord_id, strlen(coord_id)))
        return VOCFED_EINVALID;
    int rc =
        store_scan_records(store, coord_id, NODE_ROSTER_KIND, s_load_one, &l);
    if (rc) {
        free(l.v);
        return rc;
    }
    /* The index is in key order already; the contract does not rest on
     * it. */
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, s_member_cmp);
    out->members = l.v;
    out->count = l.n;
    return VOCFED_OK;
}

int
node_roster_curves(node_roster_t *r)
{
    for (size_t i = 0; i < r->count; i++) {
        node_member_t *m = &r->members[i];
        if (node_pubkey_curve(m->pk, m->curve_pk)) {
            zsys_error("roster: the key of member %s is not a point of the "
                       "curve (record seq=%llu)",
                       m->id, (unsigned long long)m->seq);
            return VOCFED_EMALFORMED;
        }
    }
    return VOCFED_OK;
}

void
node_roster_release(node_roster_t *r)
{
    if (!r)
        return;
    free(r->members);
    r->members = NULL;
    r->count = 0;
}

const node_member_t *
node_roster_find(const node_roster_t *r, const char *id)
{
    node_member_t key;
    size_t len = strlen(id);
    if (!r->count || len > PROTO_ID_MAX)
        return NULL;
    memcpy(key.id, id, len + 1);
    return bsearch(&key, r->members, r->count, sizeof key, s_member_cmp);
}

const node_member_t *
node_roster_find_curve(const node_roster_t *r,
                       const uint8_t curve_pk[PROTO_PUBKEY_LEN])
{
    const node_member_t *found = NULL;
    for (size_t i = 0; i < r->count; i++)
        if (memcmp(r->members[i].curve_pk, curve_pk, PROTO_PUBKEY_LEN) == 0) {
            if (found)
                return NULL; /* two entries, one X25519 key: no one */
            found = &r->members[i];
        }
    return found;
}
