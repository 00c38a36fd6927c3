/*
 * Validation authority tests (src/va_dns.c, src/va_http.c). A DNS server (UDP and TCP,
 * built with ldns) and an HTTP server (raw sockets) run in threads of this process on
 * 127.0.0.1 with ephemeral ports; each answers from a fixed script keyed by name/path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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
#include <time.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "kakuin/util.h"
#include "kakuin/va.h"

#define KEYAUTHZ	"tok.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define CHALLENGE	"/.well-known/acme-challenge/"

static atomic_int stop;
static int dns_udp = -1, dns_tcp = -1, http_fd = -1;
static int dns_port, http_port;
static pthread_t dns_thr, http_thr;
static pthread_mutex_t host_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_host[256];	/* Host header of the last HTTP request */

/* ---- DNS server ---- */

static void
add_rr(ldns_pkt *p, const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* The scripted answer to q, or NULL to stay silent. */
static ldns_pkt *
dns_answer(const ldns_pkt *q, int tcp)
{
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	ldns_rr_type t = ldns_rr_get_type(qrr);
	ldns_pkt *r = NULL;
	char *name = ldns_rdf2str(ldns_rr_owner(qrr)), line[600];

	if (ends_with(name, "slow.test."))
		goto out;
	r = ldns_pkt_new();
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	if (ends_with(name, "nx.test.")) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
	} else if (ends_with(name, "fail.test.")) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_SERVFAIL);
	} else if (ends_with(name, "tc.test.")) {
		if (!tcp)
			ldns_pkt_set_tc(r, true);
		else if (t == LDNS_RR_TYPE_A)
			add_rr(r, "tc.test. 60 IN A 127.0.0.2");
	} else if (ends_with(name, "cname.test.")) {
		add_rr(r, "cname.test. 60 IN CNAME mid.test.");
		add_rr(r, "mid.test. 60 IN CNAME target.test.");
		if (t == LDNS_RR_TYPE_A)
			add_rr(r, "target.test. 60 IN A 127.0.0.3");
	} else if (ends_with(name, "v6.test.")) {
		add_rr(r, t == LDNS_RR_TYPE_A ? "v6.test. 60 IN A 127.0.0.1" :
		    "v6.test. 60 IN AAAA ::1");
	} else if (ends_with(name, "private.test.")) {
		add_rr(r, t == LDNS_RR_TYPE_A ? "private.test. 60 IN A 10.0.0.1" :
		    "private.test. 60 IN AAAA fd00::1");
	} else if (ends_with(name, "mixed.test.")) {
		/* reserved addresses first: the VA must skip them and dial 127.0.0.1 */
		if (t == LDNS_RR_TYPE_AAAA)
			add_rr(r, "mixed.test. 60 IN AAAA fe80::1");
		else {
			add_rr(r, "mixed.test. 60 IN A 169.254.169.254");
			add_rr(r, "mixed.test. 60 IN A 127.0.0.1");
		}
	} else if (ends_with(name, "empty.test.")) {
		/* NOERROR, no records */
	} else if (t == LDNS_RR_TYPE_A) {
		snprintf(line, sizeof(line), "%s 60 IN A 127.0.0.1", name);
		add_rr(r, line);
	}
out:
	free(name);
	return r;
}

/* Parses a query, builds the answer and serialises it; NULL when silent. */
static uint8_t *
dns_serve(const uint8_t *buf, size_t len, int tcp, size_t *outlen)
{
	ldns_pkt *q = NULL, *r = NULL;
	uint8_t *wire = NULL;

	if (ldns_wire2pkt(&q, buf, len) != LDNS_STATUS_OK)
		return NULL;
	if ((r = dns_answer(q, tcp)) != NULL &&
	    ldns_pkt2wire(&wire, r, outlen) != LDNS_STATUS_OK)
		wire = NULL;
	ldns_pkt_free(q);
	ldns_pkt_free(r);
	return wire;
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t k;

	while (got < len) {
		if ((k = read(fd, (char *)buf + got, len - got)) <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static void
dns_serve_tcp(void)
{
	uint8_t hdr[2], buf[4096], *wire;
	size_t qlen, outlen = 0;
	int c;

	if ((c = accept(dns_tcp, NULL, NULL)) == -1)
		return;
	if (read_full(c, hdr, 2) == 0 && (qlen = (size_t)hdr[0] << 8 | hdr[1]) <= sizeof(buf) &&
	    read_full(c, buf, qlen) == 0 && (wire = dns_serve(buf, qlen, 1, &outlen)) != NULL) {
		hdr[0] = (uint8_t)(outlen >> 8);
		hdr[1] = (uint8_t)outlen;
		(void)send(c, hdr, 2, MSG_NOSIGNAL);
		(void)send(c, wire, outlen, MSG_NOSIGNAL);
		free(wire);
	}
	close(c);
}

static void
dns_serve_udp(void)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	uint8_t buf[4096], *wire;
	size_t outlen = 0;
	ssize_t n;

	n = recvfrom(dns_udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (n <= 0 || (wire = dns_serve(buf, (size_t)n, 0, &outlen)) == NULL)
		return;
	(void)sendto(dns_udp, wire, outlen, 0, (struct sockaddr *)&from, fromlen);
	free(wire);
}

static void *
dns_main(void *arg)
{
	struct pollfd pf[2];

	(void)arg;
	pf[0].fd = dns_udp;
	pf[1].fd = dns_tcp;
	while (!stop) {
		pf[0].events = pf[1].events = POLLIN;
		if (poll(pf, 2, 50) <= 0)
			continue;
		if (pf[0].revents & POLLIN)
			dns_serve_udp();
		if (pf[1].revents & POLLIN)
			dns_serve_tcp();
	}
	return NULL;
}

/* ---- HTTP server (plain and TLS on one port, told apart by the first byte) ---- */

typedef struct conn {
	int fd;
	SSL *ssl;	/* NULL for plain HTTP */
} conn;

static SSL_CTX *tls_ctx;
static char last_sni[256];	/* SNI of the last TLS connection */

static void
conn_write(conn *c, const void *buf, size_t len)
{
	if (c->ssl != NULL)
		(void)SSL_write(c->ssl, buf, (int)len);
	else
		(void)send(c->fd, buf, len, MSG_NOSIGNAL);
}

static void
http_send(conn *c, const char *status, const char *headers, const char *body, size_t len)
{
	char head[1024];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", status, len, headers);
	conn_write(c, head, (size_t)n);
	if (len > 0)
		conn_write(c, body, len);
}

static void
http_redirect(conn *c, const char *fmt, ...)
{
	char hdr[512], loc[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(loc, sizeof(loc), fmt, ap);
	va_end(ap);
	snprintf(hdr, sizeof(hdr), "Location: %s\r\n", loc);
	http_send(c, "302 Found", hdr, "", 0);
}

/* Remembers the Host header of req (and the SNI) for the tests to inspect. */
static void
http_note_host(const conn *c, const char *req)
{
	const char *h = strstr(req, "\r\nHost: "), *sni = NULL;
	size_t n = 0;

	pthread_mutex_lock(&host_mu);
	if (h != NULL) {
		h += 8;
		n = strcspn(h, "\r\n");
		if (n >= sizeof(last_host))
			n = sizeof(last_host) - 1;
		memcpy(last_host, h, n);
	}
	last_host[n] = '\0';
	if (c->ssl != NULL)
		sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	snprintf(last_sni, sizeof(last_sni), "%s", sni != NULL ? sni : "");
	pthread_mutex_unlock(&host_mu);
}

static void
http_route(conn *c, const char *tok)
{
	static const char wrong[] = "not-it\"\x01  \r\n";
	static const char slow[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc";
	struct pollfd pf;
	char *big, dummy;

	if (strcmp(tok, "good") == 0 || strcmp(tok, "r0") == 0) {
		http_send(c, "200 OK", "", KEYAUTHZ "\n", strlen(KEYAUTHZ) + 1);
	} else if (strcmp(tok, "wrong") == 0) {
		http_send(c, "200 OK", "", wrong, sizeof(wrong) - 1);
	} else if (tok[0] == 'r' && tok[1] >= '0' && tok[1] <= '9') {
		http_redirect(c, CHALLENGE "r%d", atoi(tok + 1) - 1);
	} else if (strcmp(tok, "abs") == 0) {
		http_redirect(c, "http://Other.test:%d" CHALLENGE "good", http_port);
	} else if (strcmp(tok, "tls") == 0) {
		http_redirect(c, "https://secure.test:%d" CHALLENGE "good", http_port);
	} else if (strcmp(tok, "badport") == 0) {
		http_redirect(c, "http://ok.test:8443" CHALLENGE "good");
	} else if (strcmp(tok, "ftp") == 0) {
		http_redirect(c, "ftp://ok.test" CHALLENGE "good");
	} else if (strcmp(tok, "ip") == 0) {
		http_redirect(c, "http://127.0.0.1:%d" CHALLENGE "good", http_port);
	} else if (strcmp(tok, "rpriv") == 0) {
		http_redirect(c, "http://private.test:%d" CHALLENGE "good", http_port);
	} else if (strcmp(tok, "rnx") == 0) {
		http_redirect(c, "http://www.nx.test:%d" CHALLENGE "good", http_port);
	} else if (strcmp(tok, "big") == 0) {
		big = malloc(100 * 1024);
		memset(big, 'a', 100 * 1024);
		http_send(c, "200 OK", "", big, 100 * 1024);
		free(big);
	} else if (strcmp(tok, "slow") == 0) {
		conn_write(c, slow, sizeof(slow) - 1);
		/* Never finish; wait (bounded) for the client to give up and close. */
		pf.fd = c->fd;
		pf.events = POLLIN;
		if (poll(&pf, 1, 8000) == 1)
			(void)read(c->fd, &dummy, 1);
	} else {
		http_send(c, "404 Not Found", "", "nope", 4);
	}
}

static ssize_t
conn_read(conn *c, char *buf, size_t len)
{
	if (c->ssl != NULL)
		return SSL_read(c->ssl, buf, (int)len);
	return read(c->fd, buf, len);
}

static void
http_serve(int fd)
{
	char req[4096], path[1024];
	conn c = { fd, NULL };
	unsigned char first;
	size_t n = 0;
	ssize_t k;

	if (recv(fd, &first, 1, MSG_PEEK) != 1)
		return;
	if (first == 0x16) {	/* TLS handshake record */
		if ((c.ssl = SSL_new(tls_ctx)) == NULL || SSL_set_fd(c.ssl, fd) != 1 ||
		    SSL_accept(c.ssl) != 1)
			goto out;
	}
	while (n < sizeof(req) - 1 && (k = conn_read(&c, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	http_note_host(&c, req);
	if (sscanf(req, "GET %1023s HTTP/1.1", path) != 1 ||
	    strncmp(path, CHALLENGE, strlen(CHALLENGE)) != 0)
		http_send(&c, "404 Not Found", "", "", 0);
	else
		http_route(&c, path + strlen(CHALLENGE));
out:
	if (c.ssl != NULL)
		SSL_shutdown(c.ssl);
	SSL_free(c.ssl);
}

static void *
http_main(void *arg)
{
	struct pollfd pf;
	int c;

	(void)arg;
	pf.fd = http_fd;
	while (!stop) {
		pf.events = POLLIN;
		if (poll(&pf, 1, 50) <= 0 || (c = accept(http_fd, NULL, NULL)) == -1)
			continue;
		http_serve(c);
		close(c);
	}
	return NULL;
}

/* A TLS server context with a throw-away self-signed P-256 certificate for "unrelated":
 * http-01 must not care whose certificate an https redirect target presents. */
static SSL_CTX *
tls_ctx_new(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (key == NULL || x == NULL || ctx == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"unrelated", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	if (X509_sign(x, key, EVP_sha256()) == 0 || SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		abort();
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

/* ---- fixtures ---- */

/* A socket of type bound to 127.0.0.1:port (0 for ephemeral); its port in *bound. */
static int
bind_local(int type, int port, int *bound)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (type == SOCK_STREAM && listen(fd, 16) == -1) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static int
servers_start(void **state)
{
	int i, p;

	(void)state;
	/* UDP and TCP DNS share one port number, as a real server does. */
	for (i = 0; i < 20 && dns_tcp == -1; i++) {
		if (dns_udp != -1)
			close(dns_udp);
		if ((dns_udp = bind_local(SOCK_DGRAM, 0, &dns_port)) == -1)
			return -1;
		dns_tcp = bind_local(SOCK_STREAM, dns_port, &p);
	}
	if (dns_tcp == -1 || (http_fd = bind_local(SOCK_STREAM, 0, &http_port)) == -1)
		return -1;
	tls_ctx = tls_ctx_new();
	/* The VA must ignore proxies whatever the environment says. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	setenv("https_proxy", "http://127.0.0.1:9", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:9", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
	if (pthread_create(&dns_thr, NULL, dns_main, NULL) != 0 ||
	    pthread_create(&http_thr, NULL, http_main, NULL) != 0)
		return -1;
	return 0;
}

static int
servers_stop(void **state)
{
	(void)state;
	stop = 1;
	pthread_join(dns_thr, NULL);
	pthread_join(http_thr, NULL);
	close(dns_udp);
	close(dns_tcp);
	close(http_fd);
	SSL_CTX_free(tls_ctx);
	return 0;
}

static kk_va_cfg
test_cfg(int timeout)
{
	kk_va_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.resolver_host, "127.0.0.1");
	cfg.resolver_port = dns_port;
	cfg.http01_port = http_port;
	cfg.timeout_sec = timeout;
	cfg.allow_loopback = 1;	/* the scripted servers are on 127.0.0.1 and ::1 */
	return cfg;
}

static void
assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not in \"%s\"", needle, hay);
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- kk_dns_resolve ---- */

/* One lookup: addrs expected on success (want0, want1), or KK_ERR_DNS with a detail
 * holding w1 and w2 when fail is set. */
typedef struct dns_case {
	const char *name;
	int timeout;
	int fail;
	const char *w1, *w2;
} dns_case;

static void
test_dns_case(void **state)
{
	const dns_case *c = *state;
	kk_va_cfg cfg = test_cfg(c->timeout);
	char addrs[KK_VA_MAX_ADDRS][46];
	size_t n = 99;
	double t0 = now_sec();
	kk_err err;
	int rv;

	kk_err_clear(&err);
	rv = kk_dns_resolve(&cfg, c->name, addrs, KK_VA_MAX_ADDRS, &n, &err);
	if (c->timeout > 0)
		assert_true(now_sec() - t0 < c->timeout + 1.5);
	if (!c->fail) {
		if (rv != 0)
			fail_msg("%s", err.detail);
		assert_int_equal(n, c->w2 != NULL ? 2 : 1);
		assert_string_equal(addrs[0], c->w1);
		if (c->w2 != NULL)
			assert_string_equal(addrs[1], c->w2);
		return;
	}
	assert_int_equal(rv, -1);
	assert_int_equal(n, 0);
	assert_int_equal(err.kind, KK_ERR_DNS);
	assert_has(err.detail, "DNS problem");
	assert_has(err.detail, c->w1);
	if (c->w2 != NULL)
		assert_has(err.detail, c->w2);
}

static dns_case dns_found = { "ok.test", 0, 0, "127.0.0.1", NULL };
static dns_case dns_ipv6_first = { "v6.test", 0, 0, "::1", "127.0.0.1" };
static dns_case dns_cname_chain = { "cname.test", 0, 0, "127.0.0.3", NULL };
static dns_case dns_tc_falls_back_to_tcp = { "tc.test", 0, 0, "127.0.0.2", NULL };
static dns_case dns_nxdomain = { "a.nx.test", 0, 1,
    "NXDOMAIN looking up A for a.nx.test", NULL };
static dns_case dns_servfail = { "fail.test", 0, 1,
    "SERVFAIL looking up A for fail.test", NULL };
static dns_case dns_no_records = { "empty.test", 0, 1, "no valid A or AAAA records",
    "empty.test" };
static dns_case dns_timeout = { "slow.test", 2, 1, "timed out", "slow.test" };

static void
test_dns_max_bounds_output(void **state)
{
	kk_va_cfg cfg = test_cfg(0);
	char addrs[1][46];
	size_t n = 0;
	kk_err err;

	(void)state;
	assert_int_equal(kk_dns_resolve(&cfg, "v6.test", addrs, 1, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(addrs[0], "::1");
}

static void
test_dns_invalid_names(void **state)
{
	static const char *bad[] = { "", "-a.test", "a-.test", "a..test", ".test",
	    "ok.test.", "under_score.test", "sp ace.test", "b\xc3\xa4r.test" };
	char label[80], name[300], addrs[KK_VA_MAX_ADDRS][46];
	kk_va_cfg cfg = test_cfg(0);
	size_t n = 0, i;
	kk_err err;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kk_dns_resolve(&cfg, bad[i], addrs, 4, &n, &err), -1);
		assert_int_equal(err.kind, KK_ERR_DNS);
		assert_has(err.detail, "invalid domain name");
	}
	/* a 63-octet label and a 253-octet name are the limits; one more is too long */
	memset(label, 'b', 64);
	strcpy(label + 64, ".test");
	assert_int_equal(kk_dns_resolve(&cfg, label, addrs, 4, &n, &err), -1);
	assert_int_equal(kk_dns_resolve(&cfg, label + 1, addrs, 4, &n, &err), 0);
	for (i = 0; i < 50; i++)
		memcpy(name + i * 5, "abcd.", 5);
	strcpy(name + 250, "tst");
	assert_int_equal(strlen(name), 253);
	assert_int_equal(kk_dns_resolve(&cfg, name, addrs, 4, &n, &err), 0);
	strcat(name, "x");
	assert_int_equal(kk_dns_resolve(&cfg, name, addrs, 4, &n, &err), -1);
	assert_has(err.detail, "invalid domain name");
}

/* ---- kk_va_http01 ---- */

/* One http-01 run against the scripted server. kind KK_OK: success, and w1 is the Host
 * name the last request carried. Otherwise failure of kind, with a detail holding the
 * challenge URL, w1 and w2. */
typedef struct http_case {
	const char *domain, *token;
	int timeout;
	kk_errkind kind;
	const char *w1, *w2;
} http_case;

static void
test_http_case(void **state)
{
	const http_case *c = *state;
	kk_va_cfg cfg = test_cfg(c->timeout);
	char want[300];
	double t0 = now_sec();
	kk_err err;
	int rv;

	kk_err_clear(&err);
	rv = kk_va_http01(&cfg, c->domain, c->token, KEYAUTHZ, &err);
	if (c->timeout > 0)
		assert_true(now_sec() - t0 < c->timeout + 1.5);
	if (c->kind == KK_OK) {
		if (rv != 0)
			fail_msg("%s: %s", kk_err_name(err.kind), err.detail);
		snprintf(want, sizeof(want), "%s:%d", c->w1, http_port);
		pthread_mutex_lock(&host_mu);
		assert_string_equal(last_host, want);
		pthread_mutex_unlock(&host_mu);
		return;
	}
	assert_int_equal(rv, -1);
	if (err.kind != c->kind)
		fail_msg("kind %s, want %s: %s", kk_err_name(err.kind), kk_err_name(c->kind),
		    err.detail);
	snprintf(want, sizeof(want), "http://%s:%d" CHALLENGE "%s", c->domain, http_port,
	    c->token);
	assert_has(err.detail, want);
	assert_has(err.detail, c->w1);
	if (c->w2 != NULL)
		assert_has(err.detail, c->w2);
}

static http_case http_valid = { "ok.test", "good", 0, KK_OK, "ok.test", NULL };
/* v6.test lists ::1 first; nothing listens there, so 127.0.0.1 is dialled next */
static http_case http_ipv6_refused_then_ipv4 = { "v6.test", "good", 0, KK_OK, "v6.test",
    NULL };
static http_case http_ten_redirects_ok = { "ok.test", "r10", 0, KK_OK, "ok.test", NULL };
static http_case http_redirect_other_host = { "ok.test", "abs", 0, KK_OK, "Other.test",
    NULL };
static http_case http_wrong_content = { "ok.test", "wrong", 0, KK_ERR_UNAUTHORIZED,
    "expected \"" KEYAUTHZ "\"", "got \"not-it\\\"\\x01\"" };
static http_case http_404 = { "ok.test", "missing", 0, KK_ERR_UNAUTHORIZED,
    "Invalid response from http://ok.test:", "/missing: 404" };
static http_case http_eleven_redirects = { "ok.test", "r11", 0, KK_ERR_CONNECTION,
    "too many redirects", "/r1: " };
static http_case http_redirect_bad_port = { "ok.test", "badport", 0, KK_ERR_CONNECTION,
    "invalid port", "http://ok.test:8443" CHALLENGE "good" };
static http_case http_redirect_ftp = { "ok.test", "ftp", 0, KK_ERR_CONNECTION,
    "invalid protocol scheme", "\"ftp\"" };
static http_case http_redirect_ip = { "ok.test", "ip", 0, KK_ERR_CONNECTION,
    "only domain names", "http://127.0.0.1:" };
static http_case http_redirect_nxdomain = { "ok.test", "rnx", 0, KK_ERR_DNS,
    "NXDOMAIN looking up A for www.nx.test", "http://www.nx.test:" };
/* validation safety: reserved addresses are never dialled, even in test mode */
static http_case http_private_refused = { "private.test", "good", 0, KK_ERR_CONNECTION,
    "private.test resolves to a reserved address: fd00::1 is in fc00::/7, unique-local",
    "its other addresses are refused too" };
static http_case http_redirect_private = { "ok.test", "rpriv", 0, KK_ERR_CONNECTION,
    "redirected from http://ok.test:", "private.test resolves to a reserved address" };
static http_case http_reserved_skipped = { "mixed.test", "good", 0, KK_OK, "mixed.test",
    NULL };
static http_case http_too_large = { "ok.test", "big", 0, KK_ERR_UNAUTHORIZED,
    "response too large", NULL };
static http_case http_slow = { "ok.test", "slow", 2, KK_ERR_CONNECTION, "timed out",
    "(127.0.0.1)" };
static http_case http_nxdomain = { "x.nx.test", "good", 0, KK_ERR_DNS, "NXDOMAIN",
    "DNS problem" };

/* https target with a self-signed certificate for another name: fetched anyway, with
 * the target's name in SNI and Host. */
static void
test_http_redirect_https_unverified_with_sni(void **state)
{
	static http_case c = { "ok.test", "tls", 0, KK_OK, "secure.test", NULL };
	void *cs = &c;

	(void)state;
	test_http_case(&cs);
	pthread_mutex_lock(&host_mu);
	assert_string_equal(last_sni, "secure.test");
	pthread_mutex_unlock(&host_mu);
}

static void
test_http_ipv6_dialled_first(void **state)
{
	struct sockaddr_in6 sa;
	kk_va_cfg cfg = test_cfg(1);
	kk_err err;
	int fd, one = 1;

	(void)state;
	/* A silent listener on [::1] at the same port takes the connection (the kernel
	 * completes the handshake) and never answers: the VA must have dialled ::1 first,
	 * and a timeout after connecting must not fall back to IPv4. */
	assert_int_not_equal(fd = socket(AF_INET6, SOCK_STREAM, 0), -1);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons((uint16_t)http_port);
	sa.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 4) == -1) {
		close(fd);
		skip();
	}
	assert_int_equal(kk_va_http01(&cfg, "v6.test", "good", KEYAUTHZ, &err), -1);
	close(fd);
	assert_int_equal(err.kind, KK_ERR_CONNECTION);
	assert_has(err.detail, "(::1)");
	assert_has(err.detail, "timed out");
}

static void
test_http_refused(void **state)
{
	kk_va_cfg cfg;
	char url[300];
	kk_err err;
	int fd, port;

	(void)state;
	/* a port that was just free: nothing listens on it */
	assert_int_not_equal(fd = bind_local(SOCK_STREAM, 0, &port), -1);
	close(fd);
	cfg = test_cfg(0);
	cfg.http01_port = port;
	assert_int_equal(kk_va_http01(&cfg, "ok.test", "good", KEYAUTHZ, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONNECTION);
	snprintf(url, sizeof(url), "Fetching http://ok.test:%d" CHALLENGE "good", port);
	assert_has(err.detail, url);
	assert_has(err.detail, "(127.0.0.1)");
}

static void
test_http_bad_token(void **state)
{
	kk_va_cfg cfg = test_cfg(0);
	kk_err err;

	(void)state;
	assert_int_equal(kk_va_http01(&cfg, "ok.test", "../etc", KEYAUTHZ, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_int_equal(kk_va_http01(&cfg, "ok.test", "", KEYAUTHZ, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
}

static void
test_http_bad_domain(void **state)
{
	static const char *bad[] = { "", "a@ok.test", "ok.test/x", "ok.test:80",
	    "ok.test?", "-ok.test" };
	kk_va_cfg cfg = test_cfg(0);
	kk_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kk_va_http01(&cfg, bad[i], "good", KEYAUTHZ, &err), -1);
		assert_int_equal(err.kind, KK_ERR_DNS);
		assert_has(err.detail, "invalid domain name");
	}
}

/* Every allocation through the kk_malloc seam may fail: the result is then an internal
 * error, never a crash, a leak (ASan build) or a false success. */
static void
test_http_alloc_failures(void **state)
{
	kk_va_cfg cfg = test_cfg(0);
	kk_err err;
	long k;
	int rv = -1;

	(void)state;
	for (k = 0; k < 50 && rv != 0; k++) {
		kk_alloc_fail_after(k);
		kk_err_clear(&err);
		rv = kk_va_http01(&cfg, "ok.test", "r2", KEYAUTHZ, &err);
		kk_alloc_fail_after(-1);
		if (rv != 0 && err.kind != KK_ERR_INTERNAL)
			fail_msg("after %ld allocations: %s: %s", k, kk_err_name(err.kind),
			    err.detail);
	}
	assert_int_equal(rv, 0);
	assert_true(k > 3);
}

static void
test_resolver_misconfigured(void **state)
{
	kk_va_cfg cfg = test_cfg(0);
	char addrs[4][46];
	size_t n = 7;
	kk_err err;

	(void)state;
	strcpy(cfg.resolver_host, "dns.example");
	assert_int_equal(kk_dns_resolve(&cfg, "ok.test", addrs, 4, &n, &err), -1);
	assert_int_equal(n, 0);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	assert_has(err.detail, "dns.example");
	cfg = test_cfg(0);
	cfg.resolver_port = 70000;
	assert_int_equal(kk_dns_resolve(&cfg, "ok.test", addrs, 4, &n, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
	/* the http-01 path reports the same */
	assert_int_equal(kk_va_http01(&cfg, "ok.test", "good", KEYAUTHZ, &err), -1);
	assert_int_equal(err.kind, KK_ERR_INTERNAL);
}

/* Production (allow_loopback 0) never dials loopback: a name that resolves only to it
 * fails with a connection problem naming the address, before any connection (no request
 * reaches the scripted server); with both ::1 and 127.0.0.1 both are named. A redirect to
 * such a name fails the same way. */
static void
test_http_production_refuses_loopback(void **state)
{
	kk_va_cfg cfg = test_cfg(0);
	kk_va_chall ch = { "http-01", "ok.test", 0, "good", KEYAUTHZ, NULL, NULL, 0, NULL, 0 };
	kk_va_result res;
	kk_err err;

	(void)state;
	cfg.allow_loopback = 0;
	pthread_mutex_lock(&host_mu);
	last_host[0] = '\0';
	pthread_mutex_unlock(&host_mu);
	assert_int_equal(kk_va_http01(&cfg, "ok.test", "good", KEYAUTHZ, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONNECTION);
	assert_has(err.detail, "ok.test resolves to a reserved address: 127.0.0.1 is in "
	    "127.0.0.0/8, loopback");
	pthread_mutex_lock(&host_mu);
	assert_string_equal(last_host, "");
	pthread_mutex_unlock(&host_mu);
	assert_int_equal(kk_va_http01(&cfg, "v6.test", "good", KEYAUTHZ, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONNECTION);
	assert_has(err.detail, "::1 is in ::1/128, loopback");
	assert_has(err.detail, "its other addresses are refused too");
	/* the same through kk_va_validate, as the RA calls it */
	assert_int_equal(kk_va_validate(&cfg, &ch, &res, &err), -1);
	assert_int_equal(err.kind, KK_ERR_CONNECTION);
	assert_has(err.detail, "reserved address");
	/* test mode: the same challenge succeeds */
	cfg.allow_loopback = 1;
	if (kk_va_http01(&cfg, "ok.test", "good", KEYAUTHZ, &err) != 0)
		fail_msg("%s", err.detail);
}

/* kk_va_validate dispatches http-01 to kk_va_http01 and records the URL it fetched. */
static void
test_validate_http01(void **state)
{
	kk_va_cfg cfg = test_cfg(0);
	kk_va_chall ch = { "http-01", "ok.test", 0, "good", KEYAUTHZ, NULL, NULL, 0, NULL, 0 };
	kk_va_result res;
	char want[200];
	kk_err err;

	(void)state;
	snprintf(want, sizeof(want), "http://ok.test:%d" CHALLENGE "good", http_port);
	memset(&res, 0x55, sizeof(res));
	if (kk_va_validate(&cfg, &ch, &res, &err) != 0)
		fail_msg("%s", err.detail);
	assert_string_equal(res.checked, want);
	assert_int_equal(res.covers_subdomains, 0);
	assert_int_equal(res.dnssec, KK_DNSSEC_INSECURE);
	ch.token = "wrong";
	assert_int_equal(kk_va_validate(&cfg, &ch, &res, &err), -1);
	assert_int_equal(err.kind, KK_ERR_UNAUTHORIZED);
	snprintf(want, sizeof(want), "http://ok.test:%d" CHALLENGE "wrong", http_port);
	assert_string_equal(res.checked, want);
}

#define CASE(fn, c)	{ "test_" #c, fn, NULL, NULL, &c }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(test_dns_case, dns_found),
		CASE(test_dns_case, dns_ipv6_first),
		CASE(test_dns_case, dns_cname_chain),
		CASE(test_dns_case, dns_tc_falls_back_to_tcp),
		CASE(test_dns_case, dns_nxdomain),
		CASE(test_dns_case, dns_servfail),
		CASE(test_dns_case, dns_no_records),
		CASE(test_dns_case, dns_timeout),
		cmocka_unit_test(test_dns_max_bounds_output),
		cmocka_unit_test(test_dns_invalid_names),
		CASE(test_http_case, http_valid),
		CASE(test_http_case, http_ipv6_refused_then_ipv4),
		cmocka_unit_test(test_http_ipv6_dialled_first),
		CASE(test_http_case, http_ten_redirects_ok),
		CASE(test_http_case, http_redirect_other_host),
		cmocka_unit_test(test_http_redirect_https_unverified_with_sni),
		CASE(test_http_case, http_wrong_content),
		CASE(test_http_case, http_404),
		CASE(test_http_case, http_eleven_redirects),
		CASE(test_http_case, http_redirect_bad_port),
		CASE(test_http_case, http_redirect_ftp),
		CASE(test_http_case, http_redirect_ip),
		CASE(test_http_case, http_redirect_nxdomain),
		CASE(test_http_case, http_private_refused),
		CASE(test_http_case, http_redirect_private),
		CASE(test_http_case, http_reserved_skipped),
		CASE(test_http_case, http_too_large),
		CASE(test_http_case, http_slow),
		CASE(test_http_case, http_nxdomain),
		cmocka_unit_test(test_http_refused),
		cmocka_unit_test(test_http_bad_token),
		cmocka_unit_test(test_http_bad_domain),
		cmocka_unit_test(test_http_alloc_failures),
		cmocka_unit_test(test_resolver_misconfigured),
		cmocka_unit_test(test_validate_http01),
		cmocka_unit_test(test_http_production_refuses_loopback),
	};

	return cmocka_run_group_tests(tests, servers_start, servers_stop);
}
