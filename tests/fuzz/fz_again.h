/* vocfed: the fuzz ingest targets' second take of a batch (fuzz_ingest,
 * fuzz_ingest_records): the same batch, from the same store, as a group
 * whose entries a helper thread checked first (storage/ahead.h). */
#ifndef VOCFED_TESTS_FUZZ_FZ_AGAIN_H
#define VOCFED_TESTS_FUZZ_FZ_AGAIN_H

#include "protocol/msg.h"
#include "storage/replica.h"
#include "storage/store.h"

/* Takes batch into st (opened as it was before the first take) through
 * node_batch_accept_many, signing receipts as self, with every entry
 * checked ahead; aborts unless its fate (rc), reason and applied count
 * are the first take's (res) and author's head is then head. Destroys
 * st. */
void fz_again_ahead(store_t *st, const char *self,
                    const proto_msg_batch_t *batch, int rc,
                    const store_ingest_result_t *res, const char *author,
                    const store_head_t *head);

#endif
