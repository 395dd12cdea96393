/* vocfed serve: the dashboard, the downloads, the API and /metrics over
 * HTTP, beside the node's daemon (issue 15). */
#include "tools/cli.h"
#include "tools/serve_auth.h"
#include "tools/serve_data.h"
#include "tools/serve_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The options of one run. */
typedef struct {
    const char *listen;   /* --listen HOST:PORT */
    const char *auth;     /* --auth FILE, or NULL */
    const char *add_user; /* --add-user NAME, or NULL */
    uint64_t refresh;     /* --refresh SECONDS */
} s_opts_t;

/* Reads one line of at most SERVE_PASSWORD_MAX bytes from stdin into
 * buf (newline removed), without echo on a terminal. Returns true, or
 * false at the end of input or for a line too long. */
static bool
s_read_line(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs(prompt, stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = fgets(buf, (int)cap, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok)
        return false;
    size_t n = strcspn(buf, "\r\n");
    if (buf[n] == 0 && n + 1 == cap)
        return false; /* no newline in cap bytes: too long */
    buf[n] = 0;
    return true;
}

/* --add-user NAME --auth FILE: asks the password (twice on a terminal,
 * once from a pipe) and writes its hash. */
static int
s_add_user(cli_t *cli, const s_opts_t *o)
{
    char pw[SERVE_PASSWORD_MAX + 2], again[SERVE_PASSWORD_MAX + 2];
    char why[256] = "";
    int rc = CLI_EXIT_OK;
    if (!o->auth)
        return cli_usage_error(cli, "--add-user needs --auth FILE");
    if (!serve_user_valid(o->add_user))
        return cli_usage_error(cli,
                               "'%s' is not a user name (1 to 64 of "
                               "A-Z a-z 0-9 . _ -)",
                               o->add_user);
    if (!s_read_line("password: ", pw, sizeof pw)) {
        cli_error("no password read (one line on stdin, at most %d bytes)",
                  SERVE_PASSWORD_MAX);
        rc = CLI_EXIT_USAGE;
    } else if (isatty(STDIN_FILENO) &&
               (!s_read_line("again: ", again, sizeof again) ||
                strcmp(pw, again) != 0)) {
        cli_error("the passwords differ");
        rc = CLI_EXIT_USAGE;
    } else if (strlen(pw) < SERVE_PASSWORD_MIN) {
        cli_error("a password needs at least %d bytes", SERVE_PASSWORD_MIN);
        rc = CLI_EXIT_USAGE;
    } else if ((rc = serve_users_add(o->auth, o->add_user, pw, why,
                                     sizeof why))) {
        if (rc == VOCFED_EMALFORMED)
            cli_error("%s is not a users file: %s", o->auth, why);
        else
            cli_fail(rc, "cannot write %s", o->auth);
        rc = rc == VOCFED_EMALFORMED ? CLI_EXIT_FAIL : CLI_EXIT_ENV;
    } else {
        printf(
            "用户 user %s 已写入 written to %s\n"
            "运行中的 vocfed serve 收到 SIGHUP 后生效 a running vocfed serve "
            "takes it at its next SIGHUP (systemctl reload)\n",
            o->add_user, o->auth);
    }
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(again, sizeof again);
    return rc;
}

/* Loads the users of --auth. Returns 0 or an exit code. */
static int
s_users(const s_opts_t *o, serve_users_t **users)
{
    char why[256] = "";
    int rc = serve_users_load(o->auth, users, why, sizeof why);
    if (!rc)
        return CLI_EXIT_OK;
    if (rc == VOCFED_EMALFORMED || rc == VOCFED_ENOTFOUND)
        cli_error("--auth %s: %s", o->auth, why);
    else
        cli_fail(rc, "cannot read --auth %s", o->auth);
    return CLI_EXIT_ENV;
}

/* SIGHUP: the users of --auth read again and put in place of *users (a
 * user added, taken out or given a new password there holds from now
 * on); a file that cannot be read, or is not a users file, changes
 * nothing, and the log says why. Without --auth there is nothing to
 * read. */
static void
s_reload(const s_opts_t *o, serve_http_t *http, serve_users_t **users)
{
    char why[256] = "";
    serve_users_t *fresh = NULL;
    if (!*users) {
        printf("vocfed serve: SIGHUP: nothing to read again (no --auth: "
               "loopback only)\n");
        fflush(stdout);
        return;
    }
    int rc = serve_users_load(o->auth, &fresh, why, sizeof why);
    if (rc) {
        fprintf(stderr,
                "vocfed serve: SIGHUP: --auth %s not read again: %s; the "
                "users stay as they were\n",
                o->auth, why[0] ? why : vocfed_strerror(rc));
        fflush(stderr);
        return;
    }
    serve_users_t *old = serve_http_set_users(http, fresh);
    serve_users_destroy(&old);
    *users = fresh;
    size_t n = serve_users_count(fresh);
    printf("vocfed serve: SIGHUP: --auth %s read again: %zu user%s\n", o->auth,
           n, n == 1 ? "" : "s");
    fflush(stdout);
}

/* Serves until SIGINT or SIGTERM, reading --auth again at each SIGHUP
 * (all three blocked here before the server's thread starts, so that it
 * inherits the mask and only sigwait sees them). *users is replaced at
 * a reload: the caller frees what it holds at the end. */
static int
s_serve(cli_t *cli, const s_opts_t *o, const struct sockaddr_in *addr,
        serve_users_t **users)
{
    serve_data_t *data = NULL;
    serve_http_t *http = NULL;
    sigset_t set;
    int sig, rc = serve_data_new(cli->dir, NULL, &data);
    if (rc)
        return cli_fail(rc, "cannot open %s", cli->dir);
    serve_http_opts_t ho = {*addr, *users, data, (unsigned)o->refresh};
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if ((rc = serve_http_start(&ho, &http))) {
        serve_data_destroy(&data);
        return cli_fail(rc, "cannot listen on %s", o->listen);
    }
    char host[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &addr->sin_addr, host, sizeof host);
    printf("vocfed serve: 看板 dashboard at http://%s:%u/ (%s; Ctrl-C stops)\n",
           host, serve_http_port(http),
           *users ? "password required" : "loopback only");
    fflush(stdout);
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        s_reload(o, http, users);
    }
    serve_http_stop(&http);
    serve_data_destroy(&data);
    printf("vocfed serve: stopped\n");
    return CLI_EXIT_OK;
}

static int
s_run(cli_t *cli, int argc, char **argv)
{
    s_opts_t o = {.listen = "127.0.0.1:8080", .refresh = 5};
    const cli_opt_t opts[] = {
        CLI_STR("listen", &o.listen),
        CLI_STR("auth", &o.auth),
        CLI_STR("add-user", &o.add_user),
        CLI_SECONDS("refresh", &o.refresh, 1, 3600),
        CLI_END,
    };
    int rc = cli_parse(cli, opts, argc, argv, NULL);
    if (rc != CLI_GO_ON)
        return rc;
    if (o.add_user)
        return s_add_user(cli, &o);
    struct sockaddr_in addr;
    if (!serve_http_parse_listen(o.listen, &addr))
        return cli_usage_error(cli, "--listen '%s' is not IPV4:PORT", o.listen);
    if (!serve_http_loopback(&addr) && !o.auth)
        return cli_usage_error(cli,
                               "--listen %s is not a loopback address: "
                               "refused without --auth FILE (users made "
                               "with 'vocfed serve --add-user')",
                               o.listen);
    node_t *node;
    cli->open_flags |= NODE_OPEN_ASYNC_APPLY; /* opening applies nothing */
    if ((rc = cli_node(cli, &node))) /* says why the store cannot open */
        return rc;
    cli_node_close(cli);
    serve_users_t *users = NULL;
    if (o.auth && (rc = s_users(&o, &users)))
        return rc;
    rc = s_serve(cli, &o, &addr, &users);
    serve_users_destroy(&users);
    return rc;
}

const cli_cmd_t cmd_serve = {
    .name = "serve",
    .summary = "the dashboard, downloads, API and /metrics over HTTP",
    .usage =
        "Usage: vocfed serve [--listen HOST:PORT] [--auth FILE] "
        "[--refresh SECONDS]\n"
        "       vocfed serve --add-user NAME --auth FILE\n"
        "\n"
        "Serves this node over HTTP, beside its daemon, until SIGINT or "
        "SIGTERM.\n"
        "It only reads the store (read transactions; it applies nothing "
        "and\n"
        "takes no writer's lock): the figures are as the daemon's applier "
        "left\n"
        "them, and the page says how many entries are not in them yet.\n"
        "SIGHUP reads the --auth file again (systemctl reload): a user "
        "added,\n"
        "taken out or given a new password there holds from then on; a "
        "file\n"
        "that cannot be read, or is not a users file, changes nothing.\n"
        "\n"
        "  /                 the dashboard: the figures against their "
        "targets with\n"
        "                    charts, the subsidies against the budget, the "
        "members\n"
        "                    (roster state, link, last contact, lag, "
        "alarms; at a\n"
        "                    member its link to the coordinator); "
        "?year=Y, ?lang=en;\n"
        "                    it refreshes itself when the figures change\n"
        "  /report.html /report.csv /report.xlsx /api/report.json   "
        "?year=Y\n"
        "                    what 'vocfed report --no-catch-up' makes\n"
        "  /api/status.json  what 'vocfed status --json' prints\n"
        "  /metrics          Prometheus text format (docs/ADMIN.md lists "
        "them)\n"
        "\n"
        "GET and HEAD only (else 405); a request with a body gets 413, "
        "headers\n"
        "over 16 KiB 431; more than 60 requests at once, then 20 a second, "
        "from\n"
        "one address get 429, and so do 10 wrong passwords in a minute.\n"
        "\n"
        "Options:\n"
        "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080); "
        "HOST an\n"
        "                      IPv4 address or localhost, PORT 0 for any "
        "free one.\n"
        "                      An address other than 127.x.x.x needs "
        "--auth\n"
        "  --auth FILE         ask for a user's password (HTTP basic "
        "authentication;\n"
        "                      put TLS in front of it off the machine: "
        "basic\n"
        "                      authentication is not encrypted)\n"
        "  --refresh SECONDS   how often the page asks whether the figures "
        "changed\n"
        "                      (5)\n"
        "  --add-user NAME     add NAME to --auth FILE (made 0600 if need "
        "be), or\n"
        "                      change their password: read from stdin "
        "(twice on a\n"
        "                      terminal, without echo), at least 8 bytes, "
        "stored as\n"
        "                      a libsodium crypto_pwhash (Argon2id) "
        "hash\n" CLI_HELP_COMMON "\n"
        "Exit status: 0 stopped by a signal or user added, 2 usage error "
        "(also a\n"
        "non-loopback --listen without --auth), 3 no store, a bad --auth "
        "file, or\n"
        "the address cannot be listened on.\n",
    .run = s_run,
    .needs = CLI_NEEDS_IDENTITY | CLI_NEEDS_SETTINGS,
};
