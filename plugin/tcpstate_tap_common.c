/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_tap_common.c: helpers shared by the tcpstate statistics (see
 * tcpstate_tap_common.h).
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_tap_common.h"

#include <epan/epan.h>
#include <epan/dfilter/dfilter.h>

#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>

/* ---- Small helpers ------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal: East Asian wide characters
 * (the Chinese stage labels) take two. */
size_t
text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    while (*p) {
        uint32_t cp;
        int n;
        if (*p < 0x80) { cp = *p; n = 1; }
        else if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; n = 2; }
        else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; n = 3; }
        else { cp = *p & 0x07; n = 4; }
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) { n = i; break; }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += n;
        if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
            (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
            (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
            (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD))
            w += 2;
        else
            w += 1;
    }
    return w;
}

void
pad(GString *out, size_t n, char c)
{
    while (n--)
        g_string_append_c(out, c);
}

/* Appends s left-aligned (or right-aligned) in a field of width columns. */
void
put_left(GString *out, const char *s, size_t width)
{
    size_t w = text_width(s);
    g_string_append(out, s);
    if (w < width)
        pad(out, width - w, ' ');
}

void
put_right(GString *out, const char *s, size_t width)
{
    size_t w = text_width(s);
    if (w < width)
        pad(out, width - w, ' ');
    g_string_append(out, s);
}

/* Appends s centred in width columns filled with fill. */
void
put_centred(GString *out, const char *s, size_t width, char fill)
{
    size_t w = text_width(s), left;
    if (w >= width) {
        g_string_append(out, s);
        return;
    }
    left = (width - w) / 2;
    pad(out, left, fill);
    g_string_append(out, s);
    pad(out, width - w - left, fill);
}

void
strip_trailing_blanks(GString *s)
{
    while (s->len && s->str[s->len - 1] == ' ')
        g_string_truncate(s, s->len - 1);
}

/* "SYN", "SYN,ACK", "FIN,PSH,ACK", ... in the order a textbook names them. */
void
flags_str(GString *out, uint8_t flags)
{
    static const struct { uint8_t bit; const char *name; } names[] = {
        { TS_SYN, "SYN" }, { TS_FIN, "FIN" }, { TS_RST, "RST" }, { TS_PSH, "PSH" },
        { TS_ACK, "ACK" }, { TS_URG, "URG" }, { TS_ECE, "ECE" }, { TS_CWR, "CWR" },
    };
    gboolean first = TRUE;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!(flags & names[i].bit))
            continue;
        if (!first)
            g_string_append_c(out, ',');
        g_string_append(out, names[i].name);
        first = FALSE;
    }
    if (first)
        g_string_append(out, "(no flags)");
}

void
anomaly_names(GString *out, ts_anomaly_set set, const char *sep)
{
    gboolean first = TRUE;
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++) {
        if (!(set & TS_BIT(an)))
            continue;
        if (!first)
            g_string_append(out, sep);
        g_string_append(out, ts_anomaly_name(an));
        first = FALSE;
    }
}

void
print_header(const char *title, const char *filter)
{
    printf("%s\n%s\n", RULE, title);
    printf(TAP_TX(TX_FILTER_LINE_FMT), filter && *filter ? filter : TAP_TX(TX_NO_FILTER));
    printf("\n");
}

/* The optional ",filter" after the -z name: NULL when there is none. */
const char *
filter_of(const char *opt_arg, const char *cli)
{
    size_t n = strlen(cli);
    if (strncmp(opt_arg, cli, n) == 0 && opt_arg[n] == ',' && opt_arg[n + 1])
        return opt_arg + n + 1;
    return NULL;
}

/* ---- Times of a connection: the core answers (ts_conn_time_*) ----------- */

char *
ms_str(gboolean valid, int64_t ns)
{
    if (!valid)
        return g_strdup("-");
    return g_strdup_printf("%" PRId64 ".%03" PRId64, ns / 1000000, (ns / 1000) % 1000);
}

/* ---- Connections seen by a listener ------------------------------------- */


void
conn_info_free(gpointer p)
{
    conn_info *ci = (conn_info *)p;
    g_free(ci->ep_str[0]);
    g_free(ci->ep_str[1]);
    if (ci->rows)
        g_array_free(ci->rows, TRUE);
    if (ci->recs)
        g_array_free(ci->recs, TRUE);
    g_free(ci);
}

void
conn_set_init(conn_set *cs)
{
    cs->by_conn = g_hash_table_new(g_direct_hash, g_direct_equal);
    cs->list = g_ptr_array_new_with_free_func(conn_info_free);
}

void
conn_set_clear(conn_set *cs)
{
    g_hash_table_remove_all(cs->by_conn);
    g_ptr_array_set_size(cs->list, 0);
}

void
conn_set_free(conn_set *cs)
{
    if (cs->by_conn)
        g_hash_table_destroy(cs->by_conn);
    if (cs->list)
        g_ptr_array_free(cs->list, TRUE);
    cs->by_conn = NULL;
    cs->list = NULL;
}

char *
endpoint_str(const address *addr, const char *s, uint16_t port)
{
    if (addr->type == AT_IPv6)
        return g_strdup_printf("[%s]:%u", s ? s : "?", port);
    return g_strdup_printf("%s:%u", s ? s : "?", port);
}

conn_info *
conn_set_add(conn_set *cs, const tcpstate_tap_info *ti, const ts_conn *conn)
{
    conn_info *ci = (conn_info *)g_hash_table_lookup(cs->by_conn, conn);
    if (ci)
        return ci;
    ci = g_new0(conn_info, 1);
    ci->conn = conn;
    ci->stream = ti->stream;
    ci->run_gap = -1;
    if (ti->seg.from_a) {
        ci->ep_str[0] = endpoint_str(&ti->src, ti->src_str, ti->srcport);
        ci->ep_str[1] = endpoint_str(&ti->dst, ti->dst_str, ti->dstport);
    } else {
        ci->ep_str[0] = endpoint_str(&ti->dst, ti->dst_str, ti->dstport);
        ci->ep_str[1] = endpoint_str(&ti->src, ti->src_str, ti->srcport);
    }
    g_hash_table_insert(cs->by_conn, (gpointer)conn, ci);
    g_ptr_array_add(cs->list, ci);
    return ci;
}

/* Later connections on a stream (conn->next) that no packet brought in:
 * none in practice, as every connection has packets, but walking the chain
 * keeps the list whole.  They inherit the stream's endpoints. */
void
conn_set_add_successors(conn_set *cs)
{
    guint n = cs->list->len;
    for (guint i = 0; i < n; i++) {
        conn_info *ci = (conn_info *)g_ptr_array_index(cs->list, i);
        for (const ts_conn *c = ts_conn_next(ci->conn); c; c = ts_conn_next(c)) {
            conn_info *nc;
            if (g_hash_table_lookup(cs->by_conn, c))
                continue;
            nc = g_new0(conn_info, 1);
            nc->conn = c;
            nc->stream = ci->stream;
            nc->run_gap = -1;
            nc->selected = ci->selected;
            nc->ep_str[0] = g_strdup(ci->ep_str[0]);
            nc->ep_str[1] = g_strdup(ci->ep_str[1]);
            g_hash_table_insert(cs->by_conn, (gpointer)c, nc);
            g_ptr_array_add(cs->list, nc);
        }
    }
}

gint
conn_info_cmp(gconstpointer a, gconstpointer b)
{
    const conn_info *x = *(const conn_info *const *)a;
    const conn_info *y = *(const conn_info *const *)b;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    if (ts_conn_index(x->conn) != ts_conn_index(y->conn))
        return ts_conn_index(x->conn) < ts_conn_index(y->conn) ? -1 : 1;
    return 0;
}

const char *
client_str(const conn_info *ci)
{
    return ci->ep_str[ts_conn_client_is_a(ci->conn) ? 0 : 1];
}

const char *
server_str(const conn_info *ci)
{
    return ci->ep_str[ts_conn_client_is_a(ci->conn) ? 1 : 0];
}

/* ---- The connections table's cells -------------------------------------- */

static const ts_text_id conns_title_ids[CC_COUNT] = {
    TX_CC_STREAM, TX_CC_CONN, TX_CC_CLIENT, TX_CC_SERVER, TX_CC_CSTATE, TX_CC_SSTATE,
    TX_CC_OUTCOME, TX_CC_HS1, TX_CC_HS2, TX_CC_TEARDOWN, TX_CC_PACKETS, TX_CC_ZEEK,
    TX_CC_HISTORY, TX_CC_ANOMALIES,
};

const char *
conns_title(unsigned column, ts_lang lang)
{
    return column < CC_COUNT ? ts_text(conns_title_ids[column], lang) : "";
}

const gboolean conns_right[CC_COUNT] = {
    TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE,
    TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE,
};

void
conn_cells(const conn_info *ci, int64_t end, int64_t grace, char **row)
{
    const ts_conn *c = ci->conn;
    int64_t ns = 0;
    gboolean ok;
    GString *an;
    ts_anomaly_set set;
    const char *hist;

    row[CC_STREAM] = g_strdup_printf("%u", ci->stream);
    row[CC_CONN] = g_strdup_printf("%u", ts_conn_index(c));
    row[CC_CLIENT] = ts_conn_roles_inferred(c)
                     ? g_strdup_printf(TAP_TX(TX_INFERRED_SUFFIX_FMT), client_str(ci))
                                       : g_strdup(client_str(ci));
    row[CC_SERVER] = g_strdup(server_str(ci));
    row[CC_CSTATE] = g_strdup(ts_state_name(ts_conn_final_state(c, TS_CLIENT)));
    /* one-sided: no server segment was captured, its state is inferred */
    row[CC_SSTATE] = ts_conn_one_sided(c)
                     ? g_strdup_printf(TAP_TX(TX_INFERRED_SUFFIX_FMT),
                                       ts_state_name(ts_conn_final_state(c, TS_SERVER)))
                     : g_strdup(ts_state_name(ts_conn_final_state(c, TS_SERVER)));
    row[CC_OUTCOME] = g_strdup(ts_outcome_label(ts_conn_outcome(c), tcpstate_language()));
    ok = ts_conn_time_syn_synack(c, &ns);
    row[CC_HS1] = ms_str(ok, ns);
    ok = ts_conn_time_synack_ack(c, &ns);
    row[CC_HS2] = ms_str(ok, ns);
    ok = ts_conn_time_teardown(c, &ns);
    row[CC_TEARDOWN] = ms_str(ok, ns);
    row[CC_PACKETS] = g_strdup_printf("%u", ts_conn_packets(c));
    row[CC_ZEEK] = g_strdup(ts_zeek_state_name(ts_zeek_conn_state(ts_conn_zeek(c))));
    hist = ts_zeek_history(ts_conn_zeek(c));
    row[CC_HISTORY] = g_strdup(hist[0] ? hist : "-");
    set = ts_conn_final_anomalies(c, end, grace);
    an = g_string_new(NULL);
    anomaly_names(an, set, ",");
    row[CC_ANOMALIES] = g_string_free(an, set == 0);
    if (!row[CC_ANOMALIES])
        row[CC_ANOMALIES] = g_strdup("-");
}

/* ---- conn_picker ----------------------------------------------------------- */

/* dfilter_compile reports errors in a df_error_t from 4.2 on. */
static struct epan_dfilter *
compile_filter(const char *text)
{
    dfilter_t *df = NULL;
#if TS_WS_AT_LEAST(4, 2)
    df_error_t *err = NULL;
    if (!dfilter_compile(text, &df, &err))
        df = NULL;
    if (err)
        df_error_free(&err);
#else
    char *err = NULL;
    if (!dfilter_compile(text, &df, &err))
        df = NULL;
    g_free(err);
#endif
    return df;
}

static tap_packet_status
picker_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
              const void *data, tap_flags_t flags _U_)
{
    conn_picker *p = (conn_picker *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    if (!ti || !ti->conn)
        return TAP_PACKET_DONT_REDRAW;
    conn_set_add(p->set, ti, ti->conn)->selected = TRUE;
    return TAP_PACKET_REDRAW;
}

static void
picker_finish(void *tapdata)
{
    ((conn_picker *)tapdata)->on = FALSE;
}

GString *
conn_picker_start(conn_picker *p, conn_set *set, const char *filter)
{
    GString *err;

    memset(p, 0, sizeof *p);
    p->set = set;
    if (!filter || !*filter)
        return NULL;
    err = register_tap_listener(TCPSTATE_TAP_NAME, p, filter, TL_REQUIRES_NOTHING,
                                NULL, picker_packet, NULL, picker_finish);
    if (err)
        return err;
    p->on = TRUE;
    p->filter = g_strdup(filter);
    p->df = compile_filter(filter);
    return NULL;
}

void
conn_picker_note(conn_picker *p, conn_info *ci, const tcpstate_tap_info *ti, packet_info *pinfo)
{
    conn_rec r;

    if (!p->filter) {
        ci->selected = TRUE;
        return;
    }
    if (ti->visited)
        return;                 /* a second pass filters on the final facts itself */
    p->first_pass_seen = TRUE;
    p->epan = pinfo->epan;
    if (!ci->recs)
        ci->recs = g_array_new(FALSE, FALSE, sizeof(conn_rec));
    r.rec = ti->rec;
    r.frame = ti->frame;
    g_array_append_val(ci->recs, r);
}

void
conn_picker_settle(conn_picker *p)
{
    guint i, k;

    if (!p->filter || !p->df || !p->first_pass_seen)
        return;
    for (i = 0; i < p->set->list->len; i++) {
        conn_info *ci = (conn_info *)g_ptr_array_index(p->set->list, i);
        if (ci->selected || !ci->recs)
            continue;
        for (k = 0; k < ci->recs->len && !ci->selected; k++) {
            const conn_rec *r = &g_array_index(ci->recs, conn_rec, k);
            ci->selected = tcpstate_final_record_matches(p->df, p->epan, &r->rec, r->frame);
        }
    }
}

void
conn_picker_stop(conn_picker *p)
{
    if (p->on) {
        p->on = FALSE;
        remove_tap_listener(p);
    }
    if (p->df)
        dfilter_free(p->df);
    p->df = NULL;
    g_free(p->filter);
    p->filter = NULL;
}

/* ---- What the -z statistics do alike at start and end -------------------- */

void
tap_cli_error(ts_text_id fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tshark: ");
    va_start(ap, fmt);
    vfprintf(stderr, TAP_TX(fmt), ap);
    va_end(ap);
    fputc('\n', stderr);
}

gboolean
conn_tap_start(void *t, conn_set *conns, conn_picker *pick, const char *filter,
               const char *cli, tap_reset_cb reset, tap_packet_cb packet,
               tap_draw_cb draw, tap_finish_cb finish)
{
    /* The picker's filtered listener is registered after the statistic's
     * own: listeners are finished newest first at exit, so the picker is
     * gone (on == FALSE) before finish would remove it. */
    GString *err = register_tap_listener(TCPSTATE_TAP_NAME, t, NULL, TL_REQUIRES_NOTHING,
                                         reset, packet, draw, finish);
    if (err) {
        finish(t);                  /* nothing to stop yet: frees t */
    } else {
        err = conn_picker_start(pick, conns, filter);
        if (err)
            remove_tap_listener(t); /* calls finish: frees t */
    }
    if (!err)
        return TRUE;
    tap_cli_error(TX_ERR_TAP_REGISTER, cli, err->str);
    g_string_free(err, TRUE);
    return FALSE;
}

void
conn_tap_reset(conn_set *conns, conn_picker *pick)
{
    conn_set_clear(conns);
    pick->first_pass_seen = FALSE;
}

void
conn_tap_free(conn_set *conns, conn_picker *pick, char *filter)
{
    conn_picker_stop(pick);
    conn_set_free(conns);
    g_free(filter);
}
