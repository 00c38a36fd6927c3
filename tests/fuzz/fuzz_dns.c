/*
 * DNS answers and CAA (src/va_dns.c, src/va_caa.c, src/va_methods.c, src/va_phone.c):
 * raw DNS wire-format packets as a resolver would send them, through ldns_wire2pkt and
 * the code that interprets the RR sets: the CNAME chain inside an answer, EDNS Extended
 * DNS Errors, CAA properties and the RFC 8659 4.2 issue-value grammar (with RFC 8657
 * accounturi and validationmethods), TXT character-strings, addresses.
 *
 * Input: one mode octet, then packets, each a 2-octet big-endian length and that many
 * octets (the framing of DNS over TCP, RFC 1035 4.2.2). Every packet is first read
 * directly (ldns_wire2pkt, then every CAA and TXT RR of it through the VA's readers).
 * Then the VA runs one operation (chosen by the mode octet) against a resolver on
 * 127.0.0.1 served by a thread of this process, which answers the i-th query with the
 * i-th packet: when the packet parses, its ID, QR bit and question are made those of
 * the query, so the VA accepts it as the answer; otherwise its ID is patched and it is
 * sent as it is. Queries beyond the packets get an empty NOERROR answer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <ldns/ldns.h>
#include "fuzz.h"
#include "kakuin/va.h"
#include "va_internal.h"

#define MAX_PKTS 16

static int srv_fd = -1;
static kk_va_cfg cfg;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const uint8_t *p;
	size_t len;
} pkts[MAX_PKTS];
static size_t npkts, next_pkt;

static const char *const ours[] = { "secomtrust.net", "pki.example." };
static const char ACCT[] = "https://ca.test/acme/acct/1";

/* The answer on the wire to query q (size qlen): the next packet as described above, or
 * an empty NOERROR. Called with mu held. Caller frees *out. */
static void
answer(const uint8_t *q, size_t qlen, const ldns_pkt *query, uint8_t **out, size_t *outlen)
{
	ldns_pkt *r = NULL;
	const uint8_t *p = NULL;
	size_t len = 0;

	*out = NULL;
	*outlen = 0;
	if (next_pkt < npkts) {
		p = pkts[next_pkt].p;
		len = pkts[next_pkt].len;
		next_pkt++;
	}
	if (p != NULL && ldns_wire2pkt(&r, p, len) != LDNS_STATUS_OK) {
		/* unparsable: sent as is, with the query's ID so it is not simply ignored */
		if ((*out = malloc(len > 2 ? len : 2)) == NULL)
			fuzz_die("malloc", NULL);
		memcpy(*out, p, len);
		memcpy(*out, q, 2);
		*outlen = len > 2 ? len : 2;
		return;
	}
	(void)qlen;
	if (r == NULL && (r = ldns_pkt_new()) == NULL)
		fuzz_die("ldns_pkt_new", NULL);
	ldns_pkt_set_id(r, ldns_pkt_id(query));
	ldns_pkt_set_qr(r, true);
	ldns_rr_list_deep_free(ldns_pkt_question(r));
	ldns_pkt_set_question(r, ldns_rr_list_clone(ldns_pkt_question(query)));
	ldns_pkt_set_qdcount(r, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_question(r)));
	if (ldns_pkt2wire(out, r, outlen) != LDNS_STATUS_OK) {
		*out = NULL;
		*outlen = 0;
	}
	ldns_pkt_free(r);
}

static void *
serve(void *arg)
{
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint8_t buf[4096], *out;
	ldns_pkt *q;
	size_t outlen;
	ssize_t n;

	(void)arg;
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(srv_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		q = NULL;
		if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK) {
			ldns_pkt_free(q);
			continue;
		}
		pthread_mutex_lock(&mu);
		answer(buf, (size_t)n, q, &out, &outlen);
		pthread_mutex_unlock(&mu);
		if (out != NULL)
			(void)sendto(srv_fd, out, outlen, 0, (struct sockaddr *)&from, fromlen);
		free(out);
		ldns_pkt_free(q);
	}
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	pthread_t t;

	(void)argc;
	(void)argv;
	if ((srv_fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		fuzz_die("socket", NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(srv_fd, (struct sockaddr *)&sa, &len) == -1)
		fuzz_die("bind", NULL);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.resolver_host, "127.0.0.1");
	cfg.resolver_port = ntohs(sa.sin_port);
	cfg.timeout_sec = 2;
	if (pthread_create(&t, NULL, serve, NULL) != 0 || pthread_detach(t) != 0)
		fuzz_die("pthread_create", NULL);
	return 0;
}

/* The VA's readers on every CAA and TXT RR of pkt's answer and additional sections. */
static void
read_rrs(const ldns_rr_list *l)
{
	char buf[400] = "", q[4 * VA_QUOTE_MAX + 4];
	const char *why;
	va_caa_prop prop;
	va_issue_value iv;
	char *txt;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT) {
			if ((txt = va_dns_txt(rr)) == NULL)
				fuzz_die("va_dns_txt", NULL);
			va_quote(q, sizeof(q), txt, strlen(txt));
			if (va_issue_value_parse(txt, strlen(txt), &iv, &why) == 0)
				(void)va_issue_value_param(&iv, "policy");
			free(txt);
		}
		if (va_caa_prop_get(rr, &prop) != 0)
			continue;
		va_caa_prop_append(buf, sizeof(buf), &prop);
		if (va_issue_value_parse((const char *)prop.value, prop.value_len, &iv,
		    &why) == 0) {
			(void)va_issuer_ours(iv.issuer, ours, 2);
			(void)va_issue_value_param(&iv, "accounturi");
			(void)va_issue_value_param(&iv, "validationmethods");
		} else if (why == NULL)
			fuzz_die("va_issue_value_parse", "refused without saying why");
	}
}

/* One VA operation chosen by mode against the served packets. */
static void
operate(unsigned mode)
{
	static const char *const types[] = { "dns-01", "dns-account-01", "dns-persist-01",
		"dns-cname-01", "dns-caa-01", "http-01" };
	char addrs[KK_VA_MAX_ADDRS][46], phones[4][64];
	kk_caa_req req = { "www.example.com", (int)(mode >> 2 & 1), ours, 2, ACCT, "dns-01" };
	kk_va_chall ch;
	kk_va_result res;
	size_t n;
	int dnssec;
	kk_err e;

	switch (mode & 3) {
	case 0:
		(void)kk_va_caa_check(&cfg, &req, &dnssec, &e);
		break;
	case 1:
		(void)kk_dns_resolve(&cfg, "www.example.com", addrs, KK_VA_MAX_ADDRS, &n, &e);
		break;
	case 2:
		memset(&ch, 0, sizeof(ch));
		ch.type = types[(mode >> 2) % 5];
		ch.domain = "www.example.com";
		ch.wildcard = (int)(mode >> 5 & 1);
		ch.token = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
		ch.key_authz = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0."
		    "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
		ch.account_uri = ACCT;
		ch.issuer_domains = ours;
		ch.n_issuer_domains = 2;
		ch.cname_target = "dcv.example.net";
		ch.now = (time_t)1767225600;
		(void)kk_va_validate(&cfg, &ch, &res, &e);
		break;
	default:
		(void)kk_va_phone_contacts(&cfg, mode >> 2 & 1 ? "phone-caa-01" : "phone-txt-01",
		    "www.example.com", phones, 4, &n, &e);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *p;
	size_t off = 1, len;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	pthread_mutex_lock(&mu);
	npkts = next_pkt = 0;
	while (off + 2 <= size && npkts < MAX_PKTS) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		pkts[npkts].p = data + off;
		pkts[npkts].len = len;
		npkts++;
		off += len;
	}
	pthread_mutex_unlock(&mu);
	for (len = 0; len < npkts; len++) {
		p = NULL;
		if (ldns_wire2pkt(&p, pkts[len].p, pkts[len].len) == LDNS_STATUS_OK) {
			read_rrs(ldns_pkt_answer(p));
			read_rrs(ldns_pkt_additional(p));
		}
		ldns_pkt_free(p);
	}
	operate(mode);
	pthread_mutex_lock(&mu);
	npkts = next_pkt = 0;
	pthread_mutex_unlock(&mu);
	return 0;
}
