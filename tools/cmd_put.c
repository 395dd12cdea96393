/* vocfed put / del: append a signed entry to the node's own log. */
#include "node/identity.h"
#include "node/roster.h"
#include "tools/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(long long) == sizeof(int64_t),
               "strtoll must parse exactly int64_t");

/* True when s is an integer as vocfed writes one: an optional '-', then
 * digits without a leading zero (except "0" itself), within int64. Such
 * text prints back exactly as it was typed, so storing it as an integer
 * loses nothing; anything else ("007", "-0", "1e3") stays a string. */
static bool
s_parse_int(const char *s, int64_t *out)
{
    const char *d = s[0] == '-' ? s + 1 : s;
    if (d[0] == '\0')
        return false;
    for (const char *p = d; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    if (d[0] == '0' && (d[1] != '\0' || d != s))
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return false;
    *out = (int64_t)v;
    return true;
}

/* Parses FIELD=VALUE arguments into fields (n of them). Returns
 * CLI_GO_ON or an exit code after printing what was wrong. */
static int
s_parse_fields(const cli_t *cli, char **args, size_t n, proto_field_t *fields)
{
    for (size_t i = 0; i < n; i++) {
        const char *arg = args[i];
        const char *eq = strchr(arg, '=');
        if (!eq)
            return cli_usage_error(cli, "argument '%s' is not FIELD=VALUE",
                                   arg);
        proto_field_t *f = &fields[i];
        f->name = arg;
        f->name_len = (size_t)(eq - arg);
        if (!proto_field_name_valid(f->name, f->name_len))
            return cli_usage_error(cli,
                                   "field name '%.*s' is not valid "
                                   "([a-z][a-z0-9_]*, at most %d bytes)",
                                   (int)f->name_len, f->name, PROTO_FIELD_MAX);
        for (size_t j = 0; j < i; j++)
            if (fields[j].name_len == f->name_len &&
                memcmp(fields[j].name, f->name, f->name_len) == 0)
                return cli_usage_error(cli, "field '%.*s' is given twice",
                                       (int)f->name_len, f->name);
        const char *val = eq + 1;
        size_t len = strlen(val);
        memset(&f->value, 0, sizeof f->value);
        if (s_parse_int(val, &f->value.i)) {
            f->value.type = PROTO_VAL_INT;
            continue;
        }
        if (len > PROTO_STR_MAX)
            return cli_usage_error(cli,
                                   "value of field '%.*s' is too long (%zu "
                                   "bytes, at most %d)",
                                   (int)f->name_len, f->name, len,
                                   PROTO_STR_MAX);
        if (!proto_utf8_valid(val, len))
            return cli_usage_error(cli,
                                   "value of field '%.*s' is not valid UTF-8",
                                   (int)f->name_len, f->name);
        f->value.type = PROTO_VAL_STR;
        f->value.s = val;
        f->value.slen = len;
    }
    return CLI_GO_ON;
}

/* Signs and appends one record. Returns an exit code. */
static int
s_append(const cli_t *cli, store_t *store, const cli_identity_t *me,
         const store_record_t *rec, bool json)
{
    const char *op = proto_op_name(rec->op);
    uint8_t *sk = NULL;
    store_head_t head;
    int rc = node_identity_load(cli->dir, me->pubkey, &sk);
    if (rc) {
        cli_error("cannot load the node key %s/%s: %s", cli->dir, NODE_KEY_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    rc = store_append(store, me->id, sk, rec, 1, 0, &head, NULL);
    node_identity_free(&sk);
    if (rc == VOCFED_ENOTFOUND && rec->op == PROTO_OP_DEL) {
        cli_error("no such record: %s %s", rec->kind, rec->key);
        return CLI_EXIT_FAIL;
    }
    if (rc)
        return cli_fail(rc, "%s %s %s refused", op, rec->kind, rec->key);

    char root[2 * PROTO_HASH_LEN + 1];
    proto_hex(head.root, sizeof head.root, root);
    if (!json) {
        printf("%s %s %s seq=%llu root=%s\n", op, rec->kind, rec->key,
               (unsigned long long)head.size, root);
        return CLI_EXIT_OK;
    }
    /* One record per append: its seq is the new size of the log. */
    json_t *j = json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)head.size,
                          "size", (json_int_t)head.size, "root", root);
    if (!j)
        return cli_fail(VOCFED_ENOMEM, "cannot print the result");
    rc = cli_json_print(j);
    json_decref(j);
    return rc;
}

static int
s_run(cli_t *cli, int argc, char **argv, proto_op_t op)
{
    enum { OPT_JSON = CLI_OPT_DIR + 1 };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int c, rc;
    while ((c = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, longopts,
                            NULL)) != -1) {
        if (c == OPT_JSON)
            json = true;
        else if ((rc = cli_opt_common(cli, c, argv)) != CLI_GO_ON)
            return rc;
    }
    char **args = argv + optind;
    size_t nargs = (size_t)(argc - optind);
    if (nargs < 2)
        return cli_usage_error(cli, "%s needs KIND and KEY", cli->cmd->name);
    const char *kind = args[0], *key = args[1];
    if (!proto_kind_valid(kind, strlen(kind)))
        return cli_usage_error(cli,
                               "kind '%s' is not valid ([a-z][a-z0-9_]*, at "
                               "most %d bytes)",
                               kind, PROTO_KIND_MAX);
    /* The roster is written only through `vocfed members`, which checks
     * ids, keys and that revocation is final (SPEC 10.1). */
    if (strcmp(kind, NODE_ROSTER_KIND) == 0)
        return cli_usage_error(cli,
                               "kind '%s' is the roster: use 'vocfed "
                               "members'",
                               kind);
    if (!proto_key_valid(key, strlen(key)))
        return cli_usage_error(cli,
                               "key '%s' is not valid (printable UTF-8, 1 to "
                               "%d bytes)",
                               key, PROTO_KEY_MAX);
    size_t n = nargs - 2;
    if (op == PROTO_OP_DEL && n > 0)
        return cli_usage_error(cli, "unexpected argument '%s'", args[2]);
    if (n > PROTO_FIELDS_MAX)
        return cli_usage_error(cli, "too many fields (%zu, at most %d)", n,
                               PROTO_FIELDS_MAX);

    store_record_t rec = {.op = op, .kind = kind, .key = key};
    proto_field_t *fields = NULL;
    proto_buf_t body;
    store_t *store = NULL;
    cli_identity_t me;
    proto_buf_init(&body);
    if (n > 0) {
        fields = calloc(n, sizeof *fields);
        if (!fields)
            return cli_fail(VOCFED_ENOMEM, "cannot read the fields");
    }
    if ((rc = s_parse_fields(cli, args + 2, n, fields)) != CLI_GO_ON)
        goto done;
    if (op == PROTO_OP_PUT && (rc = proto_body_encode(fields, n, &body))) {
        rc = cli_fail(rc, "cannot encode the record");
        goto done;
    }
    if ((rc = cli_store_open(cli, false, &store)) ||
        (rc = cli_identity_load(cli, store, &me)))
        goto done;
    /* A del has no body; a put's is never empty (an empty map is one
     * byte). */
    rec.body = body.data;
    rec.body_len = body.len;
    rc = s_append(cli, store, &me, &rec, json);
done:
    store_destroy(&store);
    proto_buf_release(&body);
    free(fields);
    return rc;
}

static int
s_put(cli_t *cli, int argc, char **argv)
{
    return s_run(cli, argc, argv, PROTO_OP_PUT);
}

static int
s_del(cli_t *cli, int argc, char **argv)
{
    return s_run(cli, argc, argv, PROTO_OP_DEL);
}

const cli_cmd_t cmd_put = {
    .name = "put",
    .summary = "add or replace a record of this node",
    .usage =
        "Usage: vocfed put KIND KEY [FIELD=VALUE...] [--json]\n"
        "\n"
        "Appends a signed entry to this node's log that replaces the record "
        "KIND KEY\n"
        "whole with the given fields, and prints 'put KIND KEY seq=N "
        "root=HEX'.\n"
        "A VALUE that is an integer (optional '-', digits, no leading zero, "
        "fits\n"
        "64 bits) is stored as an integer; anything else, 'FIELD=' too, as "
        "a string.\n"
        "Put '--' before KIND if KIND or KEY starts with '-'.\n"
        "\n"
        "  KIND          [a-z][a-z0-9_]*, at most 32 bytes (e.g. student)\n"
        "  KEY           printable UTF-8, 1 to 256 bytes\n"
        "  FIELD         [a-z][a-z0-9_]*, at most 64 bytes, each at most "
        "once\n"
        "  VALUE         UTF-8, at most 4096 bytes\n"
        "\n"
        "Options:\n"
        "  --json        print {\"seq\", \"size\", \"root\"} on one line\n"
        "  --dir DIR     the store folder (default $VOCFED_DIR, then "
        "./vocfed-data)\n"
        "  -h, --help    print this help\n"
        "\n"
        "Exit status: 0 written, 1 refused by the store, 2 usage error, 3 "
        "no store,\n"
        "bad key file or disk full.\n",
    .run = s_put,
};

const cli_cmd_t cmd_del = {
    .name = "del",
    .summary = "delete a record of this node (a signed tombstone)",
    .usage =
        "Usage: vocfed del KIND KEY [--json]\n"
        "\n"
        "Appends a signed tombstone to this node's log: the record KIND KEY "
        "no longer\n"
        "exists (its history stays in the log). Prints 'del KIND KEY seq=N "
        "root=HEX'.\n"
        "\n"
        "Options:\n"
        "  --json        print {\"seq\", \"size\", \"root\"} on one line\n"
        "  --dir DIR     the store folder (default $VOCFED_DIR, then "
        "./vocfed-data)\n"
        "  -h, --help    print this help\n"
        "\n"
        "Exit status: 0 deleted, 1 no such record, 2 usage error, 3 no "
        "store, bad\n"
        "key file or disk full.\n",
    .run = s_del,
};
