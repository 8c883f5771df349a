/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate glue: what the Wireshark side of the plugin shares with
 * plugin.c and the taps (tcpstate_taps.c, tcpstate_tap_*.c).  What only the
 * glue's own files share is in tcpstate_glue_private.h.
 *
 * The "tcpstate" tap
 * ------------------
 * The glue registers the tap "tcpstate" (tcpstate_glue_register.c);
 * packet-tcpstate.c queues one
 * tcpstate_tap_info per TCP layer it labelled, on EVERY dissection pass
 * (first pass and re-dissections alike); a listener decides what it wants.
 * A frame with several TCP layers (tunnels) queues several infos, in layer
 * order.  TCP quoted inside ICMP/ICMPv6 errors and TCP layers missing a
 * required field are never queued.
 *
 * Lifetime and validity of the members:
 *  - rec: the frame's record for this layer, a copy (the glue keeps its
 *    records packed, not as ts_record: tcpstate_glue_private.h,
 *    tcpstate_slot); keep it by value.  Its facts never change after the
 *    first pass.  Identity: a record is (frame, layer), not an address.
 *  - conn (== rec.conn): file scope (wmem_file_scope()), valid until the
 *    capture file is closed or re-dissected; a connection the store kept
 *    small (one SYN) has been made whole for good, since listeners keep it.
 *    *conn keeps growing during the first pass: a listener that runs during
 *    the first pass sees the connection as of this frame (plus nothing
 *    later); at draw time (after the whole file was read) it is complete.
 *    Walk rec.conn->next for later connections on the same stream.
 *  - view: the record as shown in the tree: ts_hindsight(&rec, frame) on a
 *    visited pass (final stage, states a later segment proved), a copy of
 *    rec on the first pass.  Use view.stage and the view's states for
 *    display; rec for first-pass facts.
 *  - seg: the segment as fed to the core, rebuilt from what the glue keeps
 *    per packet (frame, time, direction, flags, Fast Open, seq, ack, len,
 *    ports); win, wscale, bad_checksum and payload_truncated are not kept
 *    and read 0 / -1.  For an ICMP record (rec.rflags & TS_REC_ICMP): seq
 *    is the quoted segment's, the direction the ICMP's (toward the quoted
 *    segment's sender), flags 0.  A copy, valid in the callback.
 *  - src, dst, src_str, dst_str: packet scope (pinfo->pool); copy them
 *    (copy_address_wmem / g_strdup) if you keep them past the callback.
 *  - anomalies: rec.anomalies, plus the deferred ones
 *    (ts_deferred_anomalies) when deferred_valid is set, i.e. on a visited
 *    pass (tshark -2, GUI re-dissection).  In a single pass, compute the
 *    deferred ones yourself at draw time with ts_conn_final_anomalies(conn,
 *    tcpstate_capture_end_ns(), tcpstate_grace_ns()).
 */
#ifndef TCPSTATE_GLUE_H
#define TCPSTATE_GLUE_H

#include <stdint.h>

#include <glib.h>
#include <ws_version.h>
#include <epan/address.h>

#include "tcpstate_core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TCPSTATE_TAP_NAME "tcpstate"

typedef struct {
    ts_record        rec;       /* the frame's record for this layer (a copy) */
    const ts_conn   *conn;      /* == rec.conn */
    ts_record        view;      /* what the tree shows (hindsight when visited) */
    ts_segment       seg;       /* facts fed to ts_stream_process */
    uint32_t         stream;    /* tcp.stream */
    uint32_t         frame;     /* pinfo->num */
    unsigned         layer;     /* 0 = first labelled TCP layer of the frame */
    address          src, dst;  /* network addresses of this TCP layer */
    const char      *src_str, *dst_str;
    uint16_t         srcport, dstport;
    ts_anomaly_set   anomalies; /* see above */
    uint8_t          deferred_valid; /* anomalies include the deferred ones */
    uint8_t          visited;   /* PINFO_FD_VISITED: not the first pass */
} tcpstate_tap_info;

/* Wireshark versions differ in a few APIs (4.0 to 4.6): the glue and the
 * taps test the version they are built against with this. */
#define TS_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* Registration, called from plugin.c. */
void proto_register_tcpstate(void);
void proto_reg_handoff_tcpstate(void);

/* Current preferences and capture facts, for the taps. */
ts_lang  tcpstate_language(void);
/* A stage's label in the language in use. */
const char *stage_label(unsigned stage);
int      tcpstate_analogy(void);
/* Latest frame timestamp seen in the first pass (0 before any frame). */
int64_t  tcpstate_capture_end_ns(void);
/* The grace_period preference, in nanoseconds. */
int64_t  tcpstate_grace_ns(void);

/* Whether display filter df matches the record of frame as a second pass
 * would show it (its tcpstate fields and its connection's final facts; no
 * other protocol's fields): what a single-pass tap asks at draw time so
 * that it selects the same connections as two passes.  epan: the session
 * the packets were dissected in (pinfo->epan). */
struct epan_dfilter;
struct epan_session;
gboolean tcpstate_final_record_matches(struct epan_dfilter *df, struct epan_session *epan,
                                       const ts_record *rec, uint32_t frame);

/* Defined by tcpstate_taps.c when it is built (CMake defines
 * TCPSTATE_HAVE_TAPS then): registers the -z tcpstate,... statistics.  It is
 * called through tap_register_plugin(), i.e. before the command line -z
 * options are parsed. */
void tcpstate_register_taps(void);
/* -z tcpstate,connlog (tcpstate_tap_connlog.c), called by the above. */
void tcpstate_register_connlog_tap(void);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_GLUE_H */
