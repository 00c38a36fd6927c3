/*
 * Validation authority: address lookups (include/kakuin/va.h).
 *
 * Every query goes to the one resolver in kk_va_cfg, never to /etc/resolv.conf, so the
 * operator decides which recursive resolver the CA trusts (CP 3.2.2.4 validations depend
 * on it). A fresh libldns resolver per query keeps this reentrant: nothing is shared
 * between threads, and a timeout on one query does not mark the server dead for the next.
 *
 * Every query carries RD=1 and EDNS0 (RFC 6891) with DO=1 (RFC 3225): the resolver must be a
 * validating one and kakuin trusts its AD bit (BR 3.2.2.4, SC-085; docs/dns-validation.md).
 * An Extended DNS Error (RFC 8914) in a failed answer is quoted in the detail.
 *
 * Messages follow Boulder's wording so clients see familiar problem details:
 * "DNS problem: NXDOMAIN looking up A for example.com - ...".
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ldns/ldns.h>
#include "kakuin/metrics.h"
#include "kakuin/util.h"
#include "kakuin/va.h"
#include "va_internal.h"

#define DNS_NAME_MAX		253	/* RFC 1035 2.3.4, presentation form without the root dot */
#define DNS_LABEL_MAX		63
#define DNS_CNAME_HOPS		8	/* CNAME links followed inside one answer */
#define DNS_TRIES		2	/* sends per query (ldns "retry") */
#define DNS_TRY_MS_MIN		500
#define DNS_TRY_MS_MAX		3000
#define DNS_DEFAULT_PORT	53
#define VA_DEFAULT_TIMEOUT	10
#define DNS_EDNS_UDP		1232	/* DNS Flag Day 2020 buffer size, no fragmentation */
#define DNS_EDE_CODE		15	/* RFC 8914 2: the EDNS option code */

/* The outcome of one query when it yields no usable answer: text is e.g. "NXDOMAIN", and
 * ede the resolver's Extended DNS Error as " - DNSSEC Bogus (EDE 6: ...)" or "". */
typedef struct dns_why {
	char text[96];
	char ede[4 * VA_QUOTE_MAX + 96];
} dns_why;

/* RFC 8914 4: the INFO-CODE registry. */
static const char *const dns_ede_names[] = {
	"Other Error", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type",
	"Stale Answer", "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus",
	"Signature Expired", "Signature Not Yet Valid", "DNSKEY Missing", "RRSIGs Missing",
	"No Zone Key Bit Set", "NSEC Missing", "Cached Error", "Not Ready", "Blocked",
	"Censored", "Filtered", "Prohibited", "Stale NXDOMAIN Answer", "Not Authoritative",
	"Not Supported", "No Reachable Authority", "Network Error", "Invalid Data",
};

/* 1 if c is a letter, digit or hyphen (RFC 1123 2.1 LDH). */
static int
dns_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* 1 if name is a syntactically valid host name: LDH labels of 1..63 octets that neither
 * start nor end with a hyphen, 253 octets in all, no trailing dot (RFC 1035 2.3.1,
 * RFC 1123 2.1). */
int
va_dns_name_valid(const char *name)
{
	size_t len, label = 0, i;

	len = strlen(name);
	if (len == 0 || len > DNS_NAME_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		if (name[i] == '.' || name[i] == '\0') {
			if (label == 0 || label > DNS_LABEL_MAX || name[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!dns_ldh(name[i]) || (label == 0 && name[i] == '-'))
			return 0;
		label++;
	}
	return 1;
}

/* Per-send timeout: an eighth of the validation budget, clamped, so that two sends for
 * each of AAAA and A still leave most of the budget for the HTTP fetch. */
static struct timeval
dns_try_timeout(const kk_va_cfg *cfg)
{
	struct timeval tv;
	long ms;

	ms = (long)(cfg->timeout_sec > 0 ? cfg->timeout_sec : VA_DEFAULT_TIMEOUT) * 1000 / 8;
	if (ms < DNS_TRY_MS_MIN)
		ms = DNS_TRY_MS_MIN;
	if (ms > DNS_TRY_MS_MAX)
		ms = DNS_TRY_MS_MAX;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* 1 if cfg names a usable resolver: an IP literal and a port (0 meaning 53). */
static int
dns_cfg_valid(const kk_va_cfg *cfg)
{
	unsigned char buf[16];

	if (cfg->resolver_port < 0 || cfg->resolver_port > 65535)
		return 0;
	return inet_pton(AF_INET, cfg->resolver_host, buf) == 1 ||
	    inet_pton(AF_INET6, cfg->resolver_host, buf) == 1;
}

/* A resolver that talks only to cfg's host:port (checked by dns_cfg_valid), recursion
 * desired, DNSSEC OK (RFC 3225) with a 1232-octet EDNS buffer, UDP first with the TCP
 * fallback on truncation. NULL when memory runs out. Caller frees with
 * ldns_resolver_deep_free. */
static ldns_resolver *
dns_resolver_new(const kk_va_cfg *cfg)
{
	ldns_resolver *res = NULL;
	ldns_rdf *ns = NULL;
	ldns_rdf_type t;

	t = strchr(cfg->resolver_host, ':') != NULL ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A;
	if ((ns = ldns_rdf_new_frm_str(t, cfg->resolver_host)) == NULL)
		goto out;
	if ((res = ldns_resolver_new()) == NULL)
		goto out;
	if (ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		ldns_resolver_deep_free(res);
		res = NULL;
		goto out;
	}
	ldns_resolver_set_port(res, (uint16_t)(cfg->resolver_port > 0 ?
	    cfg->resolver_port : DNS_DEFAULT_PORT));
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_dnssec(res, true);
	ldns_resolver_set_edns_udp_size(res, DNS_EDNS_UDP);
	ldns_resolver_set_fallback(res, true);
	ldns_resolver_set_usevc(res, false);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_dnsrch(res, false);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_fail(res, false);
	ldns_resolver_set_retry(res, DNS_TRIES);
	ldns_resolver_set_timeout(res, dns_try_timeout(cfg));
out:
	ldns_rdf_deep_free(ns);
	return res;
}

/* 1 if ans answers q: a response with the same ID and the same single question. The
 * UDP socket is unconnected, so anything that reaches it first would otherwise count. */
static int
dns_answer_matches(const ldns_pkt *q, const ldns_pkt *ans)
{
	const ldns_rr *qq, *aq;

	if (!ldns_pkt_qr(ans) || ldns_pkt_id(ans) != ldns_pkt_id(q))
		return 0;
	if (ldns_pkt_qdcount(ans) != 1)
		return 0;
	qq = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	aq = ldns_rr_list_rr(ldns_pkt_question(ans), 0);
	return aq != NULL && ldns_rr_get_type(aq) == ldns_rr_get_type(qq) &&
	    ldns_dname_compare(ldns_rr_owner(aq), ldns_rr_owner(qq)) == 0;
}

/* Appends the address in rdf (A or AAAA wire form) to addrs as a numeric string. */
static void
dns_add_addr(const ldns_rdf *rdf, char addrs[][46], size_t max, size_t *n)
{
	int af;

	if (*n >= max)
		return;
	if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_A && ldns_rdf_size(rdf) == 4)
		af = AF_INET;
	else if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(rdf) == 16)
		af = AF_INET6;
	else
		return;
	if (inet_ntop(af, ldns_rdf_data(rdf), addrs[*n], 46) != NULL)
		(*n)++;
}

/* The RRs of type t for qname in the answer of pkt, following the CNAME chain that starts
 * there (RFC 1034 3.6.2). The list is the caller's (ldns_rr_list_free); its RRs are
 * borrowed from pkt. NULL when memory runs out. */
static ldns_rr_list *
dns_rrs(const ldns_pkt *pkt, const ldns_rdf *qname, ldns_rr_type t)
{
	const ldns_rr_list *list = ldns_pkt_answer(pkt);
	const ldns_rdf *owner = qname, *next;
	const ldns_rr *rr;
	ldns_rr_list *out = NULL;
	size_t i;
	int hop;

	if ((out = ldns_rr_list_new()) == NULL)
		return NULL;
	for (hop = 0; hop <= DNS_CNAME_HOPS; hop++) {
		next = NULL;
		for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
			rr = ldns_rr_list_rr(list, i);
			if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
				continue;
			if (ldns_rr_get_type(rr) == t) {
				if (!ldns_rr_list_push_rr(out, (ldns_rr *)rr)) {
					ldns_rr_list_free(out);
					return NULL;
				}
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) == 1)
				next = ldns_rr_rdf(rr, 0);
		}
		if (ldns_rr_list_rr_count(out) > 0 || next == NULL)
			break;
		owner = next;
	}
	return out;
}

void
va_dns_ans_free(va_dns_ans *ans)
{
	if (ans == NULL)
		return;
	ldns_rr_list_free(ans->rrs);
	ldns_pkt_free(ans->pkt);
	ldns_rdf_deep_free(ans->qname);
	ans->rrs = NULL;
	ans->pkt = NULL;
	ans->qname = NULL;
}

char *
va_dns_txt(const ldns_rr *rr)
{
	const ldns_rdf *rdf;
	size_t i, len = 0, k;
	char *out;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		len += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if ((out = kk_malloc(len + 1)) == NULL)
		return NULL;
	len = 0;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rdf = ldns_rr_rdf(rr, i);
		/* a character-string is a length octet and that many octets (RFC 1035 3.3) */
		if (ldns_rdf_size(rdf) == 0)
			continue;
		k = ldns_rdf_data(rdf)[0];
		if (k > ldns_rdf_size(rdf) - 1)
			k = ldns_rdf_size(rdf) - 1;
		memcpy(out + len, ldns_rdf_data(rdf) + 1, k);
		len += k;
	}
	out[len] = '\0';
	return out;
}

void
va_quote(char *dst, size_t dstsize, const char *src, size_t len)
{
	size_t i, o = 0;
	unsigned char c;

	if (dstsize == 0)
		return;
	for (i = 0; i < len && i < VA_QUOTE_MAX && o + 5 < dstsize; i++) {
		c = (unsigned char)src[i];
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, dstsize - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(dst + o, dstsize - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	if (i < len && o + 4 <= dstsize)
		memcpy(dst + o, "...", 4);
}

/* Fills why->ede from the first Extended DNS Error option of ans (RFC 8914 2): a 16-bit
 * INFO-CODE and optional UTF-8 EXTRA-TEXT. Empty when there is none. */
static void
dns_ede(ldns_pkt *ans, dns_why *why)
{
	ldns_edns_option_list *opts;
	ldns_edns_option *o;
	char text[4 * VA_QUOTE_MAX + 4] = "";
	const uint8_t *d;
	size_t i, size;
	unsigned code;

	why->ede[0] = '\0';
	if ((opts = ldns_pkt_edns_get_option_list(ans)) == NULL)
		return;
	for (i = 0; i < ldns_edns_option_list_get_count(opts); i++) {
		o = ldns_edns_option_list_get_option(opts, i);
		if (o == NULL || ldns_edns_get_code(o) != DNS_EDE_CODE ||
		    (size = ldns_edns_get_size(o)) < 2)
			continue;
		d = ldns_edns_get_data(o);
		code = (unsigned)d[0] << 8 | d[1];
		va_quote(text, sizeof(text), (const char *)d + 2, size - 2);
		snprintf(why->ede, sizeof(why->ede), " - %s (EDE %u%s%s)",
		    code < sizeof(dns_ede_names) / sizeof(dns_ede_names[0]) ?
		    dns_ede_names[code] : "Extended DNS Error", code, text[0] != '\0' ? ": " : "",
		    text);
		return;
	}
}

/* Sends one query of type t for qname. 0 with *ansp (caller frees with ldns_pkt_free)
 * when the resolver answered, whatever the rcode; -1 with why set on a timeout, a
 * mismatched answer or a local failure. */
static int
dns_exchange(const kk_va_cfg *cfg, const ldns_rdf *qname, ldns_rr_type t, ldns_pkt **ansp,
    dns_why *why)
{
	char *name = NULL;
	ldns_resolver *res = NULL;
	ldns_pkt *q = NULL, *ans = NULL;
	ldns_status st;
	int rv = -1;

	*ansp = NULL;
	why->ede[0] = '\0';
	if ((res = dns_resolver_new(cfg)) == NULL) {
		snprintf(why->text, sizeof(why->text), "out of memory");
		goto out;
	}
	if (ldns_resolver_prepare_query_pkt(&q, res, qname, t, LDNS_RR_CLASS_IN,
	    LDNS_RD) != LDNS_STATUS_OK) {
		snprintf(why->text, sizeof(why->text), "query could not be built");
		goto out;
	}
	st = ldns_resolver_send_pkt(&ans, res, q);
	if (st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_RES_NO_NS) {
		snprintf(why->text, sizeof(why->text), "query timed out");
		kk_metric_inc(KK_M_DNS_TIMEOUTS);
		if ((name = ldns_rdf2str(qname)) != NULL)
			kk_log("warning", "va", "DNS query for %s (type %d) timed out", name, (int)t);
		free(name);
		goto out;
	}
	if (st != LDNS_STATUS_OK || ans == NULL) {
		snprintf(why->text, sizeof(why->text), "networking error (%s)",
		    ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (!dns_answer_matches(q, ans)) {
		snprintf(why->text, sizeof(why->text), "mismatched response");
		goto out;
	}
	*ansp = ans;
	ans = NULL;
	rv = 0;
out:
	ldns_pkt_free(ans);
	ldns_pkt_free(q);
	ldns_resolver_deep_free(res);
	return rv;
}

/* Sets why from an answer whose rcode is not NOERROR: the rcode's name and any EDE. */
static void
dns_rcode_why(ldns_pkt *ans, dns_why *why)
{
	ldns_lookup_table *rc;

	rc = ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(ans));
	snprintf(why->text, sizeof(why->text), "%s", rc != NULL ? rc->name : "rcode");
	dns_ede(ans, why);
}

/* Sends one address query of type t for qname and appends what it finds to addrs. 0 when
 * the resolver answered NOERROR (possibly with no records of type t); -1 with why set on
 * NXDOMAIN, SERVFAIL, another rcode, a timeout or a local failure. */
static int
dns_query(const kk_va_cfg *cfg, const ldns_rdf *qname, ldns_rr_type t,
    char addrs[][46], size_t max, size_t *n, dns_why *why)
{
	ldns_pkt *ans = NULL;
	ldns_rr_list *rrs = NULL;
	size_t i;
	int rv = -1;

	if (dns_exchange(cfg, qname, t, &ans, why) == -1)
		goto out;
	if (ldns_pkt_get_rcode(ans) != LDNS_RCODE_NOERROR) {
		dns_rcode_why(ans, why);
		goto out;
	}
	if ((rrs = dns_rrs(ans, qname, t)) == NULL) {
		snprintf(why->text, sizeof(why->text), "out of memory");
		goto out;
	}
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		if (ldns_rr_rd_count(ldns_rr_list_rr(rrs, i)) == 1)
			dns_add_addr(ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0), addrs, max, n);
	rv = 0;
out:
	ldns_rr_list_free(rrs);
	ldns_pkt_free(ans);
	return rv;
}

/* What follows "looking up T for name": the EDE when the resolver sent one, else the
 * hint Boulder appends to the two rcodes subscribers most often cause. */
static const char *
dns_hint(const dns_why *why)
{
	if (why->ede[0] != '\0')
		return why->ede;
	if (strcmp(why->text, "NXDOMAIN") == 0)
		return " - check that a DNS record exists for this domain";
	if (strcmp(why->text, "SERVFAIL") == 0)
		return " - the domain's nameservers may be malfunctioning";
	return "";
}

/* The mnemonic of t ("TXT", "CAA"), for details. */
static const char *
dns_type_name(ldns_rr_type t)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(t);

	return d != NULL && d->_name != NULL ? d->_name : "record";
}

/* 1 if name can be queried: 1..253 octets of printable ASCII, or "." for the root. */
static int
dns_qname_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > DNS_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f)
			return 0;
	return 1;
}

int
va_dns_lookup(const kk_va_cfg *cfg, const char *name, ldns_rr_type t, va_dns_ans *ans,
    kk_err *err)
{
	dns_why why;
	int rc;

	memset(ans, 0, sizeof(*ans));
	ans->type = t;
	if (!dns_cfg_valid(cfg))
		return kk_err_set(err, KK_ERR_INTERNAL, "DNS: resolver \"%s\" port %d is not an "
		    "IP address and port", cfg->resolver_host, cfg->resolver_port);
	if (!dns_qname_ok(name) || (ans->qname = ldns_dname_new_frm_str(name)) == NULL)
		return kk_err_set(err, KK_ERR_DNS, "DNS problem: invalid domain name \"%.*s\"",
		    DNS_NAME_MAX, name);
	if (dns_exchange(cfg, ans->qname, t, &ans->pkt, &why) == -1)
		goto fail;
	rc = ldns_pkt_get_rcode(ans->pkt);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		dns_rcode_why(ans->pkt, &why);
		goto fail;
	}
	ans->nxdomain = rc == LDNS_RCODE_NXDOMAIN;
	ans->ad = ldns_pkt_ad(ans->pkt);
	if (ans->nxdomain)
		ans->rrs = ldns_rr_list_new();
	else
		ans->rrs = dns_rrs(ans->pkt, ans->qname, t);
	if (ans->rrs == NULL) {
		va_dns_ans_free(ans);
		return kk_err_set(err, KK_ERR_INTERNAL, "DNS: out of memory for %s", name);
	}
	return 0;
fail:
	va_dns_ans_free(ans);
	return kk_err_set(err, KK_ERR_DNS, "DNS problem: %s looking up %s for %s%s", why.text,
	    dns_type_name(t), name, dns_hint(&why));
}

/* AAAA first, then A, so addrs lists IPv6 before IPv4 (the order http-01 dials in). A
 * failure of one type is tolerated when the other yields addresses, as in Boulder. */
int
kk_dns_resolve(const kk_va_cfg *cfg, const char *name, char addrs[][46], size_t max,
    size_t *n, kk_err *err)
{
	ldns_rdf *qname = NULL;
	dns_why why6, why4;
	int rv6, rv4, rv = -1;

	*n = 0;
	if (!dns_cfg_valid(cfg)) {
		kk_err_set(err, KK_ERR_INTERNAL, "DNS: resolver \"%s\" port %d is not an IP "
		    "address and port", cfg->resolver_host, cfg->resolver_port);
		goto out;
	}
	if (name == NULL || !va_dns_name_valid(name)) {
		kk_err_set(err, KK_ERR_DNS, "DNS problem: invalid domain name \"%.*s\"",
		    DNS_NAME_MAX, name != NULL ? name : "");
		goto out;
	}
	if ((qname = ldns_dname_new_frm_str(name)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "DNS: out of memory for %s", name);
		goto out;
	}
	rv6 = dns_query(cfg, qname, LDNS_RR_TYPE_AAAA, addrs, max, n, &why6);
	rv4 = dns_query(cfg, qname, LDNS_RR_TYPE_A, addrs, max, n, &why4);
	if (*n > 0)
		rv = 0;
	else if (rv4 == -1)
		kk_err_set(err, KK_ERR_DNS, "DNS problem: %s looking up A for %s%s",
		    why4.text, name, dns_hint(&why4));
	else if (rv6 == -1)
		kk_err_set(err, KK_ERR_DNS, "DNS problem: %s looking up AAAA for %s%s",
		    why6.text, name, dns_hint(&why6));
	else
		kk_err_set(err, KK_ERR_DNS,
		    "DNS problem: no valid A or AAAA records found for %s", name);
out:
	ldns_rdf_deep_free(qname);
	return rv;
}

/* Start-up check (BR 3.2.2.4, docs/dns-validation.md "DNSSEC"): a validating
 * resolver sets AD on the SOA of a signed name it can reach through its trust anchor. */
int
kk_va_dnssec_probe(const kk_va_cfg *cfg, const char *name, kk_err *err)
{
	va_dns_ans ans;
	int rv = -1;

	if (va_dns_lookup(cfg, name, LDNS_RR_TYPE_SOA, &ans, err) == -1)
		return -1;
	if (ans.nxdomain)
		kk_err_set(err, KK_ERR_DNS, "DNSSEC probe: NXDOMAIN looking up SOA for %s at "
		    "%s port %d", name, cfg->resolver_host, cfg->resolver_port);
	else if (!ans.ad)
		kk_err_set(err, KK_ERR_DNS, "DNSSEC probe: the SOA of %s came back from %s port "
		    "%d without the AD bit: the resolver does not validate DNSSEC (or %s is not "
		    "signed under its trust anchor)", name, cfg->resolver_host,
		    cfg->resolver_port, name);
	else
		rv = 0;
	va_dns_ans_free(&ans);
	return rv;
}
