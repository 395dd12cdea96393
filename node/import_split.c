/* vocfed: an import's check on two threads (node_import_i_parse_split,
 * import_i.h).
 *
 * The text is cut at the end of a line near its middle that lies outside
 * every quoted cell: a line end with an even number of '"' before it (in
 * strict CSV a quote inside a quoted cell is doubled, and one anywhere
 * else is an error the first half reports before the cut). The second
 * half starts a row, so it is checked by a state of its own: the header
 * read again from the text, its lines numbered from the cut, no progress
 * calls (the first half tells the progress of the whole), half the body
 * budget each. Then the second half's keys are looked for among the
 * first's (on two threads: a key of both sends the file to one pass, for
 * its error to read as one pass's), and its rows and errors are taken in
 * after the first half's, its arenas and key set moved, not copied
 * (node_import_i_take): what one pass would have. Joining them had cost a
 * 1M-row import ~0.5 s on one thread, copying and hashing again. */
#include "node/import_i.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* How many times ch is in p[from, to). */
static size_t
s_count(const uint8_t *p, size_t from, size_t to, int ch)
{
    size_t n = 0;
    const uint8_t *q = p + from, *end = p + to;
    while (q < end && (q = memchr(q, ch, (size_t)(end - q)))) {
        n++;
        q++;
    }
    return n;
}

/* The end (one past its '\n') of the first line that ends at or after
 * from outside quotes; 0 if none. quotes: how many '"' are before from. */
static size_t
s_cut(const uint8_t *t, size_t len, size_t from, size_t quotes)
{
    size_t at = from;
    while (at < len) {
        const uint8_t *nl = memchr(t + at, '\n', len - at);
        if (!nl)
            return 0;
        size_t end = (size_t)(nl - t) + 1;
        quotes += s_count(t, at, end, '"');
        if (quotes % 2 == 0)
            return end;
        at = end;
    }
    return 0;
}

/* The fewest bytes of text looked at on two threads (opts->split_min). */
static size_t
s_min(const node_import_i_t *im)
{
    return im->opts->split_min ? im->opts->split_min : NODE_IMPORT_SPLIT_MIN;
}

/* One half of the look at whether the text is UTF-8. */
typedef struct {
    const uint8_t *p;
    size_t len;
    bool valid;
} s_utf8_t;

static void *
s_utf8_run(void *arg)
{
    s_utf8_t *u = arg;
    u->valid = proto_utf8_valid((const char *)u->p, u->len);
    return NULL;
}

bool
node_import_i_utf8_valid(const node_import_i_t *im, const uint8_t *data,
                         size_t len)
{
    size_t min = s_min(im), cut = len / 2;
    if (min == SIZE_MAX || len < min || len < 2)
        return proto_utf8_valid((const char *)data, len);
    /* Back to the start of a character: at most three continuation
     * bytes (10xxxxxx) end a UTF-8 character. After more, the second
     * half starts with one: not UTF-8, as the whole is not. */
    for (int i = 0; i < 3 && cut > 0 && (data[cut] & 0xc0) == 0x80; i++)
        cut--;
    pthread_t t;
    s_utf8_t a = {data, cut, false}, b = {data + cut, len - cut, false};
    if (pthread_create(&t, NULL, s_utf8_run, &b) != 0)
        return proto_utf8_valid((const char *)data, len);
    s_utf8_run(&a);
    pthread_join(t, NULL);
    return a.valid && b.valid;
}

/* The second half: its own state and result. */
typedef struct {
    node_import_opts_t opts;  /* the import's, without progress */
    node_import_result_t res; /* its rows and errors */
    node_import_i_t im;       /* its state */
    const uint8_t *text;      /* its rows */
    size_t len;               /* their bytes */
    int rc;                   /* node_import_i_parse's */
    atomic_bool done;         /* its check is over (rc set) */
} s_half_t;

static void *
s_run(void *arg)
{
    s_half_t *h = arg;
    h->rc = node_import_i_parse(&h->im, h->text, h->len);
    atomic_store(&h->done, true);
    return NULL;
}

static void
s_half_free(s_half_t *h)
{
    node_import_i_seen_release(&h->im);
    node_pseudonymiser_wipe(&h->im.pseudo);
    free(h->im.rows);
    proto_buf_release(&h->im.cells);
    proto_buf_release(&h->im.keys);
    proto_buf_release(&h->im.bodies);
    free(h->res.errors);
    free(h);
}

/* The second half's state, its header read from text[0, head); NULL when
 * it cannot be (no memory, a header with errors: one pass reports it). */
static s_half_t *
s_half_new(const node_import_i_t *im, const uint8_t *text, size_t head)
{
    s_half_t *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    atomic_init(&h->done, false);
    h->opts = *im->opts;
    h->opts.progress = NULL;
    h->im = (node_import_i_t){.opts = &h->opts,
                              .kind = im->kind,
                              .res = &h->res,
                              .body_budget = im->body_budget,
                              .pseudo = im->pseudo};
    proto_buf_init(&h->im.cells);
    proto_buf_init(&h->im.keys);
    proto_buf_init(&h->im.bodies);
    if (node_import_i_parse(&h->im, text, head) != VOCFED_OK || h->im.status ||
        !h->im.ncols || h->im.header_bad || h->res.nerrors) {
        s_half_free(h);
        return NULL;
    }
    return h;
}

/* One half of the look for a key of both halves. */
typedef struct {
    const node_import_i_t *im, *later; /* the halves */
    size_t from, to;                   /* later's rows looked at */
    bool found;                        /* one of them is im's */
} s_dup_t;

static void *
s_dup_run(void *arg)
{
    s_dup_t *d = arg;
    d->found = node_import_i_seen_any(d->im, d->later, d->from, d->to);
    return NULL;
}

/* Whether a key of later's is one of im's: later's rows looked at on
 * two threads (on one if a thread cannot be had). */
static bool
s_dup(const node_import_i_t *im, const node_import_i_t *later)
{
    size_t n = later->nrows, half = n / 2;
    s_dup_t a = {im, later, 0, half, false}, b = {im, later, half, n, false};
    pthread_t t;
    if (half < 4096 || pthread_create(&t, NULL, s_dup_run, &b) != 0)
        return node_import_i_seen_any(im, later, 0, n);
    s_dup_run(&a);
    pthread_join(t, NULL);
    return a.found || b.found;
}

/* im as before any text was read (for one pass over the whole). */
static void
s_restart(node_import_i_t *im)
{
    proto_buf_reset(&im->cells);
    proto_buf_reset(&im->keys);
    proto_buf_reset(&im->bodies);
    node_import_i_seen_release(im);
    im->ncells = im->ncols = im->nnamed = im->nrows = 0;
    im->in_row = im->too_many = im->extra_text = false;
    im->header_bad = im->lean = false;
    im->res->rows = im->res->nerrors = 0;
    im->res->dropped_name = false;
}

int
node_import_i_parse_split(node_import_i_t *im, const uint8_t *text, size_t len)
{
    size_t min = s_min(im);
    if (im->sheet || im->emit || min == SIZE_MAX || len < min)
        return node_import_i_parse(im, text, len);
    size_t head = s_cut(text, len, 0, 0);
    size_t mid = len / 2 > head ? len / 2 : head;
    size_t cut = head ? s_cut(text, len, mid, s_count(text, 0, mid, '"')) : 0;
    s_half_t *h = cut && cut < len ? s_half_new(im, text, head) : NULL;
    if (!h)
        return node_import_i_parse(im, text, len);
    size_t budget = im->body_budget;
    h->im.body_budget = im->body_budget = budget / 2;
    h->im.line_base = s_count(text, 0, cut, '\n');
    h->text = text + cut;
    h->len = len - cut;
    pthread_t t;
    if (pthread_create(&t, NULL, s_run, h) != 0) {
        im->body_budget = budget;
        s_half_free(h);
        return node_import_i_parse(im, text, len);
    }
    im->progress_len = len;
    int rc = node_import_i_parse(im, text, cut);
    /* While the second half is still being checked (either half may end
     * first, by up to ~0.4 s in 1M rows), room for its rows (at most one
     * a line), so that take's copy is not the first touch of fresh
     * memory; once it is over, take's copy touches it, as quickly. */
    if (!rc && !im->status && !atomic_load(&h->done))
        (void)node_import_i_rows_room(im, s_count(text, cut, len, '\n') +
                                              (text[len - 1] != '\n'));
    pthread_join(t, NULL);
    im->progress_len = 0;
    im->body_budget = budget;
    /* What ends one pass in the first half ends it here too. */
    if (rc || im->status)
        goto done;
    if (h->im.status) {
        im->status = h->im.status;
        goto done;
    }
    if (s_dup(im, &h->im)) {
        /* its error names the first half's row, as one pass's does */
        s_restart(im);
        rc = node_import_i_parse(im, text, len);
        goto done;
    }
    rc = node_import_i_take(im, &h->im);
    if (rc == VOCFED_OK)
        rc = h->rc; /* the second half's CSV error, after its rows */
done:
    s_half_free(h);
    return rc;
}
