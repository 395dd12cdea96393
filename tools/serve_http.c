/* vocfed serve: the HTTP server (see serve_http.h). */
#include "tools/serve_http.h"
#include "protocol/clock.h"
#include "tools/report_render.h"
#include "tools/serve_page.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Addresses the rate limit remembers (the least recent is forgotten). */
#define S_CLIENTS 256

/* One client address's allowance. */
typedef struct {
    uint32_t ip;        /* IPv4, network order; 0 for a free slot */
    double tokens;      /* requests it may make now */
    uint64_t last_ms;   /* mono ms tokens was computed */
    uint64_t fail_from; /* mono ms its current minute of failures began */
    unsigned fails;     /* wrong passwords in that minute */
} s_client_t;

struct serve_http {
    struct MHD_Daemon *mhd;        /* the server */
    serve_http_opts_t o;           /* how it serves (o.users under lock) */
    bool auth;                     /* it asks for a password */
    pthread_mutex_t lock;          /* o.users: a check, a replacement */
    serve_counts_t counts;         /* for /metrics */
    s_client_t clients[S_CLIENTS]; /* the rate limit's memory */
};

/* A request's answer, before it is queued. */
typedef struct {
    unsigned code;           /* HTTP status */
    const char *type;        /* Content-Type */
    char *body;              /* malloc'd, or NULL */
    size_t len;              /* its length */
    const char *disposition; /* Content-Disposition, or NULL */
} s_answer_t;

/* Where the dashboard's script may load from: nothing but this server. */
static const char s_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

/* ---- addresses ---------------------------------------------------------- */

bool
serve_http_parse_listen(const char *s, struct sockaddr_in *out)
{
    const char *colon = strrchr(s, ':');
    char host[64];
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return false;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port > 65535 || colon[1] < '0' ||
        colon[1] > '9')
        return false;
    *out = (struct sockaddr_in){.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port)};
    if (!strcmp(host, "localhost"))
        return inet_pton(AF_INET, "127.0.0.1", &out->sin_addr) == 1;
    return inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

bool
serve_http_loopback(const struct sockaddr_in *addr)
{
    return (ntohl(addr->sin_addr.s_addr) >> 24) == 127;
}

/* ---- limits ------------------------------------------------------------- */

/* The slot of ip: its own, else a free one, else the least recent. */
static s_client_t *
s_client(serve_http_t *self, uint32_t ip)
{
    s_client_t *old = &self->clients[0];
    for (size_t i = 0; i < S_CLIENTS; i++) {
        s_client_t *c = &self->clients[i];
        if (c->ip == ip)
            return c;
        if (c->ip == 0 || c->last_ms < old->last_ms)
            old = c;
    }
    *old = (s_client_t){
        .ip = ip, .tokens = SERVE_HTTP_BURST, .last_ms = proto_mono_ms()};
    return old;
}

/* Takes a token of the client's; false when it has none. */
static bool
s_allow(s_client_t *c)
{
    uint64_t now = proto_mono_ms();
    c->tokens += (double)(now - c->last_ms) * SERVE_HTTP_RATE / 1000.0;
    if (c->tokens > SERVE_HTTP_BURST)
        c->tokens = SERVE_HTTP_BURST;
    c->last_ms = now;
    if (c->tokens < 1)
        return false;
    c->tokens -= 1;
    return true;
}

/* Whether the client is locked out for its wrong passwords. */
static bool
s_locked_out(s_client_t *c)
{
    uint64_t now = proto_mono_ms();
    if (now - c->fail_from >= 60000) {
        c->fail_from = now;
        c->fails = 0;
    }
    return c->fails >= SERVE_HTTP_FAILS;
}

/* The client's IPv4 address (network order), 0 when not IPv4. */
static uint32_t
s_ip(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
        return 0;
    return ((const struct sockaddr_in *)ci->client_addr)->sin_addr.s_addr;
}

/* ---- answers ------------------------------------------------------------ */

/* Counts the answer's class. */
static void
s_count(serve_http_t *self, unsigned code)
{
    unsigned k = code / 100;
    if (k >= 1 && k <= 5)
        self->counts.responses[k]++;
}

/* Sets the headers every answer has. */
static void
s_headers(struct MHD_Response *r, const s_answer_t *a)
{
    MHD_add_response_header(r, "Content-Type", a->type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy", s_csp);
    if (a->disposition)
        MHD_add_response_header(r, "Content-Disposition", a->disposition);
    if (a->code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    if (a->code == MHD_HTTP_TOO_MANY_REQUESTS)
        MHD_add_response_header(r, "Retry-After", "1");
}

/* Queues a (takes a->body); 401s ask for the password. */
static enum MHD_Result
s_queue(serve_http_t *self, struct MHD_Connection *c, s_answer_t *a)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        a->len, a->body,
        a->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(a->body);
        return MHD_NO;
    }
    s_headers(r, a);
    s_count(self, a->code);
    enum MHD_Result rc =
        a->code == MHD_HTTP_UNAUTHORIZED
            ? MHD_queue_basic_auth_fail_response(c, "vocfed", r)
            : MHD_queue_response(c, a->code, r);
    MHD_destroy_response(r);
    return rc;
}

/* A short text answer. */
static s_answer_t
s_text(unsigned code, const char *msg)
{
    s_answer_t a = {code, "text/plain; charset=utf-8", NULL, 0, NULL};
    a.body = strdup(msg);
    a.len = a.body ? strlen(a.body) : 0;
    return a;
}

/* The answer to a store failure: 503, logged. */
static s_answer_t
s_failed(const char *what, int rc)
{
    zsys_warning("serve: %s failed: %s", what, vocfed_strerror(rc));
    return s_text(MHD_HTTP_SERVICE_UNAVAILABLE,
                  "503 暂时无法读取数据 the store cannot be read now\n");
}

/* ---- the query ---------------------------------------------------------- */

/* The query's year and lang. Returns false for a bad one. */
static bool
s_query(struct MHD_Connection *c, int *year, bool *en)
{
    const char *y =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "year");
    const char *l =
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    *year = 0;
    *en = false;
    if (y && y[0]) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(y, &end, 10);
        if (errno || *end || y[0] < '0' || y[0] > '9' || v > 9999)
            return false;
        *year = (int)v;
    }
    if (l && strcmp(l, "zh") != 0 && strcmp(l, "en") != 0)
        return false;
    *en = l && !strcmp(l, "en");
    return true;
}

/* ---- the routes --------------------------------------------------------- */

/* Collects what fn writes into a memory stream as the body of a. */
typedef int (*s_write_fn)(serve_http_t *self, void *arg, FILE *out);

static s_answer_t
s_render(serve_http_t *self, s_write_fn fn, void *arg, const char *type,
         const char *what)
{
    s_answer_t a = {MHD_HTTP_OK, type, NULL, 0, NULL};
    FILE *out = open_memstream(&a.body, &a.len);
    if (!out)
        return s_failed(what, VOCFED_ENOMEM);
    int rc = fn(self, arg, out);
    if (fclose(out) != 0 && !rc)
        rc = VOCFED_ENOMEM;
    if (rc) {
        free(a.body);
        return s_failed(what, rc);
    }
    return a;
}

/* The arguments of a report route. */
typedef struct {
    int year;                /* the year asked */
    cmd_report_format_t fmt; /* its format */
    serve_page_opts_t page;  /* for the dashboard */
} s_report_arg_t;

static int
s_write_report(serve_http_t *self, void *arg, FILE *out)
{
    s_report_arg_t *r = arg;
    json_t *report;
    int rc = serve_data_report(self->o.data, r->year, &report);
    if (rc)
        return rc;
    rc = cmd_report_write(report, r->fmt, false, out);
    json_decref(report);
    return rc;
}

static int
s_write_page(serve_http_t *self, void *arg, FILE *out)
{
    s_report_arg_t *r = arg;
    return serve_page_write(self->o.data, &r->page, out);
}

static int
s_write_status(serve_http_t *self, void *arg, FILE *out)
{
    json_t *status;
    (void)arg;
    int rc = serve_data_status(self->o.data, &status);
    if (rc)
        return rc;
    rc = json_dumpf(status, out, JSON_COMPACT) ? VOCFED_ENOMEM : 0;
    fputc('\n', out);
    json_decref(status);
    return rc;
}

static int
s_write_state(serve_http_t *self, void *arg, FILE *out)
{
    char gen[SERVE_GEN_LEN + 1];
    uint64_t log_n, applied_n;
    (void)arg;
    int rc = serve_data_state(self->o.data, gen);
    if (rc)
        return rc;
    serve_data_lag(self->o.data, &log_n, &applied_n);
    fprintf(out,
            "{\"generation\":\"%s\",\"log_entries\":%llu,"
            "\"applied_entries\":%llu}\n",
            gen, (unsigned long long)log_n,
            (unsigned long long)(applied_n == UINT64_MAX ? 0 : applied_n));
    return 0;
}

static int
s_write_metrics(serve_http_t *self, void *arg, FILE *out)
{
    (void)arg;
    return serve_metrics_write(self->o.data, &self->counts, out);
}

/* /report.xlsx: the workbook is a file; made in /tmp, read, removed. */
static s_answer_t
s_xlsx(serve_http_t *self, int year)
{
    char path[] = "/tmp/vocfed-serve-XXXXXX.xlsx";
    json_t *report;
    int rc = serve_data_report(self->o.data, year, &report);
    if (rc)
        return s_failed("report.xlsx", rc);
    int fd = mkstemps(path, 5);
    if (fd < 0) {
        json_decref(report);
        return s_failed("report.xlsx", -errno);
    }
    close(fd);
    rc = cmd_report_xlsx(report, path);
    json_decref(report);
    s_answer_t a = {MHD_HTTP_OK,
                    "application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    NULL, 0, "attachment; filename=\"report.xlsx\""};
    FILE *f = rc ? NULL : fopen(path, "rb");
    if (f) {
        FILE *out = open_memstream(&a.body, &a.len);
        char buf[65536];
        size_t n;
        while (out && (n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, out);
        if (!out || fclose(out) != 0 || ferror(f))
            rc = -EIO;
        fclose(f);
    } else if (!rc) {
        rc = -errno;
    }
    unlink(path);
    if (rc) {
        free(a.body);
        return s_failed("report.xlsx", rc);
    }
    return a;
}

/* The answer for url. */
static s_answer_t
s_route(serve_http_t *self, struct MHD_Connection *c, const char *url)
{
    s_report_arg_t r = {0};
    if (!s_query(c, &r.year, &r.page.en)) {
        self->counts.bad_request++;
        return s_text(MHD_HTTP_BAD_REQUEST,
                      "400 year=YYYY (or 0), lang=zh|en\n");
    }
    r.page.year = r.year;
    r.page.refresh_s = self->o.refresh_s;
    const char *html = "text/html; charset=utf-8";
    if (!strcmp(url, "/"))
        return s_render(self, s_write_page, &r, html, "the dashboard");
    if (!strcmp(url, "/dashboard.js")) {
        s_answer_t a = {MHD_HTTP_OK, "text/javascript; charset=utf-8",
                        strdup(serve_page_js), strlen(serve_page_js), NULL};
        return a.body ? a : s_failed("dashboard.js", VOCFED_ENOMEM);
    }
    static const struct {
        const char *url;
        cmd_report_format_t fmt;
        const char *type;
    } reports[] = {
        {"/report.html", CMD_REPORT_HTML, "text/html; charset=utf-8"},
        {"/report.csv", CMD_REPORT_CSV, "text/csv; charset=utf-8"},
        {"/api/report.json", CMD_REPORT_JSON, "application/json"},
    };
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
        if (!strcmp(url, reports[i].url)) {
            r.fmt = reports[i].fmt;
            return s_render(self, s_write_report, &r, reports[i].type, url);
        }
    if (!strcmp(url, "/report.xlsx"))
        return s_xlsx(self, r.year);
    if (!strcmp(url, "/api/status.json"))
        return s_render(self, s_write_status, NULL, "application/json", url);
    if (!strcmp(url, "/api/state"))
        return s_render(self, s_write_state, NULL, "application/json", url);
    if (!strcmp(url, "/metrics"))
        return s_render(self, s_write_metrics, NULL,
                        "text/plain; version=0.0.4; charset=utf-8", url);
    self->counts.bad_request++;
    return s_text(MHD_HTTP_NOT_FOUND, "404 没有此页 no such page\n");
}

/* Refusals before the route: rate, method, body, password. Returns true
 * with *a set when the request is refused. */
static bool
s_refuse(serve_http_t *self, struct MHD_Connection *c, const char *method,
         s_answer_t *a)
{
    s_client_t *cl = s_client(self, s_ip(c));
    if (!s_allow(cl) || (self->auth && s_locked_out(cl))) {
        self->counts.rate_limited++;
        *a = s_text(MHD_HTTP_TOO_MANY_REQUESTS, "429 请求过多 too many "
                                                "requests\n");
        return true;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        self->counts.bad_method++;
        *a = s_text(MHD_HTTP_METHOD_NOT_ALLOWED, "405 只读 read only: GET\n");
        return true;
    }
    const char *cl_len = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if ((cl_len && strcmp(cl_len, "0") != 0) ||
        MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        self->counts.too_large++;
        *a = s_text(MHD_HTTP_CONTENT_TOO_LARGE, "413 不接受请求体 no body\n");
        return true;
    }
    if (!self->auth)
        return false;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    bool ok = false;
    if (user && pass) {
        pthread_mutex_lock(&self->lock);
        ok = serve_users_check(self->o.users, user, pass);
        pthread_mutex_unlock(&self->lock);
    }
    if (pass) {
        sodium_memzero(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    if (ok)
        return false;
    self->counts.auth_failed++;
    if (user)
        cl->fails++;
    *a = s_text(MHD_HTTP_UNAUTHORIZED, "401 需要密码 a password is needed\n");
    return true;
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *c, const char *url,
         const char *method, const char *version, const char *upload,
         size_t *upload_size, void **con_cls)
{
    static int seen;
    serve_http_t *self = cls;
    (void)version;
    (void)upload;
    if (*con_cls) { /* a body we already refused: drop it */
        *upload_size = 0;
        return MHD_YES;
    }
    *con_cls = &seen;
    s_answer_t a;
    if (!s_refuse(self, c, method, &a))
        a = s_route(self, c, url);
    return s_queue(self, c, &a);
}

/* libmicrohttpd's messages, through our log (fmt is its own). */
__attribute__((format(printf, 2, 0))) static void
s_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    zsys_info("serve: http: %s", line);
}

/* Forgets a request's mark when it ends (a kept-alive connection's next
 * request starts afresh). */
static void
s_completed(void *cls, struct MHD_Connection *c, void **con_cls,
            enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    *con_cls = NULL;
}

int
serve_http_start(const serve_http_opts_t *o, serve_http_t **out)
{
    serve_http_t *self = calloc(1, sizeof *self);
    if (!self)
        return VOCFED_ENOMEM;
    self->o = *o;
    self->auth = o->users != NULL;
    pthread_mutex_init(&self->lock, NULL);
    self->counts.started_ms = proto_now_ms();
    self->mhd = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        s_handle, self, MHD_OPTION_EXTERNAL_LOGGER, s_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&self->o.addr,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_HTTP_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_HTTP_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVE_HTTP_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_HTTP_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL, MHD_OPTION_END);
    if (!self->mhd) {
        int e = errno ? -errno : -EADDRINUSE;
        pthread_mutex_destroy(&self->lock);
        free(self);
        return e;
    }
    *out = self;
    return 0;
}

uint16_t
serve_http_port(const serve_http_t *self)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(self->mhd, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void
serve_http_stop(serve_http_t **self)
{
    if (!self || !*self)
        return;
    MHD_stop_daemon((*self)->mhd);
    pthread_mutex_destroy(&(*self)->lock);
    free(*self);
    *self = NULL;
}

serve_users_t *
serve_http_set_users(serve_http_t *self, serve_users_t *users)
{
    pthread_mutex_lock(&self->lock);
    serve_users_t *old = self->o.users;
    self->o.users = users;
    pthread_mutex_unlock(&self->lock);
    return old;
}
