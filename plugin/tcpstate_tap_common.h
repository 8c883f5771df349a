/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_tap_common.h: what the -z tcpstate,... statistics share
 * (tcpstate_tap_conns.c, tcpstate_tap_ladder.c, tcpstate_tap_tree.c, and
 * the GUI windows built on them): text layout by display width, the times
 * of a connection, and the set of connections a listener has seen.
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
 */
#ifndef TCPSTATE_TAP_COMMON_H
#define TCPSTATE_TAP_COMMON_H

#include <stdint.h>

#include <glib.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/tap.h>

#include "tcpstate_core.h"
#include "tcpstate_glue.h"

/* ---- Wireshark API differences (TS_WS_AT_LEAST: tcpstate_glue.h) ------ */

/* stat_tap_init_cb returns bool from 4.6 on. */
#if TS_WS_AT_LEAST(4, 6)
#define TS_STAT_INIT_RET bool
#define TS_STAT_INIT_RETURN(ok) return (ok)
#else
#define TS_STAT_INIT_RET void
#define TS_STAT_INIT_RETURN(ok) do { if (!(ok)) exit(1); return; } while (0)
#endif

#define RULE "================================================================================"


/* One ladder row kept during the pass: a segment, or a gap standing for a
 * run of uneventful data segments (see ladder_add). */
typedef struct {
    ts_record rec;          /* rec.conn NULL: a gap */
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
    GArray  *recs;          /* conn_rec: every record, kept only under a filter */
} conn_info;

/* A frame's record, as a listener keeps it (by value: tcpstate_glue.h). */
typedef struct {
    ts_record rec;
    uint32_t frame;
} conn_rec;

typedef struct {
    GHashTable *by_conn;    /* const ts_conn * -> conn_info * */
    GPtrArray  *list;       /* conn_info *, in order of first sight */
} conn_set;

size_t text_width(const char *s);
void pad(GString *out, size_t n, char c);
void put_left(GString *out, const char *s, size_t width);
void put_right(GString *out, const char *s, size_t width);
void put_centred(GString *out, const char *s, size_t width, char fill);
void strip_trailing_blanks(GString *s);
void flags_str(GString *out, uint8_t flags);
void anomaly_names(GString *out, ts_anomaly_set set, const char *sep);
void print_header(const char *title, const char *filter);
const char * filter_of(const char *opt_arg, const char *cli);
char * ms_str(gboolean valid, int64_t ns);
void conn_info_free(gpointer p);
void conn_set_init(conn_set *cs);
void conn_set_clear(conn_set *cs);
void conn_set_free(conn_set *cs);
char * endpoint_str(const address *addr, const char *s, uint16_t port);
conn_info * conn_set_add(conn_set *cs, const tcpstate_tap_info *ti, const ts_conn *conn);
void conn_set_add_successors(conn_set *cs);
gint conn_info_cmp(gconstpointer a, gconstpointer b);
const char * client_str(const conn_info *ci);
const char * server_str(const conn_info *ci);

/* ---- The columns of the connections table (-z tcpstate,conns, the GUI's
 * Connections table) ---- */
enum {
    CC_STREAM, CC_CONN, CC_CLIENT, CC_SERVER, CC_CSTATE, CC_SSTATE, CC_OUTCOME,
    CC_HS1, CC_HS2, CC_TEARDOWN, CC_PACKETS, CC_ZEEK, CC_HISTORY, CC_ANOMALIES,
    CC_COUNT
};
/* A column's title in the language in use (lang) */
const char *conns_title(unsigned column, ts_lang lang);
/* The language of the preference tcpstate.language, short */
#define TAP_TX(id) ts_text((id), tcpstate_language())
extern const gboolean conns_right[CC_COUNT];   /* numbers are right-aligned */

/* Fills row[CC_COUNT] (g_free each) with the connection's final facts. */
void conn_cells(const conn_info *ci, int64_t end, int64_t grace, char **row);

/* ---- Which connections a display filter picks ---------------------------
 * A connection is picked when one of its packets passed the filter on the
 * pass (a filtered listener), or -- after a single pass, where verdicts that
 * need the rest of the capture were not known yet when the packets went by
 * -- when one of its records matches the filter as a second pass would show
 * it (tcpstate_final_record_matches).  So -z tcpstate,conns,FILTER picks the
 * same connections in one pass and two for any filter on tcpstate fields. */
typedef struct {
    conn_set   *set;
    char       *filter;     /* NULL: every connection is picked */
    struct epan_dfilter *df;
    struct epan_session *epan;
    gboolean    first_pass_seen;  /* a packet came by on a first pass */
    gboolean    on;         /* the filtered listener is registered */
} conn_picker;

/* Registers the filtered listener (when filter is not NULL).  Returns
 * Wireshark's error for a bad filter (the caller frees it), else NULL. */
GString *conn_picker_start(conn_picker *p, conn_set *set, const char *filter);
/* From the tap's unfiltered listener, for every record. */
void conn_picker_note(conn_picker *p, conn_info *ci, const tcpstate_tap_info *ti,
                      packet_info *pinfo);
/* At draw time: picks what only the end of the capture shows. */
void conn_picker_settle(conn_picker *p);
void conn_picker_stop(conn_picker *p);

/* ---- What the -z statistics do alike at start and end -------------------- */

/* A -z mistake on tshark's command line: "tshark: ", the catalog's message
 * fmt in the language in use with the arguments, a newline, on stderr. */
void tap_cli_error(ts_text_id fmt, ...);

/* A statistic over connections (conns, ladder): its unfiltered listener t,
 * whose callbacks are given, then the picker of filter (NULL: none) over
 * conns.  On failure the error is said for cli (-z name) and t is freed
 * through finish.  Returns whether the statistic runs. */
gboolean conn_tap_start(void *t, conn_set *conns, conn_picker *pick, const char *filter,
                        const char *cli, tap_reset_cb reset, tap_packet_cb packet,
                        tap_draw_cb draw, tap_finish_cb finish);
/* Between passes: forget what was collected. */
void conn_tap_reset(conn_set *conns, conn_picker *pick);
/* At the end (its finish callback): stops the picker, frees the set and
 * the filter text (the caller frees its own struct). */
void conn_tap_free(conn_set *conns, conn_picker *pick, char *filter);

/* Registration of each statistic (called by tcpstate_register_taps). */
void tcpstate_register_tap_conns(void);
void tcpstate_register_tap_ladder(void);
void tcpstate_register_tap_tree(void);
void tcpstate_register_tap_table(void);
void tcpstate_register_tap_ladder_window(void);

#endif /* TCPSTATE_TAP_COMMON_H */
