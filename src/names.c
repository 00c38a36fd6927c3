/*
 * DNS names kakuin may issue for (include/kakuin/names.h): RFC 1035 preferred syntax,
 * then the Baseline Requirements' ban on internal names (BR 4.2.2, 7.1.2.7.12) and on
 * public suffixes (BR 3.2.2.6), judged with the public suffix list.
 */
#include <pthread.h>
#include <string.h>
#include <libpsl.h>
#include "kakuin/names.h"

#define NAME_MAX_OCTETS 253 /* RFC 1035 2.3.4, without the root's trailing dot */
#define LABEL_MAX_OCTETS 63

/* The public suffix list, loaded once per process: the newer of libpsl's built-in list
 * and Debian's publicsuffix package, as src/review.c uses. Never freed. */
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static psl_ctx_t *psl;

static void
psl_init(void)
{
	psl = psl_latest(NULL);
}

/* Special-use names that no public DNS delegates: RFC 6761 6.2-6.5 (test, localhost,
 * invalid, example), RFC 6762 (local), RFC 7686 (onion: in the PSL, but not for OV
 * certificates), RFC 9476 (alt), ICANN's private-use .internal, and arpa (RFC 3172,
 * infrastructure; home.arpa is RFC 8375's home networks). */
static int
reserved_tld(const char *tld)
{
	static const char *const reserved[] = {
		"test", "localhost", "invalid", "example", "local", "onion", "alt", "internal",
		"arpa",
	};
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(tld, reserved[i]) == 0)
			return 1;
	return 0;
}

/* Preferred name syntax (RFC 1035 2.3.1, RFC 5280 4.2.1.6): LDH labels of 1..63 octets,
 * no hyphen at either end, at most 253 octets; lower case as the RA normalises it. A
 * "*." prefix has already been taken off. NULL = fine, else why not. */
static const char *
ldh_problem(const char *v)
{
	size_t len = strlen(v), lab = 0, i;

	if (len == 0 || len > NAME_MAX_OCTETS)
		return "is not 1 to 253 octets (RFC 1035 2.3.4)";
	for (i = 0; i <= len; i++) {
		char c = v[i];

		if (c == '.' || c == '\0') {
			if (lab == 0)
				return "has an empty label (RFC 1035 2.3.1)";
			if (v[i - 1] == '-')
				return "has a label ending in a hyphen (RFC 1035 2.3.1)";
			lab = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			return "is not lower case (BR 7.1.2.7.12, as the RA normalises names)";
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return "has a character outside letters, digits and hyphen (RFC 5280 "
			    "4.2.1.6, BR 7.1.2.7.12)";
		if (c == '-' && lab == 0)
			return "has a label starting with a hyphen (RFC 1035 2.3.1)";
		if (++lab > LABEL_MAX_OCTETS)
			return "has a label longer than 63 octets (RFC 1035 2.3.4)";
	}
	return NULL;
}

/* A name we may certify: syntax, a wildcard only as the whole leftmost label, an IP
 * address never, no internal or reserved name (BR 4.2.2, 7.1.2.7.12): the name must end
 * in a top-level domain the PSL's ICANN section lists, must not itself be a public
 * suffix, and a wildcard must not sit directly over one, private suffixes included
 * (BR 3.2.2.6). Single-label names fail as not under a public suffix or as one. */
const char *
kk_dns_name_problem(const char *name)
{
	const char *base = name, *tld, *why;
	int wild;
	size_t i;

	if ((wild = strncmp(name, "*.", 2) == 0))
		base = name + 2;
	if (strchr(base, '*') != NULL)
		return "has a wildcard that is not the whole leftmost label (BR 7.1.2.7.12)";
	if ((why = ldh_problem(base)) != NULL)
		return why;
	tld = strrchr(base, '.') != NULL ? strrchr(base, '.') + 1 : base;
	for (i = 0; tld[i] >= '0' && tld[i] <= '9'; i++)
		;
	if (tld[i] == '\0')
		return "is an IP address or has a numeric top-level label, not a dNSName "
		    "(BR 7.1.2.7.12)";
	if (reserved_tld(tld))
		return "is under a reserved top-level domain: an internal name (RFC 6761, "
		    "BR 4.2.2)";
	pthread_once(&psl_once, psl_init);
	if (psl == NULL)
		return "cannot be checked: no public suffix list loaded (BR 4.2.2)";
	if (!psl_is_public_suffix2(psl, tld, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE))
		return "is not under a public suffix: an internal name (BR 4.2.2, 7.1.2.7.12)";
	if (wild && psl_is_public_suffix2(psl, base, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
		return "is a wildcard directly over a public suffix (BR 3.2.2.6)";
	if (!wild && psl_is_public_suffix2(psl, base, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE))
		return "is itself a public suffix, not a domain anyone registered (BR 3.2.2.6)";
	return NULL;
}
