/* vocfed: the project's one status enum.
 *
 * 0 is success. Project codes are negative and live in the block
 * [-9099, -9000], which cannot collide with -errno (errno values are
 * below 4096) nor with LMDB's own codes (-30800 .. -30780). A function
 * that fails because of a system call may return -errno directly;
 * vocfed_strerror() understands both. */
#ifndef VOCFED_PROTOCOL_STATUS_H
#define VOCFED_PROTOCOL_STATUS_H

#include <stddef.h>

#define VOCFED_WUR __attribute__((warn_unused_result))

typedef enum {
    VOCFED_OK = 0,
    VOCFED_EMALFORMED = -9000,    /* bytes do not decode as the format */
    VOCFED_ENONCANONICAL = -9001, /* decodes, but not in canonical form */
    VOCFED_ETOOLARGE = -9002,     /* a length over its cap */
    VOCFED_EVERSION = -9003,      /* format version we do not speak */
    VOCFED_EBADSIG = -9004,       /* signature does not verify */
    VOCFED_ESEQGAP = -9005,       /* sequence number not the next one */
    VOCFED_ECORRUPT = -9006,      /* store content contradicts itself */
    VOCFED_ESTORAGEFULL = -9007,  /* disk or map cannot grow */
    VOCFED_EINTERRUPTED = -9008,  /* stopped by a signal or a request */
    VOCFED_ENOTFOUND = -9009,     /* no such record, author or file */
    VOCFED_EEXISTS = -9010,       /* already there */
    VOCFED_ELOCKED = -9011,       /* another process holds the store, and
                                     nothing else */
    VOCFED_EINVALID = -9012,      /* bad argument from the caller */
    VOCFED_EROOT = -9013,         /* Merkle root does not match */
    VOCFED_EPROOF = -9014,        /* inclusion/consistency proof fails */
    VOCFED_EAUTHOR = -9015,       /* entry claims the wrong author */
    VOCFED_ENOMEM = -9016,        /* out of memory */
    VOCFED_ESTORE = -9017,        /* unexpected storage engine error */
    VOCFED_EKEY = -9018,          /* key file missing, wrong or unsafe */
    VOCFED_EQUARANTINED = -9019,  /* the author signed two histories
                                     (SPEC 8.5): its batches are refused */
    VOCFED_ESUSPENDED = -9020,    /* the member is suspended or revoked on
                                     the roster (SPEC 10.2) */
    VOCFED_EDENIED = -9021,       /* the transport refused the connection:
                                     key not on the roster or not active,
                                     or a wrong coordinator key (ZAP) */
    VOCFED_EBADRECORD = -9022,    /* a record of a batch breaks the kinds
                                     table, or its author's role may not
                                     write its kind (SPEC 8.4) */
    VOCFED_EBADTIME = -9023,      /* a checkpoint dated before the one
                                     before it, or too far ahead of the
                                     receiver's clock (SPEC 8.4) */
    VOCFED_EFENCED = -9024,       /* the node may lack entries of its own
                                     log that the coordinator holds: it
                                     signs nothing until it fetched them
                                     (SPEC 5.2 fence, 10.6) */
} vocfed_status_t;

/* Returns a static English description of a vocfed status or -errno.
 * Never NULL. */
const char *vocfed_strerror(int status);

/* Returns a short stable token for log lines and JSON ("bad-signature").
 * Never NULL. */
const char *vocfed_status_token(int status);

/* The status a token of vocfed_status_token names (len bytes, not
 * NUL-terminated, e.g. the code of a peer's error message, SPEC 8.8).
 * VOCFED_EINVALID for "ok" and for a token this version does not know:
 * what it refuses is still a refusal. */
int vocfed_status_from_token(const char *token, size_t len);

#endif
