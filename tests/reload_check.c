/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reload_check: a minimal tshark that opens several capture files one after
 * another in ONE process, the way Wireshark does when a file is reloaded or
 * another one is opened (issues #3 and #6).
 *
 * For every file it does what Wireshark's cf_open()/cf_read()/cf_close() do
 * (file.c, tshark.c of Wireshark 4.0, read to learn the calls):
 *
 *   wtap_open_offline()      open the capture
 *   epan_new()               new dissection session: init_dissection() enters
 *                            the file scope and runs every init routine
 *   dissect every record     frame_data_init / set_before_dissect /
 *                            epan_dissect_run_with_taps / set_after_dissect
 *   (-2: a second pass)      wtap_seek_read() of every frame kept in the
 *                            frame_data_sequence, like tshark -2 and like the
 *                            GUI when a packet is selected
 *   wtap_close(), free_frame_data_sequence(), reset_tap_listeners()
 *   epan_free()              cleanup_dissection(): every cleanup routine, then
 *                            the file scope is left (wmem_file_scope() freed)
 *
 * and prints the wanted fields of every frame exactly as `tshark -T fields`
 * does (write_fields_proto_tree(), tab-separated, occurrences joined by ','),
 * with a visible tree like tshark -T fields.  In one-pass mode every frame is
 * printed as it is first dissected; with -2 the first pass prints nothing and
 * the second pass prints.  After each file it prints the heap in use.
 *
 * Plugins are loaded by epan_init(..., TRUE), i.e. by Wireshark's own loader
 * (plugins_init(): system folder, then the personal folder unless the process
 * has special privileges).  As root the personal folder is ignored, so
 * tests/reload-check.sh runs this program through tests/run-tshark.sh, which
 * gives it a private HOME holding the built tcpstate.so and drops to
 * "nobody".  The program prints where tcpstate.so was mapped from so the
 * script can check that it is the built one.
 *
 * Usage:
 *   reload_check [-2] [-q] [--repeat N] [--baseline] [--keep-at-exit]
 *                [-e FIELD]... -r FILE [-r FILE]...
 *   reload_check --version
 *
 *   -2              two passes per file (tshark -2, the GUI)
 *   -q              print no field lines, only the #run/#end lines
 *   --repeat N      open the list of files N times over
 *   -e FIELD        a field to print (default: frame.number and the
 *                   tcpstate fields of default_fields[] below)
 *   --baseline      a run WITHOUT the plugin, for the memory comparison:
 *                   fails if tcpstate is registered
 *   --keep-at-exit  skip epan_cleanup() at exit, so that valgrind
 *                   --show-leak-kinds=reachable lists what the runs left in
 *                   wmem_epan_scope() with the allocating stacks
 *
 * Output (stdout), per run (one file dissected once):
 *   #run <n> passes=<1|2> file=<basename>
 *   <one line per frame, as tshark -T fields -e ... prints it>   (unless -q)
 *   #end <n> frames=<count> heap=<bytes> rss_kb=<kB>
 * heap = glibc mallinfo2() uordblks + hblkhd (small chunks in use plus mmap'd
 * chunks in use: wmem's big blocks are mmap'd), measured after epan_free();
 * 0 when unknown (no glibc mallinfo2(), or built with AddressSanitizer).
 *
 * Exit status: 0 ok, 1 usage, 2 a file could not be read, 3 the tcpstate
 * protocol is not registered (plugin not loaded) or a field is unknown,
 * 4 Wireshark reported a failure (e.g. a plugin that would not load).
 */

#include <ws_version.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

#include <glib.h>

#include <wsutil/privileges.h>
#include <wsutil/filesystem.h>
#include <wsutil/report_message.h>
#include <wsutil/wslog.h>
#include <wsutil/buffer.h>
#include <wiretap/wtap.h>
#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/frame_data.h>
#include <epan/frame_data_sequence.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/print.h>
#include <epan/proto.h>
#include <epan/tap.h>

/* Under AddressSanitizer malloc() is ASan's and glibc's mallinfo2() does not
 * see it: heap=0 is printed and tests/reload-check.sh skips the memory test
 * (the state test is still worth running there). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define RC_ASAN 1
#endif
#if !defined(RC_ASAN) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define RC_HAVE_MALLINFO2 1
#endif

#define RC_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* The fields compared when none is given with -e. */
static const char *const default_fields[] = {
    "frame.number",
    "tcpstate.stage",
    "tcpstate.client.after",
    "tcpstate.server.after",
    "tcpstate.anomaly",
    "tcpstate.conn",
    "tcpstate.zeek.conn_state",
    "tcpstate.zeek.history",
};

/* What Wireshark keeps in capture_file.provider (cfile.h), reduced to what
 * epan asks for: the frames and their timestamps. */
struct packet_provider_data {
    frame_data_sequence *frames;
    const frame_data *ref;
    frame_data *prev_dis;
    frame_data *prev_cap;
};

static int failures_reported;

static void
rc_vreport_failure(const char *fmt, va_list ap)
{
    fputs("reload_check: wireshark failure: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    failures_reported++;
}

static void
rc_vreport_warning(const char *fmt, va_list ap)
{
    fputs("reload_check: wireshark warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void
rc_vcmdarg_err(const char *fmt, va_list ap)
{
    fputs("reload_check: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static const nstime_t *
rc_get_frame_ts(struct packet_provider_data *prov, guint32 frame_num)
{
    if (prov->ref && prov->ref->num == frame_num)
        return &prov->ref->abs_ts;
    if (prov->prev_dis && prov->prev_dis->num == frame_num)
        return &prov->prev_dis->abs_ts;
    if (prov->prev_cap && prov->prev_cap->num == frame_num)
        return &prov->prev_cap->abs_ts;
    if (prov->frames) {
        frame_data *fd = frame_data_sequence_find(prov->frames, frame_num);
        return fd ? &fd->abs_ts : NULL;
    }
    return NULL;
}

/* ---- Version differences ---------------------------------------------------
 * 4.6 moved the record data into wtap_rec (wtap_read/wtap_seek_read lost the
 * Buffer argument, wtap_rec_init got a size, epan_dissect_run builds the tvb
 * itself); 4.0 and 4.4 pass a Buffer and a tvb. */
typedef struct {
    wtap_rec rec;
#if !RC_WS_AT_LEAST(4, 6)
    Buffer buf;
#endif
} rc_record;

static void
rc_record_init(rc_record *r)
{
#if RC_WS_AT_LEAST(4, 6)
    wtap_rec_init(&r->rec, 1514);
#else
    wtap_rec_init(&r->rec);
    ws_buffer_init(&r->buf, 1514);
#endif
}

static void
rc_record_cleanup(rc_record *r)
{
    wtap_rec_cleanup(&r->rec);
#if !RC_WS_AT_LEAST(4, 6)
    ws_buffer_free(&r->buf);
#endif
}

static int
rc_read(wtap *wth, rc_record *r, int *err, gchar **err_info, gint64 *off)
{
#if RC_WS_AT_LEAST(4, 6)
    return wtap_read(wth, &r->rec, err, err_info, off);
#else
    return wtap_read(wth, &r->rec, &r->buf, err, err_info, off);
#endif
}

static int
rc_seek_read(wtap *wth, gint64 off, rc_record *r, int *err, gchar **err_info)
{
#if RC_WS_AT_LEAST(4, 6)
    return wtap_seek_read(wth, off, &r->rec, err, err_info);
#else
    return wtap_seek_read(wth, off, &r->rec, &r->buf, err, err_info);
#endif
}

static void
rc_dissect(epan_dissect_t *edt, int file_type, rc_record *r, frame_data *fd)
{
#if RC_WS_AT_LEAST(4, 6)
    epan_dissect_run_with_taps(edt, file_type, &r->rec, fd, NULL);
#else
    /* The tvb is freed with the tree by epan_dissect_reset(). */
    tvbuff_t *tvb = tvb_new_real_data(ws_buffer_start_ptr(&r->buf), fd->cap_len,
                                      (gint)fd->pkt_len);
    epan_dissect_run_with_taps(edt, file_type, &r->rec, tvb, fd, NULL);
#endif
}

/* Before each dissection whose fields are printed, as tshark does for
 * -T fields.  Since Wireshark
 * 4.4 (RC_HAVE_OUTPUT_FIELDS_PRIME_EDT, found by CMake)
 * write_fields_proto_tree() reads a per-field display-filter array that only
 * output_fields_prime_edt() creates: without this call it dereferences NULL
 * (the segfault on 4.4).  It also primes the tree with the printed fields,
 * harmless here as the tree is visible whenever fields are printed.  4.0 has
 * no such call and needs none. */
static void
rc_prime_fields(epan_dissect_t *edt, output_fields_t *of)
{
#ifdef RC_HAVE_OUTPUT_FIELDS_PRIME_EDT
    output_fields_prime_edt(edt, of);
#else
    (void)edt;
    (void)of;
#endif
}

/* ---- Measurements -------------------------------------------------------- */

static unsigned long long
heap_in_use(void)
{
#ifdef RC_HAVE_MALLINFO2
    struct mallinfo2 mi = mallinfo2();
    return (unsigned long long)mi.uordblks + (unsigned long long)mi.hblkhd;
#else
    return 0;
#endif
}

static long
rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Prints the file every mapping of tcpstate.so comes from (once each). */
static void
print_plugin_mapping(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096], last[4096] = "";
    int found = 0;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        size_t n;
        if (!path)
            continue;
        n = strlen(path);
        if (n && path[n - 1] == '\n')
            path[--n] = '\0';
        if (n < 12 || strcmp(path + n - 12, "/tcpstate.so") != 0 || strcmp(path, last) == 0)
            continue;
        printf("#plugin %s\n", path);
        snprintf(last, sizeof last, "%s", path);
        found = 1;
    }
    fclose(f);
    if (!found)
        printf("#plugin (none mapped)\n");
}

/* ---- One file, like cf_open + cf_read (+ second pass) + cf_close --------- */

static int
run_file(const char *path, int run_no, int two_pass, int quiet, output_fields_t *of)
{
    static const struct packet_provider_funcs funcs = {
        .get_frame_ts = rc_get_frame_ts,
    };
    struct packet_provider_data prov;
    frame_data ref_frame;
    epan_t *epan;
    epan_dissect_t *edt;
    wtap *wth;
    rc_record r;
    int err = 0, file_type;
    gchar *err_info = NULL;
    gint64 off;
    guint32 count = 0, cum_bytes = 0, n;
    nstime_t elapsed;
    const char *base = strrchr(path, '/');
    int status = 0;

    wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, two_pass);
    if (!wth) {
        fprintf(stderr, "reload_check: %s: %s%s%s\n", path, wtap_strerror(err),
                err_info ? ": " : "", err_info ? err_info : "");
        g_free(err_info);
        return 2;
    }

    printf("#run %d passes=%d file=%s\n", run_no, two_pass ? 2 : 1, base ? base + 1 : path);

    memset(&prov, 0, sizeof prov);
    prov.frames = new_frame_data_sequence();
    nstime_set_zero(&elapsed);
    file_type = wtap_file_type_subtype(wth);
    epan = epan_new(&prov, &funcs);

    rc_record_init(&r);

    /* Pass 1 (the only one without -2).  Like tshark: a tree whenever a
     * postdissector wants fields; visible when this pass prints (-T fields
     * prints details); the postdissectors' wanted fields primed. */
    edt = epan_dissect_new(epan, TRUE, !two_pass);
    while (rc_read(wth, &r, &err, &err_info, &off)) {
        frame_data fdlocal;

        frame_data_init(&fdlocal, count + 1, &r.rec, off, cum_bytes);
#if !RC_WS_AT_LEAST(4, 6)
        /* 4.6 no longer exports this: epan_dissect_run() primes the wanted
         * fields itself for a frame not yet visited (packet.h). */
        prime_epan_dissect_with_postdissector_wanted_hfids(edt);
#endif
        if (!two_pass && !quiet)
            rc_prime_fields(edt, of);
        frame_data_set_before_dissect(&fdlocal, &elapsed, &prov.ref, prov.prev_dis);
        if (prov.ref == &fdlocal) {
            ref_frame = fdlocal;
            prov.ref = &ref_frame;
        }
        rc_dissect(edt, file_type, &r, &fdlocal);
        if (!two_pass && !quiet) {
            write_fields_proto_tree(of, edt, NULL, stdout);
            putchar('\n');
        }
        frame_data_set_after_dissect(&fdlocal, &cum_bytes);
        prov.prev_cap = prov.prev_dis = frame_data_sequence_add(prov.frames, &fdlocal);
        count++;
        epan_dissect_reset(edt);
        wtap_rec_reset(&r.rec);
    }
    epan_dissect_free(edt);
    if (err != 0) {
        fprintf(stderr, "reload_check: %s: read error: %s%s%s\n", path, wtap_strerror(err),
                err_info ? ": " : "", err_info ? err_info : "");
        g_free(err_info);
        err_info = NULL;
        status = 2;
    }

    if (two_pass && status == 0) {
        /* As tshark -2 between its passes. */
        wtap_sequential_close(wth);
        postseq_cleanup_all_protocols();
        prov.prev_dis = NULL;
        prov.prev_cap = NULL;
        nstime_set_zero(&elapsed);
        cum_bytes = 0;

        edt = epan_dissect_new(epan, TRUE, TRUE);
        for (n = 1; n <= count; n++) {
            frame_data *fd = frame_data_sequence_find(prov.frames, n);
            if (!rc_seek_read(wth, fd->file_off, &r, &err, &err_info)) {
                fprintf(stderr, "reload_check: %s: frame %u: seek read error: %s\n",
                        path, n, wtap_strerror(err));
                g_free(err_info);
                err_info = NULL;
                status = 2;
                break;
            }
            if (!quiet)
                rc_prime_fields(edt, of);
            frame_data_set_before_dissect(fd, &elapsed, &prov.ref, prov.prev_dis);
            if (prov.ref == fd) {
                ref_frame = *fd;
                prov.ref = &ref_frame;
            }
            rc_dissect(edt, file_type, &r, fd);
            if (!quiet) {
                write_fields_proto_tree(of, edt, NULL, stdout);
                putchar('\n');
            }
            frame_data_set_after_dissect(fd, &cum_bytes);
            prov.prev_dis = prov.prev_cap = fd;
            epan_dissect_reset(edt);
            wtap_rec_reset(&r.rec);
        }
        epan_dissect_free(edt);
    }

    rc_record_cleanup(&r);

    /* cf_close(): the file, the frames, the taps, then the session. */
    wtap_close(wth);
    free_frame_data_sequence(prov.frames);
    prov.frames = NULL;
    reset_tap_listeners();
    epan_free(epan);

    printf("#end %d frames=%u heap=%llu rss_kb=%ld\n", run_no, count, heap_in_use(), rss_kb());
    fflush(stdout);
    return status;
}

static void
usage(FILE *f)
{
    fputs("usage: reload_check [-2] [-q] [--repeat N] [--baseline] [--keep-at-exit]\n"
          "                    [-e FIELD]... -r FILE [-r FILE]...\n"
          "       reload_check --version\n", f);
}

int
main(int argc, char *argv[])
{
    static const struct report_message_routines report_routines = {
        .vreport_failure = rc_vreport_failure,
        .vreport_warning = rc_vreport_warning,
    };
    GPtrArray *files = g_ptr_array_new();
    GPtrArray *fields = g_ptr_array_new();
    output_fields_t *of;
    GSList *invalid;
    char *cfg_err;
    int two_pass = 0, quiet = 0, baseline = 0, keep_at_exit = 0, repeat = 1, i, rep, run_no = 0, status = 0;
    unsigned f;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            /* First line parsed by tests/run-tshark.sh like tshark's. */
            printf("reload_check (Wireshark) %d.%d.%d\n", WIRESHARK_VERSION_MAJOR,
                   WIRESHARK_VERSION_MINOR, WIRESHARK_VERSION_MICRO);
            return 0;
        } else if (strcmp(a, "-2") == 0) {
            two_pass = 1;
        } else if (strcmp(a, "--keep-at-exit") == 0) {
            keep_at_exit = 1;
        } else if (strcmp(a, "--baseline") == 0) {
            baseline = 1;
        } else if (strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "-r") == 0 && i + 1 < argc) {
            g_ptr_array_add(files, argv[++i]);
        } else if (strcmp(a, "-e") == 0 && i + 1 < argc) {
            g_ptr_array_add(fields, argv[++i]);
        } else if (strcmp(a, "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
            if (repeat < 1) {
                usage(stderr);
                return 1;
            }
        } else {
            usage(stderr);
            return 1;
        }
    }
    if (files->len == 0) {
        usage(stderr);
        return 1;
    }

    /* Start-up as tshark's main() does it. */
#if RC_WS_AT_LEAST(4, 6)
    ws_log_init(rc_vcmdarg_err);
#else
    ws_log_init("reload_check", rc_vcmdarg_err);
#endif
    init_report_message("reload_check", &report_routines);
    init_process_policies();
    relinquish_special_privs_perm();
#if RC_WS_AT_LEAST(4, 6)
    cfg_err = configuration_init(argv[0]);
#else
    cfg_err = configuration_init(argv[0], NULL);
#endif
    if (cfg_err) {
        fprintf(stderr, "reload_check: cannot find the program's folder: %s\n", cfg_err);
        g_free(cfg_err);
    }
    wtap_init(TRUE);
    if (!epan_init(NULL, NULL, TRUE)) {
        fprintf(stderr, "reload_check: epan_init failed\n");
        return 4;
    }
    epan_load_settings();
    prefs_apply_all();

    if (!baseline && proto_get_id_by_filter_name("tcpstate") < 0) {
        fprintf(stderr, "reload_check: protocol tcpstate not registered: plugin not loaded\n");
        print_plugin_mapping();
        return 3;
    }
    if (baseline && proto_get_id_by_filter_name("tcpstate") >= 0) {
        fprintf(stderr, "reload_check: --baseline, but protocol tcpstate is registered\n");
        print_plugin_mapping();
        return 3;
    }
    print_plugin_mapping();

    of = output_fields_new();
    if (fields->len == 0 && baseline)
        output_fields_add(of, "frame.number");
    else if (fields->len == 0)
        for (f = 0; f < G_N_ELEMENTS(default_fields); f++)
            output_fields_add(of, default_fields[f]);
    else
        for (f = 0; f < fields->len; f++)
            output_fields_add(of, (const char *)g_ptr_array_index(fields, f));
    invalid = output_fields_valid(of);
    if (invalid) {
        GSList *it;
        for (it = invalid; it; it = it->next)
            fprintf(stderr, "reload_check: unknown field %s\n", (const char *)it->data);
        g_slist_free(invalid);
        output_fields_free(of);
        return 3;
    }

    for (rep = 0; rep < repeat && status == 0; rep++)
        for (f = 0; f < files->len && status == 0; f++)
            status = run_file((const char *)g_ptr_array_index(files, f), ++run_no,
                              two_pass, quiet, of);

    output_fields_free(of);
    g_ptr_array_free(files, TRUE);
    g_ptr_array_free(fields, TRUE);
    /* --keep-at-exit: leave epan's memory allocated, so that valgrind
     * --leak-check=full --show-leak-kinds=reachable lists what the runs
     * left behind in wmem_epan_scope() with the stacks that allocated it. */
    if (!keep_at_exit) {
        epan_cleanup();
        wtap_cleanup();
    }
    if (status == 0 && failures_reported)
        status = 4;
    return status;
}
