/* vocfed: growable byte buffer. */
#include "protocol/buf.h"

#include <stdlib.h>
#include <string.h>

void
proto_buf_init(proto_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
proto_buf_release(proto_buf_t *b)
{
    free(b->data);
    proto_buf_init(b);
}

void
proto_buf_reset(proto_buf_t *b)
{
    b->len = 0;
}

int
proto_buf_reserve(proto_buf_t *b, size_t n)
{
    if (n <= b->cap - b->len)
        return VOCFED_OK;
    if (n > SIZE_MAX - b->len)
        return VOCFED_ENOMEM;
    uint8_t *p = realloc(b->data, b->len + n);
    if (!p)
        return VOCFED_ENOMEM;
    b->data = p;
    b->cap = b->len + n;
    return VOCFED_OK;
}

int
proto_buf_append_slow(proto_buf_t *b, const void *data, size_t len)
{
    if (len > SIZE_MAX - b->len)
        return VOCFED_ENOMEM;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap = cap > SIZE_MAX / 2 ? b->len + len : cap * 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return VOCFED_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (len && data)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return VOCFED_OK;
}

int
proto_buf_msgpack_write(void *data, const char *buf, size_t len)
{
    return proto_buf_append((proto_buf_t *)data, buf, len) == VOCFED_OK ? 0
                                                                        : -1;
}
