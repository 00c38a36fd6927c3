/*
 * Validation authority: one entry point for every challenge type (include/kakuin/va.h,
 * docs/dns-validation.md). Each type is a row of va_methods[]; the DNS types look up
 * one record through va_dns_lookup and record what they checked and whether the answer
 * was DNSSEC-secure (the BR 3.2.2.4 validation record).
 *
 * Kinds follow Boulder: a missing or wrong record is "unauthorized" (the subscriber has
 * not proved control), a failed lookup is "dns".
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "kakuin/util.h"
#include "kakuin/va.h"
#include "va_internal.h"

#define B64_SHA256_LEN	43	/* base64url-nopad of 32 octets */
#define B32_SHA256_LEN	52	/* base32-nopad of 32 octets */
#define ACCT_LABEL_OCTETS 10	/* draft-ietf-acme-dns-account-label: SHA-256 prefix */
#define REASONS_MAX	400

typedef int (*va_method_fn)(const kk_va_cfg *, const kk_va_chall *, kk_va_result *,
    kk_err *);

/* D(KA) = base64url(SHA-256(key authorization)) (RFC 8555 8.4) into out (44 bytes). */
static int
va_ka_digest(const char *ka, char out[B64_SHA256_LEN + 1], kk_err *err)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *b64 = NULL;

	if (ka == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "validation: no key authorization");
	SHA256((const unsigned char *)ka, strlen(ka), md);
	if (kk_b64url_encode(md, sizeof(md), &b64) == -1 || strlen(b64) != B64_SHA256_LEN) {
		free(b64);
		return kk_err_set(err, KK_ERR_INTERNAL, "validation: out of memory");
	}
	memcpy(out, b64, B64_SHA256_LEN + 1);
	free(b64);
	return 0;
}

/* RFC 4648 6 base32 of in, lower case, without padding, into out (outsize >=
 * ceil(len * 8 / 5) + 1). */
static void
va_b32(const unsigned char *in, size_t len, char *out, size_t outsize)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned buf = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < outsize; i++) {
		buf = (buf << 8 | in[i]) & 0xfff;
		bits += 8;
		while (bits >= 5 && o + 1 < outsize) {
			out[o++] = alpha[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0 && o + 1 < outsize)
		out[o++] = alpha[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

/* "_" + base32(SHA-256(s)[0:octets]) + "." + suffix into out (size outsize). */
static int
va_hash_label(const char *s, size_t octets, const char *suffix, char *out, size_t outsize,
    kk_err *err)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char b32[B32_SHA256_LEN + 1];

	if (s == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "validation: no input for the label");
	SHA256((const unsigned char *)s, strlen(s), md);
	va_b32(md, octets, b32, sizeof(b32));
	if ((size_t)snprintf(out, outsize, "_%s.%s", b32, suffix) >= outsize)
		return kk_err_set(err, KK_ERR_DNS, "DNS problem: name too long under %s", suffix);
	return 0;
}

/* 1 if TXT string s equals the 43-character digest d, compared in constant time. */
static int
va_txt_is(const char *s, const char *d)
{
	return strlen(s) == B64_SHA256_LEN && CRYPTO_memcmp(s, d, B64_SHA256_LEN) == 0;
}

/* RFC 8555 8.4 and draft-ietf-acme-dns-account-label: some TXT record at owner equals
 * the digest d. */
static int
va_txt_check(const kk_va_cfg *cfg, const char *owner, const char *d, kk_va_result *res,
    kk_err *err)
{
	va_dns_ans ans;
	char *txt = NULL, *first = NULL, q[4 * VA_QUOTE_MAX + 4], more[48] = "";
	size_t i, n;
	int rv = -1;

	snprintf(res->checked, sizeof(res->checked), "TXT %s", owner);
	if (va_dns_lookup(cfg, owner, LDNS_RR_TYPE_TXT, &ans, err) == -1)
		return -1;
	n = ldns_rr_list_rr_count(ans.rrs);
	for (i = 0; i < n; i++) {
		if ((txt = va_dns_txt(ldns_rr_list_rr(ans.rrs, i))) == NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "validation: out of memory");
			goto out;
		}
		if (va_txt_is(txt, d)) {
			res->dnssec = ans.ad ? KK_DNSSEC_SECURE : KK_DNSSEC_INSECURE;
			rv = 0;
			goto out;
		}
		if (first == NULL) {
			first = txt;
			txt = NULL;
		}
		free(txt);
		txt = NULL;
	}
	if (first == NULL) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "No TXT record found at %s", owner);
		goto out;
	}
	va_quote(q, sizeof(q), first, strlen(first));
	if (n > 1)
		snprintf(more, sizeof(more), " (and %zu more)", n - 1);
	kk_err_set(err, KK_ERR_UNAUTHORIZED, "Incorrect TXT record \"%s\"%s found at %s", q,
	    more, owner);
out:
	free(txt);
	free(first);
	va_dns_ans_free(&ans);
	return rv;
}

/* dns-01 (RFC 8555 8.4, BR 3.2.2.4.7): TXT _acme-challenge.<name> = D(KA). */
static int
va_dns01(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res, kk_err *err)
{
	char d[B64_SHA256_LEN + 1], owner[300];

	if (va_ka_digest(ch->key_authz, d, err) == -1)
		return -1;
	snprintf(owner, sizeof(owner), "_acme-challenge.%s", ch->domain);
	res->covers_subdomains = 1;
	return va_txt_check(cfg, owner, d, res, err);
}

/* dns-account-01 (BR 3.2.2.4.21): TXT _<b32(SHA-256(accountURL)[0:10])>._acme-challenge.
 * <name> = D(KA), the label derived as Pebble does. */
static int
va_dns_account01(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res,
    kk_err *err)
{
	char d[B64_SHA256_LEN + 1], suffix[300], owner[320];

	if (va_ka_digest(ch->key_authz, d, err) == -1)
		return -1;
	snprintf(suffix, sizeof(suffix), "_acme-challenge.%s", ch->domain);
	if (va_hash_label(ch->account_uri, ACCT_LABEL_OCTETS, suffix, owner, sizeof(owner),
	    err) == -1)
		return -1;
	res->covers_subdomains = 1;
	return va_txt_check(cfg, owner, d, res, err);
}

/* Copies the presentation form of a domain-name rdf without the final dot into out. */
static void
va_dname_str(const ldns_rdf *rdf, char *out, size_t outsize)
{
	char *s = ldns_rdf2str(rdf);
	size_t len;

	snprintf(out, outsize, "%s", s != NULL ? s : "");
	free(s);
	len = strlen(out);
	if (len > 1 && out[len - 1] == '.')
		out[len - 1] = '\0';
}

/* dns-cname-01 (kakuin, BR 3.2.2.4.7 CNAME): _<b32(SHA-256(KA))>.<name> CNAME <target>. */
static int
va_dns_cname01(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res,
    kk_err *err)
{
	va_dns_ans ans = { 0 };
	const ldns_rr *rr;
	char owner[320], got[300], want[300], q[4 * VA_QUOTE_MAX + 4];
	int rv = -1;

	if (ch->cname_target == NULL || ch->cname_target[0] == '\0')
		return kk_err_set(err, KK_ERR_INTERNAL, "dns-cname-01: no CNAME target");
	if (va_hash_label(ch->key_authz, SHA256_DIGEST_LENGTH, ch->domain, owner,
	    sizeof(owner), err) == -1)
		return -1;
	snprintf(res->checked, sizeof(res->checked), "CNAME %.300s", owner);
	snprintf(want, sizeof(want), "%s", ch->cname_target);
	if (want[0] != '\0' && want[strlen(want) - 1] == '.')
		want[strlen(want) - 1] = '\0';
	if (va_dns_lookup(cfg, owner, LDNS_RR_TYPE_CNAME, &ans, err) == -1)
		return -1;
	if (ldns_rr_list_rr_count(ans.rrs) == 0 ||
	    ldns_rr_rd_count(rr = ldns_rr_list_rr(ans.rrs, 0)) != 1) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "No CNAME record found at %s", owner);
		goto out;
	}
	va_dname_str(ldns_rr_rdf(rr, 0), got, sizeof(got));
	if (strcasecmp(got, want) != 0) {
		va_quote(q, sizeof(q), got, strlen(got));
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "Incorrect CNAME record \"%s\" found at %s, "
		    "expected %s", q, owner, want);
		goto out;
	}
	res->dnssec = ans.ad ? KK_DNSSEC_SECURE : KK_DNSSEC_INSECURE;
	res->covers_subdomains = 1;
	rv = 0;
out:
	va_dns_ans_free(&ans);
	return rv;
}

/* 1 if CAA property p is a flags-0 issue/issuewild naming one of our issuer domains with
 * kakuin-dcv=d. */
static int
va_caa_dcv(const va_caa_prop *p, const kk_va_chall *ch, const char *d)
{
	va_issue_value iv;
	const char *why, *v;

	if (p->flags != 0 || (strcmp(p->tag, "issue") != 0 && strcmp(p->tag, "issuewild") != 0))
		return 0;
	if (va_issue_value_parse((const char *)p->value, p->value_len, &iv, &why) == -1 ||
	    !va_issuer_ours(iv.issuer, ch->issuer_domains, ch->n_issuer_domains))
		return 0;
	return (v = va_issue_value_param(&iv, "kakuin-dcv")) != NULL && va_txt_is(v, d);
}

/* dns-caa-01 (kakuin, BR 3.2.2.4.7 CAA): CAA at <name> itself (no climbing) with
 * issue/issuewild "<ours>; kakuin-dcv=D(KA)". */
static int
va_dns_caa01(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res, kk_err *err)
{
	va_dns_ans ans = { 0 };
	va_caa_prop p;
	char d[B64_SHA256_LEN + 1], found[REASONS_MAX] = "";
	size_t i, n;
	int rv = -1;

	if (ch->n_issuer_domains == 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "dns-caa-01: no CAA identities");
	if (va_ka_digest(ch->key_authz, d, err) == -1)
		return -1;
	snprintf(res->checked, sizeof(res->checked), "CAA %s", ch->domain);
	if (va_dns_lookup(cfg, ch->domain, LDNS_RR_TYPE_CAA, &ans, err) == -1)
		return -1;
	n = ldns_rr_list_rr_count(ans.rrs);
	for (i = 0; i < n; i++) {
		if (va_caa_prop_get(ldns_rr_list_rr(ans.rrs, i), &p) == -1)
			continue;
		if (va_caa_dcv(&p, ch, d)) {
			res->dnssec = ans.ad ? KK_DNSSEC_SECURE : KK_DNSSEC_INSECURE;
			res->covers_subdomains = 1;
			rv = 0;
			goto out;
		}
		va_caa_prop_append(found, sizeof(found), &p);
	}
	if (found[0] == '\0')
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "No CAA record found at %s", ch->domain);
	else
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "No CAA issue property for %s with "
		    "kakuin-dcv=%s found at %s: %s", ch->issuer_domains[0], d, ch->domain, found);
out:
	va_dns_ans_free(&ans);
	return rv;
}

/* Appends "; reason" (or "reason" when buf is empty) to buf, truncating quietly. */
static void __attribute__((format(printf, 3, 4)))
va_reason(char *buf, size_t bufsize, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 2 >= bufsize)
		return;
	if (used > 0) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + used, bufsize - used, fmt, ap);
	va_end(ap);
}

/* Checks one dns-persist-01 value (draft-ietf-acme-dns-persist, as Pebble does) whose
 * issuer is ours. 1 if it authorizes; 0 with a reason appended; *wild set from policy. */
static int
va_persist_one(const kk_va_chall *ch, const va_issue_value *iv, char *reasons, int *wild)
{
	const char *acct, *policy, *until;
	char *end = NULL;
	long long t;

	acct = va_issue_value_param(iv, "accounturi");
	policy = va_issue_value_param(iv, "policy");
	until = va_issue_value_param(iv, "persistuntil");
	if (acct == NULL || acct[0] == '\0') {
		va_reason(reasons, REASONS_MAX, "record for %s has no accounturi",
		    iv->issuer);
		return 0;
	}
	if (ch->account_uri == NULL || strcmp(acct, ch->account_uri) != 0) {
		va_reason(reasons, REASONS_MAX, "accounturi mismatch: expected \"%s\", got \"%s\"",
		    ch->account_uri != NULL ? ch->account_uri : "", acct);
		return 0;
	}
	/* a policy other than "wildcard" counts as absent (case-insensitive) */
	*wild = policy != NULL && strcasecmp(policy, "wildcard") == 0;
	if (ch->wildcard && !*wild) {
		va_reason(reasons, REASONS_MAX, "policy mismatch: a wildcard needs "
		    "policy=wildcard, got \"%s\"", policy != NULL ? policy : "");
		return 0;
	}
	if (until != NULL) {
		t = strtoll(until, &end, 10);
		if (until[0] < '0' || until[0] > '9' || *end != '\0' || t == LLONG_MAX) {
			va_reason(reasons, REASONS_MAX, "malformed persistUntil \"%s\"", until);
			return 0;
		}
		if ((long long)ch->now > t) {
			va_reason(reasons, REASONS_MAX, "persistUntil %s has passed", until);
			return 0;
		}
	}
	return 1;
}

/* dns-persist-01 (BR 3.2.2.4.22): TXT _validation-persist.<name> = "<ours>;
 * accounturi=<account URL>[; policy=wildcard][; persistUntil=<unix seconds>]". */
static int
va_dns_persist01(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res,
    kk_err *err)
{
	va_dns_ans ans = { 0 };
	va_issue_value iv;
	char owner[300], reasons[REASONS_MAX] = "", q[4 * VA_QUOTE_MAX + 4] = "";
	char *txt = NULL;
	const char *why;
	size_t i, n;
	int wild = 0, rv = -1;

	if (ch->n_issuer_domains == 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "dns-persist-01: no CAA identities");
	snprintf(owner, sizeof(owner), "_validation-persist.%s", ch->domain);
	snprintf(res->checked, sizeof(res->checked), "TXT %s", owner);
	if (va_dns_lookup(cfg, owner, LDNS_RR_TYPE_TXT, &ans, err) == -1)
		return -1;
	n = ldns_rr_list_rr_count(ans.rrs);
	for (i = 0; i < n; i++) {
		free(txt);
		if ((txt = va_dns_txt(ldns_rr_list_rr(ans.rrs, i))) == NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "validation: out of memory");
			goto out;
		}
		if (q[0] == '\0')
			va_quote(q, sizeof(q), txt, strlen(txt));
		/* the issuer is parsed first, so a malformed record is still known as ours */
		if (va_issue_value_parse(txt, strlen(txt), &iv, &why) == -1) {
			if (va_issuer_ours(iv.issuer, ch->issuer_domains, ch->n_issuer_domains))
				va_reason(reasons, sizeof(reasons), "record for %s is malformed: %s",
				    iv.issuer, why);
			continue;
		}
		if (!va_issuer_ours(iv.issuer, ch->issuer_domains, ch->n_issuer_domains))
			continue;
		if (va_persist_one(ch, &iv, reasons, &wild)) {
			res->dnssec = ans.ad ? KK_DNSSEC_SECURE : KK_DNSSEC_INSECURE;
			res->covers_subdomains = wild;
			rv = 0;
			goto out;
		}
	}
	if (n == 0)
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "No TXT record found at %s", owner);
	else if (reasons[0] == '\0')
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "No TXT record for issuer %s found at %s "
		    "(found \"%s\")", ch->issuer_domains[0], owner, q);
	else
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "Incorrect TXT record at %s: %s", owner,
		    reasons);
out:
	free(txt);
	va_dns_ans_free(&ans);
	return rv;
}

/* http-01 (RFC 8555 8.3) through kk_va_http01; names only the challenge URL. */
static int
va_http01(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res, kk_err *err)
{
	char port[16] = "";

	/* spec: wildcard identifiers get only DNS challenge types */
	if (ch->wildcard)
		return kk_err_set(err, KK_ERR_MALFORMED, "http-01 cannot validate a wildcard "
		    "identifier");
	if (cfg->http01_port > 0 && cfg->http01_port != 80)
		snprintf(port, sizeof(port), ":%d", cfg->http01_port);
	snprintf(res->checked, sizeof(res->checked),
	    "http://%s%s/.well-known/acme-challenge/%s", ch->domain, port,
	    ch->token != NULL ? ch->token : "");
	if (ch->token == NULL || ch->key_authz == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "http-01: no token");
	return kk_va_http01(cfg, ch->domain, ch->token, ch->key_authz, err);
}

static const struct {
	const char *type;
	va_method_fn fn;
} va_methods[] = {
	{ "http-01", va_http01 },
	{ "dns-01", va_dns01 },
	{ "dns-cname-01", va_dns_cname01 },
	{ "dns-caa-01", va_dns_caa01 },
	{ "dns-account-01", va_dns_account01 },
	{ "dns-persist-01", va_dns_persist01 },
};

int
kk_va_validate(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res,
    kk_err *err)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	if (ch->type == NULL || ch->domain == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "validation: no challenge type");
	for (i = 0; i < sizeof(va_methods) / sizeof(va_methods[0]); i++)
		if (strcmp(ch->type, va_methods[i].type) == 0)
			break;
	if (i == sizeof(va_methods) / sizeof(va_methods[0]))
		return kk_err_set(err, KK_ERR_MALFORMED, "unknown challenge type \"%.*s\"",
		    VA_QUOTE_MAX, ch->type);
	if (!va_dns_name_valid(ch->domain))
		return kk_err_set(err, KK_ERR_DNS, "DNS problem: invalid domain name \"%.*s\"",
		    VA_QUOTE_MAX, ch->domain);
	return va_methods[i].fn(cfg, ch, res, err);
}
