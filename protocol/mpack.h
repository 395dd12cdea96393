/* vocfed: canonical msgpack reading (SPEC 1).
 *
 * Encoding goes through msgpack-c's packer, which always emits the
 * shortest form. Decoding goes through this bounded cursor, which accepts
 * only those shortest forms, so "decodes" implies "canonical": one value
 * has exactly one encoding, and bytes can be hashed as received. Only the
 * types vocfed uses are accepted: nil, bool, int, str (valid UTF-8), bin,
 * array, map. Floats and ext are refused. */
#ifndef VOCFED_PROTOCOL_MPACK_H
#define VOCFED_PROTOCOL_MPACK_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A read cursor over untrusted bytes; never reads past end. */
typedef struct {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last byte */
} proto_rd_t;

typedef enum {
    PROTO_VAL_NIL = 0,
    PROTO_VAL_BOOL,
    PROTO_VAL_INT,
    PROTO_VAL_STR,
} proto_val_type_t;

/* A scalar value of a record body. Strings point into borrowed bytes. */
typedef struct {
    proto_val_type_t type; /* which member is meaningful */
    bool b;                /* PROTO_VAL_BOOL */
    int64_t i;             /* PROTO_VAL_INT */
    const char *s;         /* PROTO_VAL_STR, not NUL-terminated */
    size_t slen;           /* PROTO_VAL_STR length in bytes */
} proto_value_t;

/* Starts a cursor over [data, data + len). */
void proto_rd_init(proto_rd_t *r, const uint8_t *data, size_t len);

/* Each reader below consumes one value of its type. They return 0,
 * VOCFED_EMALFORMED (truncated or another type), or VOCFED_ENONCANONICAL
 * (a longer form than needed, or invalid UTF-8). On error the cursor
 * position is unspecified. */
int proto_rd_array(proto_rd_t *r, uint32_t *count) VOCFED_WUR;
int proto_rd_map(proto_rd_t *r, uint32_t *count) VOCFED_WUR;
int proto_rd_uint(proto_rd_t *r, uint64_t *v) VOCFED_WUR;
int proto_rd_int(proto_rd_t *r, int64_t *v) VOCFED_WUR;
int proto_rd_str(proto_rd_t *r, const char **s, size_t *len) VOCFED_WUR;
/* A string the caller validates itself against a rule that implies valid
 * UTF-8 (names, ids, keys): the same as proto_rd_str without the UTF-8
 * pass, which the caller's check makes redundant. */
int proto_rd_name(proto_rd_t *r, const char **s, size_t *len) VOCFED_WUR;
int proto_rd_bin(proto_rd_t *r, const uint8_t **p, size_t *len) VOCFED_WUR;
/* Reads nil (sets *is_nil) or leaves the cursor for the next reader. */
int proto_rd_nil(proto_rd_t *r, bool *is_nil) VOCFED_WUR;
/* One scalar (nil, bool, int, str). */
int proto_rd_value(proto_rd_t *r, proto_value_t *v) VOCFED_WUR;

/* proto_rd_value for bytes already read once with it (a validated
 * body): the same bounds and forms, but a string's UTF-8 is not checked
 * again. */
int proto_rd_value_checked(proto_rd_t *r, proto_value_t *v) VOCFED_WUR;

/* The status for a string read with proto_rd_name that breaks its
 * caller's rule: VOCFED_ENONCANONICAL when it is not even valid UTF-8 (what
 * proto_rd_str would have said), else VOCFED_EMALFORMED. */
int proto_rd_name_error(const char *s, size_t len) VOCFED_WUR;

/* Opens a versioned record, the array [version, ...] of entries,
 * checkpoints, receipts and messages (SPEC 3.1, 4.1, 8.1, 9.1): reads the
 * array header and the version into *version, and checks the version
 * before anything else, the element count included. Returns 0 with *count
 * the array's elements (at least 1), a reader's error, VOCFED_EMALFORMED
 * (an empty array) or VOCFED_EVERSION (not want). Inline: every decoder
 * on the hot path of ingest and verify starts with it. */
static inline int VOCFED_WUR
proto_rd_record(proto_rd_t *r, uint64_t want, uint64_t *version,
                uint32_t *count)
{
    int rc = proto_rd_array(r, count);
    if (rc)
        return rc;
    if (*count < 1)
        return VOCFED_EMALFORMED;
    if ((rc = proto_rd_uint(r, version)))
        return rc;
    return *version == want ? VOCFED_OK : VOCFED_EVERSION;
}

/* True when every byte has been consumed. */
bool proto_rd_done(const proto_rd_t *r);

/* True when [s, s+len) is valid UTF-8 (no overlongs, no surrogates). */
bool proto_utf8_valid(const char *s, size_t len);

/* True when [s, s+len) is valid UTF-8 without control characters (C0 and
 * DEL), so that it cannot forge a log line: natural keys (SPEC 3.2) and
 * error texts (SPEC 8.8). Length is the caller's to check. */
bool proto_text_valid(const char *s, size_t len);

#endif
