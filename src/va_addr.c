/*
 * Validation authority: which addresses the VA may dial (docs/security.md "Validation
 * safety"). A subscriber chooses the names the VA connects to and so, through DNS, the
 * addresses; without this table an http-01 challenge for a name pointing at 127.0.0.1,
 * 10.0.0.5 or 169.254.169.254 would make the CA probe its own host, its private network
 * or a cloud metadata service (server-side request forgery), as Boulder's
 * bdns.isPrivateV4/isPrivateV6 guard against.
 *
 * The rows are those of the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890; https://www.iana.org/assignments/iana-ipv4-special-registry and
 * iana-ipv6-special-registry), refused whole even where a sub-block is marked globally
 * reachable (192.0.0.9/32, 2001:1::1/128, ...: no subscriber web site lives there), plus
 * the deprecated IPv4-compatible (::/96) and site-local (fec0::/10) IPv6 blocks.
 * Rows are matched in order, so a more specific row precedes the block that holds it and
 * names the address precisely in the problem detail.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include "kakuin/va.h"

typedef struct va_net {
	const char *prefix;	/* numeric address of the block */
	unsigned bits;
	int loopback;		/* dialled in test mode (kk_va_cfg.allow_loopback) */
	const char *why;	/* shown in the problem detail */
} va_net;

static const va_net va_v4[] = {
	{ "0.0.0.0", 8, 0, "0.0.0.0/8, \"this network\" (RFC 791)" },
	{ "10.0.0.0", 8, 0, "10.0.0.0/8, private-use (RFC 1918)" },
	{ "100.64.0.0", 10, 0, "100.64.0.0/10, shared address space (RFC 6598)" },
	{ "127.0.0.0", 8, 1, "127.0.0.0/8, loopback (RFC 1122)" },
	{ "169.254.0.0", 16, 0, "169.254.0.0/16, link-local (RFC 3927)" },
	{ "172.16.0.0", 12, 0, "172.16.0.0/12, private-use (RFC 1918)" },
	{ "192.0.0.0", 24, 0, "192.0.0.0/24, IETF protocol assignments (RFC 6890)" },
	{ "192.0.2.0", 24, 0, "192.0.2.0/24, documentation (RFC 5737)" },
	{ "192.88.99.0", 24, 0, "192.88.99.0/24, 6to4 relay anycast (RFC 7526)" },
	{ "192.168.0.0", 16, 0, "192.168.0.0/16, private-use (RFC 1918)" },
	{ "198.18.0.0", 15, 0, "198.18.0.0/15, benchmarking (RFC 2544)" },
	{ "198.51.100.0", 24, 0, "198.51.100.0/24, documentation (RFC 5737)" },
	{ "203.0.113.0", 24, 0, "203.0.113.0/24, documentation (RFC 5737)" },
	{ "224.0.0.0", 4, 0, "224.0.0.0/4, multicast (RFC 5771)" },
	{ "255.255.255.255", 32, 0, "255.255.255.255/32, limited broadcast (RFC 919)" },
	{ "240.0.0.0", 4, 0, "240.0.0.0/4, reserved (RFC 1112)" },
};

/* ::ffff:0:0/96 (IPv4-mapped, RFC 4291 2.5.5.2) is not a row: its embedded IPv4
 * address is checked against va_v4, since the kernel dials that address. */
static const va_net va_v6[] = {
	{ "::", 128, 0, "::/128, unspecified (RFC 4291)" },
	{ "::1", 128, 1, "::1/128, loopback (RFC 4291)" },
	{ "::", 96, 0, "::/96, IPv4-compatible, deprecated (RFC 4291)" },
	{ "64:ff9b::", 96, 0, "64:ff9b::/96, IPv4-IPv6 translation (RFC 6052)" },
	{ "64:ff9b:1::", 48, 0, "64:ff9b:1::/48, IPv4-IPv6 translation (RFC 8215)" },
	{ "100::", 64, 0, "100::/64, discard-only (RFC 6666)" },
	{ "2001::", 32, 0, "2001::/32, Teredo (RFC 4380)" },
	{ "2001:2::", 48, 0, "2001:2::/48, benchmarking (RFC 5180)" },
	{ "2001:10::", 28, 0, "2001:10::/28, ORCHID, deprecated (RFC 4843)" },
	{ "2001:20::", 28, 0, "2001:20::/28, ORCHIDv2 (RFC 7343)" },
	{ "2001::", 23, 0, "2001::/23, IETF protocol assignments (RFC 2928)" },
	{ "2001:db8::", 32, 0, "2001:db8::/32, documentation (RFC 3849)" },
	/* the IPv4 address a 6to4 address embeds is routed through any relay: refused
	 * whole, as Boulder does; 6to4 is deprecated (RFC 7526) */
	{ "2002::", 16, 0, "2002::/16, 6to4 (RFC 3056)" },
	{ "3fff::", 20, 0, "3fff::/20, documentation (RFC 9637)" },
	{ "5f00::", 16, 0, "5f00::/16, segment routing SIDs (RFC 9602)" },
	{ "fc00::", 7, 0, "fc00::/7, unique-local (RFC 4193)" },
	{ "fe80::", 10, 0, "fe80::/10, link-local (RFC 4291)" },
	{ "fec0::", 10, 0, "fec0::/10, site-local, deprecated (RFC 3879)" },
	{ "ff00::", 8, 0, "ff00::/8, multicast (RFC 4291)" },
};

/* 1 if the first bits bits of a and b are equal. */
static int
va_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Checks addr (len 4 or 16 bytes of family af) against table (n rows). */
static int
va_table_allowed(int af, const uint8_t *addr, const va_net *table, size_t n,
    int allow_loopback, const char **why)
{
	uint8_t net[16];
	size_t i;

	for (i = 0; i < n; i++) {
		if (inet_pton(af, table[i].prefix, net) != 1 ||
		    !va_prefix_eq(addr, net, table[i].bits))
			continue;
		if (table[i].loopback && allow_loopback)
			return 1;
		*why = table[i].why;
		return 0;
	}
	return 1;
}

int
kk_va_addr_allowed(const struct sockaddr *sa, int allow_loopback, const char **why)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = "not an IP address";
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return va_table_allowed(AF_INET, a, va_v4, sizeof(va_v4) / sizeof(va_v4[0]),
		    allow_loopback, why);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return va_table_allowed(AF_INET, a + 12, va_v4,
		    sizeof(va_v4) / sizeof(va_v4[0]), allow_loopback, why);
	return va_table_allowed(AF_INET6, a, va_v6, sizeof(va_v6) / sizeof(va_v6[0]),
	    allow_loopback, why);
}

int
kk_va_addr_str_allowed(const char *addr, int allow_loopback, const char **why)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		return kk_va_addr_allowed((struct sockaddr *)&in4, allow_loopback, why);
	}
	if (inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		return kk_va_addr_allowed((struct sockaddr *)&in6, allow_loopback, why);
	}
	return kk_va_addr_allowed(NULL, allow_loopback, why);
}
