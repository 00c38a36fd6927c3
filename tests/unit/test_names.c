/* The one DNS name rule (src/names.c) that newOrder and the pre-issuance lint share:
 * RFC 1035 syntax, BR 4.2.2 / 7.1.2.7.12 internal names, BR 3.2.2.6 public suffixes.
 * Each refusal is checked with its full reason, since clients and operators read it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kakuin/names.h"

#define RESERVED "is under a reserved top-level domain: an internal name (RFC 6761, BR 4.2.2)"
#define NOT_PSL "is not under a public suffix: an internal name (BR 4.2.2, 7.1.2.7.12)"
#define IS_PSL "is itself a public suffix, not a domain anyone registered (BR 3.2.2.6)"
#define WILD_PSL "is a wildcard directly over a public suffix (BR 3.2.2.6)"
#define WILD_POS "has a wildcard that is not the whole leftmost label (BR 7.1.2.7.12)"
#define LENGTH "is not 1 to 253 octets (RFC 1035 2.3.4)"

static void
expect_refused(const char *name, const char *want)
{
	const char *why = kk_dns_name_problem(name);

	if (why == NULL || strcmp(why, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", name, why ? why : "(accepted)", want);
}

/* Registered names under ICANN TLDs, wildcards over them, IDNA A-labels, an exception
 * rule of the PSL, a name under a private suffix, and the integration tests' zones. */
static void
test_good_names(void **state)
{
	static const char *const good[] = {
		"example.jp", "www.example.jp", "*.example.jp", "xn--r8jz45g.jp",
		"city.kawasaki.jp", "a-b.example.co.jp", "foo.github.io", "0.example.jp",
		"secure.jp", "*.secure.jp", "www.insecure.jp", "bogus.jp", "x.broken.jp",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (kk_dns_name_problem(good[i]) != NULL)
			fail_msg("%s refused: %s", good[i], kk_dns_name_problem(good[i]));
}

/* RFC 1035 2.3.1 / 2.3.4 preferred syntax and RFC 5280 4.2.1.6 characters. */
static void
test_syntax(void **state)
{
	char label[80], name[300];
	size_t i;

	(void)state;
	expect_refused("", LENGTH);
	expect_refused("*.", LENGTH);
	expect_refused("a..example.jp", "has an empty label (RFC 1035 2.3.1)");
	expect_refused(".example.jp", "has an empty label (RFC 1035 2.3.1)");
	expect_refused("example.jp.", "has an empty label (RFC 1035 2.3.1)");
	expect_refused("-a.example.jp", "has a label starting with a hyphen (RFC 1035 2.3.1)");
	expect_refused("a-.example.jp", "has a label ending in a hyphen (RFC 1035 2.3.1)");
	expect_refused("example.jp-", "has a label ending in a hyphen (RFC 1035 2.3.1)");
	expect_refused("a_b.example.jp", "has a character outside letters, digits and hyphen "
	    "(RFC 5280 4.2.1.6, BR 7.1.2.7.12)");
	expect_refused("a b.example.jp", "has a character outside letters, digits and hyphen "
	    "(RFC 5280 4.2.1.6, BR 7.1.2.7.12)");
	expect_refused("Www.example.jp", "is not lower case (BR 7.1.2.7.12, as the RA "
	    "normalises names)");
	/* a 63-octet label is the limit, 64 is one too many */
	memset(label, 'a', 63);
	snprintf(label + 63, sizeof(label) - 63, ".jp");
	assert_null(kk_dns_name_problem(label));
	memset(label, 'a', 64);
	snprintf(label + 64, sizeof(label) - 64, ".jp");
	expect_refused(label, "has a label longer than 63 octets (RFC 1035 2.3.4)");
	/* 253 octets is the limit (five 49-octet labels, "aaa.jp"), 254 one too many */
	for (i = 0; i < 5; i++)
		memcpy(name + i * 50, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.", 50);
	snprintf(name + 250, sizeof(name) - 250, "a.jp");
	assert_int_equal(strlen(name), 254);
	expect_refused(name, LENGTH);
	memmove(name, name + 1, strlen(name));
	assert_int_equal(strlen(name), 253);
	assert_null(kk_dns_name_problem(name));
}

/* RFC 8555 7.1.3 and BR 7.1.2.7.12: "*" only as the whole leftmost label. */
static void
test_wildcards(void **state)
{
	(void)state;
	expect_refused("*", WILD_POS);
	expect_refused("www.*.example.jp", WILD_POS);
	expect_refused("w*.example.jp", WILD_POS);
	expect_refused("*w.example.jp", WILD_POS);
	expect_refused("*.*.example.jp", WILD_POS);
	expect_refused("**.example.jp", WILD_POS);
}

/* BR 7.1.2.7.12: no IP address, in any spelling that could pass as a name. */
static void
test_no_ip(void **state)
{
	static const char *const why = "is an IP address or has a numeric top-level label, "
	    "not a dNSName (BR 7.1.2.7.12)";

	(void)state;
	expect_refused("192.0.2.1", why);
	expect_refused("10", why);
	expect_refused("*.0.2.1", why);
	expect_refused("example.123", why);
}

/* BR 4.2.2 internal names: the special-use TLDs whatever the PSL says (onion is listed
 * there), then any TLD the PSL's ICANN section does not list. */
static void
test_internal_names(void **state)
{
	static const char *const reserved[] = {
		"www.secure.test", "test", "localhost", "a.localhost", "x.invalid",
		"www.example", "printer.local", "abc.onion", "*.x.alt", "db.corp.internal",
		"1.0.168.192.in-addr.arpa", "router.home.arpa",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		expect_refused(reserved[i], RESERVED);
	expect_refused("intranet", NOT_PSL);
	expect_refused("mail.corp", NOT_PSL);
	expect_refused("*.lan", NOT_PSL);
	expect_refused("a.b.c.d0", NOT_PSL);
}

/* BR 3.2.2.6: no public suffix itself, no wildcard directly over one (private suffixes
 * included: a wildcard over github.io would cover every user's site). */
static void
test_public_suffixes(void **state)
{
	(void)state;
	expect_refused("jp", IS_PSL);
	expect_refused("com", IS_PSL);
	expect_refused("co.jp", IS_PSL);
	expect_refused("tokyo.jp", IS_PSL);
	expect_refused("kawasaki.jp", IS_PSL);   /* the parent of rule *.kawasaki.jp */
	expect_refused("*.jp", WILD_PSL);
	expect_refused("*.co.jp", WILD_PSL);
	expect_refused("*.github.io", WILD_PSL);
	assert_null(kk_dns_name_problem("github.io"));   /* private section, non-wildcard */
}

static void *
check_from_thread(void *arg)
{
	(void)arg;
	return (void *)(kk_dns_name_problem("www.example.jp") == NULL &&
	    kk_dns_name_problem("com") != NULL ? "ok" : NULL);
}

/* The PSL loads once however many threads ask first (pthread_once). */
static void
test_threads(void **state)
{
	pthread_t t[4];
	void *rv;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, check_from_thread, NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_non_null(rv);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_good_names),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_no_ip),
		cmocka_unit_test(test_internal_names),
		cmocka_unit_test(test_public_suffixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
