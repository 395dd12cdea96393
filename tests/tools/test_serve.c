/* Tests of `vocfed serve` (issue 15): a coordinator with two members
 * and `vocfed serve` as real processes on 127.0.0.1, headless Chromium
 * (Debian `chromium`) reading the dashboard, promtool (Debian
 * `prometheus`) checking /metrics, and the refusals.
 *
 * Chromium is driven three ways: --dump-dom (the page's DOM after its
 * script ran), --screenshot (a PNG, decoded here and checked to hold
 * drawn pixels), and --remote-debugging-pipe (the DevTools protocol over
 * two pipes, NUL-separated JSON): the page stays open while a member
 * imports, and the test reads the live DOM until the new value shows,
 * with a mark set in the page's window before that proves it was not
 * reloaded. Without chromium or promtool the tests that need them fail
 * when CI=true and are skipped with a message otherwise. */
#include "node/figures.h"
#include "node/identity.h"
#include "protocol/hash.h"
#include "storage/store.h"
#include "tests/harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>
#include <jansson.h>

/* ---- tools -------------------------------------------------------------- */

/* The first of the candidates that is an executable file, or NULL. */
static const char *
s_find(const char *const *candidates)
{
    for (size_t i = 0; candidates[i]; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/* The tool (chromium, promtool), or NULL after failing (CI=true) or
 * skipping the test. $VOCFED_TEST_<WHAT> names it instead of the usual
 * places (to try the failure and the skip: a path that is not there). */
static const char *
s_need(const char *what, const char *const *candidates)
{
    char var[64];
    snprintf(var, sizeof var, "VOCFED_TEST_%s", what);
    for (char *p = var; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    const char *forced = getenv(var);
    const char *only[] = {forced, NULL};
    const char *path = s_find(forced ? only : candidates);
    if (path)
        return path;
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true"))
        fail_msg("%s is not installed (deploy/install-deps.sh installs it): "
                 "this test cannot run, and in CI that is a failure",
                 what);
    fprintf(stderr, "SKIPPED: %s is not installed (deploy/install-deps.sh)\n",
            what);
    return NULL;
}

static const char *const s_chromiums[] = {"/usr/bin/chromium",
                                          "/usr/bin/chromium-browser",
                                          "/usr/bin/google-chrome", NULL};
static const char *const s_promtools[] = {"/usr/bin/promtool", NULL};

/* Runs argv (argv[0] a path) with stdin from in_path (or /dev/null),
 * stdout to out_path (or /dev/null), stderr to /dev/null; kills it after
 * deadline_ms. Returns its exit code, or -1 when it was killed. */
static int
s_run_tool(const char *const *argv, const char *in_path, const char *out_path,
           int deadline_ms)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)
                           : open("/dev/null", O_WRONLY);
        int null = open("/dev/null", O_WRONLY);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (in < 0 || out < 0 || null < 0 || dup2(in, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(null, 2) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    th_proc_t p = {.pid = pid};
    uint64_t t0 = th_now_ms();
    while (th_running(&p) && th_now_ms() - t0 < (uint64_t)deadline_ms) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL); /* polling a child with a deadline */
    }
    if (p.pid) {
        th_stop(&p, SIGKILL, 1000);
        return -1;
    }
    return p.code;
}

/* ---- HTTP --------------------------------------------------------------- */

/* Sends raw to 127.0.0.1:port, reads the whole answer (the server closes
 * or the request says Connection: close). Returns the status code (0
 * when there is none) and the answer in *resp (malloc'd, NUL-ended). */
static int
s_http_raw(int port, const char *raw, size_t len, char **resp)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {20, 0};
    th_text_t t = {0};
    th_text_add(&t, "", 0);
    *resp = NULL;
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        *resp = t.data;
        return -1;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, raw + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may answer and close before all is sent */
        off += (size_t)n;
    }
    char buf[65536];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        th_text_add(&t, buf, (size_t)n);
    close(fd);
    *resp = t.data;
    int code = 0;
    if (sscanf(t.data, "HTTP/1.%*d %d", &code) != 1)
        code = 0;
    return code;
}

/* GET path with an Authorization header (NULL: none). Returns the code;
 * *body (may be NULL) gets the body. */
static int
s_get(int port, const char *path, const char *auth, char **body)
{
    char req[1024], *resp;
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sConnection: "
             "close\r\n\r\n",
             path, auth ? "Authorization: Basic " : "", auth ? auth : "",
             auth ? "\r\n" : "");
    int code = s_http_raw(port, req, strlen(req), &resp);
    if (body) {
        char *b = strstr(resp, "\r\n\r\n");
        *body = strdup(b ? b + 4 : "");
    }
    free(resp);
    return code;
}

/* ---- a group with serve ------------------------------------------------- */

/* A coordinator, two members, `vocfed serve` at the coordinator. */
typedef struct {
    th_net_t *net;    /* the network */
    th_node_t *m[2];  /* the members */
    th_proc_t serve;  /* vocfed serve */
    int port;         /* where it listens */
    uint64_t size[2]; /* each member's log size */
    int students;     /* students imported so far (for fresh keys) */
} s_group_t;

/* `vocfed import student` of n new students at member m (a CSV file of
 * pseudo_ids), then its log's size. */
static void
s_import(s_group_t *g, size_t m, int n)
{
    char path[160];
    snprintf(path, sizeof path, "%s/students-%d.csv", g->net->root,
             g->students);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "pseudo_id,level,intake_year,status\n");
    for (int i = 0; i < n; i++) {
        char name[32], key[2 * PROTO_HASH_LEN + 1];
        uint8_t h[PROTO_HASH_LEN];
        snprintf(name, sizeof name, "student-%d", g->students++);
        proto_hash(PROTO_HASH_BLAKE2B256, (const uint8_t *)name, strlen(name),
                   h);
        proto_hex(h, sizeof h, key);
        fprintf(f, "%s,higher,2025,enrolled\n", key);
    }
    assert_int_equal(fclose(f), 0);
    th_net_expect(g->net, 0,
                  TH_ARGS("--dir", g->m[m]->dir, "import", "student", path));
    json_t *st = th_status(g->net, g->m[m]->dir);
    g->size[m] = (uint64_t)th_jint(st, "logs", g->m[m]->id, "size", NULL);
    json_decref(st);
}

/* The coordinator holds and has applied every member's log. */
static bool
s_applied(void *ctx)
{
    s_group_t *g = ctx;
    json_t *st = th_status(g->net, g->net->coord.dir);
    bool ok = true;
    for (size_t i = 0; i < 2; i++)
        ok = ok && th_jint(st, "logs", g->m[i]->id, "applied", NULL) ==
                       (long long)g->size[i];
    json_decref(st);
    return ok;
}

/* Every member connected to the coordinator, as its status says. */
static bool
s_connected(void *ctx)
{
    s_group_t *g = ctx;
    json_t *st = th_status(g->net, g->net->coord.dir);
    bool ok = true;
    for (size_t i = 0; i < 2; i++)
        ok = ok &&
             json_is_true(th_jget(st, "peers", g->m[i]->id, "connected", NULL));
    json_decref(st);
    return ok;
}

static bool
s_serving(void *ctx)
{
    return th_proc_log_has(ctx, "dashboard at http://");
}

/* Starts `vocfed serve` at the coordinator with extra arguments. */
static void
s_serve_start(s_group_t *g, const char *listen, const char *auth)
{
    char l[64];
    g->port = th_free_port();
    snprintf(l, sizeof l, "%s:%d", listen, g->port);
    snprintf(g->serve.log, sizeof g->serve.log, "%s/serve.log", g->net->root);
    th_net_note(g->net, "[vocfed serve --listen %s]", l);
    if (auth)
        th_spawn(&g->serve, g->net->root,
                 TH_ARGS(VOCFED_BINARY, "--dir", g->net->coord.dir, "serve",
                         "--listen", l, "--refresh", "1", "--auth", auth));
    else
        th_spawn(&g->serve, g->net->root,
                 TH_ARGS(VOCFED_BINARY, "--dir", g->net->coord.dir, "serve",
                         "--listen", l, "--refresh", "1"));
    assert_true(th_wait(s_serving, &g->serve, 15000));
}

/* The group: members m1 and m2 with students, every daemon running and
 * level, serve started. */
static void
s_group(th_net_t *net, s_group_t *g)
{
    memset(g, 0, sizeof *g);
    g->net = net;
    th_net_init(net);
    g->m[0] = th_net_member(net, "m1", true);
    g->m[1] = th_net_member(net, "m2", true);
    s_import(g, 0, 5);
    s_import(g, 1, 3);
    th_coord_start(net);
    th_member_start(net, g->m[0]);
    th_member_start(net, g->m[1]);
    assert_true(th_wait(s_applied, g, 60000));
    assert_true(th_wait(s_connected, g, 30000));
    s_serve_start(g, "127.0.0.1", NULL);
}

/* Stops serve: SIGTERM ends it cleanly (exit 0). */
static void
s_serve_stop(s_group_t *g)
{
    assert_int_equal(th_stop(&g->serve, SIGTERM, 10000), 0);
}

/* `vocfed report --format json` at the coordinator. */
static json_t *
s_report(s_group_t *g)
{
    th_run_t r = th_net_run(g->net, TH_ARGS("--dir", g->net->coord.dir,
                                            "report", "--format", "json"));
    assert_int_equal(r.status, 0);
    json_t *j = th_json(r.out);
    th_run_free(&r);
    return j;
}

/* ---- the figures in the DOM --------------------------------------------- */

/* A value as the page's data-value has it: an integer, %.17g, or "". */
static void
s_value_text(const json_t *v, char *out, size_t cap)
{
    if (json_is_integer(v))
        snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, cap, "%.17g", json_real_value(v));
    else
        snprintf(out, cap, "%s", "");
}

/* Whether dom has a group row of figure id (year: its by_year key, or
 * NULL for a figure without years) with value v. */
static bool
s_dom_has(const char *dom, const char *id, const char *year, const json_t *v)
{
    char want[256], val[64];
    s_value_text(v, val, sizeof val);
    snprintf(want, sizeof want, "data-figure=\"%s\" data-year=\"", id);
    for (const char *p = strstr(dom, want); p; p = strstr(p + 1, want)) {
        const char *y = p + strlen(want), *q = strchr(y, '"');
        if (!q || (year && (strncmp(y, year, strlen(year)) != 0 ||
                            y[strlen(year)] != '"')))
            continue;
        char tail[96];
        snprintf(tail, sizeof tail, "\" data-value=\"%s\"", val);
        if (strncmp(q, tail, strlen(tail)) == 0)
            return true;
    }
    return false;
}

/* Every figure of report, and every year of it, shows in dom with its
 * value. Returns how many were checked. */
static size_t
s_dom_figures(const char *dom, json_t *report)
{
    const char *id, *year;
    json_t *fig, *frame;
    size_t n = 0;
    json_object_foreach(json_object_get(report, "figures"), id, fig)
    {
        json_t *by = json_object_get(fig, "by_year");
        if (!by) {
            if (!s_dom_has(dom, id, NULL, json_object_get(fig, "value")))
                fail_msg("figure %s not shown with its value", id);
            n++;
        }
        json_object_foreach(by, year, frame)
        {
            if (!s_dom_has(dom, id, year, json_object_get(frame, "value")))
                fail_msg("figure %s %s not shown with its value", id, year);
            n++;
        }
    }
    return n;
}

/* ---- PNG: decoded here to look at its pixels ---------------------------- */

static uint32_t
s_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint8_t
s_paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Undoes the PNG row filters in place (bpp bytes a pixel). */
static void
s_unfilter(uint8_t *raw, size_t w, size_t h, size_t bpp)
{
    size_t stride = w * bpp;
    for (size_t y = 0; y < h; y++) {
        uint8_t *row = raw + y * (stride + 1), *cur = row + 1;
        uint8_t *up = y ? raw + (y - 1) * (stride + 1) + 1 : NULL;
        for (size_t x = 0; x < stride; x++) {
            int a = x >= bpp ? cur[x - bpp] : 0, b = up ? up[x] : 0;
            int c = up && x >= bpp ? up[x - bpp] : 0;
            switch (row[0]) {
            case 1:
                cur[x] = (uint8_t)(cur[x] + a);
                break;
            case 2:
                cur[x] = (uint8_t)(cur[x] + b);
                break;
            case 3:
                cur[x] = (uint8_t)(cur[x] + (a + b) / 2);
                break;
            case 4:
                cur[x] = (uint8_t)(cur[x] + s_paeth(a, b, c));
                break;
            default:
                break;
            }
        }
    }
}

/* Decodes an 8-bit RGB or RGBA, non-interlaced PNG; counts the pixels
 * that differ from the top-left one (the background) and the distinct
 * colours (up to 64). */
static void
s_png_look(const char *path, double *drawn, size_t *colours)
{
    size_t len;
    uint8_t *png = th_read_file(path, &len), *idat = NULL;
    size_t ilen = 0, w = 0, h = 0, bpp = 0;
    assert_non_null(png);
    assert_true(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    for (size_t off = 8; off + 12 <= len;) {
        uint32_t n = s_be32(png + off);
        const uint8_t *type = png + off + 4, *data = png + off + 8;
        assert_true(off + 12 + n <= len);
        if (!memcmp(type, "IHDR", 4)) {
            w = s_be32(data);
            h = s_be32(data + 4);
            assert_int_equal(data[8], 8);  /* bit depth */
            assert_int_equal(data[12], 0); /* not interlaced */
            bpp = data[9] == 6 ? 4 : data[9] == 2 ? 3 : 0;
            assert_true(bpp != 0);
        } else if (!memcmp(type, "IDAT", 4)) {
            idat = realloc(idat, ilen + n);
            memcpy(idat + ilen, data, n);
            ilen += n;
        }
        off += 12 + n;
    }
    uLongf rlen = (uLongf)(h * (w * bpp + 1));
    uint8_t *raw = malloc(rlen);
    assert_non_null(raw);
    assert_int_equal(uncompress(raw, &rlen, idat, ilen), Z_OK);
    assert_int_equal(rlen, h * (w * bpp + 1));
    s_unfilter(raw, w, h, bpp);
    uint32_t seen[64];
    size_t nseen = 0, diff = 0;
    const uint8_t *bg = raw + 1;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            const uint8_t *px = raw + y * (w * bpp + 1) + 1 + x * bpp;
            uint32_t rgb = (uint32_t)px[0] << 16 | px[1] << 8 | px[2];
            diff += memcmp(px, bg, 3) != 0;
            bool known = false;
            for (size_t k = 0; k < nseen && !known; k++)
                known = seen[k] == rgb;
            if (!known && nseen < 64)
                seen[nseen++] = rgb;
        }
    *drawn = (double)diff / (double)(w * h);
    *colours = nseen;
    free(raw);
    free(idat);
    free(png);
}

/* ---- Chromium over --remote-debugging-pipe ------------------------------ */

/* A browser driven through the DevTools protocol. */
typedef struct {
    th_proc_t proc;    /* the browser */
    int wfd, rfd;      /* our ends: commands, answers */
    th_text_t in;      /* bytes read not yet taken */
    int id;            /* the last command's id */
    char session[128]; /* the page's session */
} s_cdp_t;

static void
s_cdp_start(s_cdp_t *c, const char *chromium, const char *profile)
{
    int to[2], from[2];
    char dir[200];
    memset(c, 0, sizeof *c);
    snprintf(dir, sizeof dir, "--user-data-dir=%s", profile);
    assert_int_equal(pipe(to), 0);
    assert_int_equal(pipe(from), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int r = fcntl(to[0], F_DUPFD, 10), w = fcntl(from[1], F_DUPFD, 10);
        int null = open("/dev/null", O_RDWR);
        if (r < 0 || w < 0 || null < 0 || dup2(r, 3) < 0 || dup2(w, 4) < 0 ||
            dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
            _exit(126);
        execl(chromium, chromium, "--headless", "--no-sandbox", "--disable-gpu",
              "--no-first-run", "--remote-debugging-pipe", dir, "about:blank",
              (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    c->proc.pid = pid;
    c->wfd = to[1];
    c->rfd = from[0];
}

static void
s_cdp_stop(s_cdp_t *c)
{
    close(c->wfd);
    close(c->rfd);
    th_stop(&c->proc, SIGTERM, 5000);
    th_text_free(&c->in);
}

/* Takes one NUL-ended message read; NULL when there is none yet. */
static json_t *
s_cdp_take(s_cdp_t *c)
{
    char *end = c->in.len ? memchr(c->in.data, 0, c->in.len) : NULL;
    if (!end)
        return NULL;
    json_t *j = json_loads(c->in.data, 0, NULL);
    size_t used = (size_t)(end - c->in.data) + 1;
    memmove(c->in.data, end + 1, c->in.len - used);
    c->in.len -= used;
    return j ? j : json_object();
}

/* Sends method with params (taken) in the page's session when it has
 * one; returns the answer's "result" (a new reference), failing the test
 * on an error or after deadline_ms. */
static json_t *
s_cdp(s_cdp_t *c, const char *method, json_t *params, int deadline_ms)
{
    json_t *cmd = json_pack("{s:i, s:s, s:o}", "id", ++c->id, "method", method,
                            "params", params);
    if (c->session[0])
        json_object_set_new(cmd, "sessionId", json_string(c->session));
    char *text = json_dumps(cmd, JSON_COMPACT);
    json_decref(cmd);
    assert_true(write(c->wfd, text, strlen(text) + 1) ==
                (ssize_t)strlen(text) + 1);
    free(text);
    uint64_t t0 = th_now_ms();
    for (;;) {
        json_t *m;
        while ((m = s_cdp_take(c))) {
            if (th_jint(m, "id", NULL) == c->id) {
                if (json_object_get(m, "error"))
                    fail_msg("%s: %s", method, json_dumps(m, JSON_COMPACT));
                json_t *res = json_incref(json_object_get(m, "result"));
                json_decref(m);
                return res;
            }
            json_decref(m); /* an event */
        }
        int left = deadline_ms - (int)(th_now_ms() - t0);
        struct pollfd p = {c->rfd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            fail_msg("%s: no answer from chromium in %d ms", method,
                     deadline_ms);
        char buf[65536];
        ssize_t n = read(c->rfd, buf, sizeof buf);
        if (n <= 0)
            fail_msg("%s: chromium closed its pipe", method);
        th_text_add(&c->in, buf, (size_t)n);
    }
}

/* Opens url in a new page and attaches to it. */
static void
s_cdp_open(s_cdp_t *c, const char *url)
{
    json_t *r =
        s_cdp(c, "Target.createTarget", json_pack("{s:s}", "url", url), 30000);
    const char *target = json_string_value(json_object_get(r, "targetId"));
    assert_non_null(target);
    json_t *a =
        s_cdp(c, "Target.attachToTarget",
              json_pack("{s:s, s:b}", "targetId", target, "flatten", 1), 30000);
    snprintf(c->session, sizeof c->session, "%s",
             json_string_value(json_object_get(a, "sessionId")));
    assert_true(c->session[0] != 0);
    json_decref(r);
    json_decref(a);
}

/* Evaluates expr in the page; its string value, malloc'd ("" for none). */
static char *
s_cdp_eval(s_cdp_t *c, const char *expr)
{
    json_t *r = s_cdp(
        c, "Runtime.evaluate",
        json_pack("{s:s, s:b}", "expression", expr, "returnByValue", 1), 30000);
    const char *v = json_string_value(
        json_object_get(json_object_get(r, "result"), "value"));
    char *out = strdup(v ? v : "");
    json_decref(r);
    return out;
}

/* ---- the tests ---------------------------------------------------------- */

/* Runs chromium with args and the page url; its stdout in out_path. */
static void
s_chromium(const char *chromium, s_group_t *g, const char *arg, const char *url,
           const char *out_path)
{
    char profile[160];
    snprintf(profile, sizeof profile, "--user-data-dir=%s/chrome-%d",
             g->net->root, g->port);
    const char *argv[] = {chromium,
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--no-first-run",
                          "--hide-scrollbars",
                          "--window-size=1280,1600",
                          "--virtual-time-budget=5000",
                          profile,
                          arg,
                          url,
                          NULL};
    th_net_note(g->net, "[chromium %s %s]", arg, url);
    assert_int_equal(s_run_tool(argv, NULL, out_path, 90000), 0);
}

/* The page's DOM (--dump-dom) shows every figure with the value of
 * `vocfed report --format json`, the members and their links; a
 * screenshot has drawn pixels. */
static void
test_dashboard_dom(void **state)
{
    const char *chromium = s_need("chromium", s_chromiums);
    if (!chromium)
        skip();
    s_group_t g;
    s_group(*state, &g);
    char url[96], dump[160], shot[160], arg[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", g.port);
    snprintf(dump, sizeof dump, "%s/dom.html", g.net->root);
    s_chromium(chromium, &g, "--dump-dom", url, dump);
    json_t *report = s_report(&g);
    size_t len;
    char *dom = (char *)th_read_file(dump, &len);
    assert_non_null(dom);
    size_t n = s_dom_figures(dom, report);
    assert_true(n >= TH_DESIGN7_N);
    assert_non_null(strstr(dom, "data-member=\"m1\""));
    assert_non_null(strstr(dom, "data-member=\"m2\""));
    size_t up = 0; /* both members shown connected */
    for (const char *p = strstr(dom, "<td class=\"ok\">已连接"); p;
         p = strstr(p + 1, "<td class=\"ok\">已连接"))
        up++;
    assert_int_equal(up, 2);
    assert_non_null(strstr(dom, "<svg ")); /* the charts */
    free(dom);
    json_decref(report);

    snprintf(shot, sizeof shot, "%s/shot.png", g.net->root);
    snprintf(arg, sizeof arg, "--screenshot=%s", shot);
    s_chromium(chromium, &g, arg, url, NULL);
    double drawn;
    size_t colours;
    s_png_look(shot, &drawn, &colours);
    th_net_note(g.net, "screenshot: %.1f%% drawn, %zu colours", 100 * drawn,
                colours);
    /* Text, tables and bars: far from a blank page of one colour. */
    assert_true(drawn > 0.02);
    assert_true(colours >= 8);
    s_serve_stop(&g);
    g.net->passed = true;
}

/* The (figure, year) rows whose value differs between two reports, as
 * "id/year=value;" pairs of the newer one. */
static void
s_changed(json_t *before, json_t *after, th_text_t *out)
{
    const char *id, *year;
    json_t *fig, *frame;
    char ryear[16];
    /* A figure without years is shown as of the report's year. */
    snprintf(ryear, sizeof ryear, "%lld", th_jint(after, "year", NULL));
    json_object_foreach(json_object_get(after, "figures"), id, fig)
    {
        json_t *years = json_object_get(fig, "by_year"), *one = NULL;
        if (!years)
            years = one = json_pack("{s:O}", ryear, fig);
        json_object_foreach(years, year, frame)
        {
            json_t *old = one ? th_jget(before, "figures", id, "value", NULL)
                              : th_jget(before, "figures", id, "by_year", year,
                                        "value", NULL);
            json_t *v = json_object_get(frame, "value");
            if (json_equal(old, v))
                continue;
            char line[160], val[64];
            s_value_text(v, val, sizeof val);
            snprintf(line, sizeof line, "%s/%s=%s;", id, year, val);
            th_text_add(out, line, strlen(line));
        }
        json_decref(one);
    }
}

/* A tenth of a second between two looks at the page (polling a
 * condition with a deadline). */
static void
s_nap(void)
{
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
}

/* What the page shows of the rows s_changed listed, in its format. */
static const char s_expr[] =
    "(function(){var s=(window.__vocfed_mark||'')+'|';"
    "document.querySelectorAll('tr[data-figure][data-year]').forEach("
    "function(r){s+=r.getAttribute('data-figure')+'/'+"
    "r.getAttribute('data-year')+'='+r.getAttribute('data-value')+';';});"
    "return s;})()";

/* Whether every "id/year=value;" of want is in the page's text. */
static bool
s_shows(const char *page, const char *want)
{
    char item[160];
    for (const char *p = want; *p;) {
        const char *e = strchr(p, ';');
        size_t n = (size_t)(e - p) + 1;
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        const char *at = strstr(page, item);
        if (!at || (at != page && at[-1] != ';' && at[-1] != '|'))
            return false;
        p = e + 1;
    }
    return true;
}

/* After an import at a member the open page shows the new values without
 * a reload: a mark set in its window survives. */
static void
test_dashboard_live(void **state)
{
    const char *chromium = s_need("chromium", s_chromiums);
    if (!chromium)
        skip();
    s_group_t g;
    s_group(*state, &g);
    char url[96], profile[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/?year=0", g.port);
    snprintf(profile, sizeof profile, "%s/chrome-live", g.net->root);
    json_t *before = s_report(&g);
    s_cdp_t c;
    s_cdp_start(&c, chromium, profile);
    s_cdp_open(&c, url);
    char *page = NULL;
    uint64_t t0 = th_now_ms();
    do { /* loaded: the rows are there */
        free(page);
        s_nap();
        page = s_cdp_eval(&c, s_expr);
    } while (!strstr(page, "hv_enrolled/") && th_now_ms() - t0 < 30000);
    assert_non_null(strstr(page, "hv_enrolled/"));
    free(page);
    free(s_cdp_eval(&c, "window.__vocfed_mark='kept'"));

    s_import(&g, 0, 4); /* at m1; its daemon sends them */
    assert_true(th_wait(s_applied, &g, 60000));
    json_t *after = s_report(&g);
    th_text_t want = {0};
    th_text_add(&want, "", 0);
    s_changed(before, after, &want);
    th_net_note(g.net, "changed: %s", want.data);
    assert_true(want.len > 0);
    bool shown = false;
    t0 = th_now_ms();
    while (!shown && th_now_ms() - t0 < 60000) {
        s_nap();
        page = s_cdp_eval(&c, s_expr);
        shown = !strncmp(page, "kept|", 5) && s_shows(page, want.data);
        if (!shown && th_now_ms() - t0 >= 60000)
            th_net_note(g.net, "page: %s", page);
        free(page);
    }
    assert_true(shown);
    s_cdp_stop(&c);
    th_text_free(&want);
    json_decref(before);
    json_decref(after);
    s_serve_stop(&g);
    g.net->passed = true;
}

/* Parses the text format into {"name{labels}": value}. */
static json_t *
s_metrics_parse(const char *text)
{
    json_t *m = json_object();
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[0] != '#') {
            char line[1024];
            snprintf(line, sizeof line, "%.*s", (int)n, p);
            char *sp = strrchr(line, ' ');
            assert_non_null(sp);
            *sp = 0;
            char *end;
            double v = strtod(sp + 1, &end);
            assert_true(*end == 0);
            json_object_set_new(m, line, json_real(v));
        }
        p += n + (e ? 1 : 0);
    }
    return m;
}

/* The metric name{labels} equals want. */
static void
s_metric_is(json_t *m, const char *key, double want)
{
    json_t *v = json_object_get(m, key);
    if (!v)
        fail_msg("no metric %s", key);
    if (json_real_value(v) != want)
        fail_msg("%s is %.17g, vocfed status says %.17g", key,
                 json_real_value(v), want);
}

/* Every number of the status in the metrics. */
static void
s_metrics_status(json_t *m, json_t *st)
{
    const char *id, *author;
    json_t *v, *n;
    char key[256];
    json_object_foreach(json_object_get(st, "logs"), id, v)
    {
        snprintf(key, sizeof key, "vocfed_log_entries{author=\"%s\"}", id);
        s_metric_is(m, key, (double)th_jint(v, "size", NULL));
        snprintf(key, sizeof key, "vocfed_log_applied_seq{author=\"%s\"}", id);
        s_metric_is(m, key, (double)th_jint(v, "applied", NULL));
        snprintf(key, sizeof key,
                 "vocfed_log_checkpoint_entries{author=\"%s\"}", id);
        s_metric_is(m, key, (double)th_jint(v, "checkpoint_size", NULL));
    }
    json_object_foreach(json_object_get(st, "peers"), id, v)
    {
        snprintf(key, sizeof key, "vocfed_peer_connected{peer=\"%s\"}", id);
        s_metric_is(m, key, json_is_true(json_object_get(v, "connected")));
        json_object_foreach(json_object_get(v, "acked"), author, n)
        {
            snprintf(key, sizeof key,
                     "vocfed_peer_acked_entries{peer=\"%s\",author=\"%s\"}", id,
                     author);
            s_metric_is(m, key, (double)json_integer_value(n));
        }
        json_object_foreach(json_object_get(v, "acked_ms"), author, n)
        {
            snprintf(key, sizeof key,
                     "vocfed_peer_receipt_timestamp_seconds{peer=\"%s\","
                     "author=\"%s\"}",
                     id, author);
            s_metric_is(m, key, (double)json_integer_value(n) / 1000);
        }
        json_object_foreach(json_object_get(v, "lag"), author, n)
        {
            snprintf(key, sizeof key,
                     "vocfed_peer_lag_entries{peer=\"%s\",author=\"%s\"}", id,
                     author);
            s_metric_is(m, key, (double)json_integer_value(n));
        }
        static const char *const kinds[] = {
            "refused",  "malformed", "too_large", "replayed",
            "seq_gaps", "flooded",   "unread"};
        for (size_t i = 0; i < 7; i++) {
            snprintf(key, sizeof key,
                     "vocfed_peer_abuse_total{peer=\"%s\",kind=\"%s\"}", id,
                     kinds[i]);
            s_metric_is(m, key, (double)th_jint(v, "abuse", kinds[i], NULL));
        }
        snprintf(key, sizeof key,
                 "vocfed_peer_batches_refused_total{peer=\"%s\"}", id);
        s_metric_is(m, key, (double)th_jint(v, "refused", NULL));
        snprintf(key, sizeof key,
                 "vocfed_peer_rate_waited_messages_total{peer=\"%s\"}", id);
        s_metric_is(m, key, (double)th_jint(v, "rate", "waited", NULL));
        snprintf(key, sizeof key,
                 "vocfed_peer_rate_lent_messages_total{peer=\"%s\"}", id);
        s_metric_is(m, key, (double)th_jint(v, "rate", "lent", NULL));
    }
    s_metric_is(m, "vocfed_alarms_raised{kind=\"all\"}",
                (double)th_jint(st, "alarms_raised", NULL));
    /* A coordinator whose daemon ran: the members' rate in force. */
    json_t *rates = json_object_get(st, "rates");
    assert_true(json_is_object(rates));
    s_metric_is(m, "vocfed_member_rate_messages_per_second",
                (double)th_jint(st, "rates", "messages_per_s", NULL));
    s_metric_is(m, "vocfed_member_rate_bytes_per_second",
                (double)th_jint(st, "rates", "bytes_per_s", NULL));
    assert_true(th_jint(st, "rates", "messages_per_s", NULL) > 0);
}

/* Every figure per year of the report in the metrics. */
static size_t
s_metrics_figures(json_t *m, json_t *report)
{
    const char *id, *year;
    json_t *fig, *frame;
    char key[256];
    size_t n = 0;
    json_object_foreach(json_object_get(report, "figures"), id, fig)
    {
        const char *unit = json_string_value(json_object_get(fig, "unit"));
        json_object_foreach(json_object_get(fig, "by_year"), year, frame)
        {
            json_t *v = json_object_get(frame, "value");
            if (!json_is_number(v))
                continue;
            snprintf(
                key, sizeof key,
                "vocfed_figure_value{figure=\"%s\",unit=\"%s\",year=\"%s\"}",
                id, unit ? unit : "", year);
            s_metric_is(m, key, json_number_value(v));
            n++;
        }
    }
    return n;
}

/* The API's status is the command's, but for what moves by itself. */
static void
s_api_status(s_group_t *g, json_t *st)
{
    char *body;
    assert_int_equal(s_get(g->port, "/api/status.json", NULL, &body), 200);
    json_t *api = th_json(body);
    const char *id;
    json_t *v;
    json_t *both[] = {api, st};
    for (size_t i = 0; i < 2; i++)
        json_object_foreach(json_object_get(both[i], "peers"), id, v)
        {
            json_object_del(v, "last_contact");
            json_object_del(v, "last_contact_ms");
            json_object_del(v, "last_contact_age_s");
            json_object_del(json_object_get(v, "abuse"), "messages_in");
            json_object_del(json_object_get(v, "abuse"), "bytes_in");
        }
    assert_true(json_equal(api, st));
    free(body);
    json_decref(api);
}

/* Now less back seconds, in UTC as the report writes it,
 * "2026-12-03T10:45:12Z". */
static void
s_iso_now(char out[32], time_t back)
{
    time_t t = time(NULL) - back;
    struct tm tm;
    gmtime_r(&t, &tm);
    assert_true(strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

/* text with every "YYYY-MM-DDTHH:MM:SSZ" from lo to hi (the moments the
 * report was made in: its as_of, made and the flows' as_of) written as
 * "NOW", so that a report made a second later compares equal: serve
 * keeps the report it made for a generation, so its moment may be
 * older than this request (malloc'd). */
static char *
s_mask_now(const char *text, const char *lo, const char *hi)
{
    char *out = strdup(text);
    assert_non_null(out);
    for (char *p = out; (p = strchr(p, 'T')) != NULL; p++) {
        if (p - out < 10 || strlen(p) < 10 || p[9] != 'Z')
            continue;
        char ts[21];
        memcpy(ts, p - 10, 20);
        ts[20] = 0;
        if (strcmp(ts, lo) >= 0 && strcmp(ts, hi) <= 0) {
            memcpy(p - 10, "NOW", 3);
            memset(p - 7, ' ', 17);
        }
    }
    return out;
}

/* The downloads are vocfed report's (--no-catch-up: serve applies
 * nothing; the daemon has applied everything by now). */
static void
s_downloads(s_group_t *g)
{
    char *body, *resp, lo[32], hi[32];
    const char *id;
    json_t *v;
    s_iso_now(lo, 600); /* serve's report may be this old */
    th_run_t r =
        th_net_run(g->net, TH_ARGS("--dir", g->net->coord.dir, "report",
                                   "--format", "csv", "--no-catch-up"));
    assert_int_equal(r.status, 0);
    assert_int_equal(s_get(g->port, "/report.csv", NULL, &body), 200);
    s_iso_now(hi, 0);
    char *a = s_mask_now(body, lo, hi), *b = s_mask_now(r.out, lo, hi);
    assert_string_equal(a, b); /* byte for byte but for the clock */
    free(a);
    free(b);
    free(body);
    th_run_free(&r);
    s_iso_now(lo, 600); /* serve's report may be this old */
    assert_int_equal(s_get(g->port, "/api/report.json?year=2025", NULL, &body),
                     200);
    r = th_net_run(g->net,
                   TH_ARGS("--dir", g->net->coord.dir, "report", "--format",
                           "json", "--year", "2025", "--no-catch-up"));
    s_iso_now(hi, 0);
    a = s_mask_now(body, lo, hi);
    b = s_mask_now(r.out, lo, hi);
    json_t *api = th_json(a), *cli = th_json(b), *both[] = {api, cli};
    free(a);
    free(b);
    for (size_t i = 0; i < 2; i++) { /* what moves with the clock */
        json_object_del(both[i], "as_of");
        json_object_foreach(json_object_get(both[i], "members"), id, v)
        {
            json_object_del(v, "signed_age_s");
        }
    }
    assert_true(json_equal(api, cli));
    json_decref(cli);
    json_decref(api);
    th_run_free(&r);
    free(body);
    const char xreq[] = "GET /report.xlsx HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n";
    assert_int_equal(s_http_raw(g->port, xreq, strlen(xreq), &resp), 200);
    assert_non_null(strstr(resp, "\r\n\r\nPK\x03\x04")); /* a zip */
    free(resp);
}

/* `promtool check metrics` passes on body, written to dir/name. */
static void
s_promtool_check(const char *promtool, const char *dir, const char *name,
                 const char *body)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(body, f);
    assert_int_equal(fclose(f), 0);
    const char *argv[] = {promtool, "check", "metrics", NULL};
    assert_int_equal(s_run_tool(argv, path, NULL, 30000), 0);
}

/* /metrics passes `promtool check metrics` and its numbers are those of
 * `vocfed status --json` and `vocfed report --format json`;
 * /api/status.json is the status the command prints. */
static void
test_metrics(void **state)
{
    const char *promtool = s_need("promtool", s_promtools);
    if (!promtool)
        skip();
    s_group_t g;
    s_group(*state, &g);
    char *body;
    assert_int_equal(s_get(g.port, "/metrics", NULL, &body), 200);
    json_t *st = th_status(g.net, g.net->coord.dir);
    json_t *report = s_report(&g);
    s_promtool_check(promtool, g.net->root, "metrics.txt", body);
    json_t *m = s_metrics_parse(body);
    s_metrics_status(m, st);
    assert_true(s_metrics_figures(m, report) > 5);
    free(body);

    s_api_status(&g, st);
    s_downloads(&g);
    json_decref(m);
    json_decref(st);
    json_decref(report);
    s_serve_stop(&g);
    g.net->passed = true;
}

/* ---- the daemons' ingest and receipt counts (SPEC 5.1 stats row) -------- */

/* A training record with a negative count, signed under m's own key below
 * node_append (no kinds check): the coordinator refuses its batch with
 * bad-record (what tests/node/test_hostile.c does at length). */
static void
s_lie(const th_node_t *m)
{
    uint8_t pk[PROTO_PUBKEY_LEN], *sk = NULL;
    store_t *st = NULL;
    store_head_t head;
    proto_buf_t body;
    proto_field_t f[] = {{"completed", 9, TH_INT(-1000000)},
                         {"type", 4, TH_STR("rural")},
                         {"year", 4, TH_INT(2025)}};
    proto_buf_init(&body);
    assert_int_equal(proto_body_encode(f, 3, &body), VOCFED_OK);
    store_record_t rec = {.op = PROTO_OP_PUT,
                          .kind = "training",
                          .key = "t-1",
                          .body = body.data,
                          .body_len = body.len};
    assert_int_equal(proto_unhex(m->pk, pk, sizeof pk), VOCFED_OK);
    assert_int_equal(store_open(m->dir, NULL, &st), VOCFED_OK);
    assert_int_equal(node_figures_attach_store(st), VOCFED_OK);
    assert_int_equal(node_identity_load(m->dir, pk, &sk), VOCFED_OK);
    int rc = store_append(st, m->id, sk, &rec, 1, 0, &head, NULL);
    node_identity_free(&sk);
    store_destroy(&st);
    proto_buf_release(&body);
    assert_int_equal(rc, VOCFED_OK);
}

/* stats.<name>.<field> of a status, as an integer. */
static long long
s_stat(json_t *st, const char *name, const char *field)
{
    return th_jint(st, "stats", name, field, NULL);
}

/* What a stats wait wants: a node's status with a histogram count at
 * least n (and, with sum_ok, the coordinator's entries all counted). */
typedef struct {
    th_net_t *net;     /* the network */
    const char *dir;   /* the node's store */
    const char *hist;  /* the histogram */
    long long n;       /* its count wanted */
    long long entries; /* commit_entries sum wanted, or -1 */
} s_stats_want_t;

static bool
s_stats_reached(void *ctx)
{
    s_stats_want_t *w = ctx;
    json_t *st = th_status(w->net, w->dir);
    bool ok = s_stat(st, w->hist, "count") >= w->n &&
              (w->entries < 0 ||
               json_number_value(th_jget(st, "stats", "commit_entries", "sum",
                                         NULL)) == (double)w->entries);
    json_decref(st);
    return ok;
}

/* A histogram of the status: cumulative buckets, none above its count. */
static void
s_hist_sane(json_t *st, const char *name)
{
    json_t *h = th_jget(st, "stats", name, NULL), *b;
    size_t i;
    long long last = 0, count = s_stat(st, name, "count");
    assert_non_null(h);
    json_array_foreach(json_object_get(h, "buckets"), i, b)
    {
        long long c = th_jint(b, "count", NULL);
        assert_true(c >= last && c <= count);
        last = c;
    }
}

/* The result label /metrics gives a reason. */
static const char *
s_result_of(const char *reason)
{
    return !strcmp(reason, "ok")             ? "accepted"
           : !strcmp(reason, "storage-full") ? "not_stored"
                                             : "refused";
}

/* Every stats number of the status in the metrics. */
static void
s_metrics_stats(json_t *m, json_t *st)
{
    static const char *const hists[][2] = {
        {"commit_batches", "vocfed_ingest_commit_batches"},
        {"commit_entries", "vocfed_ingest_commit_entries"},
        {"commit_seconds", "vocfed_ingest_commit_duration_seconds"},
        {"put_to_receipt_seconds", "vocfed_put_to_receipt_seconds"}};
    const char *reason;
    json_t *v, *b;
    char key[256];
    size_t i;
    json_object_foreach(th_jget(st, "stats", "batches", NULL), reason, v)
    {
        snprintf(key, sizeof key,
                 "vocfed_batches_total{result=\"%s\",reason=\"%s\"}",
                 s_result_of(reason), reason);
        s_metric_is(m, key, (double)json_integer_value(v));
    }
    const char *id;
    json_t *p;
    json_object_foreach(json_object_get(st, "peers"), id, p)
    {
        json_object_foreach(json_object_get(p, "batches"), reason, v)
        {
            snprintf(key, sizeof key,
                     "vocfed_peer_batches_total{peer=\"%s\",result=\"%s\","
                     "reason=\"%s\"}",
                     id, s_result_of(reason), reason);
            s_metric_is(m, key, (double)json_integer_value(v));
        }
    }
    for (size_t h = 0; h < 4; h++) {
        json_t *o = th_jget(st, "stats", hists[h][0], NULL);
        s_hist_sane(st, hists[h][0]);
        json_array_foreach(json_object_get(o, "buckets"), i, b)
        {
            snprintf(key, sizeof key, "%s_bucket{le=\"%g\"}", hists[h][1],
                     json_number_value(json_object_get(b, "le")));
            s_metric_is(m, key, (double)th_jint(b, "count", NULL));
        }
        double count = (double)th_jint(o, "count", NULL);
        snprintf(key, sizeof key, "%s_bucket{le=\"+Inf\"}", hists[h][1]);
        s_metric_is(m, key, count);
        snprintf(key, sizeof key, "%s_count", hists[h][1]);
        s_metric_is(m, key, count);
        snprintf(key, sizeof key, "%s_sum", hists[h][1]);
        s_metric_is(m, key, json_number_value(json_object_get(o, "sum")));
    }
}

/* The coordinator's counts are what the test did: every accepted batch
 * got a receipt, every batch went through a group commit, the entries
 * committed are the members' logs, the liar's batch refused with
 * bad-record and nothing else refused. */
static void
s_coord_stats_are(json_t *st, const s_group_t *g)
{
    long long ok = th_jint(st, "stats", "batches", "ok", NULL);
    assert_true(ok >= 3); /* m1 twice (before and after the put), m2 */
    assert_int_equal(th_jint(st, "stats", "batches", "bad-record", NULL), 1);
    const char *reason;
    json_t *v;
    json_object_foreach(th_jget(st, "stats", "batches", NULL), reason, v)
    {
        if (strcmp(reason, "ok") && strcmp(reason, "bad-record"))
            assert_int_equal(json_integer_value(v), 0);
    }
    assert_int_equal(s_stat(st, "put_to_receipt_seconds", "count"), ok);
    /* per member: the liar's refusal is its own; the accepted add up */
    assert_int_equal(
        th_jint(st, "peers", "liar", "batches", "bad-record", NULL), 1);
    assert_int_equal(th_jint(st, "peers", "liar", "batches", "ok", NULL), 0);
    assert_true(th_jint(st, "peers", "m1", "batches", "ok", NULL) >= 2);
    assert_int_equal(
        th_jint(st, "peers", "m1", "batches", "bad-record", NULL) +
            th_jint(st, "peers", "m2", "batches", "bad-record", NULL),
        0);
    assert_int_equal(th_jint(st, "peers", "m1", "batches", "ok", NULL) +
                         th_jint(st, "peers", "m2", "batches", "ok", NULL),
                     ok);
    assert_int_equal(
        json_number_value(th_jget(st, "stats", "commit_batches", "sum", NULL)),
        ok + 1);
    long long commits = s_stat(st, "commit_batches", "count");
    assert_true(commits >= 1 && commits <= ok + 1);
    assert_int_equal(s_stat(st, "commit_entries", "count"), commits);
    assert_int_equal(s_stat(st, "commit_seconds", "count"), commits);
    assert_int_equal(
        json_number_value(th_jget(st, "stats", "commit_entries", "sum", NULL)),
        (long long)(g->size[0] + g->size[1]));
}

/* A member's put-to-receipt count is the entries put while its daemon
 * ran (those before it started are not timed). */
static void
s_member_stats_are(th_net_t *net, const th_node_t *m, long long put)
{
    s_stats_want_t w = {net, m->dir, "put_to_receipt_seconds", put, -1};
    assert_true(th_wait(s_stats_reached, &w, 30000));
    json_t *st = th_status(net, m->dir);
    assert_int_equal(s_stat(st, "put_to_receipt_seconds", "count"), put);
    s_hist_sane(st, "put_to_receipt_seconds");
    /* the coordinator's log, taken in batch by batch */
    long long ok = th_jint(st, "stats", "batches", "ok", NULL);
    assert_true(ok >= 1);
    assert_int_equal(
        json_number_value(th_jget(st, "stats", "commit_batches", "sum", NULL)),
        ok);
    json_decref(st);
}

/* The counts outlive the coordinator: written when it stops, read back
 * when it starts and counted on from there. */
static void
s_stats_survive(s_group_t *g, json_t *st)
{
    th_net_t *net = g->net;
    long long ok = th_jint(st, "stats", "batches", "ok", NULL);
    long long commits = s_stat(st, "commit_batches", "count");
    assert_int_equal(th_stop(&net->coord.proc, SIGTERM, 10000), 0);
    json_t *stopped = th_status(net, net->coord.dir);
    assert_true(json_equal(th_jget(stopped, "stats", NULL),
                           th_jget(st, "stats", NULL)));
    json_decref(stopped);
    th_coord_start(net);
    s_import(g, 1, 2); /* m2's daemon dials the coordinator again */
    assert_true(th_wait(s_applied, g, 60000));
    s_stats_want_t w = {net, net->coord.dir, "commit_batches", commits + 1,
                        (long long)(g->size[0] + g->size[1])};
    assert_true(th_wait(s_stats_reached, &w, 30000));
    json_t *now = th_status(net, net->coord.dir);
    assert_true(th_jint(now, "stats", "batches", "ok", NULL) > ok);
    assert_int_equal(th_jint(now, "stats", "batches", "bad-record", NULL), 1);
    json_decref(now);
}

/* The daemons count batches by outcome, their commits and put-to-receipt
 * latency; /metrics shows them as `vocfed status --json` does, promtool
 * passes it, and the numbers are what the test did: a liar's batch
 * refused with bad-record, entries put at a running member timed to
 * their receipt; a coordinator stopped and started again counts on. */
static void
test_metrics_counts(void **state)
{
    const char *promtool = s_need("promtool", s_promtools);
    if (!promtool)
        skip();
    s_group_t g;
    s_group(*state, &g);
    th_node_t *liar = th_net_member(g.net, "liar", true);
    s_lie(liar);
    th_run_t r = th_sync(g.net, liar, 20);
    if (r.status != 1 || !strstr(r.err, "bad-record"))
        fail_msg("sync at liar: exit %d\n%s%s", r.status, r.out, r.err);
    th_run_free(&r);
    uint64_t before = g.size[0];
    s_import(&g, 0, 4); /* m1's daemon runs: timed to the receipt */
    assert_true(th_wait(s_applied, &g, 60000));
    s_member_stats_are(g.net, g.m[0], (long long)(g.size[0] - before));
    s_stats_want_t w = {g.net, g.net->coord.dir, "commit_batches", 1,
                        (long long)(g.size[0] + g.size[1])};
    assert_true(th_wait(s_stats_reached, &w, 30000));
    char *body;
    assert_int_equal(s_get(g.port, "/metrics", NULL, &body), 200);
    json_t *st = th_status(g.net, g.net->coord.dir);
    char *shown = json_dumps(th_jget(st, "stats", "batches", NULL),
                             JSON_COMPACT); /* printed whole: under 1 KB */
    print_message("coordinator batches: %s, commits %lld, receipts %lld\n",
                  shown, s_stat(st, "commit_batches", "count"),
                  s_stat(st, "put_to_receipt_seconds", "count"));
    free(shown);
    s_coord_stats_are(st, &g);
    th_run_t text = th_net_run(
        g.net, TH_ARGS("--dir", g.net->coord.dir, "status")); /* 1: an alarm */
    char line[128];
    snprintf(line, sizeof line,
             "ingest: batches taken in %lld, not taken 1 bad-record 1\n",
             th_jint(st, "stats", "batches", "ok", NULL));
    if (text.status != 1 || !strstr(text.out, line))
        fail_msg("vocfed status: exit %d, no '%s' in\n%s", text.status, line,
                 text.out);
    th_run_free(&text);
    s_promtool_check(promtool, g.net->root, "metrics-counts.txt", body);
    json_t *m = s_metrics_parse(body);
    s_metrics_stats(m, st);
    json_decref(m);
    free(body);
    s_stats_survive(&g, st);
    json_decref(st);
    s_serve_stop(&g);
    g.net->passed = true;
}

/* At a member: its own figures and its link to the coordinator. */
static void
test_member_page(void **state)
{
    s_group_t g, at;
    s_group(*state, &g);
    at = g;
    memset(&at.serve, 0, sizeof at.serve);
    char l[64], *page;
    at.port = th_free_port();
    snprintf(l, sizeof l, "127.0.0.1:%d", at.port);
    snprintf(at.serve.log, sizeof at.serve.log, "%s/serve-m1.log", g.net->root);
    th_spawn(
        &at.serve, g.net->root,
        TH_ARGS(VOCFED_BINARY, "--dir", g.m[0]->dir, "serve", "--listen", l));
    assert_true(th_wait(s_serving, &at.serve, 15000));
    assert_int_equal(s_get(at.port, "/", NULL, &page), 200);
    assert_non_null(strstr(page, "与协调方的连接"));
    assert_non_null(strstr(page, "data-member=\"coord\""));
    assert_null(strstr(page, "data-member=\"m2\""));
    json_t *five = json_integer(5); /* m1's own students, not the group's */
    assert_true(s_dom_has(page, "hv_enrolled", NULL, five));
    json_decref(five);
    free(page);
    assert_int_equal(s_get(at.port, "/api/status.json", NULL, &page), 200);
    json_t *st = th_json(page);
    assert_string_equal(json_string_value(json_object_get(st, "id")), "m1");
    json_decref(st);
    free(page);
    s_serve_stop(&at);
    s_serve_stop(&g);
    g.net->passed = true;
}

/* Runs `vocfed ARGS` with input on stdin; returns its exit code. */
static int
s_vocfed_stdin(th_net_t *net, const char *input, const char *const *args)
{
    char in[160];
    const char *argv[16] = {VOCFED_BINARY};
    size_t n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    snprintf(in, sizeof in, "%s/stdin.txt", net->root);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs(input, f);
    assert_int_equal(fclose(f), 0);
    return s_run_tool(argv, in, NULL, 60000);
}

/* A port nothing listens on. */
static bool
s_closed(long port)
{
    char *resp;
    int code = s_http_raw(port, "", 0, &resp);
    free(resp);
    return code == -1;
}

/* Base64 of "user:pass" for Basic authentication. */
static void
s_basic(const char *up, char *out)
{
    static const char b[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(up), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)up[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(uint8_t)up[i + 1] << 8;
        if (i + 2 < n)
            v |= (uint8_t)up[i + 2];
        out[o++] = b[v >> 18 & 63];
        out[o++] = b[v >> 12 & 63];
        out[o++] = i + 1 < n ? b[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b[v & 63] : '=';
    }
    out[o] = 0;
}

/* The server answers code to a raw request. */
static void
s_raw_is(int port, const char *raw, size_t len, int lo, int hi)
{
    char *resp;
    int code = s_http_raw(port, raw, len, &resp);
    if (code < lo || code > hi)
        fail_msg("answer %d, not %d-%d: %.200s", code, lo, hi, resp);
    free(resp);
}

static bool
s_ok_again(void *ctx)
{
    s_group_t *g = ctx;
    char auth[64];
    s_basic("alice:correct horse", auth);
    return s_get(g->port, "/api/state", auth, NULL) == 200;
}

/* A member whose profile's name is markup, synced once to the
 * coordinator (started), applied there. */
static void
s_evil_member(s_group_t *g)
{
    th_net_t *net = g->net;
    th_node_t *evil = th_net_member(net, "evil", true);
    th_coord_start(net);
    th_net_expect(net, 0,
                  TH_ARGS("--dir", evil->dir, "put", "member", "profile",
                          "name_zh=<img src=x onerror=alert(1)>", "role=lead",
                          "original_affiliation=市政府", "region_code=340803"));
    th_run_t sr = th_sync(net, evil, 30);
    assert_int_equal(sr.status, 0);
    th_run_free(&sr);
    g->m[0] = g->m[1] = evil;
    g->size[0] = g->size[1] = 1;
    assert_true(th_wait(s_applied, g, 30000));
}

/* 0.0.0.0 without --auth, and malformed addresses: exit 2, nothing
 * listening. */
static void
s_listen_refused(th_net_t *net)
{
    int port = th_free_port();
    char l[64];
    snprintf(l, sizeof l, "0.0.0.0:%d", port);
    th_run_t r = th_net_run(
        net, TH_ARGS("--dir", net->coord.dir, "serve", "--listen", l));
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--auth"));
    th_run_free(&r);
    assert_true(s_closed(port));
    static const char *const listens[] = {"127.0.0.1",    "127.0.0.1:65536",
                                          "127.0.0.1:-1", "host.example:80",
                                          ":80",          "127.0.0.1:8080x"};
    for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
        r = th_net_run(net, TH_ARGS("--dir", net->coord.dir, "serve",
                                    "--listen", listens[i]));
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "is not IPV4:PORT"));
        th_run_free(&r);
    }
}

/* --add-user: a short password refused, then alice made (mode 0600). */
static void
s_add_user(th_net_t *net, const char *users)
{
    assert_int_equal(s_vocfed_stdin(net, "short\n",
                                    TH_ARGS("serve", "--add-user", "alice",
                                            "--auth", users)),
                     2);
    assert_int_equal(s_vocfed_stdin(net, "correct horse\n",
                                    TH_ARGS("serve", "--add-user", "alice",
                                            "--auth", users)),
                     0);
    struct stat sb;
    assert_int_equal(stat(users, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

/* 401 without or with a wrong password, 405, 413, an oversized header,
 * garbage, a bad year, an unknown path: each 4xx. */
static void
s_http_refusals(s_group_t *g, const char *auth, const char *bad)
{
    char *resp, req[30000];
    const char noauth[] = "GET /api/state HTTP/1.1\r\nHost: x\r\n"
                          "Connection: close\r\n\r\n";
    assert_int_equal(s_http_raw(g->port, noauth, strlen(noauth), &resp), 401);
    assert_non_null(strstr(resp, "WWW-Authenticate: Basic"));
    free(resp);
    assert_int_equal(s_get(g->port, "/api/state", bad, NULL), 401);
    assert_int_equal(s_get(g->port, "/api/state", auth, NULL), 200);
    snprintf(req, sizeof req,
             "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
             "Content-Length: 3\r\nConnection: close\r\n\r\nabc",
             auth);
    s_raw_is(g->port, req, strlen(req), 405, 405);
    snprintf(req, sizeof req,
             "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
             "Content-Length: 3\r\nConnection: close\r\n\r\nabc",
             auth);
    s_raw_is(g->port, req, strlen(req), 413, 413);
    int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', 20000);
    snprintf(req + n + 20000, sizeof req - (size_t)n - 20000,
             "\r\nConnection: close\r\n\r\n");
    s_raw_is(g->port, req, strlen(req), 400, 499);
    const char garbage[] = "\x01\x02 nonsense \xff\r\n\r\n";
    s_raw_is(g->port, garbage, sizeof garbage - 1, 400, 499);
    assert_int_equal(s_get(g->port, "/?year=abc", auth, NULL), 400);
    assert_int_equal(s_get(g->port, "/?lang=fr", auth, NULL), 400);
    assert_int_equal(s_get(g->port, "/admin", auth, NULL), 404);
}

/* A users file that is not one: serve does not start (exit 3). */
static void
s_bad_users_file(th_net_t *net, const char *users)
{
    char l[64];
    FILE *f = fopen(users, "w");
    assert_non_null(f);
    fputs("alice:plaintext\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(l, sizeof l, "127.0.0.1:%d", th_free_port());
    th_run_t r = th_net_run(net, TH_ARGS("--dir", net->coord.dir, "serve",
                                         "--listen", l, "--auth", users));
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "line 1"));
    th_run_free(&r);
}

/* The users file read again on SIGHUP, by the running server: a user
 * added is let in only after it, a password changed and a user taken out
 * are refused after it (the old password had been remembered), and a
 * file that is not a users file changes nothing. */
static void
s_users_reload(s_group_t *g, const char *users)
{
    char alice[64], alice2[64], bob[64];
    s_basic("alice:correct horse", alice);
    s_basic("alice:battery staple", alice2);
    s_basic("bob:tr0ub4dor&3", bob);
    assert_int_equal(
        s_vocfed_stdin(g->net, "tr0ub4dor&3\n",
                       TH_ARGS("serve", "--add-user", "bob", "--auth", users)),
        0);
    assert_int_equal(s_get(g->port, "/api/state", bob, NULL), 401);
    assert_int_equal(kill(g->serve.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(&g->serve, "read again: 2 users", 15000));
    assert_int_equal(s_get(g->port, "/api/state", bob, NULL), 200);
    assert_int_equal(s_get(g->port, "/api/state", alice, NULL), 200);

    /* alice's password changed, bob taken out (by hand: no command does). */
    assert_int_equal(s_vocfed_stdin(g->net, "battery staple\n",
                                    TH_ARGS("serve", "--add-user", "alice",
                                            "--auth", users)),
                     0);
    size_t len;
    char *text = (char *)th_read_file(users, &len);
    assert_non_null(text);
    char *b = strstr(text, "bob:");
    assert_non_null(b);
    char *end = strchr(b, '\n');
    memmove(b, end ? end + 1 : b + strlen(b), strlen(end ? end + 1 : "") + 1);
    th_write_text(users, text);
    free(text);
    assert_int_equal(s_get(g->port, "/api/state", alice, NULL), 200);
    assert_int_equal(kill(g->serve.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(&g->serve, "read again: 1 user\n", 15000));
    assert_int_equal(s_get(g->port, "/api/state", alice, NULL), 401);
    assert_int_equal(s_get(g->port, "/api/state", bob, NULL), 401);
    assert_int_equal(s_get(g->port, "/api/state", alice2, NULL), 200);

    /* Not a users file: the users stay, and the log says why. */
    text = (char *)th_read_file(users, &len);
    assert_non_null(text);
    th_write_text(users, "alice:plaintext\n");
    assert_int_equal(kill(g->serve.pid, SIGHUP), 0);
    assert_true(th_proc_wait_log(&g->serve, "not read again: line 1", 15000));
    assert_true(th_proc_log_has(&g->serve, "the users stay as they were"));
    assert_int_equal(s_get(g->port, "/api/state", alice2, NULL), 200);
    th_write_text(users, text);
    free(text);
    assert_true(th_running(&g->serve));
}

/* Loopback only without --auth; with it, 401 without the password; a
 * bad, oversized, written or too frequent request gets 4xx and the
 * server goes on; what a member's profile holds is escaped; SIGHUP reads
 * the users file again. */
static void
test_refusals(void **state)
{
    th_net_t *net = *state;
    s_group_t g = {.net = net};
    char users[160], auth[64], bad[64];
    th_net_init(net);
    s_evil_member(&g);
    s_listen_refused(net);
    snprintf(users, sizeof users, "%s/users", net->root);
    s_add_user(net, users);
    s_serve_start(&g, "0.0.0.0", users);
    s_basic("alice:correct horse", auth);
    s_basic("alice:wrong horse", bad);
    s_http_refusals(&g, auth, bad);

    /* The profile's name is shown, escaped. */
    char *page;
    assert_int_equal(s_get(g.port, "/", auth, &page), 200);
    assert_null(strstr(page, "<img src=x"));
    assert_non_null(strstr(page, "&lt;img src=x onerror=alert(1)&gt;"));
    free(page);

    /* More than the burst at once: 429, then served again. */
    int limited = 0;
    for (int i = 0; i < 150 && !limited; i++)
        limited = s_get(g.port, "/api/state", auth, NULL) == 429;
    assert_true(limited);
    assert_true(th_wait(s_ok_again, &g, 10000));
    assert_true(th_running(&g.serve));
    s_users_reload(&g, users);
    s_serve_stop(&g);
    s_bad_users_file(net, users);
    net->passed = true;
}

/* `vocfed demo --serve` prints the dashboard's address, serves it, and
 * stops everything on Ctrl-C (SIGINT). */
static void
test_demo_serve(void **state)
{
    th_net_t *net = *state;
    th_net_init(net);
    th_proc_t demo = {0};
    char out[160];
    snprintf(demo.log, sizeof demo.log, "%s/demo.log", net->root);
    snprintf(out, sizeof out, "%s/report.html", net->root);
    th_spawn(&demo, net->root,
             TH_ARGS(VOCFED_BINARY, "demo", "--serve", "--out", out));
    uint64_t t0 = th_now_ms();
    while (!th_proc_log_has(&demo, "Ctrl-C stops") && th_running(&demo) &&
           th_now_ms() - t0 < 180000) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL); /* polling the log with a deadline */
    }
    size_t len;
    char *log = (char *)th_read_file(demo.log, &len);
    assert_non_null(log);
    const char *at = strstr(log, "http://127.0.0.1:");
    assert_non_null(at);
    long port = strtol(at + strlen("http://127.0.0.1:"), NULL, 10);
    assert_true(port > 0 && port < 65536);
    free(log);
    char *body;
    assert_int_equal(s_get((int)port, "/", NULL, &body), 200);
    assert_non_null(strstr(body, "data-figure=\"hv_enrolled\""));
    free(body);
    assert_int_equal(th_stop(&demo, SIGINT, 30000), 0);
    assert_true(s_closed(port));
    net->passed = true;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refusals, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_metrics, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_metrics_counts, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_dashboard_dom, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_dashboard_live, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_member_page, th_net_setup,
                                        th_net_teardown),
        cmocka_unit_test_setup_teardown(test_demo_serve, th_net_setup,
                                        th_net_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
