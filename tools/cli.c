/* vocfed: what every subcommand shares (see cli.h). */
#include "tools/cli.h"

#include "node/config.h"
#include "node/identity.h"
#include "node/roster.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
cli_exit_code(int status)
{
    switch (status) {
    case VOCFED_OK:
        return CLI_EXIT_OK;
    /* Something wrong with the data or the request itself. */
    case VOCFED_EMALFORMED:
    case VOCFED_ENONCANONICAL:
    case VOCFED_ETOOLARGE:
    case VOCFED_EBADSIG:
    case VOCFED_ESEQGAP:
    case VOCFED_ECORRUPT:
    case VOCFED_ENOTFOUND:
    case VOCFED_EINVALID:
    case VOCFED_EROOT:
    case VOCFED_EPROOF:
    case VOCFED_EAUTHOR:
    case VOCFED_EQUARANTINED:
    case VOCFED_ESUSPENDED:
    case VOCFED_EDENIED:
    case VOCFED_EBADRECORD:
    case VOCFED_EBADTIME:
        return CLI_EXIT_FAIL;
    /* The environment: VOCFED_EVERSION, VOCFED_ESTORAGEFULL,
     * VOCFED_EINTERRUPTED, VOCFED_EEXISTS, VOCFED_ELOCKED, VOCFED_ENOMEM,
     * VOCFED_ESTORE, VOCFED_EKEY, -errno and anything unknown. */
    default:
        return CLI_EXIT_ENV;
    }
}

static void s_verror(const char *fmt, va_list ap, const char *suffix)
    __attribute__((format(printf, 1, 0)));

static void
s_verror(const char *fmt, va_list ap, const char *suffix)
{
    fputs("vocfed: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (suffix)
        fprintf(stderr, ": %s", suffix);
    fputc('\n', stderr);
}

void
cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verror(fmt, ap, NULL);
    va_end(ap);
}

int
cli_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verror(fmt, ap, vocfed_strerror(status));
    va_end(ap);
    return cli_exit_code(status);
}

int
cli_usage_error(const cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verror(fmt, ap, NULL);
    va_end(ap);
    if (cli && cli->cmd)
        fprintf(stderr, "Try 'vocfed %s --help'.\n", cli->cmd->name);
    else
        fputs("Try 'vocfed --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

void
cli_print_usage(const cli_cmd_t *cmd, FILE *out)
{
    fputs(cmd->usage, out);
    if (cmd->usage_more)
        cmd->usage_more(out);
}

void
cli_getopt_reset(void)
{
    /* glibc and musl reinitialise everything, the permutation state
     * included, when optind is 0; the BSDs want optreset. */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) ||      \
    defined(__NetBSD__)
    optreset = 1;
    optind = 1;
#else
    optind = 0;
#endif
    opterr = 0; /* we print our own messages */
}

int
cli_opt_common(cli_t *cli, int c, char **argv)
{
    /* After an option, argv[optind - 1] is the element that held it. */
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    switch (c) {
    case CLI_OPT_DIR:
        if (optarg[0] == '\0')
            return cli_usage_error(cli, "--dir needs a folder");
        cli->dir = optarg;
        return CLI_GO_ON;
    case 'h':
        if (cli->cmd)
            cli_print_usage(cli->cmd, stdout);
        return CLI_EXIT_OK;
    case ':':
        return cli_usage_error(cli, "option '%s' needs a value", arg);
    default:
        /* getopt_long sets optopt to the option's value when a long
         * option that takes none was given one ("--json=x"). */
        if (optopt >= CLI_OPT_DIR)
            return cli_usage_error(cli, "option '%s' takes no value", arg);
        if (optopt > 0 && optopt < 128 && optopt != '?')
            return cli_usage_error(cli, "unknown option '-%c'", optopt);
        return cli_usage_error(cli, "unknown option '%s'", arg);
    }
}

int
cli_opt_seconds(cli_t *cli, const cli_opt_t *opt, const char *value)
{
    if (!cli_parse_u64(value, opt->min, opt->max, opt->target))
        return cli_usage_error(cli, "--%s takes %llu to %llu seconds, not '%s'",
                               opt->name, (unsigned long long)opt->min,
                               (unsigned long long)opt->max, value);
    return CLI_GO_ON;
}

/* At most this many options in one command's table. */
#define S_OPTS_MAX 24

/* Does what option o says with value. */
static int
s_opt_apply(cli_t *cli, const cli_opt_t *o, const char *value)
{
    char name[64];
    switch (o->how) {
    case CLI_ARG_FLAG:
        *(bool *)o->target = true;
        return CLI_GO_ON;
    case CLI_ARG_ID:
        snprintf(name, sizeof name, "--%s", o->name);
        if (cli_check_id(cli, name, value) != CLI_GO_ON)
            return CLI_EXIT_USAGE;
        *(const char **)o->target = value;
        return CLI_GO_ON;
    case CLI_ARG_STR:
        *(const char **)o->target = value;
        return CLI_GO_ON;
    case CLI_ARG_FN:
        return o->fn(cli, o, value);
    }
    return CLI_GO_ON;
}

/* The entry of opts that getopt_long's value c stands for, or NULL (a
 * common option or an error). */
static const cli_opt_t *
s_opt_find(const cli_opt_t *opts, size_t n, int c)
{
    if (c > CLI_OPT_DIR && c <= CLI_OPT_DIR + (int)n)
        return &opts[c - CLI_OPT_DIR - 1];
    for (size_t i = 0; c > 0 && c < 128 && i < n; i++)
        if (opts[i].letter == c)
            return &opts[i];
    return NULL;
}

int
cli_parse(cli_t *cli, const cli_opt_t *opts, int argc, char **argv,
          cli_args_t *args)
{
    struct option longopts[S_OPTS_MAX + 3];
    char shorts[3 * S_OPTS_MAX + sizeof CLI_COMMON_SHORTOPTS];
    size_t n = 0, ns = sizeof CLI_COMMON_SHORTOPTS - 1;
    int c, rc;
    memcpy(shorts, CLI_COMMON_SHORTOPTS, ns);
    for (; opts && opts[n].name; n++) {
        assert(n < S_OPTS_MAX); /* a programmer's error */
        longopts[n] = (struct option){opts[n].name, opts[n].has_arg, NULL,
                                      CLI_OPT_DIR + 1 + (int)n};
        if (!opts[n].letter)
            continue;
        shorts[ns++] = opts[n].letter;
        if (opts[n].has_arg != no_argument)
            shorts[ns++] = ':';
        if (opts[n].has_arg == optional_argument)
            shorts[ns++] = ':';
    }
    shorts[ns] = '\0';
    longopts[n] = (struct option){"dir", required_argument, NULL, CLI_OPT_DIR};
    longopts[n + 1] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n + 2] = (struct option){NULL, 0, NULL, 0};
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        const cli_opt_t *o = s_opt_find(opts, n, c);
        rc = o ? s_opt_apply(cli, o, optarg) : cli_opt_common(cli, c, argv);
        if (rc != CLI_GO_ON)
            return rc;
    }
    if (args) {
        args->v = argv + optind;
        args->n = (size_t)(argc - optind);
    } else if (optind < argc) {
        return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
    }
    return CLI_GO_ON;
}

int
cli_parse_sub(cli_t *cli, const cli_opt_t *opts, int argc, char **argv,
              cli_args_t *args, const char *missing)
{
    int rc = cli_parse(cli, opts, argc, argv, args);
    if (rc == CLI_GO_ON && args->n == 0)
        return cli_usage_error(cli, "%s", missing);
    return rc;
}

int
cli_run_json(cli_t *cli, int argc, char **argv, cli_show_fn show)
{
    bool json = false;
    node_t *node;
    const cli_opt_t opts[] = {CLI_FLAG("json", &json), CLI_END};
    int rc = cli_parse(cli, opts, argc, argv, NULL);
    if (rc != CLI_GO_ON)
        return rc;
    if ((rc = cli_node(cli, &node)))
        return rc;
    return show(cli, node, json);
}

bool
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    /* strtoull accepts spaces and a sign; a count does not. */
    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int
cli_check_id(const cli_t *cli, const char *opt, const char *id)
{
    if (proto_id_valid(id, strlen(id)))
        return CLI_GO_ON;
    return cli_usage_error(cli,
                           "%s '%s' is not a valid node id (a-z or 0-9, then "
                           "also '_', '.', '-'; at most %d bytes)",
                           opt, id, PROTO_ID_MAX);
}

int
cli_check_endpoint(const cli_t *cli, const char *opt, const char *s,
                   node_endpoint_use_t use)
{
    char why[256];
    if (node_endpoint_check(s, use, NULL, why, sizeof why) == VOCFED_OK)
        return CLI_GO_ON;
    return cli_usage_error(cli, "%s '%s' is not a valid endpoint: %s", opt, s,
                           why);
}

/* The roles of DESIGN 6 (member profile), plus the two node roles. */
static const char *const s_roles[] = {
    "lead",       "backbone",      "consortium",         "enterprise",
    "government", "industry_body", "research",           "county_school",
    "school",     "member",        CLI_ROLE_COORDINATOR,
};

bool
cli_role_valid(const char *role)
{
    for (size_t i = 0; i < sizeof s_roles / sizeof s_roles[0]; i++)
        if (strcmp(s_roles[i], role) == 0)
            return true;
    return false;
}

int
cli_parse_pubkey(const cli_t *cli, const char *opt, const char *hex,
                 uint8_t pk[PROTO_PUBKEY_LEN])
{
    uint8_t curve[PROTO_PUBKEY_LEN];
    if (strlen(hex) != 2 * PROTO_PUBKEY_LEN ||
        proto_unhex(hex, pk, PROTO_PUBKEY_LEN) != 0)
        return cli_usage_error(cli, "%s '%s' is not %d hex digits", opt, hex,
                               2 * PROTO_PUBKEY_LEN);
    if (node_pubkey_curve(pk, curve) != 0)
        return cli_usage_error(cli, "%s '%s' is not a valid Ed25519 public key",
                               opt, hex);
    return CLI_GO_ON;
}

/* The kinds a command may be asked to write, comma-separated. */
static void
s_kind_names(char *out, size_t cap)
{
    size_t n, used = 0;
    const proto_kind_def_t *k = proto_kinds(&n);
    out[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        if (strcmp(k[i].name, NODE_ROSTER_KIND) == 0)
            continue;
        int w = snprintf(out + used, cap - used, "%s%s", used ? ", " : "",
                         k[i].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int
cli_kind_find(const cli_t *cli, const char *name, const proto_kind_def_t **out)
{
    char names[512];
    /* The roster is written only through `vocfed members`, which checks
     * ids, keys and that revocation is final (SPEC 10.1). */
    if (strcmp(name, NODE_ROSTER_KIND) == 0)
        return cli_usage_error(cli,
                               "kind '%s' is the roster: use 'vocfed "
                               "members'",
                               name);
    /* Decisions and payments are checked against the claims they name
     * (SPEC 11.6): written only through `vocfed certify`. */
    if (strcmp(name, "certification") == 0 || strcmp(name, "payment") == 0)
        return cli_usage_error(cli, "kind '%s' is written by 'vocfed certify'",
                               name);
    *out = proto_kind_find(name);
    if (*out)
        return CLI_GO_ON;
    s_kind_names(names, sizeof names);
    return cli_usage_error(cli, "unknown kind '%s'; the kinds are: %s", name,
                           names);
}

int
cli_kind_role_check(const node_t *node, const proto_kind_def_t *k)
{
    bool coordinator = node_is_coordinator(node);
    if (node_kind_allowed(coordinator, k))
        return CLI_GO_ON;
    if (!coordinator)
        cli_error("%s (%s) records are the coordinator's: %s is a %s node",
                  k->name, k->zh, node_id(node), node_role(node));
    else
        cli_error("%s (%s) records are the members' own: %s is the "
                  "coordinator (DESIGN 2.5)",
                  k->name, k->zh, node_id(node));
    return CLI_EXIT_USAGE;
}

int
cli_kind_refused(const char *what, const proto_kind_error_t *err)
{
    if (err->field[0])
        cli_error("%s refused: 字段 field %s, 值 value '%s': %s; %s", what,
                  err->field, err->value, err->reason_zh, err->reason_en);
    else
        cli_error("%s refused: 键 key '%s': %s; %s", what, err->value,
                  err->reason_zh, err->reason_en);
    return CLI_EXIT_FAIL;
}

/* A field's type for the help text: "year", "a|b|c", ... */
static void
s_field_type(const proto_field_def_t *f, char *out, size_t cap)
{
    size_t used = 0;
    switch (f->type) {
    case PROTO_FT_STR:
        snprintf(out, cap, "text");
        return;
    case PROTO_FT_INT:
        snprintf(out, cap, "%lld..%lld", (long long)f->min, (long long)f->max);
        return;
    case PROTO_FT_BOOL:
        snprintf(out, cap, "true|false");
        return;
    case PROTO_FT_REGION:
        snprintf(out, cap, "region");
        return;
    case PROTO_FT_YEAR:
        snprintf(out, cap, "year");
        return;
    case PROTO_FT_LIST:
        snprintf(out, cap, "a;b;...");
        return;
    case PROTO_FT_DECIMAL:
        snprintf(out, cap, "decimal");
        return;
    case PROTO_FT_ENUM:
        out[0] = '\0';
        for (size_t i = 0; f->values[i] && used < cap; i++) {
            int w = snprintf(out + used, cap - used, "%s%s", i ? "|" : "",
                             f->values[i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        return;
    }
    snprintf(out, cap, "?");
}

void
cli_print_kinds(FILE *out)
{
    size_t n;
    const proto_kind_def_t *k = proto_kinds(&n);
    fputs("\nKinds (KIND: KEY; FIELD=TYPE, '*' required):\n", out);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(k[i].name, NODE_ROSTER_KIND) == 0)
            continue;
        fprintf(out, "  %s: %s  (%s, %s%s)\n", k[i].name, k[i].key, k[i].zh,
                k[i].en, k[i].coordinator_only ? "; coordinator only" : "");
        /* The fields, wrapped below 80 columns. */
        size_t col = 0;
        for (size_t j = 0; j < k[i].nfields; j++) {
            const proto_field_def_t *f = &k[i].fields[j];
            char type[400], item[480];
            s_field_type(f, type, sizeof type);
            int w = snprintf(item, sizeof item, "%s%s=%s", f->name,
                             f->required ? "*" : "", type);
            if (w < 0)
                continue;
            if (col > 0 && col + 1 + (size_t)w > 76) {
                fputc('\n', out);
                col = 0;
            }
            fprintf(out, "%s%s", col ? " " : "      ", item);
            col += (col ? 1 : 6) + (size_t)w;
        }
        fputc('\n', out);
    }
}

/* Prints why node_open failed at info->step; returns the exit code. */
static int
s_open_failed(const cli_t *cli, int rc, const node_open_info_t *info,
              bool create)
{
    switch (info->step) {
    case NODE_STEP_STORE:
        if (rc == VOCFED_ENOTFOUND || rc == -ENOENT)
            cli_error("cannot open store %s: not found (run 'vocfed init' "
                      "first)",
                      cli->dir);
        else if (rc == VOCFED_EVERSION)
            cli_error("cannot open store %s: %s (found version %llu, this "
                      "vocfed supports version %d)",
                      cli->dir, vocfed_strerror(rc),
                      (unsigned long long)info->found_version,
                      STORE_FORMAT_VERSION);
        else
            cli_error("cannot %s store %s: %s", create ? "create" : "open",
                      cli->dir, vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    case NODE_STEP_FIGURES:
        return cli_fail(rc, "cannot keep the figures of %s", cli->dir);
    case NODE_STEP_META:
        if (rc == VOCFED_ENOTFOUND)
            cli_error("store %s has no %s: it has no node identity (was it "
                      "made by 'vocfed init'?)",
                      cli->dir, info->meta);
        else
            cli_error("cannot read %s from store %s: %s", info->meta, cli->dir,
                      vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    case NODE_STEP_IDENTITY:
        cli_error("store %s: " NODE_META_ID ", " NODE_META_NAME
                  " or " NODE_META_ROLE " is not valid",
                  cli->dir);
        return CLI_EXIT_ENV;
    case NODE_STEP_PUBKEY:
        cli_error("store %s: " NODE_META_PUBKEY " is not a public key in hex",
                  cli->dir);
        return CLI_EXIT_ENV;
    case NODE_STEP_KEY:
        cli_error("cannot load the node key %s/%s: %s", cli->dir, NODE_KEY_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    case NODE_STEP_SETTINGS:
        cli_error("cannot read %s/%s: %s", cli->dir, NODE_CONFIG_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    case NODE_STEP_AUTHORS:
        return cli_fail(rc, "cannot read the authors of %s", cli->dir);
    }
    return cli_fail(rc, "cannot open %s", cli->dir);
}

int
cli_node(cli_t *cli, node_t **out)
{
    unsigned needs = cli->cmd ? cli->cmd->needs : CLI_NEEDS_STORE;
    /* Writes return once the log holds them (issue 11): the daemon's
     * applier, or the next read, applies them. */
    unsigned flags = NODE_OPEN_LAZY_APPLY;
    node_open_info_t info = {0};
    if (cli->node) {
        *out = cli->node;
        return CLI_EXIT_OK;
    }
    const char *ms = getenv("VOCFED_MAP_SIZE");
    if (ms && ms[0] != '\0') {
        uint64_t v;
        if (!cli_parse_u64(ms, 1, SIZE_MAX, &v)) {
            cli_error("VOCFED_MAP_SIZE='%s' is not a size in bytes", ms);
            return CLI_EXIT_USAGE;
        }
        info.map_size = (size_t)v;
    }
    if (needs & CLI_NEEDS_CREATE)
        flags |= NODE_OPEN_CREATE;
    if (needs & (CLI_NEEDS_IDENTITY | CLI_NEEDS_KEY))
        flags |= NODE_OPEN_IDENTITY;
    if (needs & CLI_NEEDS_SETTINGS)
        flags |= NODE_OPEN_SETTINGS;
    if (!(needs & (CLI_NEEDS_KEY | CLI_NEEDS_CREATE)))
        flags |= NODE_OPEN_READONLY;
    flags |= cli->open_flags;
    int rc = node_open_info(cli->dir, flags, &info, &cli->node);
    if (rc)
        return s_open_failed(cli, rc, &info, (needs & CLI_NEEDS_CREATE) != 0);
    *out = cli->node;
    return CLI_EXIT_OK;
}

int
cli_node_key(cli_t *cli)
{
    assert(cli->node && cli->cmd && (cli->cmd->needs & CLI_NEEDS_KEY));
    int rc = node_key_load(cli->node);
    if (rc) {
        cli_error("cannot load the node key %s/%s: %s", cli->dir, NODE_KEY_FILE,
                  vocfed_strerror(rc));
        return CLI_EXIT_ENV;
    }
    return CLI_EXIT_OK;
}

void
cli_node_close(cli_t *cli)
{
    node_close(&cli->node);
}

int
cli_author(const cli_t *cli, const node_t *node, const char *opt,
           char out[PROTO_ID_MAX + 1])
{
    if (!opt && !node_id(node)) {
        cli_error("store %s has no %s: it has no node identity (was it "
                  "made by 'vocfed init'?)",
                  cli->dir, NODE_META_ID);
        return CLI_EXIT_ENV;
    }
    if (!opt) {
        snprintf(out, PROTO_ID_MAX + 1, "%s", node_id(node));
        return CLI_EXIT_OK;
    }
    int n = snprintf(out, PROTO_ID_MAX + 1, "%s", opt);
    if (n < 0 || n > PROTO_ID_MAX) /* cli_check_id lets none through */
        return cli_usage_error(cli, "author id '%s' is too long", opt);
    uint8_t pk[PROTO_PUBKEY_LEN];
    int rc = store_author_key(node_store(node), out, pk);
    if (rc == VOCFED_ENOTFOUND) {
        cli_error("unknown author %s", out);
        return CLI_EXIT_FAIL;
    }
    if (rc)
        return cli_fail(rc, "cannot look up author %s", out);
    return CLI_EXIT_OK;
}

void
cli_format_time(uint64_t time_ms, char *out, size_t cap)
{
    struct tm tm;
    char date[64];
    time_t secs = (time_t)(time_ms / 1000);
    int n = -1;
    if (time_ms / 1000 <= (uint64_t)INT64_MAX &&
        (uint64_t)secs == time_ms / 1000 && gmtime_r(&secs, &tm) &&
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) > 0)
        n = snprintf(out, cap, "%s.%03uZ", date, (unsigned)(time_ms % 1000));
    if ((n < 0 || (size_t)n >= cap) && cap >= 2)
        snprintf(out, cap, "?");
}

/* One scalar as JSON; NULL when out of memory. */
static json_t *
s_value_json(const proto_value_t *v)
{
    switch (v->type) {
    case PROTO_VAL_NIL:
        return json_null();
    case PROTO_VAL_BOOL:
        return json_boolean(v->b);
    case PROTO_VAL_INT:
        return json_integer((json_int_t)v->i);
    case PROTO_VAL_STR:
        return json_stringn(v->slen ? v->s : "", v->slen);
    }
    return NULL;
}

int
cli_body_json(const uint8_t *body, size_t len, json_t **out)
{
    if (!body) {
        *out = json_null();
        return VOCFED_OK;
    }
    /* The body may come straight from the disk: check it first. */
    int rc = proto_body_validate(body, len);
    if (rc)
        return rc;
    json_t *obj = json_object();
    if (!obj)
        return VOCFED_ENOMEM;
    proto_body_iter_t it;
    proto_field_t f;
    if ((rc = proto_body_iter_init(&it, body, len)))
        goto fail;
    while ((rc = proto_body_iter_next(&it, &f)) == 1) {
        char name[PROTO_FIELD_MAX + 1];
        if (f.name_len > PROTO_FIELD_MAX) {
            rc = VOCFED_ETOOLARGE;
            goto fail;
        }
        memcpy(name, f.name, f.name_len);
        name[f.name_len] = '\0';
        /* json_object_set_new takes the value, also on failure. */
        if (json_object_set_new(obj, name, s_value_json(&f.value))) {
            rc = VOCFED_ENOMEM;
            goto fail;
        }
    }
    if (rc < 0)
        goto fail;
    *out = obj;
    return VOCFED_OK;
fail:
    json_decref(obj);
    return rc;
}

int
cli_entry_json(const uint8_t *data, size_t len, unsigned flags,
               proto_entry_t *e, json_t **out)
{
    proto_entry_t local;
    if (!e)
        e = &local;
    int rc = proto_entry_decode(data, len, e);
    if (rc)
        return rc;
    json_t *body = NULL;
    if ((rc = cli_body_json(e->body, e->body_len, &body)))
        return rc;
    json_t *obj = json_object();
    if (!obj) {
        json_decref(body);
        return VOCFED_ENOMEM;
    }
    char when[64];
    cli_format_time(e->time_ms, when, sizeof when);
    /* Each set takes its value, also on failure (and NULL fails). */
    int fail = 0;
    fail |= json_object_set_new(obj, "author",
                                json_stringn(e->author, e->author_len));
    fail |= json_object_set_new(obj, "seq", json_integer((json_int_t)e->seq));
    fail |= json_object_set_new(obj, "time_ms",
                                json_integer((json_int_t)e->time_ms));
    fail |= json_object_set_new(obj, "time", json_string(when));
    if (flags & CLI_ENTRY_OP)
        fail |=
            json_object_set_new(obj, "op", json_string(proto_op_name(e->op)));
    fail |=
        json_object_set_new(obj, "kind", json_stringn(e->kind, e->kind_len));
    fail |= json_object_set_new(obj, "key", json_stringn(e->key, e->key_len));
    fail |= json_object_set_new(obj, "body", body);
    if (flags & CLI_ENTRY_LEAF) {
        uint8_t leaf[PROTO_HASH_LEN];
        char hex[2 * PROTO_HASH_LEN + 1];
        proto_hash_leaf(PROTO_HASH_BLAKE2B256, data, len, leaf);
        proto_hex(leaf, sizeof leaf, hex);
        fail |= json_object_set_new(obj, "leaf", json_string(hex));
    }
    if (fail) {
        json_decref(obj);
        return VOCFED_ENOMEM;
    }
    *out = obj;
    return VOCFED_OK;
}

int
cli_json_print(const json_t *j)
{
    if (json_dumpf(j, stdout, JSON_COMPACT) != 0 ||
        fputc('\n', stdout) == EOF) {
        cli_error("cannot write output: %s", strerror(errno));
        return CLI_EXIT_ENV;
    }
    return CLI_EXIT_OK;
}

int
cli_json_emit(json_t *j, const char *what)
{
    if (!j)
        return cli_fail(VOCFED_ENOMEM, "cannot print %s", what);
    int rc = cli_json_print(j);
    json_decref(j);
    return rc;
}

int
cli_no_store(const cli_t *cli, const char *refusal)
{
    node_open_info_t info = {0};
    node_t *node = NULL;
    int rc = node_open_info(cli->dir, NODE_OPEN_READONLY, &info, &node);
    node_close(&node);
    if (rc == VOCFED_OK || rc == VOCFED_EVERSION ||
        info.step != NODE_STEP_STORE) {
        cli_error("a store already exists in %s (format version %llu): %s",
                  cli->dir, (unsigned long long)info.found_version, refusal);
        return CLI_EXIT_ENV;
    }
    if (rc != VOCFED_ENOTFOUND && rc != -ENOENT)
        return cli_fail(rc, "cannot check %s for a store", cli->dir);
    return CLI_EXIT_OK;
}
