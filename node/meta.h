/* vocfed: the names of the node's meta values in its store (DESIGN 8).
 *
 * `vocfed init` writes them once into the store's meta table
 * (store_meta_set); node_open reads them back. Every use of these names
 * goes through these macros, so a name lives in one place. */
#ifndef VOCFED_NODE_META_H
#define VOCFED_NODE_META_H

/* The node's id (SPEC 3.2): its author id in every log. */
#define NODE_META_ID "node_id"
/* Its display name: printable UTF-8. */
#define NODE_META_NAME "node_name"
/* Its role: NODE_ROLE_COORDINATOR, "member" or a role of DESIGN 6. */
#define NODE_META_ROLE "node_role"
/* Its Ed25519 public key, 64 hex digits. */
#define NODE_META_PUBKEY "node_pubkey"
/* When init made it, ms since the Unix epoch, in decimal. */
#define NODE_META_CREATED "created_ms"

/* The node_role of the node that keeps the roster (DESIGN 1). */
#define NODE_ROLE_COORDINATOR "coordinator"
/* The node_role init gives when no role is named. */
#define NODE_ROLE_MEMBER "member"

#endif
