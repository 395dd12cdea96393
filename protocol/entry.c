/* vocfed: entry and body encoding (SPEC 3). */
#include "protocol/entry.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_op_names[] = {"put", "del"};

const char *
proto_op_name(proto_op_t op)
{
    return op == PROTO_OP_DEL ? s_op_names[1] : s_op_names[0];
}

/* Character classes of names (SPEC 3.2), one table lookup per byte. */
enum {
    S_LOWER = 1, /* a-z */
    S_DIGIT = 2, /* 0-9 */
    S_UNDER = 4, /* _ */
    S_IDSYM = 8, /* - . (author ids only) */
};

static const uint8_t s_class[256] = {
    ['a'] = S_LOWER, ['b'] = S_LOWER, ['c'] = S_LOWER, ['d'] = S_LOWER,
    ['e'] = S_LOWER, ['f'] = S_LOWER, ['g'] = S_LOWER, ['h'] = S_LOWER,
    ['i'] = S_LOWER, ['j'] = S_LOWER, ['k'] = S_LOWER, ['l'] = S_LOWER,
    ['m'] = S_LOWER, ['n'] = S_LOWER, ['o'] = S_LOWER, ['p'] = S_LOWER,
    ['q'] = S_LOWER, ['r'] = S_LOWER, ['s'] = S_LOWER, ['t'] = S_LOWER,
    ['u'] = S_LOWER, ['v'] = S_LOWER, ['w'] = S_LOWER, ['x'] = S_LOWER,
    ['y'] = S_LOWER, ['z'] = S_LOWER, ['0'] = S_DIGIT, ['1'] = S_DIGIT,
    ['2'] = S_DIGIT, ['3'] = S_DIGIT, ['4'] = S_DIGIT, ['5'] = S_DIGIT,
    ['6'] = S_DIGIT, ['7'] = S_DIGIT, ['8'] = S_DIGIT, ['9'] = S_DIGIT,
    ['_'] = S_UNDER, ['-'] = S_IDSYM, ['.'] = S_IDSYM,
};

/* True when s[0] is in first and every later byte is in rest. */
static bool
s_name_valid(const char *s, size_t len, size_t max, uint8_t first, uint8_t rest)
{
    const uint8_t *p = (const uint8_t *)s;
    if (len == 0 || len > max || !(s_class[p[0]] & first))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(s_class[p[i]] & rest))
            return false;
    return true;
}

bool
proto_id_valid(const char *s, size_t len)
{
    return s_name_valid(s, len, PROTO_ID_MAX, S_LOWER | S_DIGIT,
                        S_LOWER | S_DIGIT | S_UNDER | S_IDSYM);
}

bool
proto_kind_valid(const char *s, size_t len)
{
    return s_name_valid(s, len, PROTO_KIND_MAX, S_LOWER,
                        S_LOWER | S_DIGIT | S_UNDER);
}

bool
proto_field_name_valid(const char *s, size_t len)
{
    return s_name_valid(s, len, PROTO_FIELD_MAX, S_LOWER,
                        S_LOWER | S_DIGIT | S_UNDER);
}

bool
proto_key_valid(const char *s, size_t len)
{
    return len != 0 && len <= PROTO_KEY_MAX && proto_text_valid(s, len);
}

int
proto_rd_id(proto_rd_t *r, const char **s, size_t *len)
{
    int rc = proto_rd_name(r, s, len);
    if (rc)
        return rc;
    return proto_id_valid(*s, *len) ? VOCFED_OK : proto_rd_name_error(*s, *len);
}

static int
s_field_cmp(const void *pa, const void *pb)
{
    const proto_field_t *a = pa, *b = pb;
    return proto_name_cmp(a->name, a->name_len, b->name, b->name_len);
}

static bool
s_value_valid(const proto_value_t *v)
{
    switch (v->type) {
    case PROTO_VAL_NIL:
    case PROTO_VAL_BOOL:
    case PROTO_VAL_INT:
        return true;
    case PROTO_VAL_STR:
        return v->slen <= PROTO_STR_MAX && (v->slen == 0 || v->s) &&
               proto_utf8_valid(v->s, v->slen);
    }
    return false;
}

/* ---- a body's bytes, written in place ------------------------------- */

/* The shortest msgpack heads (SPEC 3.2: canonical), as msgpack-c writes
 * them: a body is written straight into its buffer, one reserve, no
 * packer callback per piece (they were 11% of an import's check). */
static uint8_t *
s_put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
    return p + n;
}

static uint8_t *
s_put_str(uint8_t *p, const char *s, size_t n)
{
    if (n < 32) {
        *p++ = (uint8_t)(0xa0 | n);
    } else if (n < 256) {
        *p++ = 0xd9;
        *p++ = (uint8_t)n;
    } else if (n < 65536) {
        *p++ = 0xda;
        p = s_put_be(p, n, 2);
    } else {
        *p++ = 0xdb;
        p = s_put_be(p, n, 4);
    }
    if (n)
        memcpy(p, s, n);
    return p + n;
}

static uint8_t *
s_put_int(uint8_t *p, int64_t d)
{
    if (d >= 0) {
        uint64_t u = (uint64_t)d;
        if (u < 128) {
            *p++ = (uint8_t)u;
        } else if (u < 256) {
            *p++ = 0xcc;
            *p++ = (uint8_t)u;
        } else if (u < 65536) {
            *p++ = 0xcd;
            p = s_put_be(p, u, 2);
        } else if (u < 4294967296ull) {
            *p++ = 0xce;
            p = s_put_be(p, u, 4);
        } else {
            *p++ = 0xcf;
            p = s_put_be(p, u, 8);
        }
    } else if (d >= -32) {
        *p++ = (uint8_t)(int8_t)d; /* negative fixint */
    } else if (d >= -128) {
        *p++ = 0xd0;
        *p++ = (uint8_t)(int8_t)d;
    } else if (d >= -32768) {
        *p++ = 0xd1;
        p = s_put_be(p, (uint64_t)d, 2);
    } else if (d >= INT32_MIN) {
        *p++ = 0xd2;
        p = s_put_be(p, (uint64_t)d, 4);
    } else {
        *p++ = 0xd3;
        p = s_put_be(p, (uint64_t)d, 8);
    }
    return p;
}

static uint8_t *
s_put_value(uint8_t *p, const proto_value_t *v)
{
    switch (v->type) {
    case PROTO_VAL_NIL:
        *p++ = 0xc0;
        break;
    case PROTO_VAL_BOOL:
        *p++ = v->b ? 0xc3 : 0xc2;
        break;
    case PROTO_VAL_INT:
        p = s_put_int(p, v->i);
        break;
    case PROTO_VAL_STR:
        p = s_put_str(p, v->s, v->slen);
        break;
    }
    return p;
}

int
proto_body_encode(proto_field_t *fields, size_t n, proto_buf_t *out)
{
    for (size_t i = 0; i < n && n <= PROTO_FIELDS_MAX; i++)
        if (!proto_field_name_valid(fields[i].name, fields[i].name_len) ||
            !s_value_valid(&fields[i].value))
            return VOCFED_EINVALID;
    return proto_body_encode_checked(fields, n, out);
}

int
proto_body_encode_checked(proto_field_t *fields, size_t n, proto_buf_t *out)
{
    if (n > PROTO_FIELDS_MAX)
        return VOCFED_ETOOLARGE;
    if (n > 32) {
        qsort(fields, n, sizeof *fields, s_field_cmp);
        for (size_t i = 1; i < n; i++)
            if (s_field_cmp(&fields[i - 1], &fields[i]) == 0)
                return VOCFED_EINVALID;
    } else {
        /* A record's few fields: an insertion sort, no qsort call. The
         * comparison that stops a field's move is with the greatest
         * field before it not above it, so a name already there is
         * found by it, and no second pass is needed. */
        for (size_t i = 1; i < n; i++) {
            proto_field_t f = fields[i];
            size_t j = i;
            int c = 1;
            for (; j > 0 && (c = s_field_cmp(&fields[j - 1], &f)) > 0; j--)
                fields[j] = fields[j - 1];
            fields[j] = f; /* the fields stay whole, refused or not */
            if (c == 0)
                return VOCFED_EINVALID;
        }
    }
    /* The most it takes: a map head, and per field a name's head and
     * bytes, a value's head (an int's 9) and bytes. */
    size_t most = 5;
    for (size_t i = 0; i < n; i++)
        most +=
            5 + fields[i].name_len + 9 +
            (fields[i].value.type == PROTO_VAL_STR ? fields[i].value.slen : 0);
    if (proto_buf_room(out, most))
        return VOCFED_ENOMEM;
    uint8_t *p = out->data + out->len;
    if (n < 16) {
        *p++ = (uint8_t)(0x80 | n);
    } else {
        _Static_assert(PROTO_FIELDS_MAX < 65536, "a map16 holds them");
        *p++ = 0xde;
        p = s_put_be(p, n, 2);
    }
    for (size_t i = 0; i < n; i++) {
        p = s_put_str(p, fields[i].name, fields[i].name_len);
        p = s_put_value(p, &fields[i].value);
    }
    out->len = (size_t)(p - out->data);
    return VOCFED_OK;
}

/* Reads and checks one body from the cursor (SPEC 3.3). */
static int
s_read_body(proto_rd_t *r)
{
    uint32_t n;
    int rc = proto_rd_map(r, &n);
    if (rc)
        return rc;
    if (n > PROTO_FIELDS_MAX)
        return VOCFED_ETOOLARGE;
    const char *prev = NULL;
    size_t prev_len = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *name;
        size_t name_len;
        proto_value_t v;
        if ((rc = proto_rd_name(r, &name, &name_len)))
            return rc;
        if (!proto_field_name_valid(name, name_len))
            return VOCFED_EMALFORMED;
        if (prev && proto_name_cmp(prev, prev_len, name, name_len) >= 0)
            return VOCFED_ENONCANONICAL;
        prev = name;
        prev_len = name_len;
        if ((rc = proto_rd_value(r, &v)))
            return rc;
        if (v.type == PROTO_VAL_STR && v.slen > PROTO_STR_MAX)
            return VOCFED_ETOOLARGE;
    }
    return VOCFED_OK;
}

int
proto_body_validate(const uint8_t *body, size_t len)
{
    proto_rd_t r;
    proto_rd_init(&r, body, len);
    int rc = s_read_body(&r);
    if (rc)
        return rc;
    return proto_rd_done(&r) ? VOCFED_OK : VOCFED_EMALFORMED;
}

/* proto_entry_encode; made: the body is proto_body_encode's, not read. */
static int
s_entry_encode(const proto_entry_t *e, bool made, proto_buf_t *out)
{
    if (e->version != PROTO_ENTRY_VERSION)
        return VOCFED_EINVALID;
    if (!proto_id_valid(e->author, e->author_len) || e->seq == 0 ||
        !proto_kind_valid(e->kind, e->kind_len) ||
        !proto_key_valid(e->key, e->key_len) ||
        (e->op != PROTO_OP_PUT && e->op != PROTO_OP_DEL))
        return VOCFED_EINVALID;
    if (e->op == PROTO_OP_PUT) {
        if (!e->body)
            return VOCFED_EINVALID;
        int rc = made ? VOCFED_OK : proto_body_validate(e->body, e->body_len);
        if (rc)
            return rc == VOCFED_ETOOLARGE ? rc : VOCFED_EINVALID;
    } else if (e->body) {
        return VOCFED_EINVALID;
    }
    size_t start = out->len;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, proto_buf_msgpack_write);
    const char *op = proto_op_name(e->op);
    int fail = msgpack_pack_array(&pk, 8) ||
               msgpack_pack_uint64(&pk, e->version) ||
               msgpack_pack_str(&pk, e->author_len) ||
               msgpack_pack_str_body(&pk, e->author, e->author_len) ||
               msgpack_pack_uint64(&pk, e->seq) ||
               msgpack_pack_uint64(&pk, e->time_ms) ||
               msgpack_pack_str(&pk, 3) || msgpack_pack_str_body(&pk, op, 3) ||
               msgpack_pack_str(&pk, e->kind_len) ||
               msgpack_pack_str_body(&pk, e->kind, e->kind_len) ||
               msgpack_pack_str(&pk, e->key_len) ||
               msgpack_pack_str_body(&pk, e->key, e->key_len);
    if (!fail)
        fail = e->op == PROTO_OP_PUT
                   ? proto_buf_append(out, e->body, e->body_len) != 0
                   : msgpack_pack_nil(&pk);
    return proto_buf_finish(out, start, fail, PROTO_ENTRY_MAX);
}

int
proto_entry_encode(const proto_entry_t *e, proto_buf_t *out)
{
    return s_entry_encode(e, false, out);
}

int
proto_entry_encode_made(const proto_entry_t *e, proto_buf_t *out)
{
    return s_entry_encode(e, true, out);
}

int
proto_entry_decode(const uint8_t *data, size_t len, proto_entry_t *out)
{
    proto_rd_t r;
    uint32_t n;
    int rc;
    const char *op;
    size_t op_len;
    bool is_nil;

    if (len > PROTO_ENTRY_MAX)
        return VOCFED_ETOOLARGE;
    memset(out, 0, sizeof *out);
    proto_rd_init(&r, data, len);
    if ((rc = proto_rd_record(&r, PROTO_ENTRY_VERSION, &out->version, &n)))
        return rc;
    if (n != 8)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_name(&r, &out->author, &out->author_len)) ||
        (rc = proto_rd_uint(&r, &out->seq)) ||
        (rc = proto_rd_uint(&r, &out->time_ms)) ||
        (rc = proto_rd_name(&r, &op, &op_len)) ||
        (rc = proto_rd_name(&r, &out->kind, &out->kind_len)) ||
        (rc = proto_rd_name(&r, &out->key, &out->key_len)))
        return rc;
    if (!proto_id_valid(out->author, out->author_len) || out->seq == 0 ||
        !proto_kind_valid(out->kind, out->kind_len))
        return VOCFED_EMALFORMED;
    if (!proto_key_valid(out->key, out->key_len))
        return proto_rd_name_error(out->key, out->key_len);
    if (op_len == 3 && memcmp(op, "put", 3) == 0)
        out->op = PROTO_OP_PUT;
    else if (op_len == 3 && memcmp(op, "del", 3) == 0)
        out->op = PROTO_OP_DEL;
    else
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_nil(&r, &is_nil)))
        return rc;
    if (out->op == PROTO_OP_DEL) {
        if (!is_nil)
            return VOCFED_EMALFORMED;
    } else {
        if (is_nil)
            return VOCFED_EMALFORMED;
        const uint8_t *body = r.p;
        if ((rc = s_read_body(&r)))
            return rc;
        out->body = body;
        out->body_len = (size_t)(r.p - body);
    }
    return proto_rd_done(&r) ? VOCFED_OK : VOCFED_EMALFORMED;
}

int
proto_body_iter_init(proto_body_iter_t *it, const uint8_t *body, size_t len)
{
    proto_rd_init(&it->rd, body, len);
    return proto_rd_map(&it->rd, &it->remaining);
}

int
proto_body_iter_next(proto_body_iter_t *it, proto_field_t *out)
{
    if (it->remaining == 0)
        return 0;
    /* The body was validated (names and UTF-8) when it was read in:
     * only the bounds are checked again. */
    int rc = proto_rd_name(&it->rd, &out->name, &out->name_len);
    if (!rc)
        rc = proto_rd_value_checked(&it->rd, &out->value);
    if (rc)
        return rc;
    it->remaining--;
    return 1;
}

int
proto_body_get(const uint8_t *body, size_t len, const char *name,
               proto_value_t *out)
{
    proto_body_iter_t it;
    proto_field_t f;
    size_t name_len = strlen(name);
    int rc = proto_body_iter_init(&it, body, len);
    if (rc)
        return rc;
    while ((rc = proto_body_iter_next(&it, &f)) == 1) {
        if (f.name_len == name_len && memcmp(f.name, name, name_len) == 0) {
            *out = f.value;
            return VOCFED_OK;
        }
    }
    return rc < 0 ? rc : VOCFED_ENOTFOUND;
}
