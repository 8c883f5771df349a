/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_tap_tree.c: -z tcpstate,tree[,filter] and Statistics > TCP
 * Connection States: counters per packet and per connection.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpstate_tap_common.h"

#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/stats_tree_priv.h>
#include <epan/prefs.h>

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

/* Node names, in the language in use when the tree starts (its init). */
#define N_OUTCOME   TAP_TX(TX_ST_OUTCOME)
#define N_ZEEK      TAP_TX(TX_ST_ZEEK)
#define N_CONN_AN   TAP_TX(TX_ST_CONN_AN)
#define N_HS_TIME   TAP_TX(TX_ST_HS_TIME)
#define N_STAGE     TAP_TX(TX_ST_STAGE)
#define N_PKT_AN    TAP_TX(TX_ST_PKT_AN)
#define N_NONE      TAP_TX(TX_ST_NONE)

static const ts_text_id hs_buckets[] = {
    TX_ST_HS_1MS, TX_ST_HS_10MS, TX_ST_HS_100MS, TX_ST_HS_1S, TX_ST_HS_MORE,
    TX_ST_HS_UNTIMED,   /* incomplete, simultaneous open, or no SYN seen */
};

/* A record kept for later (by value: tcpstate_glue.h); frame and layer
 * say which record it is.  rec.conn NULL: none. */
typedef struct {
    ts_record rec;
    uint32_t frame;
    unsigned layer;
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
    ts_anomaly_set set = ts_conn_final_anomalies(c, end, grace);
    int64_t ns;
    ts_text_id bucket;

    tick_stat_node(st, N_OUTCOME, 0, TRUE);
    tick_stat_node(st, ts_outcome_label(ts_conn_outcome(c), tcpstate_language()), ts->n_outcome,
                   FALSE);
    tick_stat_node(st, N_ZEEK, 0, TRUE);
    tick_stat_node(st, ts_zeek_state_name(ts_zeek_conn_state(ts_conn_zeek(c))), ts->n_zeek, FALSE);
    tick_stat_node(st, N_CONN_AN, 0, TRUE);
    if (!set)
        tick_stat_node(st, N_NONE, ts->n_conn_an, FALSE);
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
        if (set & TS_BIT(an))
            tick_stat_node(st, ts_anomaly_name(an), ts->n_conn_an, FALSE);
    if (!ts_conn_time_handshake(c, &ns))
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
    tick_stat_node(st, TAP_TX(bucket), ts->n_hs, FALSE);
}

static void
tree_count_packet(tree_state *ts, unsigned stage, ts_anomaly_set set)
{
    stats_tree *st = ts->st;
    tick_stat_node(st, N_STAGE, 0, TRUE);
    tick_stat_node(st, stage_label(stage), ts->n_stage, FALSE);
    tick_stat_node(st, N_PKT_AN, 0, TRUE);
    if (!set)
        tick_stat_node(st, N_NONE, ts->n_pkt_an, FALSE);
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
        if (set & TS_BIT(an))
            tick_stat_node(st, ts_anomaly_name(an), ts->n_pkt_an, FALSE);
}

static void
tree_flush(tree_state *ts)
{
    int64_t end = tcpstate_capture_end_ns(), grace = tcpstate_grace_ns();
    guint i;

    for (i = 0; i < ts->pending_recs->len; i++) {
        const rec_ref *rr = &g_array_index(ts->pending_recs, rec_ref, i);
        const ts_conn *c = rr->rec.conn;
        tree_conn *tc = (tree_conn *)g_hash_table_lookup(ts->seen, c);
        int is_last = tc && tc->last.frame == rr->frame && tc->last.layer == rr->layer &&
                      rr->frame == ts_conn_last_frame(c);
        ts_record view = ts_hindsight(&rr->rec, rr->frame);
        tree_count_packet(ts, view.stage,
                          view.anomalies | ts_deferred_anomalies(&rr->rec, end, grace, is_last));
    }
    for (i = 0; i < ts->pending_conns->len; i++) {
        const ts_conn *c = (const ts_conn *)g_ptr_array_index(ts->pending_conns, i);
        tree_conn *tc = (tree_conn *)g_hash_table_lookup(ts->seen, c);
        /* The last packet of a connection counted at once may still owe
         * open_at_capture_end: add what it lacks. */
        if (tc && tc->last.rec.conn && !tc->last_pending && tc->last.frame == ts_conn_last_frame(c)) {
            /* counted at once: its view is the record itself (no TS_REC_ALT) */
            ts_anomaly_set extra = ts_deferred_anomalies(&tc->last.rec, end, grace, 1) &
                                   ~tc->last.rec.anomalies;
            for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++)
                if (extra & TS_BIT(an))
                    tick_stat_node(ts->st, ts_anomaly_name(an), ts->n_pkt_an, FALSE);
            if (extra && !tc->last.rec.anomalies)
                increase_stat_node(ts->st, N_NONE, ts->n_pkt_an, FALSE, -1);
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

    if (!ts || !ti || !ti->rec.conn)
        return TAP_PACKET_DONT_REDRAW;
    rec = &ti->rec;
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
    tc->last.rec = *rec;
    tc->last.frame = ti->frame;
    tc->last.layer = ti->layer;
    tc->last_pending = ts_record_may_change(rec);
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


#if !TS_WS_AT_LEAST(4, 6)
/*
 * -z tcpstate,tree,FILTER before Wireshark 4.6.  tshark's own -z handler
 * for stats trees cannot fail there: a filter that does not compile is
 * reported and tshark goes on and exits 0.  "tcpstate,tree," (with the
 * comma) is a longer -z name than "tcpstate,tree", and tshark tries the
 * longest first, so this handler takes every -z tcpstate,tree,FILTER: it
 * does what tshark's does (a stats tree on the tcpstate tap, printed as
 * plain text) and exits 1 when the filter is bad, as -z
 * tcpstate,conns does.  From 4.6 on tshark's handler fails by itself.
 */
static void
cli_tree_draw(void *tapdata)
{
    stats_tree *st = (stats_tree *)tapdata;
    GString *s = stats_tree_format_as_str(st, ST_FORMAT_PLAIN, stats_tree_get_default_sort_col(st),
                                          stats_tree_is_default_sort_DESC(st));
    printf("%s", s->str);
    g_string_free(s, TRUE);
}

static void
cli_tree_free(void *tapdata)
{
    stats_tree_free((stats_tree *)tapdata);
}

static void
cli_tree_init(const char *opt_arg, void *userdata _U_)
{
    stats_tree_cfg *cfg = stats_tree_get_cfg_by_abbr("tcpstate");
    const char *filter = opt_arg + strlen("tcpstate,tree,");
    stats_tree *st;
    GString *err;

    if (!cfg) {
        fprintf(stderr, "tshark: %s\n", TAP_TX(TX_ERR_TREE_MISSING));
        exit(1);
    }
    st = stats_tree_new(cfg, NULL, filter);
    err = register_tap_listener(cfg->tapname, st, st->filter, cfg->flags, stats_tree_reset,
                                stats_tree_packet, cli_tree_draw, cli_tree_free);
    if (err) {
        tap_cli_error(TX_ERR_TAP_REGISTER, "tcpstate,tree", err->str);
        g_string_free(err, TRUE);
        exit(1);
    }
    if (cfg->init)
        cfg->init(st);
}

static stat_tap_ui cli_tree_ui = {
    REGISTER_STAT_GROUP_GENERIC, NULL, "tcpstate,tree,", cli_tree_init, 0, NULL
};
#endif

void
tcpstate_register_tap_tree(void)
{
#if !TS_WS_AT_LEAST(4, 6)
    register_stat_tap_ui(&cli_tree_ui, NULL);
#endif
    stats_tree_register_plugin(TCPSTATE_TAP_NAME, "tcpstate", ts_text(TX_REG_TREE_MENU, TS_LANG_EN),
                               0, tree_packet, tree_init, tree_cleanup);
    register_shutdown_routine(tree_shutdown);
}
