/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_taps.c: registers the statistics built on the "tcpstate" tap,
 * one file each:
 *
 *   tshark -q -z tcpstate,conns[,filter]    tcpstate_tap_conns.c
 *   tshark -q -z tcpstate,ladder[,filter]   tcpstate_tap_ladder.c
 *   tshark -q -z tcpstate,tree[,filter]     tcpstate_tap_tree.c
 *
 * Shared helpers: tcpstate_tap_common.c.
 */

#include "tcpstate_tap_common.h"

void
tcpstate_register_taps(void)
{
    tcpstate_register_tap_conns();
    tcpstate_register_tap_ladder();
    tcpstate_register_tap_tree();
    tcpstate_register_tap_table();
    tcpstate_register_tap_ladder_window();
    tcpstate_register_connlog_tap();     /* tcpstate_tap_connlog.c */
}
