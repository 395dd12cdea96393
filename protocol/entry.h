/* vocfed: log entries and record bodies (SPEC 3).
 *
 * An entry is the msgpack array
 *   [version, author, seq, time_ms, op, kind, key, body]
 * with body a canonical map of field name -> scalar for "put", nil for
 * "del". The encoded bytes are what is stored, hashed, signed over (via
 * the tree) and sent; nothing is ever re-serialised to verify. */
#ifndef VOCFED_PROTOCOL_ENTRY_H
#define VOCFED_PROTOCOL_ENTRY_H

#include "protocol/buf.h"
#include "protocol/mpack.h"
#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROTO_ENTRY_VERSION 1
#define PROTO_ENTRY_MAX 65536 /* bytes of one encoded entry */
#define PROTO_ID_MAX 32       /* bytes of an author id */
#define PROTO_KIND_MAX 32     /* bytes of a kind name */
#define PROTO_KEY_MAX 256     /* bytes of a natural key */
#define PROTO_FIELD_MAX 64    /* bytes of a field name */
#define PROTO_FIELDS_MAX 256  /* fields in one body */
#define PROTO_STR_MAX 4096    /* bytes of one string value */

typedef enum {
    PROTO_OP_PUT = 0, /* the record is (re)placed whole by body */
    PROTO_OP_DEL = 1, /* tombstone: the record no longer exists */
} proto_op_t;

/* A decoded entry. Strings and body point into the encoded bytes, which
 * the caller keeps alive; nothing is NUL-terminated. */
typedef struct {
    uint64_t version;    /* PROTO_ENTRY_VERSION */
    const char *author;  /* author id */
    size_t author_len;   /* its length */
    uint64_t seq;        /* 1, 2, 3... within the author's log */
    uint64_t time_ms;    /* author's clock, ms since the Unix epoch */
    proto_op_t op;       /* put or del */
    const char *kind;    /* record kind */
    size_t kind_len;     /* its length */
    const char *key;     /* natural key */
    size_t key_len;      /* its length */
    const uint8_t *body; /* encoded body map; NULL for del */
    size_t body_len;     /* its length; 0 for del */
} proto_entry_t;

/* One field of a body, for building or reading. */
typedef struct {
    const char *name;    /* field name, not NUL-terminated */
    size_t name_len;     /* its length */
    proto_value_t value; /* scalar value */
} proto_field_t;

/* Reads a body's fields in order (sorted by name). */
typedef struct {
    proto_rd_t rd;      /* cursor over the map's entries */
    uint32_t remaining; /* fields not read yet */
} proto_body_iter_t;

/* Appends the canonical encoding of e to out (SPEC 3.1). Validates every
 * field first: ids, kinds, keys and the body (which must already be a
 * canonical body, e.g. from proto_body_encode). Returns 0,
 * VOCFED_EINVALID, VOCFED_ETOOLARGE or VOCFED_ENOMEM. */
int proto_entry_encode(const proto_entry_t *e, proto_buf_t *out) VOCFED_WUR;

/* proto_entry_encode for an entry whose body proto_body_encode made in
 * this process (canonical by construction): the body is not read again,
 * every other field is checked as there. An import's records: reading
 * each body again was ~7% of a 1M-row import's time (bench/README.md). */
int proto_entry_encode_made(const proto_entry_t *e,
                            proto_buf_t *out) VOCFED_WUR;

/* Decodes and fully validates untrusted bytes (canonical form, limits,
 * names, body). Returns 0, VOCFED_EMALFORMED, VOCFED_ENONCANONICAL,
 * VOCFED_ETOOLARGE or VOCFED_EVERSION. out borrows from data. */
int proto_entry_decode(const uint8_t *data, size_t len,
                       proto_entry_t *out) VOCFED_WUR;

/* Sorts fields by name (in place) and appends the canonical body map to
 * out. Returns 0, VOCFED_EINVALID (bad or duplicate name, bad value),
 * VOCFED_ETOOLARGE or VOCFED_ENOMEM. */
int proto_body_encode(proto_field_t *fields, size_t n,
                      proto_buf_t *out) VOCFED_WUR;

/* proto_body_encode for fields the caller has checked: each name valid
 * (proto_field_name_valid) and each str value UTF-8 of at most
 * PROTO_STR_MAX bytes (proto_kind_body_all: names from the kinds table,
 * values by their field's rule). They are not looked at again: the
 * body is canonical only if that holds. Sorts, refuses a name given
 * twice, encodes. */
int proto_body_encode_checked(proto_field_t *fields, size_t n,
                              proto_buf_t *out) VOCFED_WUR;

/* Validates an encoded body (what decode does for the entry's body).
 * Returns 0 or an error status. */
int proto_body_validate(const uint8_t *body, size_t len) VOCFED_WUR;

/* Starts reading a body that has been validated (proto_entry_decode,
 * proto_body_validate, or made by proto_body_encode): the reader keeps
 * to its bounds but does not check its names and UTF-8 again. Returns 0
 * or VOCFED_EMALFORMED. */
int proto_body_iter_init(proto_body_iter_t *it, const uint8_t *body,
                         size_t len) VOCFED_WUR;

/* Next field: returns 1 and fills out, 0 at the end, or an error. */
int proto_body_iter_next(proto_body_iter_t *it, proto_field_t *out);

/* Finds a field by name in a validated body. Returns 0, or
 * VOCFED_ENOTFOUND. */
int proto_body_get(const uint8_t *body, size_t len, const char *name,
                   proto_value_t *out) VOCFED_WUR;

/* Name rules (SPEC 3.2): author ids [a-z0-9][a-z0-9_.-]*, kinds and
 * field names [a-z][a-z0-9_]*, keys any printable UTF-8. */
bool proto_id_valid(const char *s, size_t len);
bool proto_kind_valid(const char *s, size_t len);
bool proto_field_name_valid(const char *s, size_t len);
bool proto_key_valid(const char *s, size_t len);

/* Reads an author id (SPEC 3.2) borrowed from the cursor's bytes. Returns
 * 0, a reader's error, or the status proto_rd_name_error gives for an
 * invalid id. */
int proto_rd_id(proto_rd_t *r, const char **s, size_t *len) VOCFED_WUR;

/* The canonical order of names (SPEC 3.3), of field names and of the ids
 * of a heads map (SPEC 8.2): bytewise, a prefix before its extensions.
 * Returns <0, 0 or >0 as memcmp. Inline: body decoding compares every
 * field name with the one before. */
static inline int
proto_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* "put" or "del". */
const char *proto_op_name(proto_op_t op);

#endif
