/* vocfed: the one parser of the endpoints a node dials or binds
 * (--listen, --coordinator, and the same keys in DIR/vocfed.cfg).
 *
 * The form is tcp://HOST:PORT: the scheme tcp:// (CURVE over TCP, the
 * one transport of SPEC 10), a host (a name or an IPv4 address, or '*'
 * for every interface when binding; not IPv6, which the sockets are not
 * opened for) and a
 * decimal port from 1 to 65535. Anything else is refused before ZeroMQ
 * sees it: it would otherwise bind a port modulo 65536 or fail later
 * with "Invalid argument". */
#ifndef VOCFED_NODE_ENDPOINT_H
#define VOCFED_NODE_ENDPOINT_H

#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest endpoint, with its NUL (the size of the fields of
 * node_config_t). */
#define NODE_ENDPOINT_MAX 256

/* What an endpoint is for: dialling forbids the host '*'. */
typedef enum {
    NODE_ENDPOINT_DIAL, /* --coordinator, coordinator = */
    NODE_ENDPOINT_BIND, /* --listen, listen = */
} node_endpoint_use_t;

/* Checks that s is tcp://HOST:PORT for use. Returns 0 (with *port set if
 * port is not NULL), or VOCFED_EINVALID with why (cap bytes, if not NULL)
 * saying what is wrong and the expected form, e.g. "the port 80000 is
 * out of range (1 to 65535)" or "expected tcp://HOST:PORT, e.g.
 * tcp://192.0.2.7:7700 (did you mean tcp://127.0.0.1:17702?)"; why is
 * cut to fit cap. */
int node_endpoint_check(const char *s, node_endpoint_use_t use, unsigned *port,
                        char *why, size_t cap) VOCFED_WUR;

#endif
