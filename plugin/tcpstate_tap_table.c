/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpstate_tap_table.c: Statistics > TCP Connection States: Connections in
 * the GUI, a sortable table with the columns of -z tcpstate,conns, built on
 * Wireshark's table statistics (stat_tap_table_ui): the GUI gives it a
 * display filter field, sorting, copying and "Apply as Filter" /
 * "Prepare as Filter" on a row, which filter on the first column, the
 * stream (tcp.stream == N).  The last column holds the filter of exactly
 * that connection (with tcpstate.conn when its four-tuple was reused).
 *
 * When rows are right.  The GUI fills the table on a retap, where every
 * packet is "visited": the capture has been read to its end and each
 * connection's row shows its final facts (as -z tcpstate,conns).  The
 * same table also answers tshark's -z tcpstate,connections (Wireshark
 * registers that for every table statistic); in a single pass a row can
 * only be as good as the connection's last packet (no verdict that needs
 * the rest of the capture): use tshark -2 there, or -z tcpstate,conns.
 */

#include <stdio.h>
#include <string.h>

#include "tcpstate_tap_common.h"

#include <epan/stat_tap_ui.h>

#define TABLE_NAME ts_text(TX_REG_TABLE_NAME, TS_LANG_EN)

enum { TC_FILTER = CC_COUNT, TC_COUNT };

static stat_tap_table_item table_fields[TC_COUNT];

/* The table's own record of the connections it has rows for. */
static conn_set table_conns;
static GHashTable *row_of;      /* const ts_conn * -> row index + 1 */

static stat_tap_table *
the_table(stat_tap_table_ui *ui)
{
    return ui->tables && ui->tables->len ? g_array_index(ui->tables, stat_tap_table *, 0) : NULL;
}

static void
forget_rows(void)
{
    if (row_of)
        g_hash_table_remove_all(row_of);
    if (table_conns.list)
        conn_set_clear(&table_conns);
}

/* Empties the table (a retap starts it over): rows come and go with the
 * connections, unlike the fixed rows of most table statistics. */
static void
table_reset(stat_tap_table *table)
{
    for (guint r = 0; r < table->num_elements; r++) {
        for (guint k = 0; k < table->num_fields; k++)
            if (table->elements[r][k].type == TABLE_ITEM_STRING)
                g_free((char *)table->elements[r][k].value.string_value);
        g_free(table->elements[r]);
    }
    g_free(table->elements);
    table->elements = NULL;
    table->num_elements = 0;
    forget_rows();
}

static void
table_free_item(stat_tap_table *table _U_, guint row _U_, guint column _U_,
                stat_tap_table_item_type *field)
{
    if (field->type == TABLE_ITEM_STRING) {
        g_free((char *)field->value.string_value);
        field->value.string_value = NULL;
    }
}

static void
table_init(stat_tap_table_ui *ui)
{
    stat_tap_table *table = stat_tap_find_table(ui, TABLE_NAME);

    if (!table_conns.list)
        conn_set_init(&table_conns);
    if (!row_of)
        row_of = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (table) {
        table_reset(table);
        return;
    }
    /* "Apply as Filter" on a row: filter_string == value of column 0 */
    table = stat_tap_init_table(TABLE_NAME, TC_COUNT, 0, "tcp.stream");
    stat_tap_add_table(ui, table);
}

static char *
conn_filter(const conn_info *ci)
{
    const ts_conn *c = ci->conn;
    if (ts_conn_index(c) > 0 || ts_conn_next(c))
        return g_strdup_printf("tcp.stream == %u && tcpstate.conn == %u", ci->stream, ts_conn_index(c));
    return g_strdup_printf("tcp.stream == %u", ci->stream);
}

/* Writes the row of connection ci (new or again). */
static void
fill_row(stat_tap_table *table, guint r, const conn_info *ci)
{
    char *cells[CC_COUNT];
    stat_tap_table_item_type *f;

    conn_cells(ci, tcpstate_capture_end_ns(), tcpstate_grace_ns(), cells);
    for (guint k = 0; k < TC_COUNT; k++) {
        f = stat_tap_get_field_data(table, r, k);
        if (f->type == TABLE_ITEM_STRING)
            g_free((char *)f->value.string_value);
        f->type = table_fields[k].type;
        if (k == CC_STREAM)
            f->value.uint_value = ci->stream;
        else if (k == CC_CONN)
            f->value.uint_value = ts_conn_index(ci->conn);
        else if (k == CC_PACKETS)
            f->value.uint_value = ts_conn_packets(ci->conn);
        else if (k == TC_FILTER)
            f->value.string_value = conn_filter(ci);
        else
            f->value.string_value = g_strdup(cells[k]);
        stat_tap_set_field_data(table, r, k, f);
    }
    for (guint k = 0; k < CC_COUNT; k++)
        g_free(cells[k]);
}

static tap_packet_status
table_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
             const void *data, tap_flags_t flags _U_)
{
    stat_data_t *sd = (stat_data_t *)tapdata;
    const tcpstate_tap_info *ti = (const tcpstate_tap_info *)data;
    stat_tap_table *table = the_table(sd->stat_tap_data);
    gpointer found;
    guint r;

    if (!table || !ti || !ti->conn || !row_of)
        return TAP_PACKET_DONT_REDRAW;
    found = g_hash_table_lookup(row_of, ti->conn);
    if (found && ti->visited)
        return TAP_PACKET_DONT_REDRAW;  /* final facts written already */
    if (!found) {
        stat_tap_table_item_type empty[TC_COUNT];
        memset(empty, 0, sizeof empty);
        for (guint k = 0; k < TC_COUNT; k++)
            empty[k].type = table_fields[k].type;
        r = table->num_elements;
        stat_tap_init_table_row(table, r, TC_COUNT, empty);
        g_hash_table_insert(row_of, (gpointer)ti->conn, GUINT_TO_POINTER(r + 1));
    } else {
        r = GPOINTER_TO_UINT(found) - 1;    /* first pass: as of this packet */
    }
    fill_row(table, r, conn_set_add(&table_conns, ti, ti->conn));
    return TAP_PACKET_REDRAW;
}

static stat_tap_table_ui table_ui = {
    REGISTER_PACKET_STAT_GROUP_UNSORTED,   /* the Statistics menu (GENERIC items get no menu entry in the Qt GUI) */
    NULL,                                  /* title: the catalog's, at registration */
    TCPSTATE_TAP_NAME,
    "tcpstate,connections",
    table_init,
    table_packet,
    table_reset,
    table_free_item,
    NULL,
    TC_COUNT, table_fields,
    0, NULL,
    NULL,
    0
};

static void
table_shutdown(void)
{
    if (row_of)
        g_hash_table_destroy(row_of);
    row_of = NULL;
    if (table_conns.list)
        conn_set_free(&table_conns);
}

void
tcpstate_register_tap_table(void)
{
    for (guint k = 0; k < TC_COUNT; k++) {
        gboolean number = k == CC_STREAM || k == CC_CONN || k == CC_PACKETS;
        table_fields[k].type = number ? TABLE_ITEM_UINT : TABLE_ITEM_STRING;
        table_fields[k].align = k < CC_COUNT && conns_right[k] ? TAP_ALIGN_RIGHT : TAP_ALIGN_LEFT;
        /* registered before the preferences are read: English */
        table_fields[k].column_name = k == TC_FILTER ? ts_text(TX_CC_FILTER, TS_LANG_EN)
                                                     : conns_title(k, TS_LANG_EN);
        table_fields[k].field_format = number ? "%u" : "%s";
    }
    table_ui.title = ts_text(TX_REG_TABLE_MENU, TS_LANG_EN);
    register_stat_tap_table_ui(&table_ui);
    register_shutdown_routine(table_shutdown);
}
