/* Fuzz target: one log entry (SPEC 3), as store_ingest and verify read
 * it from a peer or a disk: proto_entry_decode, then the body readers.
 * A decoded entry must obey the name rules, its body must validate and
 * read back field by field in order, and encoding the decoded fields
 * must give the input byte for byte (one value, one encoding: SPEC 1). */
#include "tests/fuzz/fuzz.h"

#include "protocol/entry.h"

#include <string.h>

/* Reads the body field by field as proto_body_iter does. */
static void
s_body(const proto_entry_t *e)
{
    proto_body_iter_t it;
    proto_field_t f, prev = {0};
    uint32_t n = 0;
    int rc;
    FZ_CHECK(proto_body_validate(e->body, e->body_len) == VOCFED_OK);
    FZ_CHECK(proto_body_iter_init(&it, e->body, e->body_len) == VOCFED_OK);
    while ((rc = proto_body_iter_next(&it, &f)) == 1) {
        FZ_CHECK(proto_field_name_valid(f.name, f.name_len));
        if (n > 0) {
            size_t min =
                prev.name_len < f.name_len ? prev.name_len : f.name_len;
            int c = memcmp(prev.name, f.name, min);
            FZ_CHECK(c < 0 || (c == 0 && prev.name_len < f.name_len));
        }
        if (f.value.type == PROTO_VAL_STR)
            FZ_CHECK(f.value.slen <= PROTO_STR_MAX &&
                     proto_utf8_valid(f.value.s, f.value.slen));
        prev = f;
        n++;
    }
    FZ_CHECK(rc == 0 && n <= PROTO_FIELDS_MAX);
    if (n > 0) {
        /* The last field is found by name. */
        char name[PROTO_FIELD_MAX + 1];
        proto_value_t v;
        memcpy(name, prev.name, prev.name_len);
        name[prev.name_len] = '\0';
        FZ_CHECK(proto_body_get(e->body, e->body_len, name, &v) == VOCFED_OK);
        FZ_CHECK(v.type == prev.value.type);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_entry_t e;
    proto_buf_t out;
    int rc = proto_entry_decode(data, size, &e);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EMALFORMED ||
             rc == VOCFED_ENONCANONICAL || rc == VOCFED_ETOOLARGE ||
             rc == VOCFED_EVERSION);
    if (rc)
        return 0;
    FZ_CHECK(e.version == PROTO_ENTRY_VERSION && e.seq >= 1);
    FZ_CHECK(proto_id_valid(e.author, e.author_len));
    FZ_CHECK(proto_kind_valid(e.kind, e.kind_len));
    FZ_CHECK(proto_key_valid(e.key, e.key_len));
    if (e.op == PROTO_OP_PUT)
        s_body(&e);
    else
        FZ_CHECK(e.op == PROTO_OP_DEL && !e.body && e.body_len == 0);

    proto_buf_init(&out);
    FZ_CHECK(proto_entry_encode(&e, &out) == VOCFED_OK);
    FZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
    proto_buf_release(&out);
    return 0;
}
