/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Community ID flow hash, version 1 (https://github.com/corelight/
 * community-id-spec): "1:" + base64(SHA-1(seed, addresses and ports in a
 * direction-independent order, protocol, a zero byte)).  Plain C99, no
 * Wireshark or GLib header; our own SHA-1.
 */
#ifndef TCPSTATE_COMMUNITY_ID_H
#define TCPSTATE_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "1:" + 28 base64 characters + NUL */
#define TS_COMMUNITY_ID_LEN 31

/* addr_len 4 (IPv4) or 16 (IPv6) for both addresses, network byte order;
 * ports in host order.  Writes the ID to out (TS_COMMUNITY_ID_LEN bytes). */
void ts_community_id(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr,
                     size_t addr_len, uint8_t proto, uint16_t sport, uint16_t dport,
                     char out[TS_COMMUNITY_ID_LEN]);

/* SHA-1 (FIPS 180-4) of len bytes, for the above and its test. */
void ts_sha1(const uint8_t *data, size_t len, uint8_t digest[20]);

#ifdef __cplusplus
}
#endif
#endif /* TCPSTATE_COMMUNITY_ID_H */
