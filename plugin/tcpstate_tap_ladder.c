/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_tap_ladder.c: -z tcpstate,ladder[,filter], a textbook ladder
 * diagram per connection.
 *
 * A connection is drawn when at least one of its packets passed the
 * filter; the ladder still draws every segment of a selected connection,
 * so it keeps a second, unfiltered listener that records the segments.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_tap_common.h"

#include <epan/stat_tap_ui.h>
#include <epan/funnel.h>
#include <epan/stats_tree.h>

/* ---- -z tcpstate,ladder ------------------------------------------------- */

/* Runs of uneventful data segments longer than LADDER_RUN_MAX are kept as
 * their first LADDER_HEAD and last LADDER_TAIL segments around one gap row:
 * memory per connection stays bounded by its eventful segments. */
#define LADDER_HEAD    2
#define LADDER_TAIL    2
#define LADDER_RUN_MAX 6

#define LADDER_LEFT    14   /* column left of the client line */
#define LADDER_INNER   44   /* between the two lines, at least */

/* Connections drawn when no max= is given: a SYN flood of 20,000
 * connections printed 180,007 lines. */
#define LADDER_DEFAULT_MAX 50

typedef struct {
    char       *filter;
    guint       max;        /* connections drawn at most; 0: all */
    conn_set    conns;
    conn_picker pick;       /* which connections the filter selects */
} ladder_tap;

/* A segment that changes nothing and raises nothing: folded into runs.
 * Decided when the segment goes by (first pass in tshark), so a record
 * that also has a one-sided account (TS_REC_ALT, which the end of the
 * capture may make the one shown) must be uneventful in both. */
static gboolean
collapsible(const ts_record *r, uint8_t flags)
{
    if (r->stage != TS_STAGE_DATA && r->stage != TS_STAGE_HALF_CLOSE)
        return FALSE;
    if (r->anomalies || (r->rflags & TS_REC_RETRANS) || (flags & (TS_SYN | TS_FIN | TS_RST)))
        return FALSE;
    if ((r->rflags & TS_REC_ALT) &&
        ((r->alt_stage != TS_STAGE_DATA && r->alt_stage != TS_STAGE_HALF_CLOSE) ||
         (r->alt_states >> 4) != (r->alt_states & 0x0f) ||
         (r->alt_server_states >> 4) != (r->alt_server_states & 0x0f)))
        return FALSE;
    return ts_rec_client_before(r) == ts_rec_client_after(r) &&
           ts_rec_server_before(r) == ts_rec_server_after(r);
}

static void
gap_absorb(ladder_row *gap, const ladder_row *seg)
{
    gap->count++;
    gap->last_frame = seg->frame;
    gap->bytes[seg->from_a ? 0 : 1] += seg->len;
}

static void
ladder_add(conn_info *ci, const tcpstate_tap_info *ti)
{
    ladder_row row;

    memset(&row, 0, sizeof row);
    row.rec = ti->rec;
    row.ts_ns = ti->seg.ts_ns;
    row.frame = ti->frame;
    row.seq = ti->seg.seq;
    row.ack = ti->seg.ack;
    row.len = ti->seg.len;
    row.flags = ti->seg.flags;
    row.from_a = ti->seg.from_a;
    if (!ci->rows)
        ci->rows = g_array_new(FALSE, TRUE, sizeof(ladder_row));

    if (!collapsible(&ti->rec, ti->seg.flags)) {
        g_array_append_val(ci->rows, row);
        ci->run_len = 0;
        ci->run_gap = -1;
        return;
    }
    ci->run_len++;
    if (ci->run_gap < 0) {
        g_array_append_val(ci->rows, row);
        if (ci->run_len == LADDER_RUN_MAX + 1) {
            /* [h1 h2 x1 x2 x3 t1 t2] -> [h1 h2 gap(x1..x3) t1 t2] */
            guint start = ci->rows->len - ci->run_len + LADDER_HEAD;
            guint folded = ci->run_len - LADDER_HEAD - LADDER_TAIL;
            ladder_row gap;
            memset(&gap, 0, sizeof gap);
            gap.frame = g_array_index(ci->rows, ladder_row, start).frame;
            gap.ts_ns = g_array_index(ci->rows, ladder_row, start).ts_ns;
            for (guint k = 0; k < folded; k++)
                gap_absorb(&gap, &g_array_index(ci->rows, ladder_row, start + k));
            g_array_remove_range(ci->rows, start + 1, folded - 1);
            g_array_index(ci->rows, ladder_row, start) = gap;
            ci->run_gap = (int)start;
        }
    } else {
        /* [.. gap t1 t2] + s -> [.. gap+t1 t2 s] */
        ladder_row *r = &g_array_index(ci->rows, ladder_row, ci->run_gap);
        gap_absorb(r, r + 1);
        for (guint k = 1; k < LADDER_TAIL; k++)
            r[k] = r[k + 1];
        r[LADDER_TAIL] = row;
    }
}

static void
ladder_reset(void *tapdata)
{
    ladder_tap *t = (ladder_tap *)tapdata;
    conn_tap_reset(&t->conns, &t->pick);
}

/* Unfiltered: records every segment. */
static tap_packet_status
ladder_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
              const void *data, tap_flags_t flags _U_)
{
    ladder_tap *t = (ladder_tap *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    conn_info *ci;
    if (!ti || !ti->conn || !ti->rec.conn)
        return TAP_PACKET_DONT_REDRAW;
    ci = conn_set_add(&t->conns, ti, ti->conn);
    conn_picker_note(&t->pick, ci, ti, pinfo);
    ladder_add(ci, ti);
    return TAP_PACKET_REDRAW;
}

/* Relative sequence numbers, as Wireshark shows them: the sender's ISN is
 * 0.  A sender whose ISN is unknown (the RST refusing a SYN, sent with
 * SEQ=0 by RFC 9293 3.10.7.1) shows its raw sequence number, marked so. */
static void
segment_text(GString *out, const ts_conn *c, const ladder_row *r)
{
    int snd = (r->from_a == ts_conn_client_is_a(c)) ? TS_CLIENT : TS_SERVER;
    uint32_t my_isn = 0, peer_isn = 0;
    int my_isn_known = ts_conn_isn(c, snd, &my_isn);
    int peer_isn_known = ts_conn_isn(c, !snd, &peer_isn);
    if (r->rec.conn && (r->rec.rflags & TS_REC_ICMP)) {
        /* an ICMP error travelling toward the sender of the segment it
         * quotes: seq is that segment's, in the receiver's numbers */
        if (peer_isn_known)
            g_string_append_printf(out, "ICMP unreachable, quotes seq=%u", r->seq - peer_isn);
        else
            g_string_append_printf(out, "ICMP unreachable, quotes seq=%u (raw)", r->seq);
        return;
    }
    flags_str(out, r->flags);
    if (my_isn_known)
        g_string_append_printf(out, " seq=%u", r->seq - my_isn);
    else
        g_string_append_printf(out, " seq=%u (raw)", r->seq);
    if (r->flags & TS_ACK)
        g_string_append_printf(out, " ack=%u", peer_isn_known ? r->ack - peer_isn : r->ack);
    if (r->len)
        g_string_append_printf(out, " len=%u", r->len);
}

/* One ladder line: left column, client line, middle, server line, right. */
static void
ladder_line(GString *out, const char *left, char bar, const char *mid, size_t inner, const char *right)
{
    put_right(out, left, LADDER_LEFT);
    g_string_append_c(out, ' ');
    g_string_append_c(out, bar);
    put_left(out, mid, inner);
    g_string_append_c(out, bar);
    if (right && *right) {
        g_string_append_c(out, ' ');
        g_string_append(out, right);
    }
    strip_trailing_blanks(out);
    g_string_append_c(out, '\n');
}

static void
arrow(GString *mid, const char *text, size_t inner, gboolean to_server)
{
    GString *t = g_string_new(NULL);
    size_t w, left;
    g_string_printf(t, " %s ", text);
    w = text_width(t->str);
    if (w + 4 > inner)
        left = 2;
    else
        left = (inner - w) / 2;
    g_string_truncate(mid, 0);
    if (to_server) {
        pad(mid, left, '-');
        g_string_append(mid, t->str);
        pad(mid, inner - w - left - 1, '-');
        g_string_append_c(mid, '>');
    } else {
        g_string_append_c(mid, '<');
        pad(mid, left - 1, '-');
        g_string_append(mid, t->str);
        pad(mid, inner - w - left, '-');
    }
    g_string_free(t, TRUE);
}

static char *
state_cell(unsigned state, gboolean changed, gboolean left)
{
    if (!changed)
        return g_strdup(ts_state_name(state));
    return left ? g_strdup_printf("*%s", ts_state_name(state))
                : g_strdup_printf("%s*", ts_state_name(state));
}

static void
ladder_draw_conn(GString *out, const conn_info *ci, int64_t end, int64_t grace)
{
    const ts_conn *c = ci->conn, *v = ts_conn_view(c);
    const ladder_row *rows = (const ladder_row *)(void *)ci->rows->data;
    guint n = ci->rows->len;
    size_t inner = LADDER_INNER;
    int64_t t0 = rows[0].ts_ns;
    GString *mid = g_string_new(NULL), *txt = g_string_new(NULL);
    ts_anomaly_set all = ts_conn_final_anomalies(c, end, grace);
    const char *hist = ts_zeek_history(ts_conn_zeek(c));
    char *l, *r;
    unsigned shown_client, shown_server;

    /* Widen for long labels (wide is fine for odd connections). */
    for (guint i = 0; i < n; i++) {
        size_t w;
        if (!rows[i].rec.conn)
            continue;
        g_string_truncate(txt, 0);
        segment_text(txt, v, &rows[i]);
        w = text_width(txt->str) + 8;
        if (w > inner)
            inner = w;
        w = text_width(stage_label(ts_hindsight(&rows[i].rec, rows[i].frame).stage)) + 20;
        if (w > inner)
            inner = w;
    }

    {
        /* "Stream 3", or "Stream 3 (connection 2 of 2 ...)" when the four-tuple
         * was reused (connections counted from 1 here; tcpstate.conn and
         * the conns table's Conn column count from 0) */
        unsigned total = ts_conn_index(c) + 1;
        for (const ts_conn *n = ts_conn_next(c); n; n = ts_conn_next(n))
            total++;
        if (total > 1) {
            g_string_append_printf(out, "\n");
            g_string_append_printf(out, TAP_TX(TX_LD_STREAM_REUSED_FMT),
                                   ci->stream, ts_conn_index(c) + 1, total);
        } else {
            g_string_append_printf(out, "\n");
            g_string_append_printf(out, TAP_TX(TX_LD_STREAM_FMT), ci->stream);
        }
    }
    g_string_append_printf(out, TAP_TX(TX_LD_ENDPOINTS_FMT), client_str(ci), server_str(ci));
    if (ts_conn_roles_inferred(c))
        g_string_append(out, TAP_TX(TX_LD_ROLES_INFERRED));
    if (ts_conn_one_sided(c))
        g_string_append(out, TAP_TX(TX_LD_ONE_SIDED));
    g_string_append(out, "\n");
    g_string_append_printf(out, TAP_TX(ts_conn_packets(c) == 1 ? TX_LD_SUMMARY_ONE_FMT
                                                               : TX_LD_SUMMARY_FMT),
                           ts_outcome_label(ts_conn_outcome(c), tcpstate_language()),
                           ts_zeek_state_name(ts_zeek_conn_state(ts_conn_zeek(c))),
                           hist[0] ? hist : "-", ts_conn_packets(c));
    if (all)
        anomaly_names(out, all, ", ");
    else
        g_string_append(out, TAP_TX(TX_NONE_WORD));
    g_string_append(out, "\n\n");

    /* Titles centred over the two lines (by display width: CJK is 2). */
    {
        const char *cl = TAP_TX(TX_CLIENT_WORD), *sv = TAP_TX(TX_SERVER_WORD);
        size_t cw = text_width(cl), sw = text_width(sv);
        size_t start = LADDER_LEFT + 1 - cw / 2;                 /* client's first column */
        size_t sv_start = LADDER_LEFT + inner + 2 - sw / 2;      /* server's first column */
        pad(out, start, ' ');
        g_string_append(out, cl);
        pad(out, sv_start - (start + cw), ' ');
        g_string_append(out, sv);
        g_string_append(out, "\n");
    }

    /* Drawn after the whole capture: show every record as known then
     * (a refused SYN met a CLOSED server, crossing SYNs and FINs). */
    {
        ts_record first = ts_hindsight(&rows[0].rec, rows[0].frame);
        shown_client = ts_rec_client_before(&first);
        shown_server = ts_rec_server_before(&first);
    }
    ladder_line(out, ts_state_name(shown_client), '|', "", inner, ts_state_name(shown_server));

    for (guint i = 0; i < n; i++) {
        const ladder_row *row = &rows[i];
        ts_record view;
        const ts_record *rec = NULL;
        char left[32], right[32];
        unsigned stage;
        ts_anomaly_set an;

        if (row->rec.conn) {
            view = ts_hindsight(&row->rec, row->frame);
            rec = &view;
        }
        if (!rec) {
            g_string_printf(txt, TAP_TX(row->count == 1 ? TX_LD_FOLD_ONE_FMT : TX_LD_FOLD_FMT),
                            row->count, row->frame, row->last_frame);
            ladder_line(out, "", ':', "", inner, "");
            g_string_truncate(mid, 0);
            put_centred(mid, txt->str, inner, ' ');
            ladder_line(out, "", ':', mid->str, inner, "");
            g_string_printf(txt, TAP_TX(TX_LD_BYTES_FMT),
                            (unsigned long long)row->bytes[ts_conn_client_is_a(c) ? 0 : 1],
                            (unsigned long long)row->bytes[ts_conn_client_is_a(c) ? 1 : 0]);
            g_string_truncate(mid, 0);
            put_centred(mid, txt->str, inner, ' ');
            ladder_line(out, "", ':', mid->str, inner, "");
            ladder_line(out, "", ':', "", inner, "");
            continue;
        }

        /* the view's stage and anomalies (ts_hindsight: final stage, the
         * one-sided account's), plus the verdicts of the whole capture */
        stage = rec->stage;
        an = rec->anomalies |
             ts_deferred_anomalies(&row->rec, end, grace, row->frame == ts_conn_last_frame(c));

        /* the arrow */
        g_string_truncate(txt, 0);
        segment_text(txt, v, row);
        arrow(mid, txt->str, inner, row->from_a == ts_conn_client_is_a(c));
        g_snprintf(left, sizeof left, "%.6f", (double)(row->ts_ns - t0) / 1e9);
        g_snprintf(right, sizeof right, "#%u", row->frame);
        ladder_line(out, left, '|', mid->str, inner, right);

        /* The states after it, and the stage that moved them.  A star marks
         * a state that differs from the one shown above: what the reader
         * sees change (the record's own "before" can differ, e.g. a refused
         * SYN's server, first taken to be listening). */
        l = state_cell(ts_rec_client_after(rec), ts_rec_client_after(rec) != shown_client, TRUE);
        r = state_cell(ts_rec_server_after(rec), ts_rec_server_after(rec) != shown_server, FALSE);
        shown_client = ts_rec_client_after(rec);
        shown_server = ts_rec_server_after(rec);
        g_string_printf(txt, "%s%s", stage_label(stage),
                        (rec->rflags & TS_REC_RETRANS) ? TAP_TX(TX_LD_RETRANS) : "");
        g_string_truncate(mid, 0);
        put_centred(mid, txt->str, inner, ' ');
        ladder_line(out, l, '|', mid->str, inner, r);
        g_free(l);
        g_free(r);

        for (unsigned k = 0; k < TS_ANOMALY_COUNT; k++) {
            if (!(an & TS_BIT(k)))
                continue;
            g_string_printf(txt, "! %s", ts_anomaly_name(k));
            g_string_truncate(mid, 0);
            put_centred(mid, txt->str, inner, ' ');
            ladder_line(out, "", '|', mid->str, inner, "");
        }
    }
    g_string_free(mid, TRUE);
    g_string_free(txt, TRUE);
}

/* The whole ladder text: header, then the selected connections (only
 * those with an anomaly when only_anomalies), at most t->max of them. */
static void
ladder_text(GString *text, ladder_tap *t, gboolean only_anomalies, ts_text_id more_hint)
{
    int64_t end = tcpstate_capture_end_ns(), grace = tcpstate_grace_ns();
    GString *out = g_string_new(NULL);
    guint shown = 0, selected = 0;

    conn_picker_settle(&t->pick);
    g_ptr_array_sort(t->conns.list, conn_info_cmp);
    for (guint i = 0; i < t->conns.list->len; i++) {
        const conn_info *ci = (const conn_info *)g_ptr_array_index(t->conns.list, i);
        if (!ci->selected || !ci->rows || !ci->rows->len)
            continue;
        if (only_anomalies && !ts_conn_final_anomalies(ci->conn, end, grace))
            continue;
        selected++;
        if (t->max && shown >= t->max)
            continue;
        ladder_draw_conn(out, ci, end, grace);
        shown++;
    }
    g_string_append_printf(text, "%s\n%s\n", RULE, TAP_TX(TX_LD_TITLE));
    g_string_append_printf(text, TAP_TX(TX_FILTER_LINE_FMT),
                           t->filter && *t->filter ? t->filter : TAP_TX(TX_NO_FILTER));
    g_string_append_printf(text, "%s\n", only_anomalies ? TAP_TX(TX_LD_ONLY_ANOMALIES) : "");
    if (shown < selected)
        g_string_append_printf(text, TAP_TX(TX_LD_COUNT_CAP_FMT), shown, selected, shown,
                               TAP_TX(more_hint));
    else
        g_string_append_printf(text, TAP_TX(TX_LD_COUNT_FMT), shown);
    g_string_append(text, "\n");
    g_string_append(text, TAP_TX(TX_LD_LEGEND));
    g_string_append(text, out->str);
    g_string_append_printf(text, "%s\n", RULE);
    g_string_free(out, TRUE);
}

static void
ladder_draw(void *tapdata)
{
    GString *text = g_string_new(NULL);
    ladder_text(text, (ladder_tap *)tapdata, FALSE, TX_LD_MORE_CLI);
    printf("%s", text->str);
    g_string_free(text, TRUE);
}

static void
ladder_finish(void *tapdata)
{
    ladder_tap *t = (ladder_tap *)tapdata;
    conn_tap_free(&t->conns, &t->pick, t->filter);
    g_free(t);
}

static TS_STAT_INIT_RET
ladder_init(const char *opt_arg, void *userdata _U_)
{
    ladder_tap *t = g_new0(ladder_tap, 1);
    const char *filter = filter_of(opt_arg, "tcpstate,ladder");

    /* -z tcpstate,ladder[,max=N][,FILTER] */
    t->max = LADDER_DEFAULT_MAX;
    if (filter && strncmp(filter, "max=", 4) == 0) {
        const char *num = filter + 4, *comma = strchr(num, ',');
        char *endp = NULL;
        unsigned long v = strtoul(num, &endp, 10);
        if (endp == num || (*endp && *endp != ',') || *num == '-' || v > G_MAXUINT) {
            tap_cli_error(TX_ERR_LADDER_MAX,
                          (int)(comma ? (size_t)(comma - num) : strlen(num)), num);
            g_free(t);
            TS_STAT_INIT_RETURN(FALSE);
        }
        t->max = (guint)v;
        filter = comma && comma[1] ? comma + 1 : NULL;
    }
    t->filter = g_strdup(filter);
    conn_set_init(&t->conns);
    TS_STAT_INIT_RETURN(conn_tap_start(t, &t->conns, &t->pick, t->filter, "tcpstate,ladder",
                                       ladder_reset, ladder_packet, ladder_draw, ladder_finish));
}


/* ---- Statistics > TCP Connection States: Ladder (GUI) --------------------
 * A text window through Wireshark's "funnel" API (epan/funnel.h, the C side
 * of Lua's register_menu and TextWindow; funnel_register_menu and
 * funnel_get_funnel_ops are exported).  Clicking the menu item registers a
 * ladder listener for the connections the current display filter selects
 * (all of them without one) and asks for a retap; its draw callback fills
 * the window.  Buttons redraw from what was collected (only connections
 * with anomalies, all, more than 50) or set the display filter. */

#define WINDOW_MAX 50

/* A funnel button's callback returns bool from 4.2 on (gboolean before). */
#if TS_WS_AT_LEAST(4, 2)
typedef bool ts_button_ret;
#else
typedef gboolean ts_button_ret;
#endif

typedef struct {
    ladder_tap *t;
    funnel_text_window_t *win;
    gboolean only_anomalies;
    gboolean drawn;         /* the retap has filled t */
} ladder_window;

static void
window_fill(ladder_window *w)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    GString *text = g_string_new(NULL);

    if (!ops || !w->win)
        return;
    ladder_text(text, w->t, w->only_anomalies, TX_LD_MORE_GUI);
    ops->set_text(w->win, text->str);
    g_string_free(text, TRUE);
}

static void
window_draw(void *tapdata)
{
    ladder_window *w = (ladder_window *)tapdata;
    w->drawn = TRUE;
    window_fill(w);
}

static tap_packet_status
window_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt, const void *data,
              tap_flags_t flags)
{
    return ladder_packet(((ladder_window *)tapdata)->t, pinfo, edt, data, flags);
}

static void
window_reset(void *tapdata)
{
    ladder_reset(((ladder_window *)tapdata)->t);
}

/* The listener goes with the window (window_closed) or with the capture
 * file's taps; either way the ladder's data goes with it. */
static void
window_finish(void *tapdata)
{
    ladder_window *w = (ladder_window *)tapdata;
    if (w->t)
        ladder_finish(w->t);
    w->t = NULL;
    w->win = NULL;
    g_free(w);
}

static void
window_closed(void *data)
{
    ladder_window *w = (ladder_window *)data;
    w->win = NULL;
    remove_tap_listener(w);     /* window_finish frees w */
}

static ts_button_ret
button_only_anomalies(funnel_text_window_t *tw _U_, void *data)
{
    ladder_window *w = (ladder_window *)data;
    w->only_anomalies = TRUE;
    if (w->drawn)
        window_fill(w);
    return TRUE;
}

static ts_button_ret
button_all(funnel_text_window_t *tw _U_, void *data)
{
    ladder_window *w = (ladder_window *)data;
    w->only_anomalies = FALSE;
    if (w->drawn)
        window_fill(w);
    return TRUE;
}

static ts_button_ret
button_no_cap(funnel_text_window_t *tw _U_, void *data)
{
    ladder_window *w = (ladder_window *)data;
    w->t->max = 0;
    if (w->drawn)
        window_fill(w);
    return TRUE;
}

/* Sets the packet list's display filter to the connections with anomalies. */
static ts_button_ret
button_filter_anomalies(funnel_text_window_t *tw _U_, void *data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    if (ops && ops->set_filter && ops->apply_filter) {
        ops->set_filter(ops->ops_id, "tcpstate.conn.anomaly");
        ops->apply_filter(ops->ops_id);
    }
    return TRUE;
}

static void
add_button(const funnel_ops_t *ops, ladder_window *w, const char *label, funnel_bt_cb_t cb)
{
    funnel_bt_t *bt = g_new0(funnel_bt_t, 1);
    bt->tw = w->win;
    bt->func = cb;
    bt->data = w;
    bt->free_fcn = g_free;      /* the GUI frees the button with the window */
    bt->free_data_fcn = NULL;   /* w is freed by window_finish */
    ops->add_button(w->win, bt, label);
}

static void
ladder_menu(gpointer data _U_)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    const char *filter;
    ladder_window *w;
    GString *err;

    if (!ops || !ops->new_text_window)
        return;
    filter = ops->get_filter ? ops->get_filter(ops->ops_id) : NULL;
    w = g_new0(ladder_window, 1);
    w->t = g_new0(ladder_tap, 1);
    w->t->max = WINDOW_MAX;
    w->t->filter = filter && *filter ? g_strdup(filter) : NULL;
    conn_set_init(&w->t->conns);
    err = register_tap_listener(TCPSTATE_TAP_NAME, w, NULL, TL_REQUIRES_NOTHING, window_reset,
                                window_packet, window_draw, window_finish);
    if (err) {
        g_string_free(err, TRUE);
        ladder_finish(w->t);
        g_free(w);
        return;
    }
    /* a display filter that was applied compiles: no error expected here */
    err = conn_picker_start(&w->t->pick, &w->t->conns, w->t->filter);
    if (err)
        g_string_free(err, TRUE);
    w->win = ops->new_text_window(ops->ops_id, TAP_TX(TX_LW_TITLE));
    ops->set_text(w->win, TAP_TX(TX_LW_READING));
    ops->set_close_cb(w->win, window_closed, w);
    add_button(ops, w, TAP_TX(TX_LW_ONLY_ANOMALIES), button_only_anomalies);
    add_button(ops, w, TAP_TX(TX_LW_ALL), button_all);
    add_button(ops, w, TAP_TX(TX_LW_DRAW_ALL), button_no_cap);
    add_button(ops, w, TAP_TX(TX_LW_FILTER_ANOMALIES), button_filter_anomalies);
    /* Fill it: retap now, as Lua's retap_packets() does (Wireshark 4.0 was
     * seen drawing the window empty when left to its own retap flag). */
    if (ops->retap_packets)
        ops->retap_packets(ops->ops_id);
}

void
tcpstate_register_tap_ladder_window(void)
{
    funnel_register_menu(ts_text(TX_REG_LADDER_MENU, TS_LANG_EN), REGISTER_PACKET_STAT_GROUP_UNSORTED,
                         ladder_menu, NULL, NULL, FALSE);
}

static stat_tap_ui ladder_ui = {
    REGISTER_STAT_GROUP_GENERIC, NULL, "tcpstate,ladder", ladder_init, 0, NULL
};

void
tcpstate_register_tap_ladder(void)
{
    ladder_ui.title = ts_text(TX_REG_LADDER_CLI, TS_LANG_EN);
    register_stat_tap_ui(&ladder_ui, NULL);
}
