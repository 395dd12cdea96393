/* vocfed: a person's key from an ID-card number (see person.h). */
#include "tools/person.h"
#include "node/linkage.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Reads the number from stdin into buf (cap bytes): one line, its end
 * dropped. Returns false if there is none. */
static bool
s_read_stdin(char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, stdin))
        return false;
    buf[strcspn(buf, "\r\n")] = 0;
    return true;
}

/* The ":year" a graduate's key ends with, from grad_year. */
static int
s_year_suffix(const cli_t *cli, const proto_kind_def_t *k,
              const char *grad_year, char *out, size_t cap)
{
    int64_t y;
    out[0] = 0;
    if (k->key_form != PROTO_KEY_PSEUDO_YEAR)
        return grad_year ? cli_usage_error(cli, "--grad-year is for graduate "
                                                "records only")
                         : CLI_GO_ON;
    if (!grad_year)
        return cli_usage_error(cli, "a graduate is keyed by ID number and "
                                    "graduation year: add --grad-year YEAR");
    if (!proto_kind_year(grad_year, &y) || y < 2000 || y > 2100)
        return cli_usage_error(cli,
                               "--grad-year '%s' is not a year from 2000 "
                               "to 2100",
                               grad_year);
    snprintf(out, cap, ":%lld", (long long)y);
    return CLI_GO_ON;
}

int
cmd_person_key(const cli_t *cli, const proto_kind_def_t *k,
               const char *id_number, const char *grad_year,
               char key[PROTO_KEY_MAX + 1])
{
    char typed[NODE_ID_NUMBER_MAX * 2 + 8], pid[NODE_PSEUDO_ID_HEX + 1];
    char year[16];
    uint8_t *lk = NULL;
    int rc;
    if (!k->person)
        return cli_usage_error(cli,
                               "--id-number is for people's records "
                               "(student, staff, graduate), not %s",
                               k->name);
    if ((rc = s_year_suffix(cli, k, grad_year, year, sizeof year)) != CLI_GO_ON)
        return rc;
    if (strcmp(id_number, "-") == 0 ? !s_read_stdin(typed, sizeof typed)
                                    : snprintf(typed, sizeof typed, "%s",
                                               id_number) >= (int)sizeof typed)
        typed[0] = 0;
    rc = node_linkage_load(cli->dir, &lk);
    if (rc == VOCFED_ENOTFOUND) {
        cli_error("this node has no group linkage key, so it cannot find a "
                  "person by ID number: run 'vocfed linkage-key import FILE' "
                  "first");
        rc = CLI_EXIT_ENV;
    } else if (rc) {
        cli_error("cannot load the linkage key %s/%s: %s", cli->dir,
                  NODE_LINKAGE_FILE, vocfed_strerror(rc));
        rc = CLI_EXIT_ENV;
    } else if (node_pseudo_id(lk, typed, pid)) {
        rc = cli_usage_error(cli, "the --id-number given is not a valid "
                                  "ID-card number (letters and digits; an "
                                  "18-digit number must have its right "
                                  "check digit)");
    } else {
        snprintf(key, PROTO_KEY_MAX + 1, "%s%s", pid, year);
        rc = CLI_GO_ON;
    }
    node_linkage_free(&lk);
    sodium_memzero(typed, sizeof typed);
    sodium_memzero(pid, sizeof pid);
    return rc;
}

bool
cmd_person_looks_raw(const proto_kind_def_t *k, const char *key)
{
    char norm[NODE_ID_NUMBER_MAX + 1];
    size_t n = strcspn(key, ":");
    char head[NODE_ID_NUMBER_MAX + 1];
    if (!k->person || n > NODE_ID_NUMBER_MAX || (n != 15 && n != 18))
        return false;
    memcpy(head, key, n);
    head[n] = 0;
    bool raw = node_id_number_normalise(head, norm) == VOCFED_OK;
    sodium_memzero(head, sizeof head);
    sodium_memzero(norm, sizeof norm);
    return raw;
}

void
cmd_person_hint(const cli_t *cli, const proto_kind_def_t *k)
{
    const char *yr =
        k->key_form == PROTO_KEY_PSEUDO_YEAR ? " --grad-year YEAR" : "";
    cli_error("%s records are kept by pseudo_id, never by ID-card number: "
              "look a person up with 'vocfed %s %s --id-number NUMBER%s' "
              "(or --id-number - to type it on stdin); it needs the group "
              "linkage key. 人员记录以 pseudo_id 保存，不保存身份证号：请用 "
              "vocfed %s %s --id-number 身份证号%s 查找",
              k->name, cli->cmd->name, k->name, yr, cli->cmd->name, k->name,
              yr);
}
