/*
 * Validation safety (src/va_addr.c): every row of the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries is refused at its first and last address and admitted just outside
 * (where the neighbour is not itself special); IPv4-mapped IPv6 is judged by its IPv4
 * address; test mode admits 127.0.0.0/8 and ::1 and nothing else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "kakuin/va.h"

/* One address: allowed in production, and (when refused) the block the reason names. */
typedef struct addr_case {
	const char *addr;
	int allowed;
	const char *block;
} addr_case;

static const addr_case cases[] = {
	/* IPv4: first and last address of each row, and the neighbours outside */
	{ "0.0.0.0", 0, "0.0.0.0/8" }, { "0.255.255.255", 0, "0.0.0.0/8" },
	{ "1.0.0.0", 1, NULL },
	{ "9.255.255.255", 1, NULL }, { "10.0.0.0", 0, "10.0.0.0/8" },
	{ "10.255.255.255", 0, "10.0.0.0/8" }, { "11.0.0.0", 1, NULL },
	{ "100.63.255.255", 1, NULL }, { "100.64.0.0", 0, "100.64.0.0/10" },
	{ "100.127.255.255", 0, "100.64.0.0/10" }, { "100.128.0.0", 1, NULL },
	{ "126.255.255.255", 1, NULL }, { "127.0.0.0", 0, "127.0.0.0/8, loopback" },
	{ "127.0.0.1", 0, "127.0.0.0/8" }, { "127.255.255.255", 0, "127.0.0.0/8" },
	{ "128.0.0.0", 1, NULL },
	{ "169.253.255.255", 1, NULL }, { "169.254.0.0", 0, "169.254.0.0/16" },
	{ "169.254.169.254", 0, "169.254.0.0/16, link-local" },
	{ "169.254.255.255", 0, "169.254.0.0/16" }, { "169.255.0.0", 1, NULL },
	{ "172.15.255.255", 1, NULL }, { "172.16.0.0", 0, "172.16.0.0/12" },
	{ "172.31.255.255", 0, "172.16.0.0/12" }, { "172.32.0.0", 1, NULL },
	{ "191.255.255.255", 1, NULL }, { "192.0.0.0", 0, "192.0.0.0/24" },
	{ "192.0.0.255", 0, "192.0.0.0/24" }, { "192.0.1.0", 1, NULL },
	{ "192.0.2.0", 0, "192.0.2.0/24" }, { "192.0.2.255", 0, "192.0.2.0/24" },
	{ "192.0.3.0", 1, NULL },
	{ "192.88.98.255", 1, NULL }, { "192.88.99.0", 0, "192.88.99.0/24" },
	{ "192.88.99.255", 0, "192.88.99.0/24" }, { "192.88.100.0", 1, NULL },
	{ "192.167.255.255", 1, NULL }, { "192.168.0.0", 0, "192.168.0.0/16" },
	{ "192.168.255.255", 0, "192.168.0.0/16" }, { "192.169.0.0", 1, NULL },
	{ "198.17.255.255", 1, NULL }, { "198.18.0.0", 0, "198.18.0.0/15" },
	{ "198.19.255.255", 0, "198.18.0.0/15" }, { "198.20.0.0", 1, NULL },
	{ "198.51.99.255", 1, NULL }, { "198.51.100.0", 0, "198.51.100.0/24" },
	{ "198.51.100.255", 0, "198.51.100.0/24" }, { "198.51.101.0", 1, NULL },
	{ "203.0.112.255", 1, NULL }, { "203.0.113.0", 0, "203.0.113.0/24" },
	{ "203.0.113.255", 0, "203.0.113.0/24" }, { "203.0.114.0", 1, NULL },
	{ "223.255.255.255", 1, NULL }, { "224.0.0.0", 0, "224.0.0.0/4, multicast" },
	{ "239.255.255.255", 0, "224.0.0.0/4" }, { "240.0.0.0", 0, "240.0.0.0/4" },
	{ "255.255.255.254", 0, "240.0.0.0/4" },
	{ "255.255.255.255", 0, "255.255.255.255/32, limited broadcast" },
	{ "8.8.8.8", 1, NULL }, { "93.184.216.34", 1, NULL },
	/* IPv6 */
	{ "::", 0, "::/128, unspecified" }, { "::1", 0, "::1/128, loopback" },
	{ "::2", 0, "::/96, IPv4-compatible" }, { "::7f00:1", 0, "::/96" },
	{ "::ffff:127.0.0.1", 0, "127.0.0.0/8" }, { "::ffff:10.1.2.3", 0, "10.0.0.0/8" },
	{ "::ffff:169.254.169.254", 0, "169.254.0.0/16" },
	{ "::ffff:0.0.0.0", 0, "0.0.0.0/8" }, { "::ffff:8.8.8.8", 1, NULL },
	{ "::fffe:808:808", 1, NULL }, { "::1:0:0:0", 1, NULL },
	{ "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "64:ff9b::", 0, "64:ff9b::/96" }, { "64:ff9b::7f00:1", 0, "64:ff9b::/96" },
	{ "64:ff9b::ffff:ffff", 0, "64:ff9b::/96" }, { "64:ff9b::1:0:0", 1, NULL },
	{ "64:ff9b:0:ffff::", 1, NULL },
	{ "64:ff9b:1::", 0, "64:ff9b:1::/48" },
	{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 0, "64:ff9b:1::/48" },
	{ "64:ff9b:2::", 1, NULL },
	{ "ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "100::", 0, "100::/64, discard-only" },
	{ "100::ffff:ffff:ffff:ffff", 0, "100::/64" }, { "100:0:0:1::", 1, NULL },
	{ "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "2001::", 0, "2001::/32, Teredo" }, { "2001:0:ffff::1", 0, "2001::/32" },
	{ "2001:1::1", 0, "2001::/23" }, { "2001:2::", 0, "2001:2::/48, benchmarking" },
	{ "2001:2:0:ffff::", 0, "2001:2::/48" }, { "2001:2:1::", 0, "2001::/23" },
	{ "2001:10::", 0, "2001:10::/28" }, { "2001:1f:ffff::", 0, "2001:10::/28" },
	{ "2001:20::", 0, "2001:20::/28" }, { "2001:2f:ffff::", 0, "2001:20::/28" },
	{ "2001:30::", 0, "2001::/23" },
	{ "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "2001::/23" },
	{ "2001:200::", 1, NULL },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "2001:db8::", 0, "2001:db8::/32, documentation" },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, "2001:db8::/32" },
	{ "2001:db9::", 1, NULL },
	{ "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "2002::", 0, "2002::/16, 6to4" }, { "2002:7f00:1::", 0, "2002::/16" },
	{ "2002:808:808::", 0, "2002::/16" },
	{ "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "2002::/16" },
	{ "2003::", 1, NULL },
	{ "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "3fff::", 0, "3fff::/20" }, { "3fff:fff:ffff::", 0, "3fff::/20" },
	{ "3fff:1000::", 1, NULL },
	{ "5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "5f00::", 0, "5f00::/16" }, { "5f00:ffff::", 0, "5f00::/16" },
	{ "5f01::", 1, NULL },
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "fc00::", 0, "fc00::/7, unique-local" },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "fc00::/7" },
	{ "fe00::", 1, NULL }, { "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, NULL },
	{ "fe80::", 0, "fe80::/10, link-local" },
	{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "fe80::/10" },
	{ "fec0::", 0, "fec0::/10, site-local" },
	{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "fec0::/10" },
	{ "ff00::", 0, "ff00::/8, multicast" }, { "ff02::1", 0, "ff00::/8" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "ff00::/8" },
	{ "2606:4700:4700::1111", 1, NULL }, { "2a00:1450:4001::200e", 1, NULL },
};

static void
test_registry_rows(void **state)
{
	const char *why;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		got = kk_va_addr_str_allowed(cases[i].addr, 0, &why);
		if (got != cases[i].allowed)
			fail_msg("%s: allowed %d, want %d (%s)", cases[i].addr, got,
			    cases[i].allowed, why != NULL ? why : "-");
		if (!got && strstr(why, cases[i].block) == NULL)
			fail_msg("%s: reason \"%s\" does not name %s", cases[i].addr, why,
			    cases[i].block);
	}
}

/* Test mode admits 127.0.0.0/8 and ::1 (also as ::ffff:127.x) and nothing else. */
static void
test_loopback_only_in_test_mode(void **state)
{
	static const char *loop[] = { "127.0.0.1", "127.0.0.2", "127.255.255.255", "::1",
	    "::ffff:127.0.0.1" };
	static const char *still[] = { "0.0.0.0", "10.0.0.1", "169.254.169.254",
	    "192.168.1.1", "::", "::2", "fe80::1", "fc00::1", "ff02::1", "224.0.0.1",
	    "::ffff:10.0.0.1", "2002:7f00:1::" };
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		assert_int_equal(kk_va_addr_str_allowed(loop[i], 0, &why), 0);
		assert_non_null(strstr(why, "loopback"));
		if (kk_va_addr_str_allowed(loop[i], 1, &why) != 1)
			fail_msg("%s refused in test mode", loop[i]);
	}
	for (i = 0; i < sizeof(still) / sizeof(still[0]); i++)
		if (kk_va_addr_str_allowed(still[i], 1, &why) != 0)
			fail_msg("%s allowed in test mode", still[i]);
}

/* The sockaddr form (what curl dials) agrees with the string form; anything that is not
 * AF_INET or AF_INET6, and anything unparseable, is refused; why may be NULL. */
static void
test_sockaddr_forms(void **state)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
	const char *why = NULL;

	(void)state;
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(80);
	assert_int_equal(inet_pton(AF_INET, "192.168.0.1", &in4.sin_addr), 1);
	assert_int_equal(kk_va_addr_allowed((struct sockaddr *)&in4, 1, &why), 0);
	assert_string_equal(why, "192.168.0.0/16, private-use (RFC 1918)");
	assert_int_equal(inet_pton(AF_INET, "93.184.216.34", &in4.sin_addr), 1);
	assert_int_equal(kk_va_addr_allowed((struct sockaddr *)&in4, 0, NULL), 1);
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.7", &in6.sin6_addr), 1);
	assert_int_equal(kk_va_addr_allowed((struct sockaddr *)&in6, 0, &why), 0);
	assert_string_equal(why, "192.0.2.0/24, documentation (RFC 5737)");
	in6.sin6_addr = in6addr_loopback;
	assert_int_equal(kk_va_addr_allowed((struct sockaddr *)&in6, 0, NULL), 0);
	assert_int_equal(kk_va_addr_allowed((struct sockaddr *)&in6, 1, NULL), 1);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	assert_int_equal(kk_va_addr_allowed((struct sockaddr *)&un, 1, &why), 0);
	assert_string_equal(why, "not an IP address");
	assert_int_equal(kk_va_addr_allowed(NULL, 1, &why), 0);
	assert_int_equal(kk_va_addr_str_allowed("example.com", 1, &why), 0);
	assert_string_equal(why, "not an IP address");
	assert_int_equal(kk_va_addr_str_allowed("", 1, NULL), 0);
	assert_int_equal(kk_va_addr_str_allowed("127.0.0.1 ", 1, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_rows),
		cmocka_unit_test(test_loopback_only_in_test_mode),
		cmocka_unit_test(test_sockaddr_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
