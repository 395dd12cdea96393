/* vocfed: what each kind's record contributes to the figures (SPEC 12.1).
 *
 * A record yields "items" (counter, year, member, payee, value) under one
 * identity that says what is counted once: a person ("p:" pseudo_id, for
 * the kinds that are people in the kinds table), an activity reported by
 * several members ("t:" code), or the record itself ("u:"
 * member/kind/key). One row per kind in figures_rules.c names the
 * identity and the function that reads the body; kinds without a row
 * yield nothing. Adding a figure's rule is adding (or extending) a row
 * and feeding counters of node/figures_catalogue.h. Pure functions: no
 * store, no allocation. */
#ifndef VOCFED_NODE_FIGURES_RULES_H
#define VOCFED_NODE_FIGURES_RULES_H

#include "node/figures_catalogue.h"
#include "protocol/entry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Local region codes start with this (Anqing, DESIGN 7). */
#define NODE_LOCAL_REGION "3408"

/* The record that gives a member its original affiliation and county
 * (the a and c dimensions, SPEC 12.1); it yields no items. */
#define NODE_FIG_PROFILE_KIND "member"
#define NODE_FIG_PROFILE_KEY "profile"

/* Items one record may yield. */
#define NODE_FIG_ITEMS_MAX 64

/* One item: what one record contributes for one identity. */
typedef struct {
    uint8_t fig;                   /* node_counter_t */
    uint16_t year;                 /* 0 when the counter has no year */
    char member[PROTO_ID_MAX + 1]; /* the author */
    char payee[PROTO_KEY_MAX + 1]; /* payee or industry code, "" none */
    char rec[PROTO_KIND_MAX + PROTO_KEY_MAX + 2]; /* kind/key of the record
                                                     that yields it */
    int64_t value;                                /* 1 for people */
} node_fig_item_t;

/* The identity of member's record kind/key into identity (icap bytes;
 * "" for kinds that feed no figure) and, when body is not NULL, its
 * items into items (NODE_FIG_ITEMS_MAX; NULL: only counted) and their
 * number into *n.
 * Returns 0, or VOCFED_EBADRECORD for a record that would yield more
 * (e.g. a major serving more industries than that): it is refused, never
 * cut short. */
int node_figrules_items(const char *member, const char *kind, const char *key,
                        const uint8_t *body, size_t len, char *identity,
                        size_t icap, node_fig_item_t *items,
                        size_t *n) VOCFED_WUR;

/* Whether node_figrules_items can refuse a record of the kind (len
 * bytes, not NUL-terminated): only a kind whose records may yield more
 * items than NODE_FIG_ITEMS_MAX (its bound unknown or above it). The
 * store's check (figures.c) asks first, once per entry it writes. */
bool node_figrules_may_refuse(const char *kind, size_t len);

/* The text field name of a canonical body into out (cap bytes; "" when
 * absent, not text or too long). Returns whether it is non-empty. */
bool node_fig_body_str(const uint8_t *body, size_t len, const char *name,
                       char *out, size_t cap);

/* The integer field name of a body into *out (0 when absent). Returns
 * whether it is there. */
bool node_fig_body_int(const uint8_t *body, size_t len, const char *name,
                       int64_t *out);

/* The len bytes at src as a string in dst (cap bytes), cut to fit. Not
 * snprintf: the applier and the log's check make several per entry. */
size_t node_fig_span(char *dst, size_t cap, const char *src, size_t len);

/* Joins the NULL-terminated parts into dst, cut to cap - 1 bytes; the
 * hot path's cheap snprintf. Returns the length. */
size_t node_fig_cat(char *dst, size_t cap, ...);

/* src into dst (cap bytes), cut to cap - 1: node_fig_cat of one part,
 * without its argument list (the applier copies about ten strings an
 * entry this way: 1.9% of its instructions as node_fig_cat, callgrind).
 * Returns the length. */
static inline size_t
node_fig_copy(char *dst, size_t cap, const char *src)
{
    size_t l = strnlen(src, cap - 1);
    memcpy(dst, src, l);
    dst[l] = 0;
    return l;
}

#endif
