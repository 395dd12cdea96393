/* vocfed: canonical msgpack cursor (SPEC 1). */
#include "protocol/mpack.h"

#include <string.h>

void
proto_rd_init(proto_rd_t *r, const uint8_t *data, size_t len)
{
    r->p = data;
    r->end = data + len;
}

bool
proto_rd_done(const proto_rd_t *r)
{
    return r->p == r->end;
}

static size_t
s_left(const proto_rd_t *r)
{
    return (size_t)(r->end - r->p);
}

/* Big-endian unsigned of n bytes (1, 2, 4, 8), after a check of length. */
static int
s_be(proto_rd_t *r, size_t n, uint64_t *v)
{
    if (s_left(r) < n)
        return VOCFED_EMALFORMED;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | r->p[i];
    r->p += n;
    *v = x;
    return VOCFED_OK;
}

static int
s_byte(proto_rd_t *r, uint8_t *b)
{
    if (s_left(r) < 1)
        return VOCFED_EMALFORMED;
    *b = *r->p++;
    return VOCFED_OK;
}

/* Reads a container header: fix form below fix_limit, else 16 or 32. */
static int
s_container(proto_rd_t *r, uint8_t fix_base, uint8_t op16, uint8_t op32,
            uint32_t *count)
{
    uint8_t b;
    uint64_t n;
    int rc = s_byte(r, &b);
    if (rc)
        return rc;
    if ((b & 0xf0) == fix_base) {
        *count = b & 0x0f;
        return VOCFED_OK;
    }
    if (b == op16) {
        if ((rc = s_be(r, 2, &n)))
            return rc;
        if (n < 16)
            return VOCFED_ENONCANONICAL;
    } else if (b == op32) {
        if ((rc = s_be(r, 4, &n)))
            return rc;
        if (n < 65536)
            return VOCFED_ENONCANONICAL;
    } else {
        return VOCFED_EMALFORMED;
    }
    /* Every element needs at least one byte: reject counts that cannot
     * fit before anyone allocates for them. */
    if (n > s_left(r))
        return VOCFED_EMALFORMED;
    *count = (uint32_t)n;
    return VOCFED_OK;
}

int
proto_rd_array(proto_rd_t *r, uint32_t *count)
{
    return s_container(r, 0x90, 0xdc, 0xdd, count);
}

int
proto_rd_map(proto_rd_t *r, uint32_t *count)
{
    int rc = s_container(r, 0x80, 0xde, 0xdf, count);
    if (rc == VOCFED_OK && *count > s_left(r) / 2)
        return VOCFED_EMALFORMED;
    return rc;
}

/* uint 8, 16, 32, 64 (b is 0xcc..0xcf): canonical only for values the
 * next shorter form cannot hold. */
static inline int
s_uint_form(proto_rd_t *r, uint8_t b, uint64_t *u)
{
    static const uint64_t min[] = {0x80, 0x100, 0x10000, 0x100000000ull};
    uint64_t v;
    int rc = s_be(r, (size_t)1 << (b - 0xcc), &v);
    if (rc)
        return rc;
    if (v < min[b - 0xcc])
        return VOCFED_ENONCANONICAL;
    *u = v;
    return VOCFED_OK;
}

/* int 8, 16, 32, 64 (b is 0xd0..0xd3): canonical only for values below
 * the next shorter signed form (non-negative values use uint forms). */
static inline int
s_int_form(proto_rd_t *r, uint8_t b, int64_t *s)
{
    static const int64_t lim[] = {-32, -128, -32768, -2147483648ll};
    size_t n = (size_t)1 << (b - 0xd0);
    uint64_t v;
    int rc = s_be(r, n, &v);
    if (rc)
        return rc;
    int64_t x;
    if (n == 1)
        x = (int8_t)v;
    else if (n == 2)
        x = (int16_t)v;
    else if (n == 4)
        x = (int32_t)v;
    else
        x = (int64_t)v;
    if (x >= lim[b - 0xd0])
        return VOCFED_ENONCANONICAL;
    *s = x;
    return VOCFED_OK;
}

/* Any integer form; *neg tells whether the value is negative (then *s
 * holds it, else *u). Checks minimality. */
static int
s_integer(proto_rd_t *r, bool *neg, uint64_t *u, int64_t *s)
{
    uint8_t b;
    int rc = s_byte(r, &b);
    if (rc)
        return rc;
    *neg = false;
    if (b <= 0x7f) {
        *u = b;
        return VOCFED_OK;
    }
    if (b >= 0xe0) {
        *neg = true;
        *s = (int8_t)b;
        return VOCFED_OK;
    }
    if (b >= 0xcc && b <= 0xcf)
        return s_uint_form(r, b, u);
    if (b >= 0xd0 && b <= 0xd3) {
        if ((rc = s_int_form(r, b, s)))
            return rc;
        *neg = true;
        return VOCFED_OK;
    }
    r->p--;
    return VOCFED_EMALFORMED;
}

int
proto_rd_uint(proto_rd_t *r, uint64_t *v)
{
    bool neg;
    int64_t s;
    int rc = s_integer(r, &neg, v, &s);
    if (rc)
        return rc;
    return neg ? VOCFED_EMALFORMED : VOCFED_OK;
}

int
proto_rd_int(proto_rd_t *r, int64_t *v)
{
    bool neg;
    uint64_t u;
    int rc = s_integer(r, &neg, &u, v);
    if (rc)
        return rc;
    if (!neg) {
        if (u > INT64_MAX)
            return VOCFED_ETOOLARGE;
        *v = (int64_t)u;
    }
    return VOCFED_OK;
}

static int
s_str(proto_rd_t *r, const char **s, size_t *len, bool utf8)
{
    uint8_t b;
    uint64_t n;
    int rc = s_byte(r, &b);
    if (rc)
        return rc;
    if ((b & 0xe0) == 0xa0) {
        n = b & 0x1f;
    } else if (b == 0xd9) {
        if ((rc = s_be(r, 1, &n)))
            return rc;
        if (n < 32)
            return VOCFED_ENONCANONICAL;
    } else if (b == 0xda) {
        if ((rc = s_be(r, 2, &n)))
            return rc;
        if (n < 256)
            return VOCFED_ENONCANONICAL;
    } else if (b == 0xdb) {
        if ((rc = s_be(r, 4, &n)))
            return rc;
        if (n < 65536)
            return VOCFED_ENONCANONICAL;
    } else {
        r->p--;
        return VOCFED_EMALFORMED;
    }
    if (n > s_left(r))
        return VOCFED_EMALFORMED;
    if (utf8 && !proto_utf8_valid((const char *)r->p, (size_t)n))
        return VOCFED_ENONCANONICAL;
    *s = (const char *)r->p;
    *len = (size_t)n;
    r->p += n;
    return VOCFED_OK;
}

int
proto_rd_str(proto_rd_t *r, const char **s, size_t *len)
{
    return s_str(r, s, len, true);
}

int
proto_rd_name(proto_rd_t *r, const char **s, size_t *len)
{
    return s_str(r, s, len, false);
}

int
proto_rd_bin(proto_rd_t *r, const uint8_t **p, size_t *len)
{
    uint8_t b;
    uint64_t n;
    int rc = s_byte(r, &b);
    if (rc)
        return rc;
    if (b == 0xc4) {
        rc = s_be(r, 1, &n);
    } else if (b == 0xc5) {
        if (!(rc = s_be(r, 2, &n)) && n < 256)
            return VOCFED_ENONCANONICAL;
    } else if (b == 0xc6) {
        if (!(rc = s_be(r, 4, &n)) && n < 65536)
            return VOCFED_ENONCANONICAL;
    } else {
        r->p--;
        return VOCFED_EMALFORMED;
    }
    if (rc)
        return rc;
    if (n > s_left(r))
        return VOCFED_EMALFORMED;
    *p = r->p;
    *len = (size_t)n;
    r->p += n;
    return VOCFED_OK;
}

int
proto_rd_nil(proto_rd_t *r, bool *is_nil)
{
    if (s_left(r) < 1)
        return VOCFED_EMALFORMED;
    *is_nil = *r->p == 0xc0;
    if (*is_nil)
        r->p++;
    return VOCFED_OK;
}

static int
s_value(proto_rd_t *r, proto_value_t *v, bool utf8)
{
    if (s_left(r) < 1)
        return VOCFED_EMALFORMED;
    uint8_t b = *r->p;
    memset(v, 0, sizeof *v);
    if (b == 0xc0) {
        r->p++;
        v->type = PROTO_VAL_NIL;
        return VOCFED_OK;
    }
    if (b == 0xc2 || b == 0xc3) {
        r->p++;
        v->type = PROTO_VAL_BOOL;
        v->b = b == 0xc3;
        return VOCFED_OK;
    }
    if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb)) {
        v->type = PROTO_VAL_STR;
        return s_str(r, &v->s, &v->slen, utf8);
    }
    v->type = PROTO_VAL_INT;
    return proto_rd_int(r, &v->i);
}

int
proto_rd_value(proto_rd_t *r, proto_value_t *v)
{
    return s_value(r, v, true);
}

int
proto_rd_value_checked(proto_rd_t *r, proto_value_t *v)
{
    return s_value(r, v, false);
}

int
proto_rd_name_error(const char *s, size_t len)
{
    return proto_utf8_valid(s, len) ? VOCFED_EMALFORMED : VOCFED_ENONCANONICAL;
}

/* Whether all eight bytes of w are printable ASCII (0x20-0x7e). With
 * each byte below 0x80 (checked first), adding 0x60 sets its top bit
 * exactly when it is 0x20 or more, and adding 0x01 exactly when it is
 * 0x7f; no sum passes 0xff, so no carry reaches the next byte. */
static bool
s_printable8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = ones << 7;
    return !(w & high) && ((w + 0x60 * ones) & high) == high &&
           !((w + ones) & high);
}

bool
proto_text_valid(const char *s, size_t len)
{
    size_t i = 0;
    /* Keys and most values are printable ASCII: eight bytes at a time
     * while they are. What is left is checked byte by byte, and as
     * UTF-8 from there: the bytes before are whole characters. */
    for (uint64_t w; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        if (!s_printable8(w))
            break;
    }
    for (size_t j = i; j < len; j++) {
        unsigned char c = (unsigned char)s[j];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return i == len || proto_utf8_valid(s + i, len - i);
}

bool
proto_utf8_valid(const char *str, size_t len)
{
    /* Empty is valid, and str may then be NULL (an empty value string):
     * NULL + 0 below would be undefined behaviour. */
    if (len == 0)
        return true;
    const uint8_t *s = (const uint8_t *)str, *end = s + len;
    /* Most values are a few bytes of ASCII: a short one is looked at
     * whole first, eight bytes at a time (the last word padded with
     * zeros). One that is not all ASCII goes through the loop below
     * from its start. */
    if (len <= 64) {
        const uint64_t high = 0x8080808080808080ull;
        uint64_t any = 0, w;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            memcpy(&w, s + i, 8);
            any |= w;
        }
        w = 0;
        memcpy(&w, s + i, len - i);
        if (!((any | w) & high))
            return true;
    }
    while (s < end) {
        /* Most text is ASCII: skip it eight bytes at a time. */
        while (end - s >= 8) {
            uint64_t w;
            memcpy(&w, s, 8);
            if (w & 0x8080808080808080ull)
                break;
            s += 8;
        }
        if (s == end)
            break;
        uint8_t c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - s) < n)
            return false;
        for (size_t i = 1; i < n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += n;
    }
    return true;
}
