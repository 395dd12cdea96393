/* vocfed put / del: append a signed entry to the node's own log. */
#include "node/figures_catalogue.h"
#include "node/roster.h"
#include "tools/cli.h"
#include "tools/cli_fence.h"
#include "tools/person.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FIELD=VALUE arguments split: the names copied (NUL-terminated), the
 * values pointing into argv. */
typedef struct {
    char (*names)[PROTO_FIELD_MAX + 1]; /* n names */
    const char **name_ptrs;             /* names[i], for the kinds table */
    const char **values;                /* n values */
} s_fields_t;

/* Parses FIELD=VALUE arguments into f (n of them). Returns CLI_GO_ON or
 * an exit code after printing what was wrong. */
static int
s_parse_fields(const cli_t *cli, char **args, size_t n, s_fields_t *f)
{
    for (size_t i = 0; i < n; i++) {
        const char *arg = args[i];
        const char *eq = strchr(arg, '=');
        if (!eq)
            return cli_usage_error(cli, "argument '%s' is not FIELD=VALUE",
                                   arg);
        size_t len = (size_t)(eq - arg);
        if (!proto_field_name_valid(arg, len))
            return cli_usage_error(cli,
                                   "field name '%.*s' is not valid "
                                   "([a-z][a-z0-9_]*, at most %d bytes)",
                                   (int)len, arg, PROTO_FIELD_MAX);
        memcpy(f->names[i], arg, len);
        f->names[i][len] = '\0';
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->names[j], f->names[i]) == 0)
                return cli_usage_error(cli, "field '%s' is given twice",
                                       f->names[i]);
        f->name_ptrs[i] = f->names[i];
        f->values[i] = eq + 1;
    }
    return CLI_GO_ON;
}

/* Signs and appends one record. Returns an exit code. */
static int
s_append(cli_t *cli, node_t *node, const store_record_t *rec, bool json)
{
    const char *op = proto_op_name(rec->op);
    store_head_t head;
    int rc = cli_node_key(cli);
    if (rc)
        return rc;
    rc = node_append(node, rec, 1, 0, &head, NULL);
    const proto_kind_def_t *k = proto_kind_find(rec->kind);
    if (rc == VOCFED_ENOTFOUND && rec->op == PROTO_OP_DEL && k &&
        cmd_person_looks_raw(k, rec->key)) {
        /* never echo an ID number */
        cli_error("no such record %s under that key: it looks like an "
                  "ID-card number",
                  rec->kind);
        cmd_person_hint(cli, k);
        return CLI_EXIT_FAIL;
    }
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
    return cli_json_emit(j, "the result");
}

/* Checks KIND, KEY and the number of fields; sets *k. Returns CLI_GO_ON
 * or an exit code after printing what was wrong. */
static int
s_check_args(const cli_t *cli, proto_op_t op, const cli_args_t *a,
             const proto_kind_def_t **k)
{
    if (a->n < 2)
        return cli_usage_error(cli, "%s needs KIND and KEY", cli->cmd->name);
    const char *kind = a->v[0], *key = a->v[1];
    if (op == PROTO_OP_DEL && (*k = proto_kind_find(kind)) &&
        cmd_person_looks_raw(*k, key))
        return cli_usage_error(cli,
                               "that KEY looks like an ID-card number; %s "
                               "records are keyed by pseudo_id: use 'vocfed "
                               "del %s --id-number N'",
                               kind, kind);
    int rc;
    if (!proto_kind_valid(kind, strlen(kind)))
        return cli_usage_error(cli,
                               "kind '%s' is not valid ([a-z][a-z0-9_]*, at "
                               "most %d bytes)",
                               kind, PROTO_KIND_MAX);
    if ((rc = cli_kind_find(cli, kind, k)) != CLI_GO_ON)
        return rc;
    if (!proto_key_valid(key, strlen(key)))
        return cli_usage_error(cli,
                               "key '%s' is not valid (printable UTF-8, 1 to "
                               "%d bytes)",
                               key, PROTO_KEY_MAX);
    size_t n = a->n - 2;
    if (op == PROTO_OP_DEL && n > 0)
        return cli_usage_error(cli, "unexpected argument '%s'", a->v[2]);
    if (n > PROTO_FIELDS_MAX)
        return cli_usage_error(cli, "too many fields (%zu, at most %d)", n,
                               PROTO_FIELDS_MAX);
    return CLI_GO_ON;
}

/* The body of rec from the FIELD=VALUE arguments: a put's through the
 * kinds table (SPEC 11); a del has none, and is not checked, so that a
 * record the table would now refuse can still be removed. Returns
 * CLI_GO_ON or an exit code after printing why. */
static int
s_body(const cli_t *cli, const proto_kind_def_t *k, const store_record_t *rec,
       const cli_args_t *a, proto_buf_t *body)
{
    size_t n = a->n - 2;
    s_fields_t f = {NULL, NULL, NULL};
    proto_kind_error_t err;
    char what[PROTO_KIND_MAX + PROTO_KEY_MAX + 16];
    int rc;
    snprintf(what, sizeof what, "%s %s %s", proto_op_name(rec->op), rec->kind,
             rec->key);
    if (n > 0) {
        f.names = calloc(n, sizeof *f.names);
        f.name_ptrs = calloc(n, sizeof *f.name_ptrs);
        f.values = calloc(n, sizeof *f.values);
        if (!f.names || !f.name_ptrs || !f.values) {
            rc = cli_fail(VOCFED_ENOMEM, "cannot read the fields");
            goto done;
        }
    }
    if ((rc = s_parse_fields(cli, a->v + 2, n, &f)) != CLI_GO_ON)
        goto done;
    if (rec->op == PROTO_OP_PUT &&
        (proto_kind_check_key(k, rec->key, &err) ||
         node_figcat_check(k->name, rec->key, &err) ||
         proto_kind_body(k, f.name_ptrs, f.values, n, body, &err)))
        rc = cli_kind_refused(what, &err);
done:
    free(f.names);
    free(f.name_ptrs);
    free(f.values);
    return rc;
}

/* del KIND --id-number N: the key computed into pkey; a then holds
 * KIND and pkey in v (argv is not touched). Returns CLI_GO_ON or an exit
 * code. */
static int
s_id_key(const cli_t *cli, cli_args_t *a, const char *id_number,
         const char *grad_year, char pkey[PROTO_KEY_MAX + 1], char *v[2])
{
    const proto_kind_def_t *k;
    if (a->n != 1)
        return cli_usage_error(cli, "del KIND --id-number N takes no KEY");
    if (!(k = proto_kind_find(a->v[0])))
        return cli_usage_error(cli, "unknown kind '%s'", a->v[0]);
    int rc = cmd_person_key(cli, k, id_number, grad_year, pkey);
    if (rc != CLI_GO_ON)
        return rc;
    v[0] = a->v[0];
    v[1] = pkey;
    a->v = v;
    a->n = 2;
    return CLI_GO_ON;
}

/* put and del: the command running (cli->cmd) says which. */
static int
s_run(cli_t *cli, int argc, char **argv)
{
    proto_op_t op = cli->cmd == &cmd_del ? PROTO_OP_DEL : PROTO_OP_PUT;
    bool json = false;
    const char *id_number = NULL, *grad_year = NULL;
    const cli_opt_t put_opts[] = {
        CLI_FLAG("json", &json),
        CLI_END,
    };
    const cli_opt_t del_opts[] = {
        CLI_FLAG("json", &json),
        CLI_STR("id-number", &id_number),
        CLI_STR("grad-year", &grad_year),
        CLI_END,
    };
    const proto_kind_def_t *k = NULL;
    node_t *node = NULL;
    proto_buf_t body;
    cli_args_t a;
    char pkey[PROTO_KEY_MAX + 1], *v[2];
    int rc = cli_parse(cli, op == PROTO_OP_DEL ? del_opts : put_opts, argc,
                       argv, &a);
    if (rc != CLI_GO_ON)
        return rc;
    if (id_number &&
        (rc = s_id_key(cli, &a, id_number, grad_year, pkey, v)) != CLI_GO_ON)
        return rc;
    if ((rc = s_check_args(cli, op, &a, &k)) != CLI_GO_ON)
        return rc;
    store_record_t rec = {.op = op, .kind = a.v[0], .key = a.v[1]};
    proto_buf_init(&body);
    if ((rc = s_body(cli, k, &rec, &a, &body)) != CLI_GO_ON ||
        (rc = cli_node(cli, &node)) ||
        (rc = cli_kind_role_check(node, k)) != CLI_GO_ON ||
        (rc = cli_unfence(cli, &node)))
        goto done;
    /* A del has no body; a put's is never empty (an empty map is one
     * byte). */
    rec.body = body.data;
    rec.body_len = body.len;
    rc = s_append(cli, node, &rec, json);
done:
    proto_buf_release(&body);
    return rc;
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
        "The record must fit the kinds table below: a known KIND, a KEY of "
        "its form,\n"
        "its required fields, and each VALUE of its field's type (an empty "
        "VALUE is\n"
        "an absent field). The coordinator writes industry, school, "
        "target,\n"
        "subsidy_rule and census_date (the day a past year's stocks are "
        "counted\n"
        "on, 'vocfed report --help'); members write the other kinds. "
        "People's\n"
        "records (student, staff, graduate) are keyed by pseudo_id (see "
        "'vocfed\n"
        "import', which makes them).\n"
        "Put '--' before KIND if KIND or KEY starts with '-'.\n"
        "\n"
        "Options:\n"
        "  --json        print {\"seq\", \"size\", \"root\"} on one "
        "line\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 written, 1 a record refused (a bad key or value: "
        "the field,\n"
        "the value and why are printed), 2 usage error (also an unknown "
        "kind, or a\n"
        "kind this node does not write), 3 no store, bad key file or disk "
        "full.\n",
    .usage_more = cli_print_kinds,
    .run = s_run,
    .needs = CLI_NEEDS_KEY,
};

const cli_cmd_t cmd_del = {
    .name = "del",
    .summary = "delete a record of this node (a signed tombstone)",
    .usage =
        "Usage: vocfed del KIND KEY [--json]\n"
        "       vocfed del student|staff|graduate --id-number N "
        "[--grad-year Y] [--json]\n"
        "\n"
        "Appends a signed tombstone to this node's log: the record KIND KEY "
        "no longer\n"
        "exists (its history stays in the log). Prints 'del KIND KEY seq=N "
        "root=HEX'.\n"
        "\n"
        "Options:\n"
        "  --json        print {\"seq\", \"size\", \"root\"} on one "
        "line\n"
        "  --id-number N the person with this ID-card number: the pseudo_id "
        "is\n"
        "                computed here through the group linkage key; the "
        "number is\n"
        "                never stored, logged or printed ('-': read it from "
        "stdin)\n"
        "  --grad-year Y with --id-number for a graduate (key "
        "pseudo_id:YEAR)\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 deleted, 1 no such record, 2 usage error, 3 no "
        "store, bad\n"
        "key file or disk full.\n",
    .run = s_run,
    .needs = CLI_NEEDS_KEY,
};
