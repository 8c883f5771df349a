/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate texts: the languages and the message catalog's ids.
 *
 * The bottom layer: plain C99, no Wireshark, no GLib, and nothing of the
 * plugin below it, so the core, the explanations, the glue and the taps all
 * take their words from here.  The catalog itself (every entry with its
 * English and Chinese text) is tcpstate_text.def.
 *
 * A lookup is an array index (ts_text(id, lang)), cheap enough for every
 * packet; code that prepares labels ahead (per stage and language) can walk
 * the ids from 0 to TX_COUNT - 1.
 */
#ifndef TCPSTATE_TEXT_H
#define TCPSTATE_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TS_LANG_EN = 0, TS_LANG_ZH = 1, TS_LANG_COUNT } ts_lang;

typedef enum {
    TX_NONE = 0,   /* "no text": an empty string in every language */
#define TX(id, en, zh) id,
#include "tcpstate_text.def"
#undef TX
    TX_COUNT
} ts_text_id;

/* The table: ts_texts[id][lang], NUL-terminated UTF-8. */
extern const char *const ts_texts[TX_COUNT][TS_LANG_COUNT];

/* The text of id in lang; "" for TX_NONE or anything out of range. */
static inline const char *ts_text(ts_text_id id, ts_lang lang)
{
    if ((unsigned)id >= TX_COUNT || (unsigned)lang >= TS_LANG_COUNT)
        return "";
    return ts_texts[id][lang];
}

/* The catalog's id names ("TX_STAGE_SYN"), for tests and diagnostics. */
const char *ts_text_id_name(ts_text_id id);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_TEXT_H */
