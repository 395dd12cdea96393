/* Fuzz target: text values checked against the kinds table (SPEC 11.1,
 * 11.2), what `vocfed put` and a CSV row give proto_kind_check_key and
 * proto_kind_body.
 *
 * Input: one byte choosing the kind (its index in proto_kinds, modulo
 * their number), then NUL-separated strings: the key, then name, value,
 * name, value... A body that is accepted must validate as a body, hold
 * only fields of the kind and every required one, and make an entry
 * that encodes and decodes to the same bytes; an accepted key must be a
 * valid key. */
#include "tests/fuzz/fuzz.h"

#include "protocol/entry.h"
#include "protocol/kinds.h"

#include <string.h>

#define S_PAIRS_MAX 80 /* more than the 64 fields proto_kind_body takes */

/* The entry a `vocfed put` of this record would append. */
static void
s_entry(const proto_kind_def_t *k, const char *key, const proto_buf_t *body)
{
    proto_entry_t e = {.version = PROTO_ENTRY_VERSION,
                       .author = "fuzz",
                       .author_len = 4,
                       .seq = 1,
                       .time_ms = 1767225600000ull,
                       .op = PROTO_OP_PUT,
                       .kind = k->name,
                       .kind_len = strlen(k->name),
                       .key = key,
                       .key_len = strlen(key),
                       .body = body->data,
                       .body_len = body->len};
    proto_entry_t d;
    proto_buf_t out;
    proto_buf_init(&out);
    int rc = proto_entry_encode(&e, &out);
    /* 64 fields of 4096 bytes pass the entry's 65,536. */
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_ETOOLARGE);
    if (rc == VOCFED_OK) {
        FZ_CHECK(proto_entry_decode(out.data, out.len, &d) == VOCFED_OK);
        FZ_CHECK(d.body_len == body->len &&
                 memcmp(d.body, body->data, body->len) == 0);
        FZ_CHECK(d.key_len == e.key_len && memcmp(d.key, key, e.key_len) == 0);
        /* what put makes, ingest takes (SPEC 8.4) */
        FZ_CHECK(proto_kind_check_entry(&d, NULL) == VOCFED_OK);
    }
    proto_buf_release(&out);
}

/* Every field of body is one of k's, and every required one is there. */
static void
s_fields(const proto_kind_def_t *k, const proto_buf_t *body)
{
    proto_body_iter_t it;
    proto_field_t f;
    size_t required = 0, seen_required = 0;
    int rc;
    for (size_t j = 0; j < k->nfields; j++)
        required += k->fields[j].required;
    FZ_CHECK(proto_body_iter_init(&it, body->data, body->len) == VOCFED_OK);
    while ((rc = proto_body_iter_next(&it, &f)) == 1) {
        const proto_field_def_t *def = proto_kind_field(k, f.name, f.name_len);
        FZ_CHECK(def != NULL);
        seen_required += def->required;
        if (def->type == PROTO_FT_INT)
            FZ_CHECK(f.value.type == PROTO_VAL_INT && f.value.i >= def->min &&
                     f.value.i <= def->max);
        else if (def->type == PROTO_FT_YEAR)
            FZ_CHECK(f.value.type == PROTO_VAL_INT && f.value.i >= 2000 &&
                     f.value.i <= 2100);
        else if (def->type == PROTO_FT_BOOL)
            FZ_CHECK(f.value.type == PROTO_VAL_BOOL);
        else
            FZ_CHECK(f.value.type == PROTO_VAL_STR);
    }
    FZ_CHECK(rc == 0 && seen_required == required);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *strs[1 + 2 * S_PAIRS_MAX];
    size_t nstrs = 0, nkinds;
    const proto_kind_def_t *kinds = proto_kinds(&nkinds);
    proto_kind_error_t err;
    if (size < 1)
        return 0;
    const proto_kind_def_t *k = &kinds[data[0] % nkinds];

    /* The strings, each NUL-terminated in a copy. */
    char *text = malloc(size);
    FZ_CHECK(text != NULL);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    for (size_t i = 0; i < size && nstrs < 1 + 2 * S_PAIRS_MAX;) {
        strs[nstrs++] = text + i;
        i += strlen(text + i) + 1;
    }
    /* An odd one out has an empty value. */
    if (nstrs % 2 == 0)
        strs[nstrs++] = "";
    const char *key = nstrs > 0 ? strs[0] : "";
    size_t n = nstrs > 0 ? (nstrs - 1) / 2 : 0;
    const char *names[S_PAIRS_MAX], *values[S_PAIRS_MAX];
    for (size_t i = 0; i < n; i++) {
        names[i] = strs[1 + 2 * i];
        values[i] = strs[2 + 2 * i];
    }

    int krc = proto_kind_check_key(k, key, &err);
    FZ_CHECK(krc == VOCFED_OK || krc == VOCFED_EINVALID);
    if (krc == VOCFED_OK)
        FZ_CHECK(proto_key_valid(key, strlen(key)));

    proto_buf_t body;
    proto_buf_init(&body);
    memset(&err, 0xff, sizeof err); /* a refusal must fill every part */
    int brc = proto_kind_body(k, names, values, n, &body, &err);
    FZ_CHECK(brc == VOCFED_OK || brc == VOCFED_EINVALID);
    if (brc == VOCFED_OK) {
        FZ_CHECK(proto_body_validate(body.data, body.len) == VOCFED_OK);
        s_fields(k, &body);
        if (krc == VOCFED_OK)
            s_entry(k, key, &body);
    } else {
        FZ_CHECK(memchr(err.field, '\0', sizeof err.field) &&
                 memchr(err.value, '\0', sizeof err.value) &&
                 memchr(err.reason_en, '\0', sizeof err.reason_en) &&
                 memchr(err.reason_zh, '\0', sizeof err.reason_zh));
    }
    proto_buf_release(&body);
    free(text);
    return 0;
}
