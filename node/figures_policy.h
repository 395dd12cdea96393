/* vocfed: the policy's remaining figures as report sections (issue 14;
 * 保障措施 三, 措施 5, 9, 10, 14, 17; SPEC 12.3).
 *
 * "county": per county and year, the share of the county's junior-high
 * graduates that entered the group's secondary schools and of its
 * high-school graduates that entered its higher-vocational colleges; the
 * numerators are the counters svo and hvo (intake by origin region, each
 * person once), the denominators a government member's `county_stat`
 * records. "progression": per cohort of 3+2 and five-year secondary
 * starts, how many are found in higher-vocational study at a group
 * college (the counters p32c and p32n, joined per person by pseudo_id).
 * "bodies": consortia, industry colleges, training bases, skill-master
 * studios and teaching-reform projects by level, against the policy's
 * aims. Reads counters and the few records of those kinds; writes
 * nothing. */
#ifndef VOCFED_NODE_FIGURES_POLICY_H
#define VOCFED_NODE_FIGURES_POLICY_H

#include "storage/store.h"

#include <jansson.h>

/* The aims of 措施 9 for consortia: municipal ones, and a national one. */
#define NODE_POLICY_MUNICIPAL_CONSORTIA 2
#define NODE_POLICY_NATIONAL_CONSORTIA 1

/* Adds "county", "progression" and "bodies" to report (an object made by
 * node_figures_json, with its "members"). Returns 0, VOCFED_ENOMEM or a
 * store status. */
int node_policy_sections(store_t *st, const char *coord,
                         json_t *report) VOCFED_WUR;

#endif
