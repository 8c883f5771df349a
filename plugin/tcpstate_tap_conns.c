/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_tap_conns.c: -z tcpstate,conns[,filter], one row per connection.
 *
 * A display filter selects packets as Wireshark's own taps do; a
 * connection is shown when at least one of its packets passed the filter.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_tap_common.h"

#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>

/* ---- -z tcpstate,conns -------------------------------------------------- */

typedef struct {
    char       *filter;
    conn_set    conns;
    conn_picker pick;       /* which connections the filter selects */
} conns_tap;

static void
conns_reset(void *tapdata)
{
    conns_tap *t = (conns_tap *)tapdata;
    conn_tap_reset(&t->conns, &t->pick);
}

/* Unfiltered: sees every connection; the picker decides which are shown. */
static tap_packet_status
conns_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
             const void *data, tap_flags_t flags _U_)
{
    conns_tap *t = (conns_tap *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    if (!ti || !ti->conn)
        return TAP_PACKET_DONT_REDRAW;
    conn_picker_note(&t->pick, conn_set_add(&t->conns, ti, ti->conn), ti, pinfo);
    return TAP_PACKET_REDRAW;
}

static void
conns_draw(void *tapdata)
{
    conns_tap *t = (conns_tap *)tapdata;
    int64_t end = tcpstate_capture_end_ns(), grace = tcpstate_grace_ns();
    size_t width[CC_COUNT];
    GPtrArray *cells;   /* char *[CC_COUNT] per row */
    GString *line = g_string_new(NULL);
    guint i;

    conn_picker_settle(&t->pick);
    conn_set_add_successors(&t->conns);
    g_ptr_array_sort(t->conns.list, conn_info_cmp);

    for (i = 0; i < CC_COUNT; i++)
        width[i] = text_width(conns_title(i, tcpstate_language()));
    cells = g_ptr_array_new();
    for (i = 0; i < t->conns.list->len; i++) {
        const conn_info *ci = (const conn_info *)g_ptr_array_index(t->conns.list, i);
        char **row;

        if (!ci->selected)
            continue;
        row = g_new0(char *, CC_COUNT);
        conn_cells(ci, end, grace, row);
        for (int k = 0; k < CC_COUNT; k++) {
            size_t w = text_width(row[k]);
            if (w > width[k])
                width[k] = w;
        }
        g_ptr_array_add(cells, row);
    }

    print_header(TAP_TX(TX_CONNS_TITLE), t->filter);
    printf(TAP_TX(TX_CONNS_COUNT_FMT), cells->len);
    printf("\n");
    printf("\n");
    for (int k = 0; k < CC_COUNT; k++) {
        if (k)
            g_string_append(line, "  ");
        if (conns_right[k])
            put_right(line, conns_title(k, tcpstate_language()), width[k]);
        else
            put_left(line, conns_title(k, tcpstate_language()), width[k]);
    }
    strip_trailing_blanks(line);
    printf("%s\n", line->str);
    for (i = 0; i < cells->len; i++) {
        char **row = (char **)g_ptr_array_index(cells, i);
        g_string_truncate(line, 0);
        for (int k = 0; k < CC_COUNT; k++) {
            if (k)
                g_string_append(line, "  ");
            if (conns_right[k])
                put_right(line, row[k], width[k]);
            else
                put_left(line, row[k], width[k]);
            g_free(row[k]);
        }
        g_free(row);
        strip_trailing_blanks(line);
        printf("%s\n", line->str);
    }
    printf("%s\n", RULE);
    g_ptr_array_free(cells, TRUE);
    g_string_free(line, TRUE);
}

static void
conns_finish(void *tapdata)
{
    conns_tap *t = (conns_tap *)tapdata;
    conn_tap_free(&t->conns, &t->pick, t->filter);
    g_free(t);
}

static TS_STAT_INIT_RET
conns_init(const char *opt_arg, void *userdata _U_)
{
    conns_tap *t = g_new0(conns_tap, 1);
    const char *filter = filter_of(opt_arg, "tcpstate,conns");

    t->filter = g_strdup(filter);
    conn_set_init(&t->conns);
    TS_STAT_INIT_RETURN(conn_tap_start(t, &t->conns, &t->pick, filter, "tcpstate,conns",
                                       conns_reset, conns_packet, conns_draw, conns_finish));
}

static stat_tap_ui conns_ui = {
    REGISTER_STAT_GROUP_GENERIC, "TCP connection states", "tcpstate,conns", conns_init, 0, NULL
};

void
tcpstate_register_tap_conns(void)
{
    register_stat_tap_ui(&conns_ui, NULL);
}
