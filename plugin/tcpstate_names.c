/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate core: the names and labels of states, phases, stages, anomalies
 * and outcomes (the X-macro lists of tcpstate_types.h, the texts of
 * tcpstate_text.def).
 */
#include "tcpstate_core.h"

/* ---- Names --------------------------------------------------------------- */

static const char *const state_names[] = {
#define TS_X_NAME(id, name) name,
    TS_STATE_LIST(TS_X_NAME)
#undef TS_X_NAME
};

const char *ts_state_name(unsigned state)
{
    return state < TS_STATE_COUNT ? state_names[state] : "?";
}

static const ts_text_id phase_texts[TS_PHASE_COUNT] = {
    [TS_PHASE_HANDSHAKE] = TX_PHASE_HANDSHAKE, [TS_PHASE_ESTABLISHED] = TX_PHASE_ESTABLISHED,
    [TS_PHASE_TEARDOWN] = TX_PHASE_TEARDOWN, [TS_PHASE_CLOSED] = TX_PHASE_CLOSED,
    [TS_PHASE_RESET] = TX_PHASE_RESET,
};

const char *ts_phase_label(unsigned phase, ts_lang lang)
{
    return phase < TS_PHASE_COUNT ? ts_text(phase_texts[phase], lang) : "?";
}

const char *ts_phase_name(unsigned phase) { return ts_phase_label(phase, TS_LANG_EN); }

typedef struct {
    ts_text_id text;
    const char *step;
    uint8_t phase;
} stage_info;

static const stage_info stages[] = {
#define TS_X_STAGE(id, text, phase, step) { text, step, phase },
    TS_STAGE_LIST(TS_X_STAGE)
#undef TS_X_STAGE
};

const char *ts_stage_label_in(unsigned s, ts_lang lang)
{
    return s < TS_STAGE_COUNT ? ts_text(stages[s].text, lang) : "?";
}

const char *ts_stage_label(unsigned s)    { return ts_stage_label_in(s, TS_LANG_EN); }
const char *ts_stage_label_zh(unsigned s) { return ts_stage_label_in(s, TS_LANG_ZH); }
unsigned    ts_stage_phase(unsigned s)    { return s < TS_STAGE_COUNT ? stages[s].phase : 0; }
const char *ts_stage_step(unsigned s)     { return s < TS_STAGE_COUNT ? stages[s].step : ""; }

typedef struct {
    const char *name;
    ts_text_id summary;
    ts_group group;
    ts_severity severity;
} anomaly_info;

static const anomaly_info anomalies[] = {
#define TS_X_AN(id, name, grp, sev, text) { name, text, grp, sev },
    TS_ANOMALY_LIST(TS_X_AN)
#undef TS_X_AN
};

const char *ts_anomaly_name(unsigned a)    { return a < TS_ANOMALY_COUNT ? anomalies[a].name : "?"; }
const char *ts_anomaly_summary_in(unsigned a, ts_lang lang)
{
    return a < TS_ANOMALY_COUNT ? ts_text(anomalies[a].summary, lang) : "?";
}
const char *ts_anomaly_summary(unsigned a) { return ts_anomaly_summary_in(a, TS_LANG_EN); }
ts_group    ts_anomaly_group(unsigned a)   { return a < TS_ANOMALY_COUNT ? anomalies[a].group : TS_GRP_PROTOCOL; }
ts_severity ts_anomaly_severity(unsigned a){ return a < TS_ANOMALY_COUNT ? anomalies[a].severity : TS_SEV_NOTE; }

#define DEFERRED_SET (TS_BIT(TS_AN_SYN_UNANSWERED) | TS_BIT(TS_AN_SYNACK_UNANSWERED) | \
                      TS_BIT(TS_AN_FIN_UNACKED) | TS_BIT(TS_AN_MISSING_FINAL_ACK) |    \
                      TS_BIT(TS_AN_OPEN_AT_CAPTURE_END))

int ts_anomaly_is_deferred(unsigned a)
{
    return a < TS_ANOMALY_COUNT && (DEFERRED_SET & TS_BIT(a)) != 0;
}

static const ts_text_id outcome_texts[] = {
#define TS_X_NAME(id, text) text,
    TS_OUTCOME_LIST(TS_X_NAME)
#undef TS_X_NAME
};

const char *ts_outcome_label(unsigned o, ts_lang lang)
{
    return o < TS_OUTCOME_COUNT ? ts_text(outcome_texts[o], lang) : "?";
}

const char *ts_outcome_name(unsigned o) { return ts_outcome_label(o, TS_LANG_EN); }
