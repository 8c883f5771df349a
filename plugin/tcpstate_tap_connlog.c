/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tshark -q -z tcpstate,connlog[,json][,filter]: Zeek's conn.log for the TCP
 * connections of the capture, one line per Zeek connection (tcpstate.zeek.conn
 * splits a tcpstate connection where Zeek's timers or reuse rule do), in
 * Zeek's ASCII log format or, with "json", one JSON object per line as Zeek's
 * JSON logs write them.  Columns and rules: plugin/ZEEK.md.
 *
 * Everything is read at draw time from the final ts_conn of each connection
 * a listened packet belonged to (ts_zeek and its prev chain), so one pass and
 * -2 give the same log.  uid is NOT Zeek's (random): 'C' + base62 of a hash
 * of the connection's first packet time and its four-tuple, so it is the
 * same when the capture is split by four-tuple (scale-out).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/stat_tap_ui.h>
#include <ws_version.h>

#include "tcpstate_community_id.h"
#include "tcpstate_glue.h"
#include "tcpstate_tap_common.h"   /* TS_STAT_INIT_RET, tap_cli_error */

typedef struct {
    const ts_conn *conn;
    uint32_t stream;
    uint8_t  v6;
    uint8_t  addr[2][16];     /* endpoint A, B (network order) */
    char    *addr_str[2];
    uint16_t port[2];
    GHashTable *zsel;         /* with a filter: Zeek connection index + 1 of
                               * each packet that passed it (a set) */
} cl_conn;

typedef struct {
    char       *filter;
    gboolean    json;
    GHashTable *by_conn;      /* const ts_conn * -> cl_conn * */
    GPtrArray  *list;
} cl_tap;

/* One conn.log line: a Zeek connection with its endpoints. */
typedef struct {
    const cl_conn *cc;
    const ts_zeek *z;
} cl_row;

static void
cl_conn_free(gpointer p)
{
    cl_conn *cc = (cl_conn *)p;
    g_free(cc->addr_str[0]);
    g_free(cc->addr_str[1]);
    if (cc->zsel)
        g_hash_table_destroy(cc->zsel);
    g_free(cc);
}

static void
cl_reset(void *tapdata)
{
    cl_tap *t = (cl_tap *)tapdata;
    g_hash_table_remove_all(t->by_conn);
    g_ptr_array_set_size(t->list, 0);
}

static void
set_endpoint(cl_conn *cc, unsigned i, const address *a, const char *s, uint16_t port)
{
    if (a->type == AT_IPv6 && a->len == 16) {
        memcpy(cc->addr[i], a->data, 16);
        cc->v6 = 1;
    } else if (a->type == AT_IPv4 && a->len == 4) {
        memcpy(cc->addr[i], a->data, 4);
    }
    cc->addr_str[i] = g_strdup(s ? s : "-");
    cc->port[i] = port;
}

/* Lists the packet's connection; with a display filter, also the Zeek
 * connection (tcpstate.zeek.conn) the packet belongs to, so that only the
 * Zeek connections with a matching packet are logged. */
static tap_packet_status
cl_packet(void *tapdata, packet_info *pinfo, epan_dissect_t *edt _U_,
          const void *data, tap_flags_t flags _U_)
{
    cl_tap *t = (cl_tap *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    cl_conn *cc;

    if (!ti->conn || (ti->rec.rflags & TS_REC_ICMP))
        return TAP_PACKET_DONT_REDRAW;
    cc = (cl_conn *)g_hash_table_lookup(t->by_conn, ti->conn);
    if (!cc) {
        cc = g_new0(cl_conn, 1);
        cc->conn = ti->conn;
        cc->stream = ti->stream;
        set_endpoint(cc, ti->seg.from_a ? 0 : 1, &ti->src, ti->src_str, ti->srcport);
        set_endpoint(cc, ti->seg.from_a ? 1 : 0, &ti->dst, ti->dst_str, ti->dstport);
        if (t->filter)
            cc->zsel = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(t->by_conn, (gpointer)ti->conn, cc);
        g_ptr_array_add(t->list, cc);
    }
    if (cc->zsel) {
        const ts_zeek *z = ts_zeek_at_frame(ts_conn_zeek(ti->conn), pinfo->num);
        g_hash_table_add(cc->zsel, GUINT_TO_POINTER(ts_zeek_index(z) + 1u));
    }
    return TAP_PACKET_DONT_REDRAW;
}

/* 'C' + base62 of a 64-bit FNV-1a hash of the first packet's time and the
 * ordered four-tuple: deterministic, and the same in any part of a capture
 * split by four-tuple. */
static void
make_uid(const cl_row *r, unsigned o, char out[16])
{
    static const char digits[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const cl_conn *cc = r->cc;
    uint64_t h = 1469598103934665603ull;
    uint8_t buf[8 + 2 * 16 + 4];
    size_t n = 0, alen = cc->v6 ? 16 : 4;
    int64_t ts = r->z->start_ns;
    unsigned i;

    for (i = 0; i < 8; i++)
        buf[n++] = (uint8_t)((uint64_t)ts >> (8 * i));
    memcpy(buf + n, cc->addr[o], alen);
    n += alen;
    memcpy(buf + n, cc->addr[o ^ 1u], alen);
    n += alen;
    buf[n++] = (uint8_t)(cc->port[o] >> 8);
    buf[n++] = (uint8_t)cc->port[o];
    buf[n++] = (uint8_t)(cc->port[o ^ 1u] >> 8);
    buf[n++] = (uint8_t)cc->port[o ^ 1u];
    for (i = 0; i < n; i++) {
        h ^= buf[i];
        h *= 1099511628211ull;
    }
    out[0] = 'C';
    for (i = 1; i < 12; i++) {      /* 11 base62 digits hold 64 bits */
        out[i] = digits[h % 62];
        h /= 62;
    }
    out[12] = '\0';
}

static char *
seconds_str(int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    /* Zeek prints times and intervals with 6 decimals */
    return g_strdup_printf("%s%" PRIu64 ".%06" PRIu64, sign, u / 1000000000u,
                           (u / 1000u) % 1000000u);
}

/* Zeek's clock: a packet's time is the double sec + usec / 1e6, and a
 * duration the difference of two such doubles. */
static double
zeek_time(int64_t ns)
{
    int64_t sec = ns / 1000000000, rest = ns % 1000000000;
    if (rest < 0) {
        rest += 1000000000;
        sec -= 1;
    }
    return (double)sec + (double)(rest / 1000) / 1e6;
}

/* A double as Zeek's JSON writer prints it (RapidJSON's Writer::Double,
 * Grisu2 digits laid out by its Prettify): decimal notation with at least
 * one digit after the point (1700000000.0, 0.00205, 0.0020499229431152344)
 * from 1e-6 up to 1e21; below 1e-6 and from 1e21 exponent notation, the
 * exponent without '+' or leading zeros (9.5367431640625e-7, 1e-7, 1e21).
 * The digits are the shortest that read back as the same double; Grisu2
 * is not always shortest nor closest, so for about 1% of values the last
 * digit differs from RapidJSON's (e.g. 1607182789.40546 here,
 * 1607182789.4054599 there) -- the same double either way. */
static char *
json_double(double d)
{
    char e[40], digits[24], *out;
    int p, exp10, n = 0, k;
    GString *g;

    for (p = 0; p < 17; p++) {
        snprintf(e, sizeof e, "%.*e", p, d);
        if (strtod(e, NULL) == d)
            break;
    }
    snprintf(e, sizeof e, "%.*e", p, d);
    g = g_string_new(NULL);
    k = 0;
    if (e[k] == '-') {
        g_string_append_c(g, '-');
        k++;
    }
    for (; e[k] && e[k] != 'e'; k++)
        if (e[k] != '.')
            digits[n++] = e[k];
    digits[n] = '\0';
    exp10 = atoi(e + k + 1);
    if (exp10 < -6 || exp10 >= 21) {
        /* Prettify: "1e-7", "9.5367431640625e-7" */
        g_string_append_c(g, digits[0]);
        if (n > 1) {
            g_string_append_c(g, '.');
            g_string_append(g, digits + 1);
        }
        g_string_append_printf(g, "e%d", exp10);
    } else if (exp10 >= 0) {
        for (int i = 0; i <= exp10; i++)
            g_string_append_c(g, i < n ? digits[i] : '0');
        g_string_append_c(g, '.');
        if (exp10 + 1 < n)
            g_string_append(g, digits + exp10 + 1);
        else
            g_string_append_c(g, '0');
    } else {
        g_string_append(g, "0.");
        for (int i = -1; i > exp10; i--)
            g_string_append_c(g, '0');
        g_string_append(g, digits);
    }
    out = g_string_free(g, FALSE);
    return out;
}

static const char *const cl_fields[] = {
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
    "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
    "tunnel_parents", "ip_proto", "community_id"
};
static const char *const cl_types[] = {
    "time", "string", "addr", "port", "addr", "port", "enum", "string",
    "interval", "count", "count", "string", "bool", "bool",
    "count", "string", "count", "count", "count", "count",
    "set[string]", "count", "string"
};
#define CL_NFIELDS (sizeof cl_fields / sizeof cl_fields[0])

/* The values of one row; NULL: unset.  quoted[i]: a JSON string. */
static void
row_values(const cl_row *r, gboolean json, char *v[CL_NFIELDS], gboolean quoted[CL_NFIELDS])
{
    const ts_zeek *z = r->z;
    const cl_conn *cc = r->cc;
    ts_zeek_log lg;
    unsigned o;
    char uid[16], cid[TS_COMMUNITY_ID_LEN];
    int k = 0;

    ts_zeek_log_of(z, &lg);
    o = lg.orig_is_a ? 0u : 1u;
    make_uid(r, o, uid);
    ts_community_id(0, cc->addr[o], cc->addr[o ^ 1u], cc->v6 ? 16 : 4, 6,
                    cc->port[o], cc->port[o ^ 1u], cid);
    memset(quoted, 0, CL_NFIELDS * sizeof quoted[0]);
    v[k++] = json ? json_double(zeek_time(lg.ts_ns)) : seconds_str(lg.ts_ns);
    quoted[k] = TRUE; v[k++] = g_strdup(uid);
    quoted[k] = TRUE; v[k++] = g_strdup(cc->addr_str[o]);
    v[k++] = g_strdup_printf("%u", cc->port[o]);
    quoted[k] = TRUE; v[k++] = g_strdup(cc->addr_str[o ^ 1u]);
    v[k++] = g_strdup_printf("%u", cc->port[o ^ 1u]);
    quoted[k] = TRUE; v[k++] = g_strdup("tcp");
    v[k++] = NULL;                                   /* service: no protocol detection */
    /* conn/main.zeek set_conn: duration and sizes only when duration > 0 */
    if (lg.duration_ns <= 0)
        v[k++] = NULL;
    else if (json)
        v[k++] = json_double(zeek_time(lg.ts_ns + lg.duration_ns) - zeek_time(lg.ts_ns));
    else
        v[k++] = seconds_str(lg.duration_ns);
    v[k++] = lg.duration_ns > 0 ? g_strdup_printf("%" PRIu64, lg.orig_bytes) : NULL;
    v[k++] = lg.duration_ns > 0 ? g_strdup_printf("%" PRIu64, lg.resp_bytes) : NULL;
    quoted[k] = TRUE; v[k++] = g_strdup(ts_zeek_state_name(lg.conn_state));
    v[k++] = NULL;                                   /* local_orig: no Site::local_nets */
    v[k++] = NULL;                                   /* local_resp */
    v[k++] = g_strdup_printf("%" PRIu64, lg.missed_bytes);
    quoted[k] = TRUE; v[k++] = z->hist_len ? g_strdup(ts_zeek_history(z)) : NULL;
    v[k++] = g_strdup_printf("%u", lg.orig_pkts);
    v[k++] = g_strdup_printf("%" PRIu64, lg.orig_ip_bytes);
    v[k++] = g_strdup_printf("%u", lg.resp_pkts);
    v[k++] = g_strdup_printf("%" PRIu64, lg.resp_ip_bytes);
    v[k++] = NULL;                                   /* tunnel_parents: no tunnel uids */
    v[k++] = g_strdup("6");                          /* ip_proto (Zeek >= 7.1): c$id$proto */
    quoted[k] = TRUE; v[k++] = g_strdup(cid);
}

static gint
row_cmp(gconstpointer a, gconstpointer b)
{
    const cl_row *x = (const cl_row *)a, *y = (const cl_row *)b;
    if (x->z->start_ns != y->z->start_ns)
        return x->z->start_ns < y->z->start_ns ? -1 : 1;
    if (x->cc->stream != y->cc->stream)
        return x->cc->stream < y->cc->stream ? -1 : 1;
    if (ts_conn_index(x->cc->conn) != ts_conn_index(y->cc->conn))
        return ts_conn_index(x->cc->conn) < ts_conn_index(y->cc->conn) ? -1 : 1;
    return ts_zeek_index(x->z) < ts_zeek_index(y->z) ? -1 : ts_zeek_index(x->z) > ts_zeek_index(y->z);
}

/* Every Zeek connection of every listed connection, in time order. */
static GArray *
collect_rows(cl_tap *t)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(cl_row));
    for (guint i = 0; i < t->list->len; i++) {
        const cl_conn *cc = (const cl_conn *)g_ptr_array_index(t->list, i);
        for (const ts_zeek *z = ts_conn_zeek(cc->conn); z; z = ts_zeek_prev(z)) {
            cl_row r = { cc, z };
            if (z->started &&
                (!cc->zsel || g_hash_table_contains(cc->zsel, GUINT_TO_POINTER(ts_zeek_index(z) + 1u))))
                g_array_append_val(rows, r);
        }
    }
    g_array_sort(rows, row_cmp);
    return rows;
}

static void
print_json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s);
    }
    g_string_append_c(out, '"');
}

static void
print_row(cl_tap *t, const cl_row *r, GString *line)
{
    char *v[CL_NFIELDS];
    gboolean quoted[CL_NFIELDS];
    gboolean first = TRUE;

    row_values(r, t->json, v, quoted);
    g_string_truncate(line, 0);
    if (t->json)
        g_string_append_c(line, '{');
    for (unsigned i = 0; i < CL_NFIELDS; i++) {
        if (t->json) {
            if (!v[i])
                continue;                   /* Zeek's JSON leaves unset fields out */
            if (!first)
                g_string_append_c(line, ',');
            first = FALSE;
            print_json_string(line, cl_fields[i]);
            g_string_append_c(line, ':');
            if (quoted[i])
                print_json_string(line, v[i]);
            else
                g_string_append(line, v[i]);
        } else {
            if (i)
                g_string_append_c(line, '\t');
            g_string_append(line, v[i] ? v[i] : "-");
        }
        g_free(v[i]);
    }
    if (t->json)
        g_string_append_c(line, '}');
    printf("%s\n", line->str);
}

/* #open / #close: Zeek writes the wall-clock time; we write the capture's
 * first and last connection start, so the output is reproducible. */
static void
print_stamp(const char *tag, int64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000);
    struct tm tm;
    char buf[32];
    if (gmtime_r(&secs, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M-%S", &tm))
        printf("#%s\t%s\n", tag, buf);
}

static void
cl_draw(void *tapdata)
{
    cl_tap *t = (cl_tap *)tapdata;
    GArray *rows = collect_rows(t);
    GString *line = g_string_new(NULL);
    int64_t first = rows->len ? g_array_index(rows, cl_row, 0).z->start_ns : 0;
    int64_t last = rows->len ? g_array_index(rows, cl_row, rows->len - 1).z->start_ns : 0;

    if (!t->json) {
        printf("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
               "#unset_field\t-\n#path\tconn\n");
        print_stamp("open", first);
        printf("#fields");
        for (unsigned i = 0; i < CL_NFIELDS; i++)
            printf("\t%s", cl_fields[i]);
        printf("\n#types");
        for (unsigned i = 0; i < CL_NFIELDS; i++)
            printf("\t%s", cl_types[i]);
        printf("\n");
    }
    for (guint i = 0; i < rows->len; i++)
        print_row(t, &g_array_index(rows, cl_row, i), line);
    if (!t->json)
        print_stamp("close", last);
    g_string_free(line, TRUE);
    g_array_free(rows, TRUE);
}

static void
cl_finish(void *tapdata)
{
    cl_tap *t = (cl_tap *)tapdata;
    g_hash_table_destroy(t->by_conn);
    g_ptr_array_free(t->list, TRUE);
    g_free(t->filter);
    g_free(t);
}

static TS_STAT_INIT_RET
cl_init(const char *opt_arg, void *userdata _U_)
{
    static const char name[] = "tcpstate,connlog";
    cl_tap *t = g_new0(cl_tap, 1);
    const char *rest = opt_arg + strlen(name);
    GString *err;

    if (strncmp(opt_arg, name, strlen(name)) != 0)
        rest = "";
    if (strncmp(rest, ",json", 5) == 0 && (rest[5] == '\0' || rest[5] == ',')) {
        t->json = TRUE;
        rest += 5;
    }
    if (*rest && *rest != ',') {
        /* "-z tcpstate,connlogx": a typo, not a filter */
        tap_cli_error(TX_ERR_CONNLOG_USAGE, opt_arg);
        g_free(t);
        TS_STAT_INIT_RETURN(FALSE);
    }
    if (*rest == ',' && rest[1])
        t->filter = g_strdup(rest + 1);
    t->by_conn = g_hash_table_new(g_direct_hash, g_direct_equal);
    t->list = g_ptr_array_new_with_free_func(cl_conn_free);
    err = register_tap_listener(TCPSTATE_TAP_NAME, t, t->filter, TL_REQUIRES_NOTHING,
                                cl_reset, cl_packet, cl_draw, cl_finish);
    if (err) {
        tap_cli_error(TX_ERR_TAP_REGISTER, "tcpstate,connlog", err->str);
        g_string_free(err, TRUE);
        cl_finish(t);
        TS_STAT_INIT_RETURN(FALSE);
    }
    TS_STAT_INIT_RETURN(TRUE);
}

static stat_tap_ui connlog_ui = {
    REGISTER_STAT_GROUP_GENERIC, NULL, "tcpstate,connlog", cl_init, 0, NULL
};

void
tcpstate_register_connlog_tap(void)
{
    connlog_ui.title = ts_text(TX_REG_CONNLOG_CLI, TS_LANG_EN);
    register_stat_tap_ui(&connlog_ui, NULL);
}
