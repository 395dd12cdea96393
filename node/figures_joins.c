/* vocfed: figures joined per person across members (issue 14; SPEC
 * 12.2): the 3+2 and five-year progression. A person's claims (the
 * h|<identity> blob, every member's) say whether the person started a
 * 3+2 or five-year secondary stage (counter p32, its intake year) and
 * whether the person is in higher-vocational study at a group college
 * (hv: enrolled) or graduated from it (lra); the person counts once in
 * its cohort: the earliest such intake year, under the member whose
 * claim on it was received first. */
#include "node/figures_i.h"

#include <stdio.h>
#include <string.h>

void
node_figx_path(const node_figx_claims_t *c, node_figx_path_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->n; i++) {
        const node_figx_claim_t *x = &c->c[i];
        if (x->fig == NODE_C_HV || x->fig == NODE_C_LRA)
            out->progressed = true; /* in higher study, or graduated */
        if (x->fig == NODE_C_P32 && (!out->year || x->year < out->year)) {
            out->year = x->year;
            snprintf(out->member, sizeof out->member, "%s", x->member);
        }
    }
}

/* Adds sign x what path p gives the cohort counters. */
static int
s_path_add(node_figx_t *f, const node_figx_path_t *p, int sign)
{
    char y[8], key[PROTO_ID_MAX + 40];
    int rc = 0;
    if (!p->year)
        return 0;
    snprintf(y, sizeof y, "%u", (unsigned)p->year);
    const char *figs[2] = {"p32c", p->progressed ? "p32n" : NULL};
    for (size_t i = 0; i < 2 && !rc && figs[i]; i++) {
        node_fig_cat(key, sizeof key, "f|", figs[i], "|", y, "|g|", NULL);
        if ((rc = node_figx_add(f, key, sign)))
            break;
        node_fig_cat(key, sizeof key, "f|", figs[i], "|", y, "|s|", p->member,
                     NULL);
        rc = node_figx_add(f, key, sign);
    }
    return rc;
}

int
node_figx_path_change(node_figx_t *f, const node_figx_path_t *before,
                      const node_figx_path_t *after)
{
    if (before->year == after->year &&
        before->progressed == after->progressed &&
        strcmp(before->member, after->member) == 0)
        return VOCFED_OK;
    int rc = s_path_add(f, before, -1);
    return rc ? rc : s_path_add(f, after, 1);
}
