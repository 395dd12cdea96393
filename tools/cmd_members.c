/* vocfed members: the roster the coordinator keeps in its own signed log
 * (DESIGN 8, node/roster.h): add, list, suspend, activate, revoke. */
#include "node/identity.h"
#include "node/rekey.h"
#include "node/roster.h"
#include "tools/cli.h"
#include "tools/cli_fence.h"

#include "storage/replica.h"
#include "tools/members_evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one run was asked to do. */
typedef struct {
    const char *sub;              /* add | list | suspend | activate | revoke
                                     | evidence | release */
    const char *id;               /* the member, NULL for list */
    const char *name;             /* --name (add), NULL if not given */
    const char *role;             /* --role (add), NULL if not given */
    uint8_t pk[PROTO_PUBKEY_LEN]; /* PUBKEY (add) */
    const char *note;             /* --note (release), or NULL */
    bool json;                    /* --json */
} s_req_t;

/* The status a subcommand sets (suspend, activate, revoke). */
static bool
s_sub_status(const char *sub, node_member_status_t *out)
{
    static const struct {
        const char *sub;             /* what the user types */
        node_member_status_t status; /* what it sets */
    } subs[] = {
        {"suspend", NODE_MEMBER_SUSPENDED},
        {"activate", NODE_MEMBER_ACTIVE},
        {"revoke", NODE_MEMBER_REVOKED},
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].sub, sub) == 0) {
            *out = subs[i].status;
            return true;
        }
    return false;
}

/* One member as JSON, as list --json prints it (quarantined: its
 * batches refused after equivocation, SPEC 8.5, whatever its roster
 * status); NULL when out of memory. */
static json_t *
s_member_json(store_t *st, const node_member_t *m)
{
    char hex[2 * PROTO_PUBKEY_LEN + 1];
    proto_hex(m->pk, sizeof m->pk, hex);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "id", m->id,
                     "pubkey", hex, "name", m->name, "role", m->role, "status",
                     node_member_status_name(m->status), "seq",
                     (json_int_t)m->seq, "quarantined",
                     store_quarantined(st, m->id));
}

/* The status column: the roster's, and quarantined before it. */
static const char *
s_status_text(store_t *st, const node_member_t *m, char *buf, size_t cap)
{
    if (!store_quarantined(st, m->id))
        return node_member_status_name(m->status);
    snprintf(buf, cap, "quarantined (%s)", node_member_status_name(m->status));
    return buf;
}

/* Columns a terminal gives to a valid UTF-8 string: two for the East
 * Asian wide ranges (the names are mostly Chinese), one otherwise. */
static size_t
s_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        cp = n == 1   ? *p
             : n == 2 ? *p & 0x1fu
             : n == 3 ? *p & 0x0fu
                      : *p & 0x07u;
        for (size_t i = 1; i < n && p[i]; i++)
            cp = cp << 6 | (p[i] & 0x3fu);
        for (size_t i = 0; i < n && *p; i++)
            p++;
        bool wide =
            (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
            (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
            (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
            (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
        w += wide ? 2 : 1;
    }
    return w;
}

/* Prints s, then spaces up to width columns and a two-space gap. */
static void
s_cell(const char *s, size_t width)
{
    size_t w = s_width(s);
    fputs(s, stdout);
    for (; w < width + 2; w++)
        fputc(' ', stdout);
}

/* The roster as a table (or JSON array). Returns an exit code. */
static int
s_list(store_t *st, const node_roster_t *r, bool json)
{
    char sbuf[48];
    if (json) {
        json_t *a = json_array();
        int fail = !a;
        for (size_t i = 0; !fail && i < r->count; i++)
            fail = json_array_append_new(a, s_member_json(st, &r->members[i]));
        if (fail) {
            json_decref(a);
            return cli_fail(VOCFED_ENOMEM, "cannot print the roster");
        }
        int rc = cli_json_print(a);
        json_decref(a);
        return rc;
    }
    if (r->count == 0) {
        printf("no members on the roster yet ('vocfed members add')\n");
        return CLI_EXIT_OK;
    }
    size_t wid = 2, wst = 6, wrole = 4, wname = 4;
    for (size_t i = 0; i < r->count; i++) {
        const node_member_t *m = &r->members[i];
        size_t w;
        if ((w = strlen(m->id)) > wid)
            wid = w;
        if ((w = strlen(s_status_text(st, m, sbuf, sizeof sbuf))) > wst)
            wst = w;
        if ((w = s_width(m->role[0] ? m->role : "-")) > wrole)
            wrole = w;
        if ((w = s_width(m->name[0] ? m->name : "-")) > wname)
            wname = w;
    }
    s_cell("id", wid);
    s_cell("status", wst);
    s_cell("role", wrole);
    s_cell("name", wname);
    fputs("pubkey\n", stdout);
    for (size_t i = 0; i < r->count; i++) {
        const node_member_t *m = &r->members[i];
        char hex[2 * PROTO_PUBKEY_LEN + 1];
        proto_hex(m->pk, sizeof m->pk, hex);
        s_cell(m->id, wid);
        s_cell(s_status_text(st, m, sbuf, sizeof sbuf), wst);
        s_cell(m->role[0] ? m->role : "-", wrole);
        s_cell(m->name[0] ? m->name : "-", wname);
        printf("%s\n", hex);
    }
    return CLI_EXIT_OK;
}

/* Prints what add or a status change left: "VERB ID seq=N" or the
 * member as JSON. Reads the roster back, so what is printed is what the
 * log says. Returns an exit code. */
static int
s_report(const cli_t *cli, store_t *store, const char *coord_id,
         const char *verb, const char *id, bool json)
{
    node_roster_t r;
    int rc = node_roster_load(store, coord_id, &r);
    if (rc)
        return cli_fail(rc, "cannot read the roster of %s in %s", coord_id,
                        cli->dir);
    const node_member_t *m = node_roster_find(&r, id);
    if (!m) {
        rc = cli_fail(VOCFED_ECORRUPT,
                      "member %s is not on the roster after "
                      "the write",
                      id);
    } else if (json) {
        json_t *j = s_member_json(store, m);
        rc = cli_json_emit(j, "the result");
    } else {
        printf("%s %s seq=%llu\n", verb, m->id, (unsigned long long)m->seq);
        rc = CLI_EXIT_OK;
    }
    node_roster_release(&r);
    return rc;
}

/* Why node_roster_add or node_roster_set_status refused req: reads the
 * roster to say it precisely. Returns an exit code. */
static int
s_refused(const node_t *node, const s_req_t *req, int status)
{
    node_roster_t r;
    const node_member_t *m = NULL, *same_key = NULL;
    /* A roster that cannot be read is left empty: the message is then the
     * plain one. */
    if (node_roster_load(node_store(node), node_id(node), &r) == VOCFED_OK)
        m = node_roster_find(&r, req->id);
    for (size_t i = 0; i < r.count && !m; i++)
        if (memcmp(r.members[i].pk, req->pk, sizeof req->pk) == 0)
            same_key = &r.members[i];
    int rc = CLI_EXIT_FAIL;
    if (status == VOCFED_EEXISTS && m)
        cli_error("member %s is already on the roster (%s, seq %llu)", m->id,
                  node_member_status_name(m->status),
                  (unsigned long long)m->seq);
    else if (status == VOCFED_EEXISTS && same_key)
        cli_error("that public key is member %s's already (%s): one key, "
                  "one member",
                  same_key->id, node_member_status_name(same_key->status));
    else if (status == VOCFED_EEXISTS &&
             memcmp(node_pubkey(node), req->pk, sizeof req->pk) == 0)
        cli_error("that public key is this coordinator's own");
    else if (status == VOCFED_EEXISTS)
        cli_error("%s is known to this store with another public key: "
                  "refusing to add it with this one",
                  req->id);
    else if (status == VOCFED_ENOTFOUND)
        cli_error("no member %s on the roster", req->id);
    else if (status == VOCFED_EINVALID && m && m->status == NODE_MEMBER_REVOKED)
        cli_error("member %s is revoked (seq %llu): revoked is final", m->id,
                  (unsigned long long)m->seq);
    else
        rc = cli_fail(status, "members %s %s refused", req->sub, req->id);
    node_roster_release(&r);
    return rc;
}

/* Why node_rekey_vouch refused req. Returns an exit code. */
static int
s_rekey_refused(const node_t *node, const s_req_t *req, int status)
{
    store_head_t head;
    if (status == VOCFED_EINVALID &&
        store_head(node_store(node), req->id, &head) == VOCFED_OK) {
        node_roster_t r;
        const node_member_t *m = NULL;
        int rc = node_roster_load(node_store(node), node_id(node), &r);
        if (rc == VOCFED_OK)
            m = node_roster_find(&r, req->id);
        bool revoked = m && m->status == NODE_MEMBER_REVOKED;
        node_roster_release(&r);
        if (!revoked) {
            cli_error("member %s's log here ends past its latest checkpoint "
                      "(a transfer cut short, %llu entries): the new key "
                      "cannot take over there; nothing changed",
                      req->id, (unsigned long long)head.size);
            return CLI_EXIT_FAIL;
        }
    }
    if (status == VOCFED_EEXISTS) {
        cli_error("that public key is or was someone's (a member's, this "
                  "coordinator's, or a key replaced): a new key, never "
                  "used, is needed");
        return CLI_EXIT_FAIL;
    }
    return s_refused(node, req, status);
}

/* What a rekey did, and what the member does next. */
static int
s_rekey_done(const cli_t *cli, store_t *store, const char *coord_id,
             const s_req_t *req, uint64_t from)
{
    if (!req->json)
        fprintf(stderr,
                "vocfed: %s's key replaced from size %llu: its old key is "
                "refused from now on.\nOn the member: 'vocfed restore --id "
                "%s' in the folder 'vocfed init --recover'\nmade.\n",
                req->id, (unsigned long long)from, req->id);
    return s_report(cli, store, coord_id, "rekeyed", req->id, req->json);
}

/* Parses the command line into req. Returns CLI_GO_ON or an exit code
 * after printing. */
static int
s_parse(cli_t *cli, int argc, char **argv, s_req_t *req)
{
    memset(req, 0, sizeof *req);
    const cli_opt_t opts[] = {
        CLI_FLAG("json", &req->json),
        CLI_STR("name", &req->name),
        CLI_STR("role", &req->role),
        CLI_STR("note", &req->note),
        CLI_END,
    };
    node_member_status_t st;
    cli_args_t a;
    int rc = cli_parse_sub(cli, opts, argc, argv, &a,
                           "members needs add, list, suspend, activate, "
                           "revoke, rekey, evidence or release");
    if (rc != CLI_GO_ON)
        return rc;
    char **args = a.v;
    size_t nargs = a.n;
    req->sub = args[0];
    bool add = strcmp(req->sub, "add") == 0;
    bool rekey = strcmp(req->sub, "rekey") == 0;
    size_t want;
    if (add || rekey)
        want = 3;
    else if (strcmp(req->sub, "list") == 0)
        want = 1;
    else if (s_sub_status(req->sub, &st) || strcmp(req->sub, "evidence") == 0 ||
             strcmp(req->sub, "release") == 0)
        want = 2;
    else
        return cli_usage_error(cli, "unknown members command '%s'", req->sub);
    if (nargs < want)
        return cli_usage_error(cli, "members %s needs %s", req->sub,
                               want == 3 ? "ID and PUBKEY" : "ID");
    if (nargs > want)
        return cli_usage_error(cli, "unexpected argument '%s'", args[want]);
    if (!add && (req->name || req->role))
        return cli_usage_error(cli, "--name and --role are for members add");
    if (req->note && strcmp(req->sub, "release") != 0)
        return cli_usage_error(cli, "--note is for members release");
    if (want >= 2) {
        req->id = args[1];
        if ((rc = cli_check_id(cli, "member id", req->id)) != CLI_GO_ON)
            return rc;
    }
    if (want == 3 &&
        (rc = cli_parse_pubkey(cli, "PUBKEY", args[2], req->pk)) != CLI_GO_ON)
        return rc;
    if (!add)
        return CLI_GO_ON;
    if (req->name && req->name[0] &&
        !proto_key_valid(req->name, strlen(req->name)))
        return cli_usage_error(cli,
                               "--name must be printable UTF-8 of at most %d "
                               "bytes",
                               NODE_NAME_MAX);
    if (!req->role)
        req->role = "member";
    if (!cli_role_valid(req->role))
        return cli_usage_error(cli, "unknown role '%s'", req->role);
    return CLI_GO_ON;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_req_t req;
    node_t *node;
    node_member_status_t status = NODE_MEMBER_ACTIVE;
    int rc;
    if ((rc = s_parse(cli, argc, argv, &req)) != CLI_GO_ON ||
        (rc = cli_node(cli, &node)))
        return rc;
    store_t *store = node_store(node);
    const char *me = node_id(node);
    /* The evidence and its release are this store's, not the roster's:
     * no key, no roster lock; a member keeps evidence against the
     * coordinator too (SPEC 8.5, 10.7). */
    if (strcmp(req.sub, "evidence") == 0)
        return cli_members_evidence(node, req.id, req.json);
    if (strcmp(req.sub, "release") == 0)
        return cli_members_release(node, req.id, req.note, req.json);
    if (!node_is_coordinator(node)) {
        cli_error("%s is a %s node, not the coordinator: the roster is kept "
                  "by the coordinator (made with 'vocfed init "
                  "--coordinator')",
                  me, node_role(node));
        return CLI_EXIT_USAGE;
    }

    if (strcmp(req.sub, "list") == 0) {
        node_roster_t r;
        if ((rc = node_roster_load(store, me, &r)))
            return cli_fail(rc, "cannot read the roster of %s in %s", me,
                            cli->dir);
        rc = s_list(store, &r, req.json);
        node_roster_release(&r);
        return rc;
    }

    if (strcmp(req.id, me) == 0) {
        cli_error("%s is this coordinator's own id, not a member", req.id);
        return CLI_EXIT_FAIL;
    }
    if ((rc = cli_node_key(cli)) || (rc = cli_unfence(cli, &node)))
        return rc; /* a fenced coordinator signs nothing (SPEC 10.7) */
    store = node_store(node);
    me = node_id(node);
    /* Check and append as one step: another `members` run waits
     * (SPEC 10.1). */
    int lock;
    if ((rc = node_roster_lock(node_dir(node), &lock)))
        return cli_fail(rc, "cannot lock the roster in %s", cli->dir);
    const char *verb;
    if (strcmp(req.sub, "rekey") == 0) {
        uint64_t from = 0;
        rc = node_rekey_vouch(store, me, node_sk(node), req.id, req.pk, &from);
        node_roster_unlock(lock);
        return rc ? s_rekey_refused(node, &req, rc)
                  : s_rekey_done(cli, store, me, &req, from);
    }
    if (strcmp(req.sub, "add") == 0) {
        verb = "added";
        rc = node_roster_add(store, me, node_sk(node), req.id, req.pk,
                             req.name ? req.name : "", req.role);
    } else {
        (void)s_sub_status(req.sub, &status);
        verb = status == NODE_MEMBER_SUSPENDED ? "suspended"
               : status == NODE_MEMBER_REVOKED ? "revoked"
                                               : "activated";
        rc = node_roster_set_status(store, me, node_sk(node), req.id, status);
    }
    node_roster_unlock(lock);
    return rc ? s_refused(node, &req, rc)
              : s_report(cli, store, me, verb, req.id, req.json);
}

const cli_cmd_t cmd_members = {
    .name = "members",
    .summary = "the roster, on the coordinator: add, list, suspend, revoke",
    .usage =
        "Usage: vocfed members add ID PUBKEY [--name NAME] [--role ROLE] "
        "[--json]\n"
        "       vocfed members list [--json]\n"
        "       vocfed members suspend ID [--json]\n"
        "       vocfed members activate ID [--json]\n"
        "       vocfed members revoke ID [--json]\n"
        "       vocfed members rekey ID PUBKEY [--json]\n"
        "       vocfed members evidence ID [--json]\n"
        "       vocfed members release ID [--note TEXT] [--json]\n"
        "\n"
        "The roster is the coordinator's own signed log (kind member_key): "
        "which\n"
        "member ids exist, their Ed25519 public keys, and whether they may "
        "send.\n"
        "Runs only on the coordinator node ('vocfed init --coordinator'), "
        "but for\n"
        "evidence and release, which a member also runs about the "
        "coordinator (a\n"
        "coordinator whose log conflicts with the member's copy is "
        "quarantined there).\n"
        "A fenced coordinator (restored from a copy, fetching its own log "
        "from the\n"
        "members) changes no roster: add, suspend, activate, revoke and "
        "rekey\n"
        "wait up to 30 s for its daemon to lift the fence, then are refused "
        "(exit 1).\n"
        "\n"
        "  add       puts member ID with key PUBKEY on the roster (active) "
        "and\n"
        "            registers it as an author; prints 'added ID seq=N'\n"
        "  list      prints id, status, role, name and public key of each "
        "member;\n"
        "            with --json an array of {\"id\", \"pubkey\", \"name\", "
        "\"role\",\n"
        "            \"status\", \"seq\"}\n"
        "  suspend   refuses member ID for now (activate takes it back)\n"
        "  activate  lets a suspended member send again\n"
        "  revoke    refuses member ID for good: revoked is final\n"
        "  rekey     member ID lost its key: PUBKEY (from 'vocfed init "
        "--recover' on\n"
        "            the member) replaces it from the size of ID's log held "
        "here; the\n"
        "            old key is refused from then on, checkpoints up to "
        "that size\n"
        "            stay verified under it. Then, on the member: 'vocfed "
        "restore --id\n"
        "            ID'. (A member that still has its key runs 'vocfed "
        "rekey' itself.)\n"
        "  evidence  what member ID's quarantine rests on: each pair of "
        "checkpoints it\n"
        "            signed at one size (size, root, when signed, bytes), "
        "when it was\n"
        "            kept and why, and each release so far\n"
        "  release   lifts member ID's quarantine once you have looked at "
        "the evidence\n"
        "            and the member's store holds one history again; the "
        "evidence\n"
        "            stays, with the release's time and --note\n"
        "\n"
        "  list shows a quarantined member's status as 'quarantined "
        "(active)': the\n"
        "  coordinator refuses its batches whatever its roster status until "
        "a release.\n"
        "\n"
        "  ID        member id: a-z or 0-9, then also '_', '.', '-'; at most "
        "32 bytes\n"
        "  PUBKEY    its public key, 64 hex digits (what 'vocfed whoami' "
        "prints on\n"
        "            the member)\n"
        "\n"
        "Options:\n"
        "  --name NAME   display name, printable UTF-8 (add)\n"
        "  --role ROLE   one of lead, backbone, consortium, enterprise, "
        "government,\n"
        "                industry_body, research, county_school, school, "
        "member,\n"
        "                coordinator (add; default member)\n"
        "  --note TEXT   one line kept with a release (why, who looked)\n"
        "  --json        print JSON: the member after add, suspend, activate "
        "and\n"
        "                revoke (with \"quarantined\"), the array for list, "
        "{\"id\",\n"
        "                \"quarantined\", \"evidence\", \"releases\"} for "
        "evidence and release\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 done, 1 refused (no such member, already on the "
        "roster, id\n"
        "known with another key, revoked, release of a member not "
        "quarantined, a\n"
        "fenced coordinator, a rekey to a key used before), 2 usage error "
        "or not a\n"
        "coordinator node, 3 no store, bad key file or disk full.\n",
    .run = s_run,
    .needs = CLI_NEEDS_KEY,
};
