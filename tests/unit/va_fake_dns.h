/*
 * A scripted DNS server for VA unit tests: one UDP socket on 127.0.0.1 (ephemeral port)
 * served by a thread of the test process. Each test installs a script of answers keyed
 * by (name, type); a name not in the script gets NOERROR with an empty answer and the
 * AD bit fake_dns_default_ad. Queries without RD=1 or without EDNS0 DO=1 get REFUSED,
 * so every lookup that succeeds proves the VA asked for DNSSEC records. Every question
 * is logged ("CAA example.test") so tests can check what was looked up, in order.
 *
 * Included by one test file each (static functions, marked unused so each file may use
 * any subset), after <cmocka.h>.
 */
#ifndef VA_FAKE_DNS_H
#define VA_FAKE_DNS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include "kakuin/va.h"

#define FAKE_RRS	6
#define FAKE_LOG	32

/* One scripted answer. rcode is an LDNS_RCODE_*; ede_text non-NULL adds an RFC 8914
 * option with INFO-CODE ede. rrs are answer RRs in presentation form. */
typedef struct fake_answer {
	const char *qname;	/* without the trailing dot, matched case-insensitively */
	ldns_rr_type qtype;
	int rcode;
	int ad;
	int ede;
	const char *ede_text;
	const char *rrs[FAKE_RRS];
} fake_answer;

static atomic_int fake_stop;
static int fake_fd = -1, fake_dns_port;
static pthread_t fake_thr;
static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;
static const fake_answer *fake_script;
static size_t fake_nscript;
static int fake_dns_default_ad;
static char fake_log[FAKE_LOG][300];
static int fake_nlog;
static int fake_refused;	/* queries without RD or DO */

/* Installs script (borrowed until the next call) and clears the log. */
static __attribute__((unused)) void
fake_dns_script(const fake_answer *script, size_t n, int default_ad)
{
	pthread_mutex_lock(&fake_mu);
	fake_script = script;
	fake_nscript = n;
	fake_dns_default_ad = default_ad;
	fake_nlog = 0;
	fake_refused = 0;
	pthread_mutex_unlock(&fake_mu);
}

/* Installs the leading entries of script[0..max) that have a qname. */
static __attribute__((unused)) void
fake_dns_script_upto(const fake_answer *script, size_t max, int default_ad)
{
	size_t n = 0;

	while (n < max && script[n].qname != NULL)
		n++;
	fake_dns_script(script, n, default_ad);
}

/* Fails the test unless needle (NULL: nothing) occurs in hay. */
static __attribute__((unused)) void
assert_has(const char *hay, const char *needle)
{
	if (needle != NULL && strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not in \"%s\"", needle, hay);
}

/* Checks a call's outcome: success when kind is KK_OK, else -1 with that kind and a
 * detail holding w1 and w2 (either may be NULL). */
static __attribute__((unused)) void
assert_outcome(int rv, const kk_err *err, kk_errkind kind, const char *w1, const char *w2)
{
	if (kind == KK_OK) {
		if (rv != 0)
			fail_msg("%s: %s", kk_err_name(err->kind), err->detail);
		return;
	}
	assert_int_equal(rv, -1);
	if (err->kind != kind)
		fail_msg("kind %s, want %s: %s", kk_err_name(err->kind), kk_err_name(kind),
		    err->detail);
	assert_has(err->detail, w1);
	assert_has(err->detail, w2);
}

/* Adds an EDE option (RFC 8914 2) to r. */
static __attribute__((unused)) void
fake_add_ede(ldns_pkt *r, int code, const char *text)
{
	uint8_t opt[300];
	size_t len = strlen(text);

	if (len > sizeof(opt) - 6)
		abort();
	opt[0] = 0;
	opt[1] = 15;
	opt[2] = (uint8_t)((len + 2) >> 8);
	opt[3] = (uint8_t)(len + 2);
	opt[4] = (uint8_t)(code >> 8);
	opt[5] = (uint8_t)code;
	memcpy(opt + 6, text, len);
	ldns_pkt_set_edns_udp_size(r, 1232);
	ldns_pkt_set_edns_data(r, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, len + 6, opt));
}

/* Fills r (a response to qname/t) from the script; called with fake_mu held. */
static __attribute__((unused)) void
fake_fill(ldns_pkt *r, const char *qname, ldns_rr_type t)
{
	const fake_answer *a;
	ldns_rr *rr;
	size_t i, j;

	ldns_pkt_set_ad(r, fake_dns_default_ad);
	for (i = 0; i < fake_nscript; i++) {
		a = &fake_script[i];
		if (strcasecmp(a->qname, qname) != 0 || a->qtype != t)
			continue;
		ldns_pkt_set_rcode(r, (uint8_t)a->rcode);
		ldns_pkt_set_ad(r, a->ad);
		if (a->ede_text != NULL)
			fake_add_ede(r, a->ede, a->ede_text);
		for (j = 0; j < FAKE_RRS && a->rrs[j] != NULL; j++) {
			rr = NULL;
			if (ldns_rr_new_frm_str(&rr, a->rrs[j], 0, NULL, NULL) != LDNS_STATUS_OK)
				abort();
			ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
		}
		return;
	}
}

/* The answer to q (never NULL). */
static __attribute__((unused)) ldns_pkt *
fake_answer_to(const ldns_pkt *q)
{
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	ldns_rr_type t = ldns_rr_get_type(qrr);
	ldns_pkt *r = ldns_pkt_new();
	char *name = ldns_rdf2str(ldns_rr_owner(qrr)), *type = ldns_rr_type2str(t);
	size_t len = strlen(name);

	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	pthread_mutex_lock(&fake_mu);
	if (fake_nlog < FAKE_LOG)
		snprintf(fake_log[fake_nlog++], sizeof(fake_log[0]), "%s %s", type, name);
	if (!ldns_pkt_rd(q) || !ldns_pkt_edns_do(q)) {
		fake_refused++;
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
	} else
		fake_fill(r, name, t);
	pthread_mutex_unlock(&fake_mu);
	free(name);
	free(type);
	return r;
}

static __attribute__((unused)) void
fake_serve_one(void)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	uint8_t buf[4096], *wire = NULL;
	ldns_pkt *q = NULL, *r = NULL;
	size_t outlen = 0;
	ssize_t n;

	n = recvfrom(fake_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
		return;
	r = fake_answer_to(q);
	if (ldns_pkt2wire(&wire, r, &outlen) == LDNS_STATUS_OK)
		(void)sendto(fake_fd, wire, outlen, 0, (struct sockaddr *)&from, fromlen);
	free(wire);
	ldns_pkt_free(q);
	ldns_pkt_free(r);
}

static __attribute__((unused)) void *
fake_main(void *arg)
{
	struct pollfd pf;

	(void)arg;
	pf.fd = fake_fd;
	while (!fake_stop) {
		pf.events = POLLIN;
		if (poll(&pf, 1, 50) > 0 && (pf.revents & POLLIN))
			fake_serve_one();
	}
	return NULL;
}

/* cmocka group setup: binds 127.0.0.1:0 and starts the server thread. */
static __attribute__((unused)) int
fake_dns_start(void **state)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	(void)state;
	if ((fake_fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fake_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fake_fd, (struct sockaddr *)&sa, &len) == -1)
		return -1;
	fake_dns_port = ntohs(sa.sin_port);
	return pthread_create(&fake_thr, NULL, fake_main, NULL) == 0 ? 0 : -1;
}

static __attribute__((unused)) int
fake_dns_stop(void **state)
{
	(void)state;
	fake_stop = 1;
	pthread_join(fake_thr, NULL);
	close(fake_fd);
	return 0;
}

/* A VA configuration that points at the fake server. */
static __attribute__((unused)) kk_va_cfg
fake_cfg(void)
{
	kk_va_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.resolver_host, "127.0.0.1");
	cfg.resolver_port = fake_dns_port;
	cfg.timeout_sec = 2;
	return cfg;
}

/* The i-th logged question, "" past the end. */
static __attribute__((unused)) const char *
fake_logged(int i)
{
	static char copy[300];

	pthread_mutex_lock(&fake_mu);
	snprintf(copy, sizeof(copy), "%.299s", i < fake_nlog ? fake_log[i] : "");
	pthread_mutex_unlock(&fake_mu);
	return copy;
}

#endif
