/* vocfed: how many terminal columns UTF-8 text takes (for aligned tables
 * with Chinese names: DESIGN 8 wants Chinese labels first).
 *
 * East Asian Wide and Fullwidth characters (Unicode UAX #11: CJK
 * ideographs, kana, hangul, fullwidth forms, most emoji) take 2 columns;
 * combining marks, zero-width and control characters 0; everything else
 * 1. A byte that does not start a valid UTF-8 sequence counts as one
 * column (terminals show it as a replacement character). */
#ifndef VOCFED_TOOLS_TEXTWIDTH_H
#define VOCFED_TOOLS_TEXTWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* The columns code point cp takes: 0, 1 or 2. */
int cli_cp_width(uint32_t cp);

/* Decodes one UTF-8 character of s[0..len) (len >= 1). Returns the bytes
 * it takes (1 to 4) with *cp set, or 0 when s does not start with a valid,
 * shortest-form sequence of a scalar value (then *cp is the byte). */
size_t cli_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* The columns the first len bytes of s take. */
size_t cli_text_width(const char *s, size_t len);

#endif
