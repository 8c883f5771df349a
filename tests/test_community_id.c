/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the Community ID v1 hash (plugin/tcpstate_community_id.c).
 * Expected IDs: the published baseline of the specification,
 * corelight/community-id-spec, baseline/baseline_deflt.json (seed 0); the
 * TCP IPv4 one is also the example of the spec's README.  SHA-1: the
 * examples of FIPS 180-4 (NIST, "abc" and the 448-bit message).
 */
#include <stdio.h>
#include <string.h>

#include "tcpstate_community_id.h"

static int failures, checks;

static void check_str(int line, const char *got, const char *want)
{
    ++checks;
    if (strcmp(got, want) != 0) {
        ++failures;
        fprintf(stderr, "FAIL line %d: got %s, want %s\n", line, got, want);
    }
}

static void sha1_hex(const char *msg, char hex[41])
{
    uint8_t d[20];
    ts_sha1((const uint8_t *)msg, strlen(msg), d);
    for (int i = 0; i < 20; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
}

static void id4(int line, const char *want, uint8_t proto, const uint8_t s[4], uint16_t sp,
                const uint8_t d[4], uint16_t dp)
{
    char out[TS_COMMUNITY_ID_LEN];
    ts_community_id(0, s, d, 4, proto, sp, dp, out);
    check_str(line, out, want);
    ts_community_id(0, d, s, 4, proto, dp, sp, out);   /* the other direction */
    check_str(line, out, want);
}

int main(void)
{
    char hex[41];
    static const uint8_t a1[4] = { 128, 232, 110, 120 }, a2[4] = { 66, 35, 250, 204 };
    static const uint8_t u1[4] = { 192, 168, 1, 52 }, u2[4] = { 8, 8, 8, 8 };
    static const uint8_t c1[4] = { 192, 168, 170, 8 }, c2[4] = { 192, 168, 170, 56 };
    /* 2001:470:e5bf:dead:4957:2174:e82c:4887 and 2607:f8b0:400c:c03::1a */
    static const uint8_t v1[16] = { 0x20, 0x01, 0x04, 0x70, 0xe5, 0xbf, 0xde, 0xad,
                                    0x49, 0x57, 0x21, 0x74, 0xe8, 0x2c, 0x48, 0x87 };
    static const uint8_t v2[16] = { 0x26, 0x07, 0xf8, 0xb0, 0x40, 0x0c, 0x0c, 0x03,
                                    0, 0, 0, 0, 0, 0, 0, 0x1a };
    char out[TS_COMMUNITY_ID_LEN];

    sha1_hex("abc", hex);
    check_str(__LINE__, hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
    check_str(__LINE__, hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_hex("", hex);
    check_str(__LINE__, hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");

    id4(__LINE__, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", 6, a1, 34855, a2, 80);
    id4(__LINE__, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", 17, u1, 54585, u2, 53);
    id4(__LINE__, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", 132, c1, 7, c2, 7); /* equal ports */
    ts_community_id(0, v1, v2, 16, 6, 63943, 25, out);
    check_str(__LINE__, out, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
    ts_community_id(0, v2, v1, 16, 6, 25, 63943, out);
    check_str(__LINE__, out, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
    ts_community_id(0, v1, v2, 5, 6, 1, 2, out);         /* bad length: empty */
    check_str(__LINE__, out, "");

    printf("test_community_id: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
