/* Fuzz target: a batch message taken in by a receiver with a store, as
 * the coordinator takes a member's batch (node_batch_accept: the message
 * lists, store_ingest's checks of SPEC 8.4, the commit, the receipt or
 * error reply).
 *
 * The receiver's store holds entries 1..3 and checkpoint 3 of
 * FZ_LOG_AUTHOR's log (fz_log.h, the log the seeds are cut from), made
 * once per process; each input starts from a fresh copy of it, in
 * /dev/shm when there is one (commits fsync). After every input the
 * store must verify (SPEC 6); a refused batch must leave the head where
 * it was and answer with an error message, an accepted one must move
 * the head by the entries it applied and answer with a receipt that
 * opens with the receiver's key and states that head. Then the same
 * batch again, from the same store, as a group whose entries a helper
 * thread checked first (storage/ahead.h, forced for one batch): the same
 * fate, the same reason, the same head. */
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fz_again.h"
#include "tests/fuzz/fz_log.h"

#include "node/replicate.h"
#include "protocol/msg.h"
#include "protocol/receipt.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "storage/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SELF "coord" /* the receiver, signing with the receipt key */
#define S_HELD 3       /* entries (and the checkpoint) it holds */

/* Made once per process. */
static struct {
    bool made;         /* ready */
    char dir[64];      /* the store folder */
    uint8_t *data;     /* data.mdb of the store holding S_HELD */
    size_t len;        /* its length */
    store_head_t head; /* its head of FZ_LOG_AUTHOR */
} s_rx;

static void
s_cleanup(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/derived.mdb", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/derived.mdb-lock", s_rx.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/derived.boot", s_rx.dir);
    unlink(path); /* the derived data's boot guard (SPEC 5.5) */
    snprintf(path, sizeof path, "%s/open.lock", s_rx.dir);
    unlink(path); /* the openers' lock (SPEC 5.1) */
    rmdir(s_rx.dir);
    free(s_rx.data);
}

/* Writes the saved data.mdb back: the store as it was made. */
static void
s_restore(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", s_rx.dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FZ_CHECK(fd >= 0);
    FZ_CHECK(write(fd, s_rx.data, s_rx.len) == (ssize_t)s_rx.len);
    close(fd);
}

/* The store holding entries 1..S_HELD and checkpoint S_HELD. */
static void
s_make(void)
{
    static const uint64_t sizes[] = {S_HELD};
    char path[128];
    store_t *st = NULL;
    fz_log_t log;
    proto_buf_t batch;
    proto_msg_t m;
    proto_buf_t reply;
    store_ingest_result_t res;
    struct stat sb;
    const char *base =
        stat("/dev/shm", &sb) == 0 && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                    : "/tmp";

    snprintf(s_rx.dir, sizeof s_rx.dir, "%s/vocfed-fuzz-ingest.XXXXXX", base);
    FZ_CHECK(mkdtemp(s_rx.dir) != NULL);
    atexit(s_cleanup);
    store_opts_t opts = {.create = true, .no_derived = true};
    FZ_CHECK(store_open(s_rx.dir, &opts, &st) == VOCFED_OK);
    FZ_CHECK(store_author_add(st, FZ_LOG_AUTHOR, fz_checkpoint_pk()) ==
             VOCFED_OK);
    proto_buf_init(&batch);
    proto_buf_init(&reply);
    FZ_CHECK(fz_log_make(&log, S_HELD, sizes, 1, 0, 0) == VOCFED_OK);
    FZ_CHECK(fz_log_batch(&log, 1, S_HELD, 0, &batch) == VOCFED_OK);
    FZ_CHECK(proto_msg_decode(batch.data, batch.len, &m) == VOCFED_OK);
    FZ_CHECK(node_batch_accept(st, S_SELF, fz_receipt_sk(), &m.batch, &reply,
                               &res) == VOCFED_OK);
    FZ_CHECK(store_head(st, FZ_LOG_AUTHOR, &s_rx.head) == VOCFED_OK);
    FZ_CHECK(s_rx.head.size == S_HELD);
    store_destroy(&st);
    fz_log_release(&log);
    proto_buf_release(&batch);
    proto_buf_release(&reply);

    snprintf(path, sizeof path, "%s/data.mdb", s_rx.dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    FZ_CHECK(fd >= 0 && fstat(fd, &sb) == 0);
    s_rx.len = (size_t)sb.st_size;
    s_rx.data = malloc(s_rx.len);
    FZ_CHECK(s_rx.data && read(fd, s_rx.data, s_rx.len) == (ssize_t)s_rx.len);
    close(fd);
    s_rx.made = true;
}

/* The reply to an accepted batch: a receipt for the new head. */
static void
s_check_receipt(const proto_buf_t *reply, const store_head_t *head)
{
    proto_msg_t m;
    proto_receipt_t r;
    FZ_CHECK(proto_msg_decode(reply->data, reply->len, &m) == VOCFED_OK);
    FZ_CHECK(m.type == PROTO_MSG_RECEIPT);
    FZ_CHECK(proto_receipt_verify(m.receipt.receipt, m.receipt.receipt_len,
                                  fz_receipt_pk(), S_SELF, FZ_LOG_AUTHOR,
                                  head->size, head->root, &r) == VOCFED_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_msg_t m;
    store_t *st = NULL;
    store_head_t head;
    store_ingest_result_t res;
    store_verify_result_t vr;
    proto_buf_t reply;
    if (proto_msg_decode(data, size, &m) != VOCFED_OK ||
        m.type != PROTO_MSG_BATCH)
        return 0;
    if (!s_rx.made)
        s_make();
    s_restore();
    store_opts_t opts = {.no_derived = true};
    FZ_CHECK(store_open(s_rx.dir, &opts, &st) == VOCFED_OK);
    proto_buf_init(&reply);

    int rc =
        node_batch_accept(st, S_SELF, fz_receipt_sk(), &m.batch, &reply, &res);
    int hrc = store_head(st, FZ_LOG_AUTHOR, &head);
    FZ_CHECK(hrc == VOCFED_OK);
    if (rc == VOCFED_OK) {
        FZ_CHECK(head.size == s_rx.head.size + res.applied);
        FZ_CHECK(res.head.size == head.size &&
                 memcmp(res.head.root, head.root, PROTO_HASH_LEN) == 0);
        s_check_receipt(&reply, &head);
    } else {
        /* Refused whole: nothing of it written (nor said to be), an
         * error in reply. */
        FZ_CHECK(res.applied == 0 && res.skipped == 0);
        FZ_CHECK(head.size == s_rx.head.size &&
                 memcmp(head.root, s_rx.head.root, PROTO_HASH_LEN) == 0);
        proto_msg_t e;
        FZ_CHECK(proto_msg_decode(reply.data, reply.len, &e) == VOCFED_OK);
        FZ_CHECK(e.type == PROTO_MSG_ERROR);
    }
    /* What was committed, or kept as evidence, is a store that verifies. */
    FZ_CHECK(store_verify(st, NULL, &vr, NULL, NULL) == VOCFED_OK);
    store_destroy(&st);

    /* The same through store_ingest_many with every entry checked ahead. */
    s_restore();
    FZ_CHECK(store_open(s_rx.dir, &opts, &st) == VOCFED_OK);
    fz_again_ahead(st, S_SELF, &m.batch, rc, &res, FZ_LOG_AUTHOR, &head);
    proto_buf_release(&reply);
    return 0;
}
