/* vocfed serve: the HTTP server (libmicrohttpd), its routes and limits
 * (issue 15 items 1-5).
 *
 * GET (or HEAD) only: / (the dashboard), /dashboard.js, /report.html,
 * /report.csv, /report.xlsx, /api/report.json (each ?year=Y), and
 * /api/status.json, /api/state (the generation the dashboard polls),
 * /metrics. There is no endpoint that writes. Every other method is 405,
 * a request with a body 413, headers over SERVE_HTTP_MEMORY bytes 431 or
 * 414 (libmicrohttpd's), a bad argument 400, another path 404; more than
 * SERVE_HTTP_BURST requests at once from one address, then more than
 * SERVE_HTTP_RATE a second, 429; with users (--auth), a request without
 * a user's password 401, and an address with SERVE_HTTP_FAILS wrong
 * passwords in a minute 429 until the minute is over.
 *
 * One thread of libmicrohttpd's answers every request, so the data
 * (serve_data.h) is used by that thread only; the users may be replaced
 * from another thread (serve_http_set_users: `vocfed serve` on SIGHUP),
 * under a lock that each password check holds. */
#ifndef VOCFED_TOOLS_SERVE_HTTP_H
#define VOCFED_TOOLS_SERVE_HTTP_H

#include "protocol/status.h"
#include "tools/serve_auth.h"
#include "tools/serve_data.h"
#include "tools/serve_metrics.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Limits (see above). */
#define SERVE_HTTP_MEMORY 16384   /* bytes of a request's headers */
#define SERVE_HTTP_CONNECTIONS 64 /* open connections in all */
#define SERVE_HTTP_PER_IP 16      /* open connections from one address */
#define SERVE_HTTP_TIMEOUT_S 15   /* an idle connection is closed */
#define SERVE_HTTP_BURST 60       /* requests at once from one address */
#define SERVE_HTTP_RATE 20        /* requests a second after the burst */
#define SERVE_HTTP_FAILS 10       /* wrong passwords a minute */

typedef struct serve_http serve_http_t;

/* How to serve. */
typedef struct {
    struct sockaddr_in addr; /* where to listen (IPv4) */
    serve_users_t *users;    /* the users, or NULL: no password asked
                                (loopback only: the caller checks) */
    serve_data_t *data;      /* what is shown */
    unsigned refresh_s;      /* the dashboard's polling interval */
} serve_http_opts_t;

/* Parses "HOST:PORT" (HOST an IPv4 address or "localhost", PORT 0 to
 * 65535; 0 picks a free one) into out. Returns true, or false. */
bool serve_http_parse_listen(const char *s, struct sockaddr_in *out);

/* Whether addr is a loopback address (127.0.0.0/8). */
bool serve_http_loopback(const struct sockaddr_in *addr);

/* Starts the server; o's pointers must outlive it. Returns 0 with *out
 * owned by the caller (serve_http_stop), or -errno / VOCFED_ENOMEM when
 * it cannot listen. */
int serve_http_start(const serve_http_opts_t *o, serve_http_t **out) VOCFED_WUR;

/* Replaces the users of a server started with users (o->users not NULL;
 * users not NULL either): every request checked after this returns sees
 * users, and none is still checking against the old ones, which are
 * returned for the caller to free. A password remembered by the old
 * users is not by the new: it is checked again. */
serve_users_t *serve_http_set_users(serve_http_t *self, serve_users_t *users);

/* The port it listens on. */
uint16_t serve_http_port(const serve_http_t *self);

/* Stops it (waits for the request being answered), frees it, NULLs
 * *self; accepts NULL. */
void serve_http_stop(serve_http_t **self);

#endif
