/*
 * Validation authority: the http-01 challenge (RFC 8555 8.3, CP 3.2.2.4.19 / BR 3.2.2.4.19
 * "Agreed-Upon Change to Website - ACME").
 *
 * curl never resolves a name here: every host, including each redirect target, goes
 * through kk_dns_resolve (the CA's configured resolver) and the chosen address is pinned
 * with CURLOPT_RESOLVE, so the Host header and TLS SNI still carry the name. Redirects are
 * followed by hand so that each hop is checked and re-resolved: http or https only, port
 * 80, 443 or the configured http-01 port, and a domain name. Like Boulder, a redirect to an
 * IP literal is refused: validation is about names, and an IP target would let a
 * subscriber steer the CA at addresses it never looked up.
 *
 * Validation safety (docs/security.md): an address kk_va_addr_allowed refuses (private,
 * loopback, link-local, reserved: the IANA special-purpose registries, src/va_addr.c) is
 * never dialled, and a name with no other address fails as Boulder's "resolves to a
 * reserved address". curl's socket is opened by http_opensocket, which checks the address
 * once more and that it is the pinned one, so nothing in curl can dial another.
 *
 * Error kinds follow Boulder: transport failures and bad redirects are "connection",
 * lookups are "dns", and a wrong status, wrong content or an oversized body are
 * "unauthorized" (the server answered, but does not prove control).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <curl/curl.h>
#include "kakuin/util.h"
#include "kakuin/va.h"

#define HTTP_MAX_BODY		(64 * 1024)	/* RFC 8555 8.3 needs ~90 bytes; cap abuse */
#define HTTP_MAX_REDIRECTS	10
#define HTTP_CONNECT_MS_MAX	5000L
#define HTTP_QUOTE_MAX		100		/* characters of a bad body shown in a detail */
#define VA_DEFAULT_TIMEOUT	10
#define HTTP_CHALLENGE_PATH	"/.well-known/acme-challenge/"
#define HTTP_HOST_CHARS		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-."

/* One validation: its configuration, its clock budget and the body of the last hop. */
typedef struct http_ctx {
	const kk_va_cfg *cfg;
	const char *addr;	/* the address of the GET in progress, borrowed */
	long long deadline_ms;	/* CLOCK_MONOTONIC; covers every hop */
	char *body;		/* HTTP_MAX_BODY + 1 bytes, owned */
	size_t body_len;
	int too_large;
} http_ctx;

/* One hop's URL split by curl's URL API. */
typedef struct http_hop {
	char *url;	/* owned (kk_malloc) */
	char *scheme;	/* lower-case; curl_free */
	char *host;	/* curl_free */
	long port;	/* explicit or the scheme's default */
} http_hop;

/* The response of one hop. */
typedef struct http_resp {
	long status;
	char *location;	/* absolute redirect target or NULL; owned (kk_malloc) */
} http_resp;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc = CURLE_FAILED_INIT;

static void
http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long long
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Frees what hop owns; the struct itself is the caller's. Accepts NULL. */
static void
http_hop_free(http_hop *hop)
{
	if (hop == NULL)
		return;
	free(hop->url);
	curl_free(hop->scheme);
	curl_free(hop->host);
	memset(hop, 0, sizeof(*hop));
}

/* Splits url (borrowed; copied into hop->url) into scheme, host and port. Any scheme is
 * accepted here so that the redirect check can name it. */
static int
http_hop_parse(const char *url, http_hop *hop, kk_err *err)
{
	CURLU *u = NULL;
	char *port = NULL;
	int rv = -1;

	memset(hop, 0, sizeof(*hop));
	if ((hop->url = kk_strdup(url)) == NULL || (u = curl_url()) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "Fetching %s: out of memory", url);
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &hop->scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &hop->host, 0) != CURLUE_OK) {
		kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s: malformed URL", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		hop->port = -1;	/* a scheme without a default port; refused by the check */
	else
		hop->port = strtol(port, NULL, 10);
	rv = 0;
out:
	curl_free(port);
	curl_url_cleanup(u);
	if (rv == -1)
		http_hop_free(hop);
	return rv;
}

/* 1 if host is an IP literal in any form curl or inet_aton would accept: bracketed IPv6,
 * dotted quad, or a name whose last label is numeric ("127.1", "0x7f.1"). */
static int
http_host_is_ip(const char *host)
{
	const char *last;
	struct in_addr a4;

	if (host[0] == '[' || inet_pton(AF_INET, host, &a4) == 1)
		return 1;
	last = strrchr(host, '.');
	last = last != NULL ? last + 1 : host;
	return *last != '\0' && strspn(last, "0123456789") == strlen(last);
}

/* RFC 8555 8.3 and BR 3.2.2.4.19: the target of a hop (from names the hop that
 * redirected to it, NULL for the first) must be http or https, on port 80, 443 or the
 * configured test port, at a domain name. */
static int
http_hop_check(const http_ctx *ctx, const char *from, const http_hop *hop, kk_err *err)
{
	const char *via = from != NULL ? from : hop->url;
	const char *what = from != NULL ? "redirect target" : "URL";

	if (strcmp(hop->scheme, "http") != 0 && strcmp(hop->scheme, "https") != 0)
		return kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s: invalid protocol "
		    "scheme in %s %s: only \"http\" and \"https\" are supported, not "
		    "\"%s\"", via, what, hop->url, hop->scheme);
	if (hop->port != 80 && hop->port != 443 && hop->port != ctx->cfg->http01_port)
		return kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s: invalid port in "
		    "%s %s: only ports 80 and 443 are supported, not %ld", via, what,
		    hop->url, hop->port);
	if (http_host_is_ip(hop->host))
		return kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s: invalid host in "
		    "%s %s: only domain names are supported, not IP addresses", via, what,
		    hop->url);
	return 0;
}

/* Collects the body into ctx->body; aborts the transfer (returns 0) past HTTP_MAX_BODY. */
static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	http_ctx *ctx = arg;
	size_t n = size * nmemb;

	if (n > HTTP_MAX_BODY - ctx->body_len) {
		ctx->too_large = 1;
		return 0;
	}
	memcpy(ctx->body + ctx->body_len, data, n);
	ctx->body_len += n;
	return n;
}

/* 1 if sa holds the numeric address addr. */
static int
http_sockaddr_is(const struct sockaddr *sa, const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (sa->sa_family == AF_INET && inet_pton(AF_INET, addr, &a4) == 1)
		return memcmp(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, &a4,
		    sizeof(a4)) == 0;
	if (sa->sa_family == AF_INET6 && inet_pton(AF_INET6, addr, &a6) == 1)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, &a6,
		    sizeof(a6)) == 0;
	return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: the last word on what the VA dials. Only the address pinned
 * for this GET, and only if kk_va_addr_allowed admits it; anything else fails the
 * connect (CURLE_COULDNT_CONNECT). */
static curl_socket_t
http_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	const http_ctx *ctx = arg;

	if (purpose != CURLSOCKTYPE_IPCXN || !http_sockaddr_is(&a->addr, ctx->addr) ||
	    !kk_va_addr_allowed(&a->addr, ctx->cfg->allow_loopback, NULL))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype, a->protocol);
}

/* Sets the options of one GET of hop->url pinned to addr; resolve is the pin list the
 * caller owns until the handle is cleaned up. */
static int
http_setopts(http_ctx *ctx, const http_hop *hop, CURL *c, struct curl_slist *resolve,
    long long left_ms, char *errbuf)
{
	long conn_ms = left_ms < HTTP_CONNECT_MS_MAX ? (long)left_ms : HTTP_CONNECT_MS_MAX;
	CURLcode rc = CURLE_OK;

#define HTTP_SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	HTTP_SET(CURLOPT_URL, hop->url);
	HTTP_SET(CURLOPT_RESOLVE, resolve);
	HTTP_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	HTTP_SET(CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SET(CURLOPT_PROXY, "");
	HTTP_SET(CURLOPT_NOPROXY, "*");
	HTTP_SET(CURLOPT_USERAGENT, "kakuin-va");
	HTTP_SET(CURLOPT_NOSIGNAL, 1L);
	HTTP_SET(CURLOPT_TIMEOUT_MS, (long)left_ms);
	HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS, conn_ms);
	/* Let's Encrypt does not verify certificates of https redirect targets: http-01
	 * proves control through the content, and SNI still names the host. */
	HTTP_SET(CURLOPT_SSL_VERIFYPEER, 0L);
	HTTP_SET(CURLOPT_SSL_VERIFYHOST, 0L);
	HTTP_SET(CURLOPT_WRITEFUNCTION, http_write_cb);
	HTTP_SET(CURLOPT_WRITEDATA, ctx);
	HTTP_SET(CURLOPT_OPENSOCKETFUNCTION, http_opensocket);
	HTTP_SET(CURLOPT_OPENSOCKETDATA, ctx);
	HTTP_SET(CURLOPT_ERRORBUFFER, errbuf);
#undef HTTP_SET
	return rc == CURLE_OK ? 0 : -1;
}

/* One GET of hop->url connected to addr. Returns curl's code; on CURLE_OK fills resp. */
static CURLcode
http_get(http_ctx *ctx, const http_hop *hop, const char *addr, http_resp *resp,
    char *errbuf)
{
	struct curl_slist *resolve = NULL;
	CURL *c = NULL;
	char *pin = NULL, *loc = NULL;
	long long left_ms = ctx->deadline_ms - http_now_ms();
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	ctx->addr = addr;
	ctx->body_len = 0;
	ctx->too_large = 0;
	errbuf[0] = '\0';
	if (left_ms <= 0) {
		snprintf(errbuf, CURL_ERROR_SIZE, "validation time budget exhausted");
		rc = CURLE_OPERATION_TIMEDOUT;
		goto out;
	}
	pin = kk_printf(strchr(addr, ':') != NULL ? "%s:%ld:[%s]" : "%s:%ld:%s",
	    hop->host, hop->port, addr);
	if (pin == NULL || (resolve = curl_slist_append(NULL, pin)) == NULL)
		goto out;
	if ((c = curl_easy_init()) == NULL ||
	    http_setopts(ctx, hop, c, resolve, left_ms, errbuf) == -1)
		goto out;
	if ((rc = curl_easy_perform(c)) != CURLE_OK)
		goto out;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != NULL &&
	    (resp->location = kk_strdup(loc)) == NULL)
		rc = CURLE_OUT_OF_MEMORY;
out:
	if (rc != CURLE_OK && errbuf[0] == '\0')
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	free(pin);
	return rc;
}

/* Resolves hop->host and GETs hop->url from each allowed address in turn (IPv6 first)
 * until one connects. On success resp holds the status and redirect target, ctx the body.
 * from names the hop that redirected here (NULL for the first) for the details. */
static int
http_fetch(http_ctx *ctx, const char *from, const http_hop *hop, http_resp *resp,
    kk_err *err)
{
	char addrs[KK_VA_MAX_ADDRS][46], errbuf[CURL_ERROR_SIZE];
	size_t n = 0, i, last = KK_VA_MAX_ADDRS, refused = KK_VA_MAX_ADDRS;
	const char *why = NULL, *refused_why = NULL;
	CURLcode rc = CURLE_COULDNT_CONNECT;
	kk_err derr;

	if (kk_dns_resolve(ctx->cfg, hop->host, addrs, KK_VA_MAX_ADDRS, &n, &derr) == -1)
		return kk_err_set(err, derr.kind, "%s (fetching %s%s%s)", derr.detail,
		    hop->url, from != NULL ? ", redirected from " : "", from != NULL ? from : "");
	for (i = 0; i < n; i++) {
		if (!kk_va_addr_str_allowed(addrs[i], ctx->cfg->allow_loopback, &why)) {
			if (refused == KK_VA_MAX_ADDRS) {
				refused = i;
				refused_why = why;
			}
			continue;
		}
		last = i;
		rc = http_get(ctx, hop, addrs[i], resp, errbuf);
		if (rc == CURLE_OK)
			return 0;
		if (rc == CURLE_WRITE_ERROR && ctx->too_large)
			return kk_err_set(err, KK_ERR_UNAUTHORIZED, "Invalid response from "
			    "%s: response too large (more than %d bytes)", hop->url,
			    HTTP_MAX_BODY);
		if (rc == CURLE_OUT_OF_MEMORY)
			return kk_err_set(err, KK_ERR_INTERNAL, "Fetching %s: %s", hop->url,
			    errbuf);
		/* Only a failed connect moves on to the next address; a connect timeout
		 * is shorter than the budget, so a timeout with budget left is one too. */
		if (rc != CURLE_COULDNT_CONNECT && !(rc == CURLE_OPERATION_TIMEDOUT &&
		    http_now_ms() < ctx->deadline_ms))
			break;
	}
	if (last == KK_VA_MAX_ADDRS)
		return kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s%s%s: %s resolves to a "
		    "reserved address: %s is in %s%s", hop->url, from != NULL ?
		    ", redirected from " : "", from != NULL ? from : "", hop->host,
		    addrs[refused], refused_why, n > 1 ? ", and its other addresses are "
		    "refused too" : "");
	return kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s (%s): %s", hop->url,
	    addrs[last], errbuf);
}

/* Writes at most HTTP_QUOTE_MAX characters of in[0..len) to out (size outsz >=
 * 4 * HTTP_QUOTE_MAX + 4) with quotes, backslashes and non-printables escaped, then
 * "..." if anything was left out. */
static void
http_quote(const char *in, size_t len, char *out, size_t outsz)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < len && i < HTTP_QUOTE_MAX && o + 5 < outsz; i++) {
		ch = (unsigned char)in[i];
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, outsz - o, "\\%c", ch);
		else if (ch == '\n')
			o += (size_t)snprintf(out + o, outsz - o, "\\n");
		else if (ch == '\r')
			o += (size_t)snprintf(out + o, outsz - o, "\\r");
		else if (ch == '\t')
			o += (size_t)snprintf(out + o, outsz - o, "\\t");
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	if (i < len && o + 4 <= outsz)
		memcpy(out + o, "...", 4);
}

/* RFC 8555 8.3: the body, with trailing whitespace removed, must equal key_authz. */
static int
http_check_body(const http_ctx *ctx, const char *url, const char *key_authz, kk_err *err)
{
	char got[4 * HTTP_QUOTE_MAX + 8];
	size_t len = ctx->body_len;

	while (len > 0 && strchr(" \t\r\n", ctx->body[len - 1]) != NULL)
		len--;
	if (len == strlen(key_authz) && memcmp(ctx->body, key_authz, len) == 0)
		return 0;
	http_quote(ctx->body, len, got, sizeof(got));
	return kk_err_set(err, KK_ERR_UNAUTHORIZED, "Invalid response from %s: the key "
	    "authorization file from the server did not match this challenge: expected "
	    "\"%s\" (got \"%s\")", url, key_authz, got);
}

/* 1 if token is a non-empty base64url string (RFC 8555 8.3), so it is safe in a path. */
static int
http_token_valid(const char *token)
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";

	return token[0] != '\0' && strspn(token, b64url) == strlen(token);
}

/* Fetches hop after hop from the challenge URL, following at most HTTP_MAX_REDIRECTS
 * redirects, and checks the last body against key_authz. */
static int
http_validate(http_ctx *ctx, const char *first, const char *key_authz, kk_err *err)
{
	http_hop hop = { 0 };
	http_resp resp = { 0, NULL };
	char *from = NULL;
	int redirects = 0, rv = -1;

	if (http_hop_parse(first, &hop, err) == -1)
		goto out;
	for (;;) {
		if (http_hop_check(ctx, from, &hop, err) == -1 ||
		    http_fetch(ctx, from, &hop, &resp, err) == -1)
			goto out;
		if (resp.status / 100 != 3 || resp.location == NULL)
			break;
		if (redirects++ == HTTP_MAX_REDIRECTS) {
			kk_err_set(err, KK_ERR_CONNECTION, "Fetching %s: too many redirects "
			    "(more than %d, starting at %s)", hop.url, HTTP_MAX_REDIRECTS, first);
			goto out;
		}
		free(from);
		from = hop.url;
		hop.url = NULL;
		http_hop_free(&hop);
		if (http_hop_parse(resp.location, &hop, err) == -1)
			goto out;
		free(resp.location);
		resp.location = NULL;
	}
	if (resp.status != 200) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "Invalid response from %s: %ld",
		    hop.url, resp.status);
		goto out;
	}
	rv = http_check_body(ctx, hop.url, key_authz, err);
out:
	free(resp.location);
	free(from);
	http_hop_free(&hop);
	return rv;
}

int
kk_va_http01(const kk_va_cfg *cfg, const char *domain, const char *token,
    const char *key_authz, kk_err *err)
{
	http_ctx ctx = { 0 };
	char *url = NULL, port[16] = "";
	int timeout = cfg->timeout_sec > 0 ? cfg->timeout_sec : VA_DEFAULT_TIMEOUT;
	int rv = -1;

	if (pthread_once(&http_once, http_global_init) != 0 || http_global_rc != CURLE_OK) {
		kk_err_set(err, KK_ERR_INTERNAL, "http-01: libcurl initialisation failed");
		goto out;
	}
	if (!http_token_valid(token)) {
		kk_err_set(err, KK_ERR_INTERNAL, "http-01: token is not base64url");
		goto out;
	}
	/* Only LDH and dots may reach the URL, so that "a@b" or "a/b" cannot make curl
	 * fetch from another host; kk_dns_resolve checks the label rules. */
	if (domain[0] == '\0' || strspn(domain, HTTP_HOST_CHARS) != strlen(domain)) {
		kk_err_set(err, KK_ERR_DNS, "DNS problem: invalid domain name \"%.*s\"",
		    HTTP_QUOTE_MAX, domain);
		goto out;
	}
	if (cfg->http01_port > 0 && cfg->http01_port != 80)
		snprintf(port, sizeof(port), ":%d", cfg->http01_port);
	url = kk_printf("http://%s%s" HTTP_CHALLENGE_PATH "%s", domain, port, token);
	ctx.cfg = cfg;
	ctx.deadline_ms = http_now_ms() + (long long)timeout * 1000;
	if (url == NULL || (ctx.body = kk_malloc(HTTP_MAX_BODY + 1)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "http-01: out of memory for %s", domain);
		goto out;
	}
	rv = http_validate(&ctx, url, key_authz, err);
out:
	free(ctx.body);
	free(url);
	return rv;
}
