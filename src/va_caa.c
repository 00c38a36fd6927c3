/*
 * Validation authority: the CAA check before issuance (RFC 8659, RFC 8657 accounturi and
 * validationmethods; BR 3.2.2.8) and the RFC 8659 4.2 issue-value grammar, which
 * dns-caa-01 and dns-persist-01 reuse (docs/dns-validation.md).
 *
 * The climb and the decision follow RFC 8659 3 and 4: the first non-empty CAA RRset from
 * the name towards the root (excluding the root) is relevant; CNAMEs are followed by the
 * resolver. A failed lookup anywhere on the climb refuses issuance: BR 3.2.2.8 allows
 * treating some lookup failures as permission, but kakuin never does (the spec's rule).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ldns/ldns.h>
#include "kakuin/va.h"
#include "va_internal.h"

#define CAA_FLAG_CRITICAL	128	/* RFC 8659 4.1 Issuer Critical Flag */
#define CAA_DETAIL_MAX		400	/* record text quoted in a refusal */

/* RFC 8659 4.2 WSP. */
static int
iv_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies s[0..len) with surrounding WSP removed into dst (size dstsize). -1 if too long. */
static int
iv_trimmed(char *dst, size_t dstsize, const char *s, size_t len)
{
	while (len > 0 && iv_wsp(*s)) {
		s++;
		len--;
	}
	while (len > 0 && iv_wsp(s[len - 1]))
		len--;
	if (len >= dstsize)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* 1 if s is an RFC 8659 4.2 label run: (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)) joined
 * by dots (issuer-domain-name), or a single such label (tag) when dots is 0. */
static int
iv_labels(const char *s, int dots)
{
	size_t i, len = strlen(s);

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (isalnum((unsigned char)s[i]))
			continue;
		if (s[i] == '-' && i > 0 && i + 1 < len && s[i - 1] != '.' && s[i + 1] != '.')
			continue;
		if (dots && s[i] == '.' && i > 0 && i + 1 < len && s[i + 1] != '.' &&
		    s[i - 1] != '-')
			continue;
		return 0;
	}
	return 1;
}

/* 1 if v is an RFC 8659 4.2 value: *(%x21-3A / %x3C-7E). */
static int
iv_value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x21 || (unsigned char)*v > 0x7e || *v == ';')
			return 0;
	return 1;
}

/* Parses one "tag = value" parameter (len bytes at s) into iv->p[iv->n]. */
static int
iv_param(const char *s, size_t len, va_issue_value *iv, const char **why)
{
	const char *eq;
	size_t i;

	if (iv->n >= VA_IV_PARAMS) {
		*why = "too many parameters";
		return -1;
	}
	if ((eq = memchr(s, '=', len)) == NULL) {
		*why = "a parameter is not tag=value";
		return -1;
	}
	if (iv_trimmed(iv->p[iv->n].tag, sizeof(iv->p[iv->n].tag), s, (size_t)(eq - s)) == -1 ||
	    iv_trimmed(iv->p[iv->n].value, sizeof(iv->p[iv->n].value), eq + 1,
	    len - (size_t)(eq - s) - 1) == -1) {
		*why = "a parameter is too long";
		return -1;
	}
	if (!iv_labels(iv->p[iv->n].tag, 0) || !iv_value_ok(iv->p[iv->n].value)) {
		*why = "a parameter has a malformed tag or value";
		return -1;
	}
	for (i = 0; i < iv->n; i++)
		if (strcasecmp(iv->p[i].tag, iv->p[iv->n].tag) == 0) {
			*why = "a parameter appears twice";
			return -1;
		}
	iv->n++;
	return 0;
}

int
va_issue_value_parse(const char *s, size_t len, va_issue_value *iv, const char **why)
{
	const char *semi, *end = s + len;

	memset(iv, 0, sizeof(*iv));
	*why = NULL;
	if (memchr(s, '\0', len) != NULL) {
		*why = "the value contains a NUL octet";
		return -1;
	}
	semi = memchr(s, ';', len);
	if (iv_trimmed(iv->issuer, sizeof(iv->issuer), s,
	    (size_t)((semi != NULL ? semi : end) - s)) == -1 ||
	    (iv->issuer[0] != '\0' && !iv_labels(iv->issuer, 1))) {
		*why = "malformed issuer-domain-name";
		return -1;
	}
	if (semi == NULL)
		return 0;
	s = semi + 1;
	/* RFC 8659 4.2: ";" alone (no parameters) is allowed, an empty parameter is not */
	while (s < end && iv_wsp(*s))
		s++;
	while (s < end) {
		semi = memchr(s, ';', (size_t)(end - s));
		if (iv_param(s, (size_t)((semi != NULL ? semi : end) - s), iv, why) == -1)
			return -1;
		if (semi == NULL)
			break;
		s = semi + 1;
		if (s == end) {
			*why = "a trailing \";\" without a parameter";
			return -1;
		}
	}
	return 0;
}

const char *
va_issue_value_param(const va_issue_value *iv, const char *tag)
{
	size_t i;

	for (i = 0; i < iv->n; i++)
		if (strcasecmp(iv->p[i].tag, tag) == 0)
			return iv->p[i].value;
	return NULL;
}

int
va_issuer_ours(const char *name, const char *const *domains, size_t n)
{
	size_t i, a, b;

	a = strlen(name);
	if (a > 0 && name[a - 1] == '.')
		a--;
	for (i = 0; i < n; i++) {
		b = strlen(domains[i]);
		if (b > 0 && domains[i][b - 1] == '.')
			b--;
		if (a > 0 && a == b && strncasecmp(name, domains[i], a) == 0)
			return 1;
	}
	return 0;
}

int
va_caa_prop_get(const ldns_rr *rr, va_caa_prop *prop)
{
	const ldns_rdf *f, *t, *v;
	size_t k, i;

	memset(prop, 0, sizeof(*prop));
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CAA || ldns_rr_rd_count(rr) != 3)
		return -1;
	f = ldns_rr_rdf(rr, 0);
	t = ldns_rr_rdf(rr, 1);
	v = ldns_rr_rdf(rr, 2);
	/* ldns: flags INT8, tag as length octet + octets, value as raw octets */
	if (ldns_rdf_size(f) != 1 || ldns_rdf_size(t) < 2)
		return -1;
	k = ldns_rdf_data(t)[0];
	if (k == 0 || k >= sizeof(prop->tag) || k != ldns_rdf_size(t) - 1)
		return -1;
	prop->flags = ldns_rdf_data(f)[0];
	for (i = 0; i < k; i++)
		prop->tag[i] = (char)tolower(ldns_rdf_data(t)[1 + i]);
	prop->tag[k] = '\0';
	prop->value = ldns_rdf_data(v);
	prop->value_len = ldns_rdf_size(v);
	return 0;
}

void
va_caa_prop_append(char *buf, size_t bufsize, const va_caa_prop *prop)
{
	char q[4 * VA_QUOTE_MAX + 4];
	size_t used = strlen(buf);

	va_quote(q, sizeof(q), (const char *)prop->value, prop->value_len);
	/* a long record is quoted in part: the problem detail has a fixed size */
	if (used < bufsize && snprintf(buf + used, bufsize - used, "%s%d %s \"%s\"",
	    used > 0 ? ", " : "", prop->flags, prop->tag, q) >= (int)(bufsize - used))
		buf[bufsize - 1] = '\0';
}

/* 1 if the issue/issuewild property p authorizes this request (RFC 8659 4.2, RFC 8657
 * 3 and 4): issuer-domain-name is ours, accounturi (when present) is exactly the
 * account URL, validationmethods (when present) lists the method. A malformed value
 * and "issue ;" (no issuer) authorize nobody. */
static int
caa_authorizes(const va_caa_prop *p, const kk_caa_req *req)
{
	va_issue_value iv;
	const char *why, *v;
	size_t n, ml = req->method != NULL ? strlen(req->method) : 0;

	if (va_issue_value_parse((const char *)p->value, p->value_len, &iv, &why) == -1 ||
	    iv.issuer[0] == '\0' ||
	    !va_issuer_ours(iv.issuer, req->issuer_domains, req->n_issuer_domains))
		return 0;
	if ((v = va_issue_value_param(&iv, "accounturi")) != NULL &&
	    (req->account_uri == NULL || strcmp(v, req->account_uri) != 0))
		return 0;
	if ((v = va_issue_value_param(&iv, "validationmethods")) == NULL)
		return 1;
	while (*v != '\0') {
		n = strcspn(v, ",");
		if (ml > 0 && n == ml && strncmp(v, req->method, n) == 0)
			return 1;
		v += n;
		if (*v == ',')
			v++;
	}
	return 0;
}

/* The RFC 8659 4 decision on the relevant RRset rrs found at owner. */
static int
caa_decide(const ldns_rr_list *rrs, const char *owner, const kk_caa_req *req, kk_err *err)
{
	va_caa_prop p;
	char quoted[CAA_DETAIL_MAX] = "";
	const char *tag = "issue";
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		if (va_caa_prop_get(ldns_rr_list_rr(rrs, i), &p) == -1)
			return kk_err_set(err, KK_ERR_CAA, "CAA record for %s is malformed: "
			    "issuance refused", owner);
		/* RFC 8659 4.1: an unknown critical property forbids issuance */
		if ((p.flags & CAA_FLAG_CRITICAL) && strcmp(p.tag, "issue") != 0 &&
		    strcmp(p.tag, "issuewild") != 0 && strcmp(p.tag, "iodef") != 0) {
			va_caa_prop_append(quoted, sizeof(quoted), &p);
			return kk_err_set(err, KK_ERR_CAA, "CAA record for %s has an unknown "
			    "critical property and prevents issuance: %s", owner, quoted);
		}
		/* RFC 8659 4.3: issuewild alone governs wildcard names when present */
		if (req->wildcard && strcmp(p.tag, "issuewild") == 0)
			tag = "issuewild";
	}
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		(void)va_caa_prop_get(ldns_rr_list_rr(rrs, i), &p);
		if (strcmp(p.tag, tag) != 0)
			continue;
		if (caa_authorizes(&p, req))
			return 0;
		va_caa_prop_append(quoted, sizeof(quoted), &p);
	}
	if (quoted[0] == '\0')
		return 0;	/* no issue(wild) property: unrestricted (RFC 8659 4.2) */
	return kk_err_set(err, KK_ERR_CAA, "CAA record for %s prevents issuance: %s", owner,
	    quoted);
}

/* RFC 8659 3: climbs from domain to its parents (not the root) until a CAA RRset is
 * non-empty. 0 with *ans holding it (empty when there is none; caller frees), *owner the
 * name it was found at (borrowed from domain) and *secure 1 if every answer had AD;
 * -1 (KK_ERR_DNS) when a lookup fails. */
int
va_caa_relevant(const kk_va_cfg *cfg, const char *domain, va_dns_ans *ans, const char **owner,
    int *secure, kk_err *err)
{
	const char *name, *dot;

	*secure = 1;
	for (name = domain;; name = dot + 1) {
		if (va_dns_lookup(cfg, name, LDNS_RR_TYPE_CAA, ans, err) == -1)
			return -1;
		*secure = *secure && ans->ad;
		*owner = name;
		if (ldns_rr_list_rr_count(ans->rrs) > 0 || (dot = strchr(name, '.')) == NULL)
			return 0;
		va_dns_ans_free(ans);
	}
}

int
kk_va_caa_check(const kk_va_cfg *cfg, const kk_caa_req *req, int *dnssec, kk_err *err)
{
	va_dns_ans ans = { 0 };
	const char *name = NULL;
	int secure = 0, rv = -1;

	if (dnssec != NULL)
		*dnssec = KK_DNSSEC_INSECURE;
	if (req->domain == NULL || !va_dns_name_valid(req->domain))
		return kk_err_set(err, KK_ERR_MALFORMED, "CAA: invalid domain name \"%.*s\"",
		    VA_QUOTE_MAX, req->domain != NULL ? req->domain : "");
	/* RFC 8659 3: climb from the name (the wildcard's base) to its parents */
	if (va_caa_relevant(cfg, req->domain, &ans, &name, &secure, err) != 0)
		goto out;
	if (ldns_rr_list_rr_count(ans.rrs) > 0 && caa_decide(ans.rrs, name, req, err) == -1)
		goto out;
	if (dnssec != NULL)
		*dnssec = secure ? KK_DNSSEC_SECURE : KK_DNSSEC_INSECURE;
	rv = 0;
out:
	va_dns_ans_free(&ans);
	return rv;
}
