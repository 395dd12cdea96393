/* The fuzz ingest targets' second take of a batch (fz_again.h). */
#include "tests/fuzz/fz_again.h"
#include "tests/fuzz/fuzz.h"

#include "node/replicate.h"
#include "storage/store_test.h"

#include <string.h>

void
fz_again_ahead(store_t *st, const char *self, const proto_msg_batch_t *batch,
               int rc, const store_ingest_result_t *res, const char *author,
               const store_head_t *head)
{
    const proto_msg_batch_t *mm[1] = {batch};
    proto_buf_t reply;
    store_ingest_result_t res2;
    store_head_t head2;
    int rc2;
    store_test_ahead(st, 1, true);
    proto_buf_init(&reply);
    FZ_CHECK(node_batch_accept_many(st, self, fz_receipt_sk(), mm, 1, &reply,
                                    &res2, &rc2) == VOCFED_OK);
    FZ_CHECK(store_head(st, author, &head2) == VOCFED_OK);
    FZ_CHECK(rc2 == rc && res2.applied == res->applied &&
             strcmp(res2.what, res->what) == 0 && head2.size == head->size &&
             memcmp(head2.root, head->root, PROTO_HASH_LEN) == 0);
    proto_buf_release(&reply);
    store_destroy(&st);
}
