/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: registration.  The protocol, its fields (names from the
 * message catalog), one expert field per anomaly, the preferences and
 * their parsing, the tap, and the other protocols' fields the
 * postdissector wants; the accessors the taps read preferences through.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <epan/tap.h>
#include <wsutil/report_message.h>

#include "tcpstate_core.h"
#include "tcpstate_glue_private.h"
#include "tcpstate_labels.h"

/* ---- Registration handles ------------------------------------------------ */

int proto_tcpstate = -1;
int tcpstate_tap = -1;
dissector_handle_t tcpstate_handle;

int hf_stage = -1;
int hf_stage_local = -1;
int hf_phase = -1;
int hf_step = -1;
int hf_client_before = -1;
int hf_client_after = -1;
int hf_server_before = -1;
int hf_server_after = -1;
int hf_sender = -1;
int hf_closer = -1;
int hf_teardown_role = -1;
int hf_retransmission = -1;
int hf_inferred = -1;
int hf_explanation = -1;
int hf_related_frame = -1;
int hf_conn = -1;
int hf_time_syn_to_synack = -1;
int hf_time_synack_to_ack = -1;
int hf_time_teardown = -1;
int hf_zeek_conn_state = -1;
int hf_zeek_history = -1;
int hf_zeek_conn = -1;
int hf_zeek_split = -1;
int hf_anomaly = -1;
/* Whole-connection fields: the same on every packet of a connection. */
int hf_conn_outcome = -1;
int hf_conn_client_final = -1;
int hf_conn_server_final = -1;
int hf_conn_zeek_state = -1;
int hf_conn_anomaly = -1;

int ett_tcpstate = -1;
int ett_tcpstate_states = -1;
int ett_tcpstate_zeek = -1;
int ett_tcpstate_explanation = -1;
int ett_tcpstate_conn = -1;

expert_field ei_anomaly[TS_ANOMALY_COUNT];
/* One expert field per anomaly (registered by proto_register_tcpstate). */
ei_register_info ei[TS_ANOMALY_COUNT];

/* Other protocols' fields, looked up by name in the handoff. */
static const char *const wanted_names[W_COUNT] = {
    "tcp.srcport", "tcp.len", "tcp.stream",
    "ip", "ipv6", "udp",
};
int wanted_hf[W_ALL];
/* tcp.checksum.status says "bad" only when the TCP dissector verifies
 * checksums (preference tcp.check_checksum, off by default); otherwise it is
 * always "unverified", and wanting it would cost every packet a real item.
 * So it is wanted only while that preference is on (checked per file). */
gboolean want_checksum;
/* Protocols whose layer number is looked up in pinfo->layers. */
int proto_icmp = -1, proto_icmpv6 = -1, proto_udp = -1, proto_vxlan = -1, proto_gre = -1;

/* ---- Preferences --------------------------------------------------------- */

ts_pref_bool pref_info_column = TRUE;
ts_pref_bool pref_info_first = FALSE;
ts_pref_bool pref_info_data = FALSE;
gint         pref_language = TS_LANG_EN;  /* parsed from pref_language_text */
static const char  *pref_language_text = "en";
static ts_pref_bool pref_analogy = FALSE;
static guint        pref_grace_ms = 1000;       /* parsed from pref_grace_text */
static const char  *pref_grace_text = "1000";
/* Zeek's timers, seconds (tcpstate_zeek.h: ts_zeek_config) */
static guint        pref_zeek_attempt_s = 5, pref_zeek_close_s = 5;
static guint        pref_zeek_inactivity_s = 300, pref_zeek_hs_inactivity_s = 60;

/* ---- The language preference --------------------------------------------
 * A string, not an enum: Wireshark takes an unknown enum value silently
 * (-o tcpstate.language:zh_CN gave English without a word), and an enum
 * listing every spelling would fill the GUI's combo box with duplicates.
 * Accepted, in any case, '-' or '_': en, english; zh, zh_CN, zh_SG,
 * zh_Hans, chinese, cn, 简体中文, 中文.  Traditional Chinese (zh_TW, zh_HK,
 * zh_MO, zh_Hant) is a different script: tcpstate has no catalog for it and
 * says so rather than showing Simplified characters. */
#define TS_LANG_UNKNOWN     (-1)
#define TS_LANG_TRADITIONAL (-2)

static int
parse_language(const char *value)
{
    static const char *const en[] = { "en", "english", "en_us", "en_gb", "c", "" };
    static const char *const zh[] = { "zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn", "chinese",
                                      "cn", "simplified chinese", "简体中文", "中文" };
    static const char *const tw[] = { "zh_tw", "zh_hk", "zh_mo", "zh_hant", "zh_hant_tw",
                                      "traditional chinese", "繁體中文" };
    char v[64];
    size_t i;

    g_strlcpy(v, value ? value : "", sizeof v);
    g_strstrip(v);
    for (i = 0; v[i]; i++)
        v[i] = v[i] == '-' ? '_' : g_ascii_tolower(v[i]);
    for (i = 0; i < G_N_ELEMENTS(en); i++)
        if (strcmp(v, en[i]) == 0)
            return TS_LANG_EN;
    for (i = 0; i < G_N_ELEMENTS(zh); i++)
        if (strcmp(v, zh[i]) == 0)
            return TS_LANG_ZH;
    for (i = 0; i < G_N_ELEMENTS(tw); i++)
        if (strcmp(v, tw[i]) == 0)
            return TS_LANG_TRADITIONAL;
    return TS_LANG_UNKNOWN;
}

/* ---- The grace period preference ------------------------------------------
 * A string too: as an unsigned preference, a negative number typed in the
 * GUI was dropped without a word.  Milliseconds, 0 to one day, optionally
 * followed by "ms" or "s" (seconds). */
#define TS_GRACE_MAX_MS 86400000u

/* Returns TRUE and sets *ms when text is a valid grace period. */
static gboolean
parse_grace(const char *text, guint *ms)
{
    char *end = NULL;
    const char *p = text ? text : "";
    guint64 v, scale = 1;

    while (g_ascii_isspace(*p))
        p++;
    if (!g_ascii_isdigit(*p))
        return FALSE;               /* empty, negative or not a number */
    v = g_ascii_strtoull(p, &end, 10);
    while (g_ascii_isspace(*end))
        end++;
    if (g_ascii_strcasecmp(end, "s") == 0)
        scale = 1000;
    else if (*end && g_ascii_strcasecmp(end, "ms") != 0)
        return FALSE;
    if (v > TS_GRACE_MAX_MS / scale)
        return FALSE;
    *ms = (guint)(v * scale);
    return TRUE;
}

/* The expert fields' summaries in lang.  Wireshark registers each expert
 * field as a field whose name is the summary (our ei[] memory), and the
 * Expert Information dialog titles its groups with that name: the
 * preference can only be known after registration, so the names follow it
 * here, when preferences are applied. */
static void
name_experts(ts_lang lang)
{
    for (unsigned an = 0; an < TS_ANOMALY_COUNT; an++) {
        const char *text = ts_anomaly_summary_in(an, lang);
        ei[an].eiinfo.summary = text;
        ei[an].eiinfo.hf_info.hfinfo.name = text;
        ei[an].eiinfo.hf_info.hfinfo.blurb = text;
    }
}

/* A bad value on tshark's command line (or in its preferences file) is a
 * command-line mistake: a message and exit status 1, as Wireshark's own
 * "Invalid -o flag".  The GUI shows the message and keeps the old value. */
static void
bad_preference(const char *msg)
{
    const char *prg = g_get_prgname();
    if (prg && g_str_has_suffix(prg, "tshark")) {
        fprintf(stderr, "tshark: %s\n", msg);
        exit(1);
    }
    report_failure("%s", msg);
}

/* Preferences changed (command line, file or GUI): parse what was typed. */
static void
tcpstate_prefs_apply(void)
{
    int lang = parse_language(pref_language_text);
    guint grace;

    if (parse_grace(pref_grace_text, &grace)) {
        pref_grace_ms = grace;
    } else {
        char *msg = g_strdup_printf(ts_text(TX_ERR_GRACE, tcpstate_language()),
                                    pref_grace_text ? pref_grace_text : "", TS_GRACE_MAX_MS,
                                    pref_grace_ms);
        bad_preference(msg);
        g_free(msg);
    }

    if (lang == TS_LANG_TRADITIONAL)
        report_warning(ts_text(TX_ERR_LANGUAGE_TRADITIONAL, TS_LANG_EN), pref_language_text);
    else if (lang == TS_LANG_UNKNOWN)
        report_warning(ts_text(TX_ERR_LANGUAGE_UNKNOWN, TS_LANG_EN), pref_language_text);
    pref_language = lang >= 0 ? lang : TS_LANG_EN;
    name_experts(tcpstate_language());
}

ts_lang tcpstate_language(void) { return pref_language == TS_LANG_ZH ? TS_LANG_ZH : TS_LANG_EN; }
int     tcpstate_analogy(void)  { return pref_analogy ? 1 : 0; }
int64_t tcpstate_grace_ns(void) { return (int64_t)pref_grace_ms * 1000000; }

/* Whether the TCP dissector verifies checksums (unknown: assume it does). */
static gboolean
tcp_checks_checksums(void)
{
    module_t *tcp = prefs_find_module("tcp");
    pref_t *pref = tcp ? prefs_find_preference(tcp, "check_checksum") : NULL;
    return pref ? prefs_get_bool_value(pref, pref_current) != 0 : TRUE;
}

/* Tells Wireshark which fields to build for us (see "What is read"). */
static void
update_wanted_fields(void)
{
    GArray *hfids = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    unsigned w;

    want_checksum = tcp_checks_checksums() && wanted_hf[W_TCP_CKSUM_STATUS] > 0;
    for (w = 0; w < W_ALL; w++)
        if (wanted_hf[w] > 0 && (w != W_TCP_CKSUM_STATUS || want_checksum))
            g_array_append_val(hfids, wanted_hf[w]);
    set_postdissector_wanted_hfids(tcpstate_handle, hfids);
}

static void
apply_zeek_prefs(void)
{
    ts_zeek_config cfg = *ts_zeek_get_config();
    cfg.attempt_delay = (int64_t)pref_zeek_attempt_s * 1000000000;
    cfg.close_delay = (int64_t)pref_zeek_close_s * 1000000000;
    cfg.inactivity = (int64_t)pref_zeek_inactivity_s * 1000000000;
    cfg.handshake_inactivity = (int64_t)pref_zeek_hs_inactivity_s * 1000000000;
    ts_zeek_configure(&cfg);
}

static void
tcpstate_init(void)
{
    forget_file();
    /* Preferences may have changed since the last file (the GUI re-runs
     * this before it dissects again). */
    update_wanted_fields();
    apply_zeek_prefs();
}

static void
tcpstate_cleanup(void)
{
    forget_file();
}

/* ---- Registration ----------------------------------------------------------- */

static int
map_group(ts_group g)
{
    switch (g) {
    case TS_GRP_SEQUENCE:  return PI_SEQUENCE;
    case TS_GRP_PROTOCOL:  return PI_PROTOCOL;
    case TS_GRP_MALFORMED: return PI_MALFORMED;
    }
    return PI_PROTOCOL;
}

static int
map_severity(ts_severity s)
{
    switch (s) {
    case TS_SEV_CHAT:  return PI_CHAT;
    case TS_SEV_NOTE:  return PI_NOTE;
    case TS_SEV_WARN:  return PI_WARN;
    case TS_SEV_ERROR: return PI_ERROR;
    }
    return PI_NOTE;
}

/* The fields' names (the English labels of their tree items) come from the
 * message catalog: hf[] below leaves them NULL and this table fills them. */
static const struct {
    int *hf;
    ts_text_id name;
} field_names[] = {
    { &hf_stage, TX_LBL_STAGE },
    { &hf_stage_local, TX_LBL_STAGE_LOCAL },
    { &hf_phase, TX_LBL_PHASE },
    { &hf_step, TX_LBL_STEP },
    { &hf_client_before, TX_LBL_CLIENT_BEFORE },
    { &hf_client_after, TX_LBL_CLIENT_AFTER },
    { &hf_server_before, TX_LBL_SERVER_BEFORE },
    { &hf_server_after, TX_LBL_SERVER_AFTER },
    { &hf_sender, TX_LBL_SENDER },
    { &hf_closer, TX_LBL_CLOSER },
    { &hf_teardown_role, TX_LBL_TEARDOWN_ROLE },
    { &hf_retransmission, TX_LBL_RETRANSMISSION },
    { &hf_inferred, TX_LBL_INFERRED },
    { &hf_explanation, TX_LBL_EXPLANATION },
    { &hf_related_frame, TX_LBL_RELATED_FRAME },
    { &hf_conn, TX_LBL_CONN },
    { &hf_time_syn_to_synack, TX_LBL_SYN_TO_SYNACK },
    { &hf_time_synack_to_ack, TX_LBL_SYNACK_TO_ACK },
    { &hf_time_teardown, TX_LBL_TEARDOWN_TIME },
    { &hf_zeek_conn_state, TX_LBL_ZEEK_CONN_STATE },
    { &hf_zeek_history, TX_LBL_ZEEK_HISTORY },
    { &hf_zeek_conn, TX_LBL_ZEEK_CONN },
    { &hf_zeek_split, TX_LBL_ZEEK_SPLIT },
    { &hf_anomaly, TX_LBL_ANOMALY },
    { &hf_conn_outcome, TX_LBL_CONN_OUTCOME },
    { &hf_conn_client_final, TX_LBL_CLIENT_FINAL },
    { &hf_conn_server_final, TX_LBL_SERVER_FINAL },
    { &hf_conn_zeek_state, TX_LBL_CONN_ZEEK_STATE },
    { &hf_conn_anomaly, TX_LBL_CONN_ANOMALY },
};

static void
name_fields(hf_register_info *hf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < array_length(field_names); k++)
            if (hf[i].p_id == field_names[k].hf)
                hf[i].hfinfo.name = ts_text(field_names[k].name, TS_LANG_EN);
}

void
proto_register_tcpstate(void)
{
    static hf_register_info hf[] = {
        { &hf_stage, { NULL /* TX_LBL_STAGE */, "tcpstate.stage", FT_STRING, BASE_NONE, NULL, 0x0,
          "Place of the segment in the connection's life (English label; filter on it)", HFILL } },
        { &hf_stage_local, { NULL /* TX_LBL_STAGE_LOCAL */, "tcpstate.stage_local", FT_STRING, BASE_NONE, NULL, 0x0,
          "The stage label in the language of the preference tcpstate.language, for columns "
          "(filter on tcpstate.stage, which never changes)", HFILL } },
        { &hf_phase, { NULL /* TX_LBL_PHASE */, "tcpstate.phase", FT_STRING, BASE_NONE, NULL, 0x0,
          "handshake, established, teardown, closed or reset", HFILL } },
        { &hf_step, { NULL /* TX_LBL_STEP */, "tcpstate.step", FT_STRING, BASE_NONE, NULL, 0x0,
          "Step within the handshake or teardown (1/3, 2+3/4, ...)", HFILL } },
        { &hf_client_before, { NULL /* TX_LBL_CLIENT_BEFORE */, "tcpstate.client.before", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the client before this segment", HFILL } },
        { &hf_client_after, { NULL /* TX_LBL_CLIENT_AFTER */, "tcpstate.client.after", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the client after this segment", HFILL } },
        { &hf_server_before, { NULL /* TX_LBL_SERVER_BEFORE */, "tcpstate.server.before", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the server before this segment", HFILL } },
        { &hf_server_after, { NULL /* TX_LBL_SERVER_AFTER */, "tcpstate.server.after", FT_STRING, BASE_NONE, NULL, 0x0,
          "RFC 9293 state of the server after this segment", HFILL } },
        { &hf_sender, { NULL /* TX_LBL_SENDER */, "tcpstate.sender", FT_STRING, BASE_NONE, NULL, 0x0,
          "Who sent the segment: client or server", HFILL } },
        { &hf_closer, { NULL /* TX_LBL_CLOSER */, "tcpstate.closer", FT_STRING, BASE_NONE, NULL, 0x0,
          "Who sent the connection's first FIN: client or server", HFILL } },
        { &hf_teardown_role, { NULL /* TX_LBL_TEARDOWN_ROLE */, "tcpstate.teardown_role", FT_STRING, BASE_NONE, NULL, 0x0,
          "Role of the sender in the close: initiator (active close) or recipient (passive close)", HFILL } },
        { &hf_retransmission, { NULL /* TX_LBL_RETRANSMISSION */, "tcpstate.retransmission", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
          "Repeats a SYN, SYN-ACK, FIN or ACK already seen", HFILL } },
        { &hf_inferred, { NULL /* TX_LBL_INFERRED */, "tcpstate.inferred", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
          "Roles and states inferred: the connection's SYN was not seen", HFILL } },
        { &hf_explanation, { NULL /* TX_LBL_EXPLANATION */, "tcpstate.explanation", FT_STRING, BASE_NONE, NULL, 0x0,
          "What the segment does, in plain words", HFILL } },
        { &hf_related_frame, { NULL /* TX_LBL_RELATED_FRAME */, "tcpstate.related_frame", FT_FRAMENUM, BASE_NONE,
          FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0,
          "The segment this one answers: the SYN of a SYN-ACK, the FIN an ACK acknowledges", HFILL } },
        { &hf_conn, { NULL /* TX_LBL_CONN */, "tcpstate.conn", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Connection number within the TCP stream (ports reused)", HFILL } },
        { &hf_time_syn_to_synack, { NULL /* TX_LBL_SYN_TO_SYNACK */, "tcpstate.time.syn_to_synack", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the SYN to this SYN-ACK", HFILL } },
        { &hf_time_synack_to_ack, { NULL /* TX_LBL_SYNACK_TO_ACK */, "tcpstate.time.synack_to_ack", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the SYN-ACK to this handshake ACK", HFILL } },
        { &hf_time_teardown, { NULL /* TX_LBL_TEARDOWN_TIME */, "tcpstate.time.teardown", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the first FIN to this final ACK", HFILL } },
        { &hf_zeek_conn_state, { NULL /* TX_LBL_ZEEK_CONN_STATE */, "tcpstate.zeek.conn_state", FT_STRING, BASE_NONE, NULL, 0x0,
          "Zeek's conn_state as of this segment", HFILL } },
        { &hf_zeek_history, { NULL /* TX_LBL_ZEEK_HISTORY */, "tcpstate.zeek.history", FT_STRING, BASE_NONE, NULL, 0x0,
          "Zeek's connection history as of this segment", HFILL } },
        { &hf_zeek_conn, { NULL /* TX_LBL_ZEEK_CONN */, "tcpstate.zeek.conn", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Zeek connection number within this tcpstate.conn: 0, then +1 each time Zeek's "
          "timers or reuse rule end a connection that tcpstate keeps as one", HFILL } },
        { &hf_zeek_split, { NULL /* TX_LBL_ZEEK_SPLIT */, "tcpstate.zeek.split", FT_STRING, BASE_NONE, NULL, 0x0,
          "On the first packet of a Zeek connection other than the first: why Zeek ended "
          "the previous one (attempt, close, reuse, inactivity, expire)", HFILL } },
        { &hf_anomaly, { NULL /* TX_LBL_ANOMALY */, "tcpstate.anomaly", FT_STRING, BASE_NONE, NULL, 0x0,
          "Name of an anomaly found at this segment", HFILL } },
        { &hf_conn_outcome, { NULL /* TX_LBL_CONN_OUTCOME */, "tcpstate.conn.outcome", FT_STRING, BASE_NONE, NULL, 0x0,
          "How the whole connection ended (two passes / GUI); in one pass, as known at this packet", HFILL } },
        { &hf_conn_client_final, { NULL /* TX_LBL_CLIENT_FINAL */, "tcpstate.conn.client_final", FT_STRING, BASE_NONE, NULL, 0x0,
          "The client's RFC 9293 state at the end of the connection (one pass: so far)", HFILL } },
        { &hf_conn_server_final, { NULL /* TX_LBL_SERVER_FINAL */, "tcpstate.conn.server_final", FT_STRING, BASE_NONE, NULL, 0x0,
          "The server's RFC 9293 state at the end of the connection (one pass: so far)", HFILL } },
        { &hf_conn_zeek_state, { NULL /* TX_LBL_CONN_ZEEK_STATE */, "tcpstate.conn.zeek_state", FT_STRING, BASE_NONE, NULL, 0x0,
          "Zeek's conn_state of the whole connection (one pass: so far)", HFILL } },
        { &hf_conn_anomaly, { NULL /* TX_LBL_CONN_ANOMALY */, "tcpstate.conn.anomaly", FT_STRING, BASE_NONE, NULL, 0x0,
          "An anomaly found anywhere in the connection, on every packet of it (one pass: so far)", HFILL } },
    };
    static gint *ett[] = { &ett_tcpstate, &ett_tcpstate_states, &ett_tcpstate_zeek,
                           &ett_tcpstate_explanation, &ett_tcpstate_conn };

    /* One expert field per row of TS_ANOMALY_LIST: names, groups, severities
     * and summaries come from the table, never typed here. */
    static const ei_register_info ei_template = {
        NULL, { "tcpstate.anomaly", PI_SEQUENCE, PI_NOTE, "", EXPFILL }
    };
    static char ei_names[TS_ANOMALY_COUNT][64];
    expert_module_t *expert;
    module_t *prefs;
    unsigned an;

    proto_tcpstate = proto_register_protocol(ts_text(TX_TREE_TITLE, TS_LANG_EN), "TCPState",
                                             "tcpstate");
    name_fields(hf, array_length(hf));
    proto_register_field_array(proto_tcpstate, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));

    for (an = 0; an < TS_ANOMALY_COUNT; an++) {
        ei[an] = ei_template;
        ei[an].ids = &ei_anomaly[an];
        /* Static: registered names must live as long as the program (a heap
         * copy would be reported as a leak at exit). */
        snprintf(ei_names[an], sizeof ei_names[an], "tcpstate.anomaly.%s", ts_anomaly_name(an));
        ei[an].eiinfo.name = ei_names[an];
        ei[an].eiinfo.group = map_group(ts_anomaly_group(an));
        ei[an].eiinfo.severity = map_severity(ts_anomaly_severity(an));
    }
    name_experts(TS_LANG_EN);
    expert = expert_register_protocol(proto_tcpstate);
    expert_register_field_array(expert, ei, TS_ANOMALY_COUNT);

    prefs = prefs_register_protocol(proto_tcpstate, tcpstate_prefs_apply);
    /* registered before the preferences are read: English (see the catalog) */
#define PREF_TX(id) ts_text((id), TS_LANG_EN)
    prefs_register_bool_preference(prefs, "info_column", PREF_TX(TX_PREF_INFO_COLUMN),
        PREF_TX(TX_PREF_INFO_COLUMN_HELP), &pref_info_column);
    prefs_register_bool_preference(prefs, "info_column_first", PREF_TX(TX_PREF_INFO_FIRST),
        PREF_TX(TX_PREF_INFO_FIRST_HELP), &pref_info_first);
    prefs_register_bool_preference(prefs, "info_column_data", PREF_TX(TX_PREF_INFO_DATA),
        PREF_TX(TX_PREF_INFO_DATA_HELP), &pref_info_data);
    prefs_register_string_preference(prefs, "language", PREF_TX(TX_PREF_LANGUAGE),
        PREF_TX(TX_PREF_LANGUAGE_HELP), &pref_language_text);
    prefs_register_bool_preference(prefs, "analogy", PREF_TX(TX_PREF_ANALOGY),
        PREF_TX(TX_PREF_ANALOGY_HELP), &pref_analogy);
    prefs_register_string_preference(prefs, "grace_period", PREF_TX(TX_PREF_GRACE),
        PREF_TX(TX_PREF_GRACE_HELP), &pref_grace_text);
    prefs_register_uint_preference(prefs, "zeek.attempt_delay", PREF_TX(TX_PREF_ZEEK_ATTEMPT),
        PREF_TX(TX_PREF_ZEEK_ATTEMPT_HELP), 10, &pref_zeek_attempt_s);
    prefs_register_uint_preference(prefs, "zeek.close_delay", PREF_TX(TX_PREF_ZEEK_CLOSE),
        PREF_TX(TX_PREF_ZEEK_CLOSE_HELP), 10, &pref_zeek_close_s);
    prefs_register_uint_preference(prefs, "zeek.inactivity_timeout", PREF_TX(TX_PREF_ZEEK_INACTIVITY),
        PREF_TX(TX_PREF_ZEEK_INACTIVITY_HELP), 10, &pref_zeek_inactivity_s);
    prefs_register_uint_preference(prefs, "zeek.handshake_inactivity_timeout",
        PREF_TX(TX_PREF_ZEEK_HS_INACTIVITY), PREF_TX(TX_PREF_ZEEK_HS_INACTIVITY_HELP),
        10, &pref_zeek_hs_inactivity_s);
#undef PREF_TX

    register_init_routine(tcpstate_init);
    register_cleanup_routine(tcpstate_cleanup);
    ts_labels_init();           /* the tree's labels, made once (issue 14) */

    tcpstate_handle = create_dissector_handle(dissect_tcpstate, proto_tcpstate);
    tcpstate_tap = register_tap(TCPSTATE_TAP_NAME);
}

void
proto_reg_handoff_tcpstate(void)
{
    unsigned w;

    for (w = 0; w < W_COUNT; w++)
        wanted_hf[w] = proto_registrar_get_id_byname(wanted_names[w]);
    wanted_hf[W_TCP_CKSUM_STATUS] = proto_registrar_get_id_byname("tcp.checksum.status");
    register_postdissector(tcpstate_handle);
    update_wanted_fields();
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    proto_udp = proto_get_id_by_filter_name("udp");
    proto_vxlan = proto_get_id_by_filter_name("vxlan");
    proto_gre = proto_get_id_by_filter_name("gre");
}
