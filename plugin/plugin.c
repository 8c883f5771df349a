/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plugin.c: the entry points Wireshark looks up when it loads tcpstate.so.
 *
 * Written by hand (Wireshark's own plugins generate this file) so the
 * plugin builds against an installed Wireshark with plain CMake.
 * plugin_want_major/minor must equal the Wireshark the plugin was built
 * against: the loader refuses other versions.
 */

#include <ws_version.h>
#include <ws_symbol_export.h>

#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>

#include "tcpstate_glue.h"

#if TS_WS_AT_LEAST(4, 4)
#include <wsutil/plugins.h>
#endif

#ifndef TCPSTATE_VERSION
#define TCPSTATE_VERSION "0.1.0"
#endif

WS_DLL_PUBLIC_DEF const char plugin_version[] = TCPSTATE_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#if TS_WS_AT_LEAST(4, 4)
WS_DLL_PUBLIC uint32_t plugin_describe(void);
#endif

void
plugin_register(void)
{
    static proto_plugin plug_tcpstate;
#ifdef TCPSTATE_HAVE_TAPS
    static tap_plugin tap_tcpstate;
#endif

    plug_tcpstate.register_protoinfo = proto_register_tcpstate;
    plug_tcpstate.register_handoff = proto_reg_handoff_tcpstate;
    proto_register_plugin(&plug_tcpstate);

#ifdef TCPSTATE_HAVE_TAPS
    tap_tcpstate.register_tap_listener = tcpstate_register_taps;
    tap_register_plugin(&tap_tcpstate);
#endif
}

#if TS_WS_AT_LEAST(4, 4)
uint32_t
plugin_describe(void)
{
#ifdef TCPSTATE_HAVE_TAPS
    return WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER;
#else
    return WS_PLUGIN_DESC_DISSECTOR;
#endif
}
#endif
