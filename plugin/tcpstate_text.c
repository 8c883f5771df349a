/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate texts: the message catalog as a table (see tcpstate_text.h; the
 * entries are in tcpstate_text.def).
 */
#include "tcpstate_text.h"


const char *const ts_texts[TX_COUNT][TS_LANG_COUNT] = {
    [TX_NONE] = { "", "" },
#define TX(id, en, zh) [id] = { en, zh },
#include "tcpstate_text.def"
#undef TX
};

static const char *const id_names[TX_COUNT] = {
    [TX_NONE] = "TX_NONE",
#define TX(id, en, zh) [id] = #id,
#include "tcpstate_text.def"
#undef TX
};

const char *ts_text_id_name(ts_text_id id)
{
    return (unsigned)id < TX_COUNT ? id_names[id] : "?";
}

