/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: a connection's rare extras (ts_flight_log, allocated on
 * first need) and its times (TS_CT_*, tcpstate_core.h).  Ten
 * 64-bit times per connection were 80 bytes of its record; kept as 32-bit
 * offsets from its first segment they are 40 (issue 11 "Memory").  An
 * offset is in microseconds, which holds any pcap time exactly and every
 * time up to 71 minutes after the first segment; a time it cannot hold
 * exactly (nanosecond captures, longer connections, clocks that jump back)
 * moves all of the connection's times to a block of 64-bit nanoseconds of
 * their own (80 bytes, its pointer where the offsets were), so that what is
 * read back is always what was set.
 * Bottom layer: no other core file is called.
 */
#include "tcpstate_core_int.h"

ts_flight_log *tsi_extras(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx)
{
    if (!c->flight && alloc)
        c->flight = alloc(alloc_ctx, sizeof *c->flight);
    return c->flight;
}

/* The offset code of ns (1 + us after first_ns), or 0 when it has none. */
static uint32_t offset_code(const ts_conn *c, int64_t ns)
{
    /* ns - first_ns is exact in 64 unsigned bits once ns >= first_ns */
    uint64_t d = (uint64_t)ns - (uint64_t)c->first_ns, us = d / 1000u;
    if (ns < c->first_ns || us * 1000u != d || us >= (uint64_t)UINT32_MAX)
        return 0;
    return (uint32_t)us + 1;
}

static int go_wide(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx)
{
    int64_t *wide = alloc ? alloc(alloc_ctx, TS_CT_COUNT * sizeof *wide) : NULL;
    if (!wide)
        return 0;
    for (unsigned i = 0; i < TS_CT_COUNT; i++)
        wide[i] = tsi_time(c, i);
    c->t.wide_ns = wide;                         /* in the offsets' place */
    c->times_wide = 1;
    return 1;
}

void tsi_set_time(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx, unsigned which, int64_t ns)
{
    uint32_t code;
    if (!c->times_wide) {
        code = ns ? offset_code(c, ns) : 0;      /* time 0 reads as unset, as it always did */
        if (code || !ns) {
            c->t.t_us[which] = code;
            return;
        }
        if (!go_wide(c, alloc, alloc_ctx)) {
            /* no memory: the nearest time an offset holds */
            int64_t d = ns_between(c->first_ns, ns);
            d = d < 0 ? 0 : d / 1000 >= (int64_t)UINT32_MAX - 1 ? (int64_t)UINT32_MAX - 2 : d / 1000;
            c->t.t_us[which] = (uint32_t)d + 1;
            return;
        }
    }
    c->t.wide_ns[which] = ns;
}

/* Every segment: the latest time becomes ns if ns is later.  The common
 * case (an offset can hold ns exactly) compares offset codes, which order
 * as the times they stand for, instead of reading the time back and
 * setting it through tsi_set_time; anything else takes that path. */
void tsi_note_last_time(ts_conn *c, ts_alloc_fn alloc, void *alloc_ctx, int64_t ns)
{
    uint32_t code = !c->times_wide && ns > 0 ? offset_code(c, ns) : 0;
    if (code) {
        if (code > c->t.t_us[TS_CT_LAST])
            c->t.t_us[TS_CT_LAST] = code;
        return;
    }
    if (ns > tsi_time(c, TS_CT_LAST))
        tsi_set_time(c, alloc, alloc_ctx, TS_CT_LAST, ns);
}
