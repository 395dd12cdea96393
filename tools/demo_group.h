/* vocfed demo: the demo group (a lead college, a technician college, an
 * industrial school, two park consortia, two enterprises, two county
 * schools, DESIGN 1; the city's education bureau, a government member) and the
 * synthetic records each member writes, at Anqing's scale, through the kinds
 * table. The same records on every run but for the linkage key (random) and the
 * year (the current one). */
#ifndef VOCFED_TOOLS_DEMO_GROUP_H
#define VOCFED_TOOLS_DEMO_GROUP_H

#include "protocol/buf.h"
#include "protocol/status.h"
#include "storage/store.h"

#include <stddef.h>
#include <stdint.h>

#define CMD_DEMO_MEMBERS 10

/* One member of the demo group. */
typedef struct {
    const char *id;          /* node id */
    const char *name_zh;     /* display name */
    const char *name_en;     /* English name */
    const char *role;        /* DESIGN 6 role */
    const char *affiliation; /* original affiliation */
    const char *region;      /* county/district code */
    int higher;              /* higher-vocational students in school */
    int secondary;           /* secondary students in school */
    int graduates;           /* higher-vocational graduates of 2025 */
    int teachers;            /* full-time teachers */
    int training;            /* training person-times in 2025 */
    int coop;                /* cooperation classes */
} cmd_demo_member_t;

/* The members, in the order they are made. */
extern const cmd_demo_member_t cmd_demo_group[CMD_DEMO_MEMBERS];

/* The source schools the demo's students come from (the junior highs
 * source_school names: jh00..jh05), registered at the coordinator so
 * that the source-school incentive is payable (SPEC 12.3). */
#define CMD_DEMO_SCHOOLS 6

/* One source school: a `school` record of the coordinator. */
typedef struct {
    const char *code;   /* its key, as students' source_school names it */
    const char *name;   /* its name */
    const char *region; /* its county (GB/T 2260) */
} cmd_demo_school_t;

/* The schools, as `vocfed import school` gets them. */
extern const cmd_demo_school_t cmd_demo_schools[CMD_DEMO_SCHOOLS];

/* A batch of records of one member, built through the kinds table. */
typedef struct {
    store_record_t *recs; /* the records */
    proto_buf_t *bodies;  /* their bodies */
    char (*keys)[80];     /* their keys */
    size_t n, cap;        /* used, allocated */
} cmd_demo_batch_t;

/* What the records are made from. */
typedef struct {
    int year;         /* the records' year (the current one) */
    uint8_t link[32]; /* the group linkage key: pseudo_ids */
    uint64_t rng;     /* the generator's state */
} cmd_demo_gen_t;

/* Starts a generator for year with a new random linkage key. */
void cmd_demo_gen_init(cmd_demo_gen_t *g, int year);

/* Appends to b every record of member cmd_demo_group[index]: profile,
 * majors, students, graduates, teachers, posts, training, cooperation
 * classes, colleges, consortia. Call for the members in order: the
 * generator goes on from one to the next. Returns 0, VOCFED_ENOMEM, or a
 * status of the kinds table after printing why. */
int cmd_demo_fill(cmd_demo_gen_t *g, int index, cmd_demo_batch_t *b) VOCFED_WUR;

/* Frees what b holds; leaves it empty. */
void cmd_demo_batch_release(cmd_demo_batch_t *b);

#endif
