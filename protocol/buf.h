/* vocfed: a growable byte buffer, the output of every encoder. */
#ifndef VOCFED_PROTOCOL_BUF_H
#define VOCFED_PROTOCOL_BUF_H

#include "protocol/status.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t *data; /* owned; NULL until the first write */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
} proto_buf_t;

/* An empty buffer; allocates nothing. */
void proto_buf_init(proto_buf_t *b);

/* Frees the bytes and leaves an empty buffer. */
void proto_buf_release(proto_buf_t *b);

/* Forgets the contents, keeps the allocation. */
void proto_buf_reset(proto_buf_t *b);

/* Makes room for at least n more bytes, so that appends up to them do
 * not move the data. Returns 0 or VOCFED_ENOMEM (the buffer unchanged). */
int proto_buf_reserve(proto_buf_t *b, size_t n) VOCFED_WUR;

/* Appends len bytes, growing the buffer. Returns 0 or VOCFED_ENOMEM. */
int proto_buf_append_slow(proto_buf_t *b, const void *data,
                          size_t len) VOCFED_WUR;

/* Makes room for at least n more bytes as appends do: the buffer at
 * least doubled when it grows (proto_buf_reserve grows it to exactly
 * what is asked: one item after another appended so would each copy
 * the whole buffer). Returns 0 or VOCFED_ENOMEM (the buffer unchanged). */
static inline int VOCFED_WUR
proto_buf_room(proto_buf_t *b, size_t n)
{
    if (n <= b->cap - b->len)
        return VOCFED_OK;
    int rc = proto_buf_append_slow(b, NULL, n); /* grows, writes nothing */
    if (rc == VOCFED_OK)
        b->len -= n;
    return rc;
}

/* Appends len bytes. Returns 0 or VOCFED_ENOMEM. Inline: encoders call it
 * for every few bytes. */
static inline int VOCFED_WUR
proto_buf_append(proto_buf_t *b, const void *data, size_t len)
{
    if (len <= b->cap - b->len) {
        if (len)
            memcpy(b->data + b->len, data, len);
        b->len += len;
        return VOCFED_OK;
    }
    return proto_buf_append_slow(b, data, len);
}

/* Ends an encoder that appended to b from offset start: fail is nonzero
 * when a write failed. On failure, or when the encoder appended more than
 * max bytes, drops what it appended. Returns 0, VOCFED_ENOMEM or
 * VOCFED_ETOOLARGE. */
static inline int VOCFED_WUR
proto_buf_finish(proto_buf_t *b, size_t start, int fail, size_t max)
{
    if (fail) {
        b->len = start;
        return VOCFED_ENOMEM;
    }
    if (b->len - start > max) {
        b->len = start;
        return VOCFED_ETOOLARGE;
    }
    return VOCFED_OK;
}

/* msgpack-c write callback: data is a proto_buf_t *. */
int proto_buf_msgpack_write(void *data, const char *buf, size_t len);

#endif
