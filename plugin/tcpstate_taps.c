/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_taps.c: the statistics built on the "tcpstate" tap.
 *
 *   tshark -q -z tcpstate,conns[,filter]    one row per connection
 *   tshark -q -z tcpstate,ladder[,filter]   a ladder diagram per connection
 *   tshark -q -z tcpstate,tree[,filter]     counters (also a GUI Statistics entry)
 *
 * What is valid when (see tcpstate_glue.h): the record and connection
 * pointers live in file scope; during tshark's single pass a connection is
 * only complete once the whole file was read, and deferred anomalies
 * (syn_unanswered, fin_unacked, open_at_capture_end, ...) are only known
 * then.  So everything that depends on the whole connection is computed at
 * draw time from the final ts_conn (and tcpstate_capture_end_ns(),
 * tcpstate_grace_ns()), never from what the connection looked like when a
 * packet went by.  That works the same in one pass and with -2.
 *
 * Final facts (states, outcome, anomalies, stages) are read from the
 * connection's final account, ts_conn_view() and ts_hindsight(): for a
 * one-sided capture (only the client's segments) that is the account with
 * the server segments the client's acknowledgments prove, not the
 * connection as captured.  Times come from captured segments only.
 *
 * A display filter selects packets as Wireshark's own taps do; a
 * connection is shown (conns, ladder) or counted per connection (tree) when
 * at least one of its packets passed the filter.  The ladder still draws
 * every segment of a selected connection, so it keeps a second, unfiltered
 * listener that records the segments.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ws_version.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>

#include "tcpstate_core.h"
#include "tcpstate_glue.h"

/* ---- Wireshark API differences (see /tmp/brief/ws-api-compat.md) ------- */

#define TS_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* stat_tap_init_cb returns bool from 4.6 on. */
#if TS_WS_AT_LEAST(4, 6)
#define TS_STAT_INIT_RET bool
#define TS_STAT_INIT_RETURN(ok) return (ok)
#else
#define TS_STAT_INIT_RET void
#define TS_STAT_INIT_RETURN(ok) do { if (!(ok)) exit(1); return; } while (0)
#endif

#define RULE "================================================================================"

/* ---- Small helpers ------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal: East Asian wide characters
 * (the Chinese stage labels) take two. */
static size_t
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

static void
pad(GString *out, size_t n, char c)
{
    while (n--)
        g_string_append_c(out, c);
}

/* Appends s left-aligned (or right-aligned) in a field of width columns. */
static void
put_left(GString *out, const char *s, size_t width)
{
    size_t w = text_width(s);
    g_string_append(out, s);
    if (w < width)
        pad(out, width - w, ' ');
}

static void
put_right(GString *out, const char *s, size_t width)
{
    size_t w = text_width(s);
    if (w < width)
        pad(out, width - w, ' ');
    g_string_append(out, s);
}

/* Appends s centred in width columns filled with fill. */
static void
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

static void
strip_trailing_blanks(GString *s)
{
    while (s->len && s->str[s->len - 1] == ' ')
        g_string_truncate(s, s->len - 1);
}

static const char *
stage_label(unsigned stage)
{
    return tcpstate_language() == TS_LANG_ZH ? ts_stage_label_zh(stage) : ts_stage_label(stage);
}

/* "SYN", "SYN,ACK", "FIN,PSH,ACK", ... in the order a textbook names them. */
static void
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

static void
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

static void
print_header(const char *title, const char *filter)
{
    printf("%s\n%s\nFilter: %s\n", RULE, title, filter && *filter ? filter : "<No Filter>");
}

/* The optional ",filter" after the -z name: NULL when there is none. */
static const char *
filter_of(const char *opt_arg, const char *cli)
{
    size_t n = strlen(cli);
    if (strncmp(opt_arg, cli, n) == 0 && opt_arg[n] == ',' && opt_arg[n + 1])
        return opt_arg + n + 1;
    return NULL;
}

/* ---- Times of a connection, from the final ts_conn ---------------------- */

/* The helpers below take the final account v = ts_conn_view(c).  In a
 * one-sided account (v != c) every server segment was put in by the core
 * at the time of the client segment that proved it: no time may rest on
 * one.  The client's SYN, handshake ACK, FIN and final ACK were captured. */
static gboolean
one_sided(const ts_conn *v, const ts_conn *c)
{
    return v != c;
}

/* The client SYN a SYN-ACK answered: its latest SYN, unless that came after
 * the SYN-ACK (then the first one).  A simultaneous open has no such pair
 * (each side's SYN-ACK answers the other's SYN): its handshake is not timed. */
static gboolean
syn_time(const ts_conn *c, int64_t *ns)
{
    const ts_endpoint *cl = &c->ep[TS_CLIENT];
    if (c->roles_inferred || c->simultaneous_open || !cl->syn_seen || !cl->syn_frame)
        return FALSE;
    *ns = (c->synack_frame && cl->syn_last_ns > c->synack_ns) ? cl->syn_ns : cl->syn_last_ns;
    return TRUE;
}

static gboolean
time_syn_synack(const ts_conn *c, const ts_conn *captured, int64_t *ns)
{
    int64_t syn;
    if (one_sided(c, captured) || !c->synack_frame || !syn_time(c, &syn) || c->synack_ns < syn)
        return FALSE;
    *ns = c->synack_ns - syn;
    return TRUE;
}

static gboolean
time_synack_ack(const ts_conn *c, const ts_conn *captured, int64_t *ns)
{
    if (one_sided(c, captured) || c->simultaneous_open || !c->synack_frame || !c->hs_ack_frame || c->hs_ack_ns < c->synack_ns)
        return FALSE;
    *ns = c->hs_ack_ns - c->synack_ns;
    return TRUE;
}

/* Whole handshake: the answered SYN to the handshake's ACK. */
static gboolean
time_handshake(const ts_conn *c, int64_t *ns)
{
    int64_t syn;
    if (!c->established || !c->hs_ack_frame || !syn_time(c, &syn) || c->hs_ack_ns < syn)
        return FALSE;
    *ns = c->hs_ack_ns - syn;
    return TRUE;
}

static gboolean
time_teardown(const ts_conn *c, const ts_conn *captured, int64_t *ns)
{
    if (!c->final_ack_frame || c->closer > TS_SERVER ||
        (one_sided(c, captured) && c->closer != TS_CLIENT) || !c->ep[c->closer].fin_frame ||
        c->final_ack_ns < c->ep[c->closer].fin_ns)
        return FALSE;
    *ns = c->final_ack_ns - c->ep[c->closer].fin_ns;
    return TRUE;
}

static char *
ms_str(gboolean valid, int64_t ns)
{
    if (!valid)
        return g_strdup("-");
    return g_strdup_printf("%" PRId64 ".%03" PRId64, ns / 1000000, (ns / 1000) % 1000);
}

/* ---- Connections seen by a listener ------------------------------------- */

/* One ladder row kept during the pass: a segment, or a gap standing for a
 * run of uneventful data segments (see ladder_add). */
typedef struct {
    const ts_record *rec;   /* NULL: a gap */
    int64_t  ts_ns;
    uint32_t frame;
    uint32_t seq, ack, len;
    uint8_t  flags, from_a;
    /* gap only */
    uint32_t count, last_frame;
    uint64_t bytes[2];      /* payload sent by endpoint A, B */
} ladder_row;

typedef struct {
    const ts_conn *conn;
    uint32_t stream;
    char    *ep_str[2];     /* endpoint A, B as "addr:port" */
    gboolean selected;      /* a packet of it passed the filter */
    GArray  *rows;          /* ladder_row, ladder only */
    unsigned run_len;       /* trailing run of collapsible segments */
    int      run_gap;       /* index of that run's gap row, or -1 */
} conn_info;

typedef struct {
    GHashTable *by_conn;    /* const ts_conn * -> conn_info * */
    GPtrArray  *list;       /* conn_info *, in order of first sight */
} conn_set;

static void
conn_info_free(gpointer p)
{
    conn_info *ci = (conn_info *)p;
    g_free(ci->ep_str[0]);
    g_free(ci->ep_str[1]);
    if (ci->rows)
        g_array_free(ci->rows, TRUE);
    g_free(ci);
}

static void
conn_set_init(conn_set *cs)
{
    cs->by_conn = g_hash_table_new(g_direct_hash, g_direct_equal);
    cs->list = g_ptr_array_new_with_free_func(conn_info_free);
}

static void
conn_set_clear(conn_set *cs)
{
    g_hash_table_remove_all(cs->by_conn);
    g_ptr_array_set_size(cs->list, 0);
}

static void
conn_set_free(conn_set *cs)
{
    if (cs->by_conn)
        g_hash_table_destroy(cs->by_conn);
    if (cs->list)
        g_ptr_array_free(cs->list, TRUE);
    cs->by_conn = NULL;
    cs->list = NULL;
}

static char *
endpoint_str(const address *addr, const char *s, uint16_t port)
{
    if (addr->type == AT_IPv6)
        return g_strdup_printf("[%s]:%u", s ? s : "?", port);
    return g_strdup_printf("%s:%u", s ? s : "?", port);
}

static conn_info *
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
static void
conn_set_add_successors(conn_set *cs)
{
    guint n = cs->list->len;
    for (guint i = 0; i < n; i++) {
        conn_info *ci = (conn_info *)g_ptr_array_index(cs->list, i);
        for (const ts_conn *c = ci->conn->next; c; c = c->next) {
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

static gint
conn_info_cmp(gconstpointer a, gconstpointer b)
{
    const conn_info *x = *(const conn_info *const *)a;
    const conn_info *y = *(const conn_info *const *)b;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    if (x->conn->index != y->conn->index)
        return x->conn->index < y->conn->index ? -1 : 1;
    return 0;
}

static const char *
client_str(const conn_info *ci)
{
    return ci->ep_str[ci->conn->client_is_a ? 0 : 1];
}

static const char *
server_str(const conn_info *ci)
{
    return ci->ep_str[ci->conn->client_is_a ? 1 : 0];
}

/* ---- -z tcpstate,conns -------------------------------------------------- */

typedef struct {
    char    *filter;
    conn_set conns;
} conns_tap;

static void
conns_reset(void *tapdata)
{
    conns_tap *t = (conns_tap *)tapdata;
    conn_set_clear(&t->conns);
}

static tap_packet_status
conns_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
             const void *data, tap_flags_t flags _U_)
{
    conns_tap *t = (conns_tap *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    conn_info *ci;
    if (!ti || !ti->conn)
        return TAP_PACKET_DONT_REDRAW;
    ci = conn_set_add(&t->conns, ti, ti->conn);
    ci->selected = TRUE;
    return TAP_PACKET_REDRAW;
}

enum {
    CC_STREAM, CC_CONN, CC_CLIENT, CC_SERVER, CC_CSTATE, CC_SSTATE, CC_OUTCOME,
    CC_HS1, CC_HS2, CC_TEARDOWN, CC_PACKETS, CC_ZEEK, CC_HISTORY, CC_ANOMALIES,
    CC_COUNT
};

static const char *const conns_titles[CC_COUNT] = {
    "Stream", "Conn", "Client", "Server", "Client state", "Server state", "Outcome",
    "SYN>SYN-ACK", "SYN-ACK>ACK", "Teardown", "Packets", "Zeek", "History", "Anomalies",
};

/* Numbers are right-aligned. */
static const gboolean conns_right[CC_COUNT] = {
    TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE,
    TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE,
};

static void
conns_draw(void *tapdata)
{
    conns_tap *t = (conns_tap *)tapdata;
    int64_t end = tcpstate_capture_end_ns(), grace = tcpstate_grace_ns();
    size_t width[CC_COUNT];
    GPtrArray *cells;   /* char *[CC_COUNT] per row */
    GString *line = g_string_new(NULL);
    guint i;

    conn_set_add_successors(&t->conns);
    g_ptr_array_sort(t->conns.list, conn_info_cmp);

    for (i = 0; i < CC_COUNT; i++)
        width[i] = text_width(conns_titles[i]);
    cells = g_ptr_array_new();
    for (i = 0; i < t->conns.list->len; i++) {
        const conn_info *ci = (const conn_info *)g_ptr_array_index(t->conns.list, i);
        const ts_conn *c = ci->conn, *v = ts_conn_view(c);
        char **row;
        int64_t ns = 0;
        gboolean ok;
        GString *an;
        ts_anomaly_set set;
        const char *hist;

        if (!ci->selected)
            continue;
        row = g_new0(char *, CC_COUNT);
        row[CC_STREAM] = g_strdup_printf("%u", ci->stream);
        row[CC_CONN] = g_strdup_printf("%u", c->index);
        row[CC_CLIENT] = c->roles_inferred ? g_strdup_printf("%s (inferred)", client_str(ci))
                                           : g_strdup(client_str(ci));
        row[CC_SERVER] = g_strdup(server_str(ci));
        row[CC_CSTATE] = g_strdup(ts_state_name(v->ep[TS_CLIENT].state));
        /* one-sided: no server segment was captured, its state is inferred */
        row[CC_SSTATE] = one_sided(v, c)
                         ? g_strdup_printf("%s (inferred)", ts_state_name(v->ep[TS_SERVER].state))
                         : g_strdup(ts_state_name(v->ep[TS_SERVER].state));
        row[CC_OUTCOME] = g_strdup(ts_outcome_name(ts_conn_outcome(c)));
        ok = time_syn_synack(v, c, &ns);
        row[CC_HS1] = ms_str(ok, ns);
        ok = time_synack_ack(v, c, &ns);
        row[CC_HS2] = ms_str(ok, ns);
        ok = time_teardown(v, c, &ns);
        row[CC_TEARDOWN] = ms_str(ok, ns);
        row[CC_PACKETS] = g_strdup_printf("%u", c->packets);
        row[CC_ZEEK] = g_strdup(ts_zeek_state_name(ts_zeek_conn_state(&c->zeek)));
        hist = ts_zeek_history(&c->zeek);
        row[CC_HISTORY] = g_strdup(hist[0] ? hist : "-");
        set = ts_conn_final_anomalies(c, end, grace);
        an = g_string_new(NULL);
        anomaly_names(an, set, ",");
        row[CC_ANOMALIES] = g_string_free(an, set == 0);
        if (!row[CC_ANOMALIES])
            row[CC_ANOMALIES] = g_strdup("-");
        for (int k = 0; k < CC_COUNT; k++) {
            size_t w = text_width(row[k]);
            if (w > width[k])
                width[k] = w;
        }
        g_ptr_array_add(cells, row);
    }

    print_header("TCP connection states (tcpstate)", t->filter);
    printf("Connections: %u   (times in ms; Teardown: first FIN to final ACK)\n", cells->len);
    printf("\n");
    for (int k = 0; k < CC_COUNT; k++) {
        if (k)
            g_string_append(line, "  ");
        if (conns_right[k])
            put_right(line, conns_titles[k], width[k]);
        else
            put_left(line, conns_titles[k], width[k]);
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
    conn_set_free(&t->conns);
    g_free(t->filter);
    g_free(t);
}

static TS_STAT_INIT_RET
conns_init(const char *opt_arg, void *userdata _U_)
{
    conns_tap *t = g_new0(conns_tap, 1);
    const char *filter = filter_of(opt_arg, "tcpstate,conns");
    GString *err;

    t->filter = g_strdup(filter);
    conn_set_init(&t->conns);
    err = register_tap_listener(TCPSTATE_TAP_NAME, t, t->filter, TL_REQUIRES_NOTHING,
                                conns_reset, conns_packet, conns_draw, conns_finish);
    if (err) {
        fprintf(stderr, "tshark: Couldn't register tcpstate,conns tap: %s\n", err->str);
        g_string_free(err, TRUE);
        conn_set_free(&t->conns);
        g_free(t->filter);
        g_free(t);
        TS_STAT_INIT_RETURN(FALSE);
    }
    TS_STAT_INIT_RETURN(TRUE);
}

/* ---- -z tcpstate,ladder ------------------------------------------------- */

/* Runs of uneventful data segments longer than LADDER_RUN_MAX are kept as
 * their first LADDER_HEAD and last LADDER_TAIL segments around one gap row:
 * memory per connection stays bounded by its eventful segments. */
#define LADDER_HEAD    2
#define LADDER_TAIL    2
#define LADDER_RUN_MAX 6

#define LADDER_LEFT    14   /* column left of the client line */
#define LADDER_INNER   44   /* between the two lines, at least */

typedef struct ladder_tap ladder_tap;

typedef struct {
    ladder_tap *tap;
} ladder_selector;

struct ladder_tap {
    char    *filter;
    conn_set conns;
    ladder_selector selector;   /* tapdata of the filtered listener */
    gboolean selector_on;
};

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

    if (!collapsible(ti->rec, ti->seg.flags)) {
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
    conn_set_clear(&t->conns);
}

/* Unfiltered: records every segment. */
static tap_packet_status
ladder_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
              const void *data, tap_flags_t flags _U_)
{
    ladder_tap *t = (ladder_tap *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    conn_info *ci;
    if (!ti || !ti->conn || !ti->rec)
        return TAP_PACKET_DONT_REDRAW;
    ci = conn_set_add(&t->conns, ti, ti->conn);
    if (!t->filter)
        ci->selected = TRUE;
    ladder_add(ci, ti);
    return TAP_PACKET_REDRAW;
}

/* Filtered: marks the connections to draw. */
static tap_packet_status
ladder_select_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                     const void *data, tap_flags_t flags _U_)
{
    ladder_tap *t = ((ladder_selector *)tapdata)->tap;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    if (!ti || !ti->conn)
        return TAP_PACKET_DONT_REDRAW;
    conn_set_add(&t->conns, ti, ti->conn)->selected = TRUE;
    return TAP_PACKET_REDRAW;
}

/* Relative sequence numbers, as Wireshark shows them: the sender's ISN is
 * 0.  A sender whose ISN is unknown (the RST refusing a SYN, sent with
 * SEQ=0 by RFC 9293 3.10.7.1) shows its raw sequence number, marked so. */
static void
segment_text(GString *out, const ts_conn *c, const ladder_row *r)
{
    unsigned snd = (r->from_a == c->client_is_a) ? TS_CLIENT : TS_SERVER;
    const ts_endpoint *me = &c->ep[snd], *peer = &c->ep[!snd];
    if (r->rec && (r->rec->rflags & TS_REC_ICMP)) {
        /* an ICMP error travelling toward the sender of the segment it
         * quotes: seq is that segment's, in the receiver's numbers */
        if (peer->isn_known)
            g_string_append_printf(out, "ICMP unreachable, quotes seq=%u", r->seq - peer->isn);
        else
            g_string_append_printf(out, "ICMP unreachable, quotes seq=%u (raw)", r->seq);
        return;
    }
    flags_str(out, r->flags);
    if (me->isn_known)
        g_string_append_printf(out, " seq=%u", r->seq - me->isn);
    else
        g_string_append_printf(out, " seq=%u (raw)", r->seq);
    if (r->flags & TS_ACK)
        g_string_append_printf(out, " ack=%u", peer->isn_known ? r->ack - peer->isn : r->ack);
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
    const char *hist = ts_zeek_history(&c->zeek);
    char *l, *r;
    unsigned shown_client, shown_server;

    /* Widen for long labels (wide is fine for odd connections). */
    for (guint i = 0; i < n; i++) {
        size_t w;
        if (!rows[i].rec)
            continue;
        g_string_truncate(txt, 0);
        segment_text(txt, v, &rows[i]);
        w = text_width(txt->str) + 8;
        if (w > inner)
            inner = w;
        w = text_width(stage_label(ts_hindsight(rows[i].rec, rows[i].frame).stage)) + 20;
        if (w > inner)
            inner = w;
    }

    g_string_append_printf(out, "\nConnection %u of stream %u: client %s, server %s%s%s\n",
                           c->index, ci->stream, client_str(ci), server_str(ci),
                           c->roles_inferred ? " (roles inferred: no SYN seen)" : "",
                           one_sided(v, c) ? " (server's segments not captured:"
                                             " inferred from the client's ACKs)" : "");
    g_string_append_printf(out, "  outcome: %s; Zeek %s %s; %u packets; anomalies: ",
                           ts_outcome_name(ts_conn_outcome(c)),
                           ts_zeek_state_name(ts_zeek_conn_state(&c->zeek)),
                           hist[0] ? hist : "-", c->packets);
    if (all)
        anomaly_names(out, all, ", ");
    else
        g_string_append(out, "none");
    g_string_append(out, "\n\n");

    /* Titles centred over the two lines. */
    pad(out, LADDER_LEFT + 1 - 3, ' ');
    g_string_append(out, "client");
    pad(out, inner + 1 - 6, ' ');
    g_string_append(out, "server\n");

    /* Drawn after the whole capture: show every record as known then
     * (a refused SYN met a CLOSED server, crossing SYNs and FINs). */
    {
        ts_record first = ts_hindsight(rows[0].rec, rows[0].frame);
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

        if (row->rec) {
            view = ts_hindsight(row->rec, row->frame);
            rec = &view;
        }
        if (!rec) {
            g_string_printf(txt, "... %u data segment%s, frames %u-%u ...", row->count,
                            row->count == 1 ? "" : "s", row->frame, row->last_frame);
            ladder_line(out, "", ':', "", inner, "");
            g_string_truncate(mid, 0);
            put_centred(mid, txt->str, inner, ' ');
            ladder_line(out, "", ':', mid->str, inner, "");
            g_string_printf(txt, "client sent %" PRIu64 " bytes, server %" PRIu64 " bytes",
                            row->bytes[c->client_is_a ? 0 : 1], row->bytes[c->client_is_a ? 1 : 0]);
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
             ts_deferred_anomalies(row->rec, end, grace, row->frame == c->last_frame);

        /* the arrow */
        g_string_truncate(txt, 0);
        segment_text(txt, v, row);
        arrow(mid, txt->str, inner, row->from_a == c->client_is_a);
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
                        (rec->rflags & TS_REC_RETRANS) ? " (retransmission)" : "");
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

static void
ladder_draw(void *tapdata)
{
    ladder_tap *t = (ladder_tap *)tapdata;
    int64_t end = tcpstate_capture_end_ns(), grace = tcpstate_grace_ns();
    GString *out = g_string_new(NULL);
    guint shown = 0;

    g_ptr_array_sort(t->conns.list, conn_info_cmp);
    for (guint i = 0; i < t->conns.list->len; i++) {
        const conn_info *ci = (const conn_info *)g_ptr_array_index(t->conns.list, i);
        if (!ci->selected || !ci->rows || !ci->rows->len)
            continue;
        ladder_draw_conn(out, ci, end, grace);
        shown++;
    }
    print_header("TCP connection ladder (tcpstate)", t->filter);
    printf("Connections: %u\n", shown);
    printf("Left: seconds since the connection's first segment; right: frame number.\n"
           "*STATE: changed by the segment above it.  seq/ack: relative to each side's ISN.\n");
    printf("%s", out->str);
    printf("%s\n", RULE);
    g_string_free(out, TRUE);
}

static void
ladder_finish(void *tapdata)
{
    ladder_tap *t = (ladder_tap *)tapdata;
    if (t->selector_on) {
        t->selector_on = FALSE;
        remove_tap_listener(&t->selector);
    }
    conn_set_free(&t->conns);
    g_free(t->filter);
    g_free(t);
}

static void
ladder_select_finish(void *tapdata)
{
    ((ladder_selector *)tapdata)->tap->selector_on = FALSE;
}

static TS_STAT_INIT_RET
ladder_init(const char *opt_arg, void *userdata _U_)
{
    ladder_tap *t = g_new0(ladder_tap, 1);
    const char *filter = filter_of(opt_arg, "tcpstate,ladder");
    GString *err;

    t->filter = g_strdup(filter);
    t->selector.tap = t;
    conn_set_init(&t->conns);
    err = register_tap_listener(TCPSTATE_TAP_NAME, t, NULL, TL_REQUIRES_NOTHING,
                                ladder_reset, ladder_packet, ladder_draw, ladder_finish);
    if (!err && t->filter) {
        err = register_tap_listener(TCPSTATE_TAP_NAME, &t->selector, t->filter,
                                    TL_REQUIRES_NOTHING, NULL, ladder_select_packet,
                                    NULL, ladder_select_finish);
        if (err)
            remove_tap_listener(t);     /* frees t */
        else
            t->selector_on = TRUE;
    } else if (err) {
        conn_set_free(&t->conns);
        g_free(t->filter);
        g_free(t);
    }
    if (err) {
        fprintf(stderr, "tshark: Couldn't register tcpstate,ladder tap: %s\n", err->str);
        g_string_free(err, TRUE);
        TS_STAT_INIT_RETURN(FALSE);
    }
    TS_STAT_INIT_RETURN(TRUE);
}

/* ---- -z tcpstate,tree and Statistics > TCP Connection States ------------ */

/*
 * Per-packet counters (stages, anomalies per packet) and per-connection
 * counters (outcome, Zeek conn_state, anomalies per connection, handshake
 * time) need what only the end of the capture knows: a SYN becomes
 * "Simultaneous open: SYN" once the crossing SYN is seen, a SYN without
 * answer becomes syn_unanswered only at the end.
 *
 *  - On a visited pass (tshark -2, every GUI retap) the connection is
 *    complete and the capture end known when a packet goes by: each
 *    connection is counted when this tree first sees it, each packet at once
 *    with the glue's view (ts_hindsight: final stage, one-sided account)
 *    and its anomalies plus the deferred ones.
 *  - In tshark's single pass, packets whose stage or anomalies may still
 *    change (SYN, SYN-ACK, FIN stages; records with a one-sided account,
 *    TS_REC_ALT; a connection's last packet) and all per-connection counts
 *    are kept pending and counted, with ts_hindsight, by a helper
 *    listener's draw callback, which tshark calls before the tree's own
 *    (listeners are drawn newest first, and the helper is registered after
 *    the tree's, from its init callback).  Everything else is counted at once.
 */

#define N_OUTCOME   "Connections by outcome"
#define N_ZEEK      "Connections by Zeek conn_state"
#define N_CONN_AN   "Connections by anomaly"
#define N_HS_TIME   "Handshake time (SYN to ACK)"
#define N_STAGE     "Packets by stage"
#define N_PKT_AN    "Packets by anomaly"

static const char *const hs_buckets[] = {
    "< 1 ms", "1-10 ms", "10-100 ms", "100 ms-1 s", ">= 1 s",
    "not timed",   /* incomplete, simultaneous open, or no SYN seen */
};

typedef struct {
    const ts_record *rec;
    uint32_t frame;
} rec_ref;

typedef struct {
    rec_ref  last;          /* last record of the connection seen here */
    gboolean last_pending;  /* last is also in pending_recs */
} tree_conn;

typedef struct {
    stats_tree *st;
    int n_outcome, n_zeek, n_conn_an, n_hs, n_stage, n_pkt_an;
    GHashTable *seen;           /* const ts_conn * -> tree_conn * */
    GPtrArray  *pending_conns;  /* const ts_conn * */
    GArray     *pending_recs;   /* rec_ref */
    gboolean    helper_on;
} tree_state;

static GHashTable *tree_states;   /* stats_tree * -> tree_state * */

static void
tree_state_clear(tree_state *ts)
{
    g_hash_table_remove_all(ts->seen);
    g_ptr_array_set_size(ts->pending_conns, 0);
    g_array_set_size(ts->pending_recs, 0);
}

static void
tree_count_conn(tree_state *ts, const ts_conn *c, int64_t end, int64_t grace)
{
    stats_tree *st = ts->st;
    const ts_conn *v = ts_conn_view(c);
    ts_anomaly_set set = ts_conn_final_anomalies(c, end, grace);
    int64_t ns;
    const char *bucket;

    tick_stat_node(st, N_OUTCOME, 0, TRUE);
    tick_stat_node(st, ts_outcome_name(ts_conn_outcome(c)), ts->n_outcome, FALSE);
    tick_stat_node(st, N_ZEEK, 0, TRUE);
    tick_stat_node(st, ts_zeek_state_name(ts_zeek_conn_state(&c->zeek)), ts->n_zeek, FALSE);
    tick_stat_node(st, N_CONN_AN, 0, TRUE);
    if (!set)
        tick_stat_node(st, "(none)", ts->n_conn_an, FALSE);
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
        if (set & TS_BIT(an))
            tick_stat_node(st, ts_anomaly_name(an), ts->n_conn_an, FALSE);
    if (!time_handshake(v, &ns))
        bucket = hs_buckets[5];
    else if (ns < 1000000)
        bucket = hs_buckets[0];
    else if (ns < 10000000)
        bucket = hs_buckets[1];
    else if (ns < 100000000)
        bucket = hs_buckets[2];
    else if (ns < 1000000000)
        bucket = hs_buckets[3];
    else
        bucket = hs_buckets[4];
    tick_stat_node(st, N_HS_TIME, 0, TRUE);
    tick_stat_node(st, bucket, ts->n_hs, FALSE);
}

static void
tree_count_packet(tree_state *ts, unsigned stage, ts_anomaly_set set)
{
    stats_tree *st = ts->st;
    tick_stat_node(st, N_STAGE, 0, TRUE);
    tick_stat_node(st, ts_stage_label(stage), ts->n_stage, FALSE);
    tick_stat_node(st, N_PKT_AN, 0, TRUE);
    if (!set)
        tick_stat_node(st, "(none)", ts->n_pkt_an, FALSE);
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
        if (set & TS_BIT(an))
            tick_stat_node(st, ts_anomaly_name(an), ts->n_pkt_an, FALSE);
}

/* Stages whose label or deferred anomalies the rest of the capture may
 * change (see ts_final_stage and ts_deferred_anomalies).  A record with a
 * one-sided account (TS_REC_ALT) may change too: see tree_packet. */
static gboolean
stage_may_change(unsigned stage)
{
    switch (stage) {
    case TS_STAGE_SYN:
    case TS_STAGE_SYNACK:
    case TS_STAGE_FIN1:
    case TS_STAGE_SIMCLOSE_FIN:
    case TS_STAGE_FIN2:
    case TS_STAGE_FINACK_COMBINED:
        return TRUE;
    default:
        return FALSE;
    }
}

static void
tree_flush(tree_state *ts)
{
    int64_t end = tcpstate_capture_end_ns(), grace = tcpstate_grace_ns();
    guint i;

    for (i = 0; i < ts->pending_recs->len; i++) {
        const rec_ref *rr = &g_array_index(ts->pending_recs, rec_ref, i);
        const ts_conn *c = rr->rec->conn;
        tree_conn *tc = (tree_conn *)g_hash_table_lookup(ts->seen, c);
        int is_last = tc && tc->last.rec == rr->rec && rr->frame == c->last_frame;
        ts_record view = ts_hindsight(rr->rec, rr->frame);
        tree_count_packet(ts, view.stage,
                          view.anomalies | ts_deferred_anomalies(rr->rec, end, grace, is_last));
    }
    for (i = 0; i < ts->pending_conns->len; i++) {
        const ts_conn *c = (const ts_conn *)g_ptr_array_index(ts->pending_conns, i);
        tree_conn *tc = (tree_conn *)g_hash_table_lookup(ts->seen, c);
        /* The last packet of a connection counted at once may still owe
         * open_at_capture_end: add what it lacks. */
        if (tc && tc->last.rec && !tc->last_pending && tc->last.frame == c->last_frame) {
            /* counted at once: its view is the record itself (no TS_REC_ALT) */
            ts_anomaly_set extra = ts_deferred_anomalies(tc->last.rec, end, grace, 1) &
                                   ~tc->last.rec->anomalies;
            for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
                if (extra & TS_BIT(an))
                    tick_stat_node(ts->st, ts_anomaly_name(an), ts->n_pkt_an, FALSE);
            if (extra && !tc->last.rec->anomalies)
                increase_stat_node(ts->st, "(none)", ts->n_pkt_an, FALSE, -1);
        }
        tree_count_conn(ts, c, end, grace);
    }
    g_ptr_array_set_size(ts->pending_conns, 0);
    g_array_set_size(ts->pending_recs, 0);
}

static tap_packet_status
tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
            const void *data, tap_flags_t flags _U_)
{
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    tree_state *ts = tree_states ? (tree_state *)g_hash_table_lookup(tree_states, st) : NULL;
    const ts_record *rec;
    tree_conn *tc;
    gboolean first;

    if (!ts || !ti || !ti->rec || !ti->rec->conn)
        return TAP_PACKET_DONT_REDRAW;
    rec = ti->rec;
    tc = (tree_conn *)g_hash_table_lookup(ts->seen, rec->conn);
    first = tc == NULL;
    if (first) {
        tc = g_new0(tree_conn, 1);
        g_hash_table_insert(ts->seen, (gpointer)rec->conn, tc);
    }

    if (ti->visited && ti->deferred_valid) {
        /* complete connection, known capture end: count everything now.
         * ti->anomalies is rec->anomalies plus the deferred ones; the view
         * may have dropped some of rec's (one-sided account), so take the
         * view's own and add only the deferred ones. */
        ts_anomaly_set deferred = 0;
        for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
            if (ts_anomaly_is_deferred(an))
                deferred |= TS_BIT(an);
        if (first)
            tree_count_conn(ts, rec->conn, tcpstate_capture_end_ns(), tcpstate_grace_ns());
        tree_count_packet(ts, ti->view.stage, ti->view.anomalies | (ti->anomalies & deferred));
        return TAP_PACKET_REDRAW;
    }

    if (first)
        g_ptr_array_add(ts->pending_conns, (gpointer)rec->conn);
    tc->last.rec = rec;
    tc->last.frame = ti->frame;
    tc->last_pending = stage_may_change(rec->stage) || (rec->rflags & TS_REC_ALT);
    if (tc->last_pending)
        g_array_append_val(ts->pending_recs, tc->last);
    else
        tree_count_packet(ts, rec->stage, rec->anomalies);
    return TAP_PACKET_REDRAW;
}

/* The helper listener: draws (flushes the pending counts) before the tree. */
static void
helper_reset(void *tapdata)
{
    tree_state_clear((tree_state *)tapdata);
}

static tap_packet_status
helper_packet(void *tapdata _U_, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
              const void *data _U_, tap_flags_t flags _U_)
{
    return TAP_PACKET_REDRAW;
}

static void
helper_draw(void *tapdata)
{
    tree_flush((tree_state *)tapdata);
}

static void
helper_finish(void *tapdata)
{
    ((tree_state *)tapdata)->helper_on = FALSE;
}

static void
tree_init(stats_tree *st)
{
    tree_state *ts;

    if (!tree_states)
        tree_states = g_hash_table_new(g_direct_hash, g_direct_equal);
    ts = (tree_state *)g_hash_table_lookup(tree_states, st);
    if (!ts) {
        GString *err;
        ts = g_new0(tree_state, 1);
        ts->st = st;
        ts->seen = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        ts->pending_conns = g_ptr_array_new();
        ts->pending_recs = g_array_new(FALSE, FALSE, sizeof(rec_ref));
        g_hash_table_insert(tree_states, st, ts);
        err = register_tap_listener(TCPSTATE_TAP_NAME, ts, NULL, TL_REQUIRES_NOTHING,
                                    helper_reset, helper_packet, helper_draw, helper_finish);
        if (err)
            g_string_free(err, TRUE);   /* single-pass counts then stay pending */
        else
            ts->helper_on = TRUE;
    } else {
        tree_state_clear(ts);
    }

    /* Children appear when first ticked; tshark sorts them by count. */
    ts->n_outcome = stats_tree_create_node(st, N_OUTCOME, 0, STAT_DT_INT, TRUE);
    ts->n_zeek = stats_tree_create_node(st, N_ZEEK, 0, STAT_DT_INT, TRUE);
    ts->n_conn_an = stats_tree_create_node(st, N_CONN_AN, 0, STAT_DT_INT, TRUE);
    ts->n_hs = stats_tree_create_node(st, N_HS_TIME, 0, STAT_DT_INT, TRUE);
    ts->n_stage = stats_tree_create_node(st, N_STAGE, 0, STAT_DT_INT, TRUE);
    ts->n_pkt_an = stats_tree_create_node(st, N_PKT_AN, 0, STAT_DT_INT, TRUE);
}

static void
tree_cleanup(stats_tree *st)
{
    tree_state *ts = tree_states ? (tree_state *)g_hash_table_lookup(tree_states, st) : NULL;
    if (!ts)
        return;
    if (ts->helper_on)
        remove_tap_listener(ts);    /* helper_finish clears helper_on */
    g_hash_table_remove(tree_states, st);
    g_hash_table_destroy(ts->seen);
    g_ptr_array_free(ts->pending_conns, TRUE);
    g_array_free(ts->pending_recs, TRUE);
    g_free(ts);
}

/*
 * tshark 4.0 never frees a stats tree, so tree_cleanup never runs there and
 * every tree_state would be lost at exit.  Free what is left at shutdown:
 * shutdown routines run (from packet_cleanup) before tap_cleanup finishes the
 * remaining listeners, so the helper listener must be removed first (its
 * finish callback writes to the state), then the state freed.  Where the
 * tree is freed by Wireshark (GUI; tshark with free_stats_tree as the tree
 * listener's finish callback, newer than 4.0), tree_cleanup has
 * already done this, or finds nothing left when it runs after.
 */
static void
tree_shutdown(void)
{
    GList *trees, *l;

    if (!tree_states)
        return;
    trees = g_hash_table_get_keys(tree_states);
    for (l = trees; l; l = l->next)
        tree_cleanup((stats_tree *)l->data);
    g_list_free(trees);
    g_hash_table_destroy(tree_states);
    tree_states = NULL;
}

/* ---- Registration --------------------------------------------------------- */

static stat_tap_ui conns_ui = {
    REGISTER_STAT_GROUP_GENERIC, "TCP connection states", "tcpstate,conns", conns_init, 0, NULL
};

static stat_tap_ui ladder_ui = {
    REGISTER_STAT_GROUP_GENERIC, "TCP connection ladder", "tcpstate,ladder", ladder_init, 0, NULL
};

void
tcpstate_register_taps(void)
{
    register_stat_tap_ui(&conns_ui, NULL);
    register_stat_tap_ui(&ladder_ui, NULL);
    tcpstate_register_connlog_tap();     /* tcpstate_tap_connlog.c */
    stats_tree_register_plugin(TCPSTATE_TAP_NAME, "tcpstate", "TCP Connection States",
                               0, tree_packet, tree_init, tree_cleanup);
    register_shutdown_routine(tree_shutdown);
}
