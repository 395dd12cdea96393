/* vocfed: the record kinds, one table (DESIGN 6, SPEC 11).
 *
 * Every kind a node may write, its fields with their types, enumerations,
 * whether they are required, and display names in zh-CN and English.
 * `vocfed put` and `vocfed import` turn text values into a typed, canonical
 * body through proto_kind_body(), which refuses a bad value naming the
 * field, the value and what is allowed. Ingest checks every record it is
 * sent, already encoded, with proto_kind_check_entry() against the same
 * rules (SPEC 8.4, 11). */
#ifndef VOCFED_PROTOCOL_KINDS_H
#define VOCFED_PROTOCOL_KINDS_H

#include "protocol/buf.h"
#include "protocol/entry.h"
#include "protocol/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PROTO_FT_STR = 0, /* printable UTF-8 text */
    PROTO_FT_INT,     /* a whole number in [min, max] */
    PROTO_FT_BOOL,    /* true/false (also 1/0, yes/no, 是/否) */
    PROTO_FT_ENUM,    /* one of values[] */
    PROTO_FT_REGION,  /* GB/T 2260 code: 6 digits, stored as text */
    PROTO_FT_YEAR,    /* 2000..2100, stored as an integer */
    PROTO_FT_LIST,    /* ;-separated tokens, stored as text */
    PROTO_FT_DECIMAL, /* a decimal like 14000 or 0.45, stored as text */
} proto_field_type_t;

/* One field of a kind. */
typedef struct {
    const char *name;             /* field name, also the CSV column */
    size_t name_len;              /* strlen(name), or 0: not given */
    proto_field_type_t type;      /* how its text is read */
    bool required;                /* must be present and non-empty */
    const char *const *values;    /* PROTO_FT_ENUM: NULL-terminated list */
    const char *const *values_zh; /* PROTO_FT_ENUM: beside values, each
                                     value's Chinese names, '|'-separated,
                                     the display name first */
    int64_t min, max;             /* PROTO_FT_INT: range */
    const char *zh;               /* display name, zh-CN; also a header name */
    const char *zh_alt; /* other Chinese header names, '|'-separated, or
                           NULL */
    const char *en;     /* display name, English */
} proto_field_def_t;

/* The Chinese header names of the columns that are not fields: the key,
 * a person's ID-card number and name ('|'-separated; the student-status
 * system's 身份证件号, the census forms' 公民身份号码). */
#define PROTO_KEY_ZH "键"
#define PROTO_ID_NUMBER_ZH                                                     \
    "身份证号|公民身份号码|身份证件号|身份证件号码|身份证号码|证件号码"
#define PROTO_PERSON_NAME_ZH "姓名"

/* The form of a kind's natural key (SPEC 11.2), checked by
 * proto_kind_check_key. */
typedef enum {
    PROTO_KEY_TEXT = 0,    /* any valid key: a code, an id, a figure id */
    PROTO_KEY_FIXED,       /* exactly key_fixed (member: "profile") */
    PROTO_KEY_YEAR,        /* a year, 2000..2100 (posts) */
    PROTO_KEY_PSEUDO,      /* a pseudo_id: 64 lower-case hex digits */
    PROTO_KEY_PSEUDO_YEAR, /* pseudo_id:<the year in field key_year> */
} proto_key_form_t;

/* One kind of record: its fields and the rules every writer (put,
 * import, the figures, the report, ingest) reads from here instead of
 * testing the kind's name. Adding a kind is adding one row to the table
 * in kinds.c. */
typedef struct {
    const char *name;                /* kind name */
    const char *key;                 /* what its natural key is (help) */
    const char *zh;                  /* display name, zh-CN */
    const char *en;                  /* display name, English */
    bool coordinator_only;           /* only the coordinator writes it */
    const proto_field_def_t *fields; /* its fields */
    size_t nfields;                  /* how many */
    proto_key_form_t key_form;       /* what its key must look like */
    const char *key_fixed;     /* PROTO_KEY_FIXED: the one key, else NULL */
    const char *key_year;      /* PROTO_KEY_PSEUDO_YEAR: the field whose year
                                  ends the key ("grad_year"), else NULL */
    const char *key_column;    /* the CSV column that holds the natural key
                                  (besides "key"), or NULL */
    const char *key_column_zh; /* its Chinese header names, '|'-separated,
                                  or NULL */
    bool person;               /* a person known by pseudo_id (student, staff,
                                  graduate): imports may carry id_number and name
                                  columns; the figures count each person once */
} proto_kind_def_t;

#define PROTO_REASON_MAX 512 /* bytes of a refusal's reason, each language */

/* Why a value was refused. */
typedef struct {
    char field[PROTO_FIELD_MAX + 1];  /* the field ("" for the key, and for
                                         the kind or the body as a whole) */
    char value[128];                  /* the value (cut if long, not always
                                         valid UTF-8 then) */
    char reason_en[PROTO_REASON_MAX]; /* what is wrong, what is allowed */
    char reason_zh[PROTO_REASON_MAX]; /* the same in Chinese: all of it */
} proto_kind_error_t;

/* The kind named name, or NULL. */
const proto_kind_def_t *proto_kind_find(const char *name);

/* All kinds, for help texts; *n gets their number. */
const proto_kind_def_t *proto_kinds(size_t *n);

/* The field of k named name, or NULL. */
const proto_field_def_t *proto_kind_field(const proto_kind_def_t *k,
                                          const char *name, size_t len);

/* The length of the pseudo_id that starts key, for a person's kind
 * (the part before ':' for PROTO_KEY_PSEUDO_YEAR); 0 for other kinds. */
size_t proto_kind_person_len(const proto_kind_def_t *k, const char *key);

/* Whether s (len bytes) is one of the names of list ('|'-separated;
 * NULL: none). */
bool proto_names_has(const char *list, const char *s, size_t len);

/* The field of k whose header is header (len bytes): its name, its
 * Chinese display name or another of its Chinese header names, or its
 * English display name (any case). NULL if none. */
const proto_field_def_t *proto_kind_field_by_header(const proto_kind_def_t *k,
                                                    const char *header,
                                                    size_t len);

/* Reads a year as registrars write it: 2024, 2024年, 2024-09-01,
 * 2024/9/1, 2024-09, 2024.9, 2024年9月, 2024年9月1日 (a month 1-12 and a
 * day 1-31 when given). Returns true with *year set (not range-checked),
 * or false. */
bool proto_kind_year(const char *text, int64_t *year);

/* Display name of an enumeration value ("enrolled" -> 在校/enrolled);
 * returns value itself when there is no special name. */
const char *proto_enum_zh(const char *value);

/* Checks a natural key against k->key_form (e.g. a year for posts, a
 * pseudo_id of 64 hex digits for student/staff, pseudo_id:grad_year for
 * graduate). Returns 0 or VOCFED_EINVALID with err filled (err may be
 * NULL). */
int proto_kind_check_key(const proto_kind_def_t *k, const char *key,
                         proto_kind_error_t *err) VOCFED_WUR;

/* Builds the canonical body of a record of kind k from n (name, text
 * value) pairs. An empty value means "absent" for an optional field. An
 * enumeration takes its English value or one of its Chinese names, a
 * year any form proto_kind_year reads; what is stored is the English
 * value and the year. Unknown fields, missing required ones, and values
 * not of their type are refused: VOCFED_EINVALID with err filled (the
 * first problem). Appends to out. */
int proto_kind_body(const proto_kind_def_t *k, const char *const *names,
                    const char *const *values, size_t n, proto_buf_t *out,
                    proto_kind_error_t *err) VOCFED_WUR;

/* proto_kind_body, reporting every problem: up to errcap of them in
 * errs (*nerrs gets how many were found, at most errcap). Returns 0
 * (then *nerrs is 0) or VOCFED_EINVALID; nothing is appended to out on
 * failure. */
int proto_kind_body_all(const proto_kind_def_t *k, const char *const *names,
                        const char *const *values, size_t n, proto_buf_t *out,
                        proto_kind_error_t *errs, size_t errcap,
                        size_t *nerrs) VOCFED_WUR;

/* proto_kind_body_all for fields already found: defs[i] is k's field
 * (not NULL) for values[i], which is lens[i] bytes (NUL-terminated).
 * The same body and errors, without a lookup or a strlen a field (an
 * import's rows: its header's columns name the fields). */
int proto_kind_body_defs(const proto_kind_def_t *k,
                         const proto_field_def_t *const *defs,
                         const char *const *values, const size_t *lens,
                         size_t n, proto_buf_t *out, proto_kind_error_t *errs,
                         size_t errcap, size_t *nerrs) VOCFED_WUR;

/* Checks an encoded record, one decoded by proto_entry_decode (e.g. from
 * a peer's batch: decode has checked its key is valid text and its body
 * canonical with valid UTF-8, and this does not check those again),
 * against the kinds table (SPEC 8.4, 11): its kind is in
 * the table; its key is of the kind's form (proto_kind_check_key); a del
 * has no body; a put's body is a map of the kind's fields, each once and
 * of the msgpack type proto_kind_body stores for its type (int and year
 * an int in range, bool a bool, the others a str that passes the same
 * text checks as proto_kind_body's), and every required field is there
 * and not empty. It accepts what proto_kind_body makes, and also an
 * empty str for an optional text or list field (absent, as the roster
 * writes a member without a name). No allocation, one pass over the
 * body. Returns 0 or VOCFED_EINVALID with err filled (err may be NULL):
 * err->field is the field, or "" when the kind, the key or the body as
 * a whole is refused, and then reason_en and reason_zh name it ("kind
 * 'x' is not in the kinds table", "key 'p1': ..."). */
int proto_kind_check_entry(const proto_entry_t *e,
                           proto_kind_error_t *err) VOCFED_WUR;

#endif
