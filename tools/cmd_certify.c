/* vocfed certify: the secretariat's decisions on members' claims and
 * the payments against them, in the coordinator's signed log; at a
 * member, the decisions on its own claims, each verified (node/certify.h,
 * SPEC 11.6). */
#include "node/certify.h"
#include "node/node.h"
#include "node/roster.h"
#include "tools/cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one run was asked to do. */
typedef struct {
    const char *sub;    /* list | show | approve | reject | revoke | paid */
    const char *claim;  /* MEMBER/CODE (or CODE at a member), or NULL */
    const char *note;   /* --note, or NULL */
    const char *amount; /* --amount, or NULL */
    const char *date;   /* --date (paid) */
    const char *ref;    /* --ref (paid) */
    const char *state;  /* --state (list), or NULL */
    bool json;          /* --json */
    int64_t amount_n;   /* --amount as a number, -1 when not given */
} s_req_t;

/* The decision a subcommand writes, or NULL. */
static const char *
s_decision(const char *sub)
{
    if (strcmp(sub, "approve") == 0)
        return "approved";
    if (strcmp(sub, "reject") == 0)
        return "rejected";
    if (strcmp(sub, "revoke") == 0)
        return "revoked";
    return NULL;
}

/* Checks the options that belong to some subcommands only. */
static int
s_check_opts(cli_t *cli, s_req_t *r)
{
    bool paid = strcmp(r->sub, "paid") == 0, dec = s_decision(r->sub);
    uint64_t n;
    if ((r->date || r->ref) && !paid)
        return cli_usage_error(cli, "--date and --ref are for certify paid");
    if (r->amount && !paid && strcmp(r->sub, "approve") != 0)
        return cli_usage_error(cli, "--amount is for approve and paid");
    if (r->note && !dec && !paid)
        return cli_usage_error(cli, "--note is for a decision or a payment");
    if (r->state && strcmp(r->sub, "list") != 0)
        return cli_usage_error(cli, "--state is for certify list");
    if (paid && (!r->amount || !r->date || !r->ref))
        return cli_usage_error(cli, "certify paid needs --amount, --date and "
                                    "--ref");
    r->amount_n = -1;
    if (r->amount) {
        if (!cli_parse_u64(r->amount, paid ? 1 : 0, 100000000, &n))
            return cli_usage_error(cli,
                                   "--amount takes whole yuan, %s to "
                                   "100000000, not '%s'",
                                   paid ? "1" : "0", r->amount);
        r->amount_n = (int64_t)n;
    }
    if (r->note && !proto_key_valid(r->note, strlen(r->note)))
        return cli_usage_error(cli, "--note must be printable UTF-8 of at "
                                    "most 256 bytes");
    return CLI_GO_ON;
}

/* Parses the command line into r. */
static int
s_parse(cli_t *cli, int argc, char **argv, s_req_t *r)
{
    memset(r, 0, sizeof *r);
    const cli_opt_t opts[] = {
        CLI_FLAG("json", &r->json),
        CLI_STR("note", &r->note),
        CLI_STR("amount", &r->amount),
        CLI_STR("date", &r->date),
        CLI_STR("ref", &r->ref),
        CLI_STR("state", &r->state),
        CLI_END,
    };
    cli_args_t a;
    int rc = cli_parse_sub(cli, opts, argc, argv, &a,
                           "certify needs list, show, approve, reject, "
                           "revoke or paid");
    if (rc != CLI_GO_ON)
        return rc;
    r->sub = a.v[0];
    bool list = strcmp(r->sub, "list") == 0;
    if (!list && strcmp(r->sub, "show") && strcmp(r->sub, "paid") &&
        !s_decision(r->sub))
        return cli_usage_error(cli, "unknown certify command '%s'", r->sub);
    size_t want = list ? 1 : 2;
    if (a.n < want)
        return cli_usage_error(cli, "certify %s needs CLAIM (MEMBER/CODE)",
                               r->sub);
    if (a.n > want)
        return cli_usage_error(cli, "unexpected argument '%s'", a.v[want]);
    r->claim = list ? NULL : a.v[1];
    return s_check_opts(cli, r);
}

/* The claim's state and money in one line. */
static void
s_line(const node_claim_t *c, const char *verified)
{
    printf("%s/%s  %s %d  %s", c->member, c->code,
           c->subject[0] ? c->subject : "-", c->year,
           node_claim_state_label(c));
    printf("  asked %" PRId64 "  approved %" PRId64 "  paid %" PRId64, c->asked,
           c->state == NODE_CLAIM_APPROVED || c->state == NODE_CLAIM_PAID
               ? c->approved
               : 0,
           c->paid);
    if (verified)
        printf("  %s", verified);
    putchar('\n');
}

/* The member's check of c, as text (at a member, for a decided claim),
 * else NULL. */
static const char *
s_verified(node_t *node, const node_claim_t *c, bool *ok, char *buf, size_t cap)
{
    uint8_t pk[PROTO_PUBKEY_LEN];
    const char *coord = node_coordinator_id(node);
    const char *hex = node_coordinator_key(node);
    *ok = true;
    if (node_is_coordinator(node) || !c->decided || !coord)
        return NULL;
    if (!hex || proto_unhex(hex, pk, sizeof pk) != 0) {
        if (store_author_key(node_store(node), coord, pk) != 0) {
            *ok = false;
            return "unverified: no coordinator key";
        }
    }
    char why[400];
    if (node_certify_verify(node_store(node), coord, pk, c, why, sizeof why)) {
        *ok = false;
        snprintf(buf, cap, "NOT VERIFIED: %s", why);
        return buf;
    }
    return "verified";
}

/* One claim as JSON, with "verified" at a member. */
static json_t *
s_claim_json(node_t *node, const node_claim_t *c, bool *ok)
{
    char buf[512];
    const char *v = s_verified(node, c, ok, buf, sizeof buf);
    json_t *j = node_claim_json(c);
    if (j && v)
        json_object_set_new(j, "verified", json_string(v));
    return j;
}

/* certify list: every claim (at a member its own) with its state. */
static int
s_list(node_t *node, const node_claims_t *cs, const s_req_t *r)
{
    json_t *a = r->json ? json_array() : NULL;
    bool all_ok = true;
    size_t shown = 0;
    for (size_t i = 0; i < cs->n; i++) {
        const node_claim_t *c = &cs->v[i];
        bool ok;
        char buf[512];
        if (r->state && strcmp(r->state, node_claim_state_name(c->state)))
            continue;
        shown++;
        if (a) {
            if (json_array_append_new(a, s_claim_json(node, c, &ok)))
                return cli_fail(VOCFED_ENOMEM, "cannot print the claims");
        } else {
            s_line(c, s_verified(node, c, &ok, buf, sizeof buf));
        }
        all_ok &= ok;
    }
    if (a) {
        int rc = cli_json_emit(a, "the claims");
        return rc ? rc : all_ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    }
    if (!shown)
        printf("no claims%s%s\n", r->state ? " in state " : "",
               r->state ? r->state : "");
    return all_ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* certify show: one claim in full, with its payments. */
static int
s_show(node_t *node, const node_claims_t *cs, const node_claim_t *c, bool json)
{
    bool ok;
    json_t *j = s_claim_json(node, c, &ok), *pays = json_array();
    for (size_t i = 0; j && pays && i < cs->npay; i++) {
        const node_payment_t *p = &cs->pay[i];
        if (strcmp(p->member, c->member) || strcmp(p->code, c->code))
            continue;
        json_array_append_new(
            pays, json_pack("{s:s, s:I, s:s, s:I, s:I}", "voucher", p->voucher,
                            "amount", (json_int_t)p->amount, "date", p->date,
                            "decision_seq", (json_int_t)p->decision_seq, "seq",
                            (json_int_t)p->seq));
    }
    if (!j || !pays || json_object_set_new(j, "payments", pays)) {
        json_decref(j);
        return cli_fail(VOCFED_ENOMEM, "cannot print the claim");
    }
    int rc = json ? cli_json_emit(j, "the claim")
                  : (cli_json_print(j) == 0 ? CLI_EXIT_OK : CLI_EXIT_ENV);
    if (!json)
        json_decref(j);
    return rc ? rc : ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* MEMBER/CODE, or at a member its own CODE. */
static int
s_ref(const cli_t *cli, node_t *node, const char *claim, char *member,
      char *code)
{
    if (node_claim_ref(claim, member, PROTO_ID_MAX + 1, code,
                       PROTO_KEY_MAX + 1)) {
        if (!node_is_coordinator(node) && strcmp(member, node_id(node)) != 0)
            return cli_usage_error(cli,
                                   "%s is a member: it sees only its own "
                                   "claims (%s/...)",
                                   node_id(node), node_id(node));
        return CLI_GO_ON;
    }
    if (!node_is_coordinator(node) && proto_key_valid(claim, strlen(claim))) {
        snprintf(member, PROTO_ID_MAX + 1, "%s", node_id(node));
        snprintf(code, PROTO_KEY_MAX + 1, "%s", claim);
        return CLI_GO_ON;
    }
    return cli_usage_error(cli, "CLAIM is MEMBER/CODE, not '%s'", claim);
}

/* approve, reject, revoke, paid: at the coordinator, under the roster's
 * lock (one change at a time, SPEC 11.6). */
static int
s_write(cli_t *cli, node_t *node, const s_req_t *r, const char *member,
        const char *code)
{
    char why[600] = "";
    uint64_t seq = 0;
    int lock, rc;
    if ((rc = cli_node_key(cli)))
        return rc;
    if ((rc = node_roster_lock(node_dir(node), &lock)))
        return cli_fail(rc, "cannot lock the coordinator's log in %s",
                        cli->dir);
    if (strcmp(r->sub, "paid") == 0) {
        node_pay_t p = {member, code, r->amount_n, r->date, r->ref, r->note};
        rc = node_certify_pay(node_store(node), node_id(node), node_sk(node),
                              &p, &seq, why, sizeof why);
    } else {
        node_decide_t d = {member, code, s_decision(r->sub), r->amount_n,
                           r->note};
        rc = node_certify_decide(node_store(node), node_id(node), node_sk(node),
                                 &d, &seq, why, sizeof why);
    }
    node_roster_unlock(lock);
    if (rc == VOCFED_EINVALID || rc == VOCFED_ENOTFOUND) {
        cli_error("certify %s %s/%s refused: %s", r->sub, member, code, why);
        return CLI_EXIT_FAIL;
    }
    if (rc)
        return cli_fail(rc, "certify %s %s/%s", r->sub, member, code);
    printf("%s %s/%s seq=%" PRIu64 "\n",
           strcmp(r->sub, "paid") == 0 ? "paid" : s_decision(r->sub), member,
           code, seq);
    return CLI_EXIT_OK;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_req_t r;
    node_t *node;
    node_claims_t cs = {0};
    char member[PROTO_ID_MAX + 1], code[PROTO_KEY_MAX + 1];
    int rc;
    if ((rc = s_parse(cli, argc, argv, &r)) != CLI_GO_ON ||
        (rc = cli_node(cli, &node)))
        return rc;
    bool coord = node_is_coordinator(node);
    if (strcmp(r.sub, "list") && strcmp(r.sub, "show") && !coord) {
        cli_error("%s is a member: decisions and payments are written at the "
                  "coordinator",
                  node_id(node));
        return CLI_EXIT_USAGE;
    }
    if (r.claim && (rc = s_ref(cli, node, r.claim, member, code)) != CLI_GO_ON)
        return rc;
    if (strcmp(r.sub, "list") && strcmp(r.sub, "show"))
        return s_write(cli, node, &r, member, code);
    rc = node_claims_load(node_store(node), node_coordinator_id(node),
                          coord ? NULL : node_id(node), &cs);
    if (rc)
        return cli_fail(rc, "cannot read the claims in %s", cli->dir);
    if (!r.claim) {
        rc = s_list(node, &cs, &r);
    } else {
        const node_claim_t *c = node_claims_find(&cs, member, code);
        if (c)
            rc = s_show(node, &cs, c, r.json);
        else {
            cli_error("no claim %s/%s", member, code);
            rc = CLI_EXIT_FAIL;
        }
    }
    node_claims_release(&cs);
    return rc;
}

const cli_cmd_t cmd_certify = {
    .name = "certify",
    .summary = "certification of members' claims, and payments (认定)",
    .usage =
        "Usage: vocfed certify list [--state STATE] [--json]\n"
        "       vocfed certify show CLAIM [--json]\n"
        "       vocfed certify approve CLAIM [--amount N] [--note TEXT]\n"
        "       vocfed certify reject CLAIM [--note TEXT]\n"
        "       vocfed certify revoke CLAIM [--note TEXT]\n"
        "       vocfed certify paid CLAIM --amount N --date YYYY-MM-DD "
        "--ref VOUCHER\n"
        "                           [--note TEXT]\n"
        "\n"
        "A member files a claim as a record of kind 'claim' (vocfed put or\n"
        "import): subject, the key of the claimed record of its own log, "
        "the year,\n"
        "the amount asked. The secretariat decides at the coordinator; "
        "each decision\n"
        "is a signed entry of the coordinator's log (kind certification) "
        "naming the\n"
        "exact entries it decided: the claim's and the claimed record's "
        "(seq and\n"
        "entry hash). When the member changes either, the decision no "
        "longer holds:\n"
        "the claim is 'changed since approval' until decided again.\n"
        "\n"
        "  list     every claim with its state: claimed, approved, paid, "
        "rejected,\n"
        "           revoked, changed, withdrawn; the amounts asked, "
        "approved, paid.\n"
        "           At a member: its own claims, each decision verified "
        "against the\n"
        "           coordinator's key (vocfed.cfg) and the member's own "
        "entries\n"
        "           ('verified' or 'NOT VERIFIED: why'; exit 1 if any is "
        "not)\n"
        "  show     one claim in full, with its entries, decision and "
        "payments\n"
        "  approve  (coordinator) approves CLAIM as its entries stand now; "
        "refused\n"
        "           when the claimed record is not the member's own, does "
        "not meet\n"
        "           the rule (a class under the threshold, a teacher not "
        "dual-\n"
        "           qualified), or the amount is above the amount asked, "
        "the rule's\n"
        "           amount, or the year's budget (approved and paid)\n"
        "  reject   (coordinator) rejects CLAIM\n"
        "  revoke   (coordinator) revokes an approval\n"
        "  paid     (coordinator) records a payment against a standing "
        "approval;\n"
        "           refused above the amount approved (all payments "
        "together),\n"
        "           or when the claim changed since approval\n"
        "\n"
        "  CLAIM    MEMBER/CODE (at a member, CODE alone is its own)\n"
        "\n"
        "Options:\n"
        "  --amount N      whole yuan: approved (default the amount asked) "
        "or paid\n"
        "  --date D        the payment's date, YYYY-MM-DD\n"
        "  --ref VOUCHER   the payment voucher, printable, no '/', at most "
        "64 bytes;\n"
        "                  one payment per voucher and claim\n"
        "  --note TEXT     kept with the decision or payment (printable, "
        "<= 256 bytes)\n"
        "  --state STATE   list only claims in STATE\n"
        "  --json          print JSON\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 done, 1 refused or a decision that does not "
        "verify, 2 usage\n"
        "error (a write at a member), 3 no store or bad key file.\n",
    .run = s_run,
    .needs = CLI_NEEDS_KEY | CLI_NEEDS_SETTINGS,
};
