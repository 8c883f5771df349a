/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate texts: the message catalog as a table (see tcpstate_text.h; the
 * entries are in tcpstate_text.def).
 */
#include "tcpstate_text.h"

#include <string.h>

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

/* Length of s, at most max (plain C99 has no strnlen). */
static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

/* Copies n bytes of s at *at; 0 when they do not fit with the NUL. */
static int put(char *buf, size_t cap, size_t *at, const char *s, size_t n)
{
    if (n >= cap - *at)
        return 0;
    memcpy(buf + *at, s, n);
    *at += n;
    return 1;
}

size_t ts_text_fill(char *buf, size_t cap, const char *fmt, const ts_arg *args, unsigned nargs)
{
    size_t at = 0;
    unsigned used = 0;

    if (!buf || cap == 0 || !fmt)
        return (size_t)-1;
    for (;;) {
        const char *pct = strchr(fmt, '%');
        size_t lit = pct ? (size_t)(pct - fmt) : strlen(fmt);
        const ts_arg *a;
        size_t n;

        if (!put(buf, cap, &at, fmt, lit))
            return (size_t)-1;
        if (!pct)
            break;
        if (pct[1] == '%') {                        /* "%%": a '%' */
            if (!put(buf, cap, &at, "%", 1))
                return (size_t)-1;
            fmt = pct + 2;
            continue;
        }
        if (used == nargs)
            return (size_t)-1;
        a = &args[used++];
        if (pct[1] == 's')
            fmt = pct + 2;
        else if (pct[1] == '.' && pct[2] == '*' && pct[3] == 's')
            fmt = pct + 4;          /* the arg's len is the precision */
        else
            return (size_t)-1;
        n = a->len == (size_t)-1 ? strlen(a->s) : bounded_len(a->s, a->len);
        if (!put(buf, cap, &at, a->s, n))
            return (size_t)-1;
    }
    buf[at] = '\0';
    return at;
}
