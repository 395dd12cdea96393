/* vocfed: the seeds of fuzz_ingest_records (fz_records.h). */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_records.h"

#include "protocol/kinds.h"

#include <stdio.h>
#include <string.h>

/* Another person than the held one. */
#define S_PID2                                                                 \
    "c0ffee0000000000000000000000000000000000000000000000000000000002"

int
fz_rec_append(proto_buf_t *out, bool del, const char *kind, const char *key,
              const uint8_t *body, size_t body_len)
{
    size_t kl = strlen(kind), keyl = strlen(key);
    if (kl > 255 || keyl > 255 || body_len > 65535)
        return VOCFED_EINVALID;
    uint8_t op = del, kb = (uint8_t)kl, keyb = (uint8_t)keyl;
    uint8_t bl[2] = {(uint8_t)(body_len & 0xff), (uint8_t)(body_len >> 8)};
    int rc = proto_buf_append(out, &op, 1);
    if (!rc)
        rc = proto_buf_append(out, &kb, 1);
    if (!rc)
        rc = proto_buf_append(out, kind, kl);
    if (!rc)
        rc = proto_buf_append(out, &keyb, 1);
    if (!rc)
        rc = proto_buf_append(out, key, keyl);
    if (!rc)
        rc = proto_buf_append(out, bl, 2);
    return rc || !body_len ? rc : proto_buf_append(out, body, body_len);
}

/* Appends a put of kind and key whose body proto_kind_body makes from the
 * NUL-free text pairs name=value (n of them; NULL values skip nothing),
 * or a del when pairs is NULL. */
static void
s_put(proto_buf_t *in, const char *kind, const char *key,
      const char *const *pairs, size_t n)
{
    proto_buf_t body;
    proto_kind_error_t err;
    const char *names[32], *values[32];
    proto_buf_init(&body);
    for (size_t i = 0; i < n / 2 && i < 32; i++) {
        names[i] = pairs[2 * i];
        values[i] = pairs[2 * i + 1];
    }
    if (pairs && proto_kind_body(proto_kind_find(kind), names, values, n / 2,
                                 &body, &err) != VOCFED_OK) {
        fprintf(stderr, "fuzz_seeds: %s %s: %s: %s\n", kind, key, err.field,
                err.reason_en);
        FZ_CHECK(!"a good record");
    }
    FZ_CHECK(fz_rec_append(in, !pairs, kind, key, body.data, body.len) ==
             VOCFED_OK);
    proto_buf_release(&body);
}

/* Appends a put with body bytes as they are. */
static void
s_raw(proto_buf_t *in, const char *kind, const char *key, const void *body,
      size_t len)
{
    FZ_CHECK(fz_rec_append(in, false, kind, key, body, len) == VOCFED_OK);
}

/* A good text value of field f (num: room for a number). */
static const char *
s_value(const proto_field_def_t *f, char num[32])
{
    switch (f->type) {
    case PROTO_FT_STR:
        return "测试 text";
    case PROTO_FT_INT:
        snprintf(num, 32, "%lld", (long long)(f->max / 2));
        return num;
    case PROTO_FT_BOOL:
        return "true";
    case PROTO_FT_ENUM:
        return f->values[0];
    case PROTO_FT_REGION:
        return "340803";
    case PROTO_FT_YEAR:
        return "2025";
    case PROTO_FT_LIST:
        return "auto;chemical";
    case PROTO_FT_DECIMAL:
        return "0.45";
    }
    return "";
}

/* A key of kind k's form (for person S_PID2). */
static void
s_key(const proto_kind_def_t *k, char *key, size_t cap)
{
    switch (k->key_form) {
    case PROTO_KEY_FIXED:
        snprintf(key, cap, "%s", k->key_fixed);
        break;
    case PROTO_KEY_YEAR:
        snprintf(key, cap, "2025");
        break;
    case PROTO_KEY_PSEUDO:
        snprintf(key, cap, "%s", S_PID2);
        break;
    case PROTO_KEY_PSEUDO_YEAR:
        snprintf(key, cap, "%s:2025", S_PID2);
        break;
    default:
        snprintf(key, cap, "%s",
                 !strcmp(k->name, "target")         ? "hv_enrolled:2027"
                 : !strcmp(k->name, "subsidy_rule") ? "source_school_incentive"
                 : !strcmp(k->name, "member_key")   ? "aqvtc"
                                                    : "k-001");
    }
}

/* One seed per kind: a record with every field at a good value, from the
 * author that may send it. */
static void
s_each_kind(fz_seed_write_fn write)
{
    size_t nkinds;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    proto_buf_t in;
    proto_buf_init(&in);
    for (size_t i = 0; i < nkinds; i++) {
        const proto_kind_def_t *k = &kinds[i];
        const char *pairs[64];
        char nums[32][32];
        char key[PROTO_KEY_MAX + 1], name[64];
        uint8_t flags = k->coordinator_only;
        size_t n = 0;
        for (size_t j = 0; j < k->nfields && j < 32; j++) {
            pairs[n++] = k->fields[j].name;
            pairs[n++] = s_value(&k->fields[j], nums[j]);
        }
        s_key(k, key, sizeof key);
        proto_buf_reset(&in);
        FZ_CHECK(proto_buf_append(&in, &flags, 1) == VOCFED_OK);
        s_put(&in, k->name, key, pairs, n);
        snprintf(name, sizeof name, "kind_%s", k->name);
        write("ingest_records", name, &in);
    }
    proto_buf_release(&in);
}

/* A person's life at the member: enrolled, changed, graduated, taught,
 * deleted; and the held person changed. */
static void
s_people(fz_seed_write_fn write)
{
    static const char *const st[] = {"level",   "secondary", "intake_year",
                                     "2023",    "status",    "enrolled",
                                     "pathway", "five_year"};
    static const char *const st2[] = {
        "level",  "secondary", "intake_year",   "2023",
        "status", "graduated", "source_school", "js-002"};
    static const char *const gr[] = {
        "level",       "secondary", "grad_year",        "2025",
        "destination", "army",      "workplace_region", "110101"};
    static const char *const sf[] = {"category", "fulltime_teacher",
                                     "dual_qualified", "senior"};
    static const char *const pr[] = {
        "name_zh", "改名",        "role",  "lead", "original_affiliation",
        "city",    "region_code", "110101"};
    proto_buf_t in;
    uint8_t member = 0;
    proto_buf_init(&in);
    FZ_CHECK(proto_buf_append(&in, &member, 1) == VOCFED_OK);
    s_put(&in, "student", S_PID2, st, 8);
    s_put(&in, "student", S_PID2, st2, 8);
    s_put(&in, "graduate", S_PID2 ":2025", gr, 8);
    s_put(&in, "staff", S_PID2, sf, 4);
    s_put(&in, "student", S_PID2, NULL, 0);
    write("ingest_records", "life", &in);
    proto_buf_reset(&in);
    FZ_CHECK(proto_buf_append(&in, &member, 1) == VOCFED_OK);
    s_put(&in, "member", "profile", pr, 8);
    s_put(&in, "student", FZ_REC_PID, st2, 8);
    s_put(&in, "graduate", FZ_REC_PID ":2025", NULL, 0);
    write("ingest_records", "held_changed", &in);
    /* The coordinator revokes the member whose records are held. */
    static const char *const rv[] = {"pubkey", "00", "status", "revoked"};
    uint8_t coord = 1;
    proto_buf_reset(&in);
    FZ_CHECK(proto_buf_append(&in, &coord, 1) == VOCFED_OK);
    s_put(&in, "member_key", "aqvtc", rv, 4);
    write("ingest_records", "revoke", &in);
    proto_buf_release(&in);
}

/* Issue 10's records, each alone after a good one. */
static void
s_attacks(fz_seed_write_fn write)
{
    /* {"completed": -1000000, "type": "rural", "year": 2025} */
    static const uint8_t neg[] = {
        0x83, 0xa9, 'c',  'o',  'm',  'p', 'l', 'e', 't',  'e',  'd', 0xd2,
        0xff, 0xf0, 0xbd, 0xc0, 0xa4, 't', 'y', 'p', 'e',  0xa5, 'r', 'u',
        'r',  'a',  'l',  0xa4, 'y',  'e', 'a', 'r', 0xcd, 0x07, 0xe9};
    /* {"completed": INT64_MAX, ...} */
    static const uint8_t big[] = {
        0x83, 0xa9, 'c',  'o',  'm',  'p',  'l',  'e',  't',  'e',
        'd',  0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xa4, 't',  'y',  'p',  'e',  0xa5, 'r',  'u',  'r',  'a',
        'l',  0xa4, 'y',  'e',  'a',  'r',  0xcd, 0x07, 0xe9};
    /* {"intake_year": -5, "level": "higher", "status": "enrolled"} */
    static const uint8_t year[] = {
        0x83, 0xab, 'i',  'n',  't', 'a',  'k', 'e', '_', 'y',  'e',
        'a',  'r',  0xfb, 0xa5, 'l', 'e',  'v', 'e', 'l', 0xa6, 'h',
        'i',  'g',  'h',  'e',  'r', 0xa6, 's', 't', 'a', 't',  'u',
        's',  0xa8, 'e',  'n',  'r', 'o',  'l', 'l', 'e', 'd'};
    static const uint8_t not_msgpack[] = {0x81, 0xa1, 'a', 0xc1};
    static const uint8_t trailing[] = {0x80, 0x00};
    static const char *const ok[] = {"type", "rural",     "year",
                                     "2025", "completed", "12"};
    static const char *const ind[] = {"name_zh", "化工", "leading", "false"};
    struct {
        const char *name, *kind, *key;
        const uint8_t *body;
        size_t len;
    } a[] = {
        {"negative_count", "training", "t-1", neg, sizeof neg},
        {"int64_max", "training", "t-1", big, sizeof big},
        {"year_minus_5", "student", S_PID2, year, sizeof year},
        {"not_msgpack", "major", "510201", not_msgpack, sizeof not_msgpack},
        {"trailing", "major", "510201", trailing, sizeof trailing},
        {"unknown_kind", "colour", "red", trailing, 1},
    };
    proto_buf_t in;
    uint8_t member = 0;
    proto_buf_init(&in);
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        proto_buf_reset(&in);
        FZ_CHECK(proto_buf_append(&in, &member, 1) == VOCFED_OK);
        s_put(&in, "training", "t-0", ok, 6);
        s_raw(&in, a[i].kind, a[i].key, a[i].body, a[i].len);
        write("ingest_records", a[i].name, &in);
    }
    /* A good student under a key that is not a pseudo_id. */
    static const char *const st[] = {"level", "higher", "intake_year",
                                     "2024",  "status", "enrolled"};
    proto_buf_reset(&in);
    FZ_CHECK(proto_buf_append(&in, &member, 1) == VOCFED_OK);
    s_put(&in, "student", "p1", st, 6);
    write("ingest_records", "key_p1", &in);
    /* A coordinator-only kind from a member. */
    proto_buf_reset(&in);
    FZ_CHECK(proto_buf_append(&in, &member, 1) == VOCFED_OK);
    s_put(&in, "industry", "chem", ind, 4);
    write("ingest_records", "coordinator_kind_from_member", &in);
    proto_buf_release(&in);
}

void
fz_rec_seeds(fz_seed_write_fn write)
{
    s_each_kind(write);
    s_people(write);
    s_attacks(write);
}
