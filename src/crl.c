/*
 * The CRL publisher's CRL (CP 4.9.7, table 7.2, RFC 5280 5): v2, sha256WithRSA by the
 * issuing CA key in the token, thisUpdate now, nextUpdate 96 h later, a strictly
 * increasing CRL Number and the AKI; one entry per revoked certificate that has not
 * expired (CP 4.9.6), with a reasonCode only when the reason is not unspecified (BR
 * 7.2.2). Only the header is an OpenSSL object: the entries are written here as DER and
 * spliced in (kk_ca_crl_tbs), and the lint and the token see those very bytes, so a
 * million entries take seconds (issue #7.4, docs/performance.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/x509v3.h>
#include "kakuin/util.h"
#include "lint_status.h"
#include "status_internal.h"

/* Largest DER entry (RFC 5280 5.1): SEQUENCE { INTEGER of 20 octets and a leading zero,
 * GeneralizedTime, crlEntryExtensions with a reasonCode }. Every part is < 128 octets,
 * so each length is one octet. */
#define ENTRY_MAX (2 + 23 + 17 + 14)

/* The serialNumber INTEGER of hex at p (X.690 8.3: minimal octets, a leading zero
 * octet when the first has its top bit set, so the value stays positive). Its size, 0
 * when hex is not at most 40 hex digits. No digits at all give INTEGER 0, which the
 * lint refuses. */
static size_t
put_serial(unsigned char *p, const char *hex)
{
	unsigned char *q = p + 2;
	size_t h, i = 0;
	int hi, lo;

	while (*hex == '0')
		hex++;
	if ((h = strlen(hex)) > 40)
		return 0; /* kk_revoked's serial holds no more; ENTRY_MAX counts on it */
	if (h == 0 || (h % 2 == 0 && kk_hexval(hex[0]) >= 8))
		*q++ = 0;
	while (i < h) {
		hi = i == 0 && h % 2 == 1 ? 0 : kk_hexval(hex[i++]);
		lo = kk_hexval(hex[i++]);
		if (hi < 0 || lo < 0)
			return 0;
		*q++ = (unsigned char)(hi << 4 | lo);
	}
	p[0] = V_ASN1_INTEGER;
	p[1] = (unsigned char)(q - p - 2);
	return (size_t)(q - p);
}

static unsigned char *
put2(unsigned char *q, int v)
{
	*q++ = (unsigned char)('0' + v / 10);
	*q++ = (unsigned char)('0' + v % 10);
	return q;
}

/* revocationDate t at p (RFC 5280 5.1.2.6 by 4.1.2.5: UTCTime YYMMDDHHMMSSZ through
 * 2049, GeneralizedTime YYYYMMDDHHMMSSZ from 2050). Its size; 0 outside 1950..9999.
 * The civil date from days since 1970 is H. Hinnant's days_from_civil inverse. */
static size_t
put_time(unsigned char *p, time_t t)
{
	long long days = t / 86400, secs = t % 86400, z, era, doe, yoe, doy, mp, y;
	int m, d, gen;
	unsigned char *q = p + 2;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	if (y < 1950 || y > 9999)
		return 0;
	gen = y >= 2050;
	p[0] = gen ? V_ASN1_GENERALIZEDTIME : V_ASN1_UTCTIME;
	p[1] = gen ? 15 : 13;
	if (gen)
		q = put2(q, (int)(y / 100));
	q = put2(q, (int)(y % 100));
	q = put2(q, m);
	q = put2(q, d);
	q = put2(q, (int)(secs / 3600));
	q = put2(q, (int)(secs / 60 % 60));
	q = put2(q, (int)(secs % 60));
	*q = 'Z';
	return (size_t)p[1] + 2;
}

/* One revokedCertificates entry (RFC 5280 5.1.2.6, 5.3.1) at p, at most ENTRY_MAX
 * octets: serial, date and, unless the reason is unspecified, a non-critical reasonCode
 * (BR 7.2.2). Its size; 0 if r cannot be encoded. */
static size_t
put_entry(unsigned char *p, const kk_revoked *r)
{
	/* SEQUENCE { SEQUENCE { id-ce-cRLReasons, OCTET STRING { ENUMERATED (1 octet) } } } */
	static const unsigned char reason_ext[] = {
		0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01
	};
	size_t a, b, n;

	if ((a = put_serial(p + 2, r->serial)) == 0 ||
	    (b = put_time(p + 2 + a, r->revoked_at)) == 0)
		return 0;
	n = a + b;
	if (r->reason != 0) {
		if (r->reason < 0 || r->reason > 127)
			return 0;
		memcpy(p + 2 + n, reason_ext, sizeof(reason_ext));
		p[2 + n + sizeof(reason_ext)] = (unsigned char)r->reason;
		n += sizeof(reason_ext) + 1;
	}
	p[0] = V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED;
	p[1] = (unsigned char)n;
	return n + 2;
}

/* The n entries of rev, DER, one after the other: the contents of revokedCertificates.
 * Written here rather than as X509_REVOKED objects, which cost a BIGNUM and a dozen
 * allocations each (issue #7.4). Caller frees *out (NULL when n == 0). */
static int
encode_entries(const kk_revoked *rev, size_t n, unsigned char **out, size_t *len,
    kk_err *err)
{
	unsigned char *buf = NULL;
	size_t i, used = 0, k;

	*out = NULL;
	*len = 0;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / ENTRY_MAX || (buf = kk_malloc(n * ENTRY_MAX)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory for %zu CRL entries", n);
	for (i = 0; i < n; i++) {
		if ((k = put_entry(buf + used, &rev[i])) == 0) {
			free(buf);
			return kk_err_set(err, KK_ERR_INTERNAL, "cannot encode CRL entry %s "
			    "(revoked at %lld, reason %d)", rev[i].serial,
			    (long long)rev[i].revoked_at, rev[i].reason);
		}
		used += k;
	}
	*out = buf;
	*len = used;
	return 0;
}

/* Version, issuer, dates and the CRL extensions of table 7.2 (CRL Number, AKI). */
static int
set_fields(X509_CRL *crl, const X509 *issuing, int64_t number, time_t now, kk_err *err)
{
	ASN1_TIME *tu = NULL, *nu = NULL;
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	/* X509_get0_subject_key_id only reads (the extensions are cached at load) */
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuing);
	int rc = -1;

	if (ski == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "the issuing CA has no subjectKeyIdentifier");
		goto out;
	}
	if ((tu = ASN1_TIME_set(NULL, now)) == NULL ||
	    (nu = ASN1_TIME_set(NULL, now + KK_CRL_VALIDITY)) == NULL ||
	    (num = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set_int64(num, number) != 1 ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuing)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, tu) != 1 || X509_CRL_set1_nextUpdate(crl, nu) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot build the CRL");
		kk_err_append_openssl(err);
		goto out;
	}
	rc = 0;
out:
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int
status_crl_issue(kk_status *s, time_t now, kk_signed *out, kk_err *err)
{
	kk_revoked *rev = NULL;
	X509_CRL *crl = NULL;
	kk_signed c;
	unsigned char *entries = NULL, *tbs = NULL;
	size_t n = 0, entries_len = 0, tbs_len = 0;
	struct timespec t0;
	double t[5];
	int rc = -1;

	memset(&c, 0, sizeof(c));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (kk_store_crl_entries(s->st, now, &rev, &n, err) != 0 ||
	    kk_store_crl_next_number(s->st, &c.number, err) != 0)
		goto out;
	t[0] = seconds_since(&t0);
	if ((crl = X509_CRL_new()) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (set_fields(crl, kk_ca_issuing_cert(s->ca), c.number, now, err) != 0 ||
	    encode_entries(rev, n, &entries, &entries_len, err) != 0 ||
	    kk_ca_crl_tbs(crl, entries, entries_len, &tbs, &tbs_len, err) != 0)
		goto out;
	free(rev);
	free(entries);
	rev = NULL;
	entries = NULL;
	t[1] = seconds_since(&t0);
	/* lint before sign (BR 4.3.1.2): the very bytes the token signs are checked, and a
	 * nonconforming CRL never reaches the token */
	if (lint_crl_tbs(tbs, tbs_len, kk_ca_issuing_cert(s->ca), now, err) != 0)
		goto out;
	t[2] = seconds_since(&t0);
	if (kk_ca_sign_crl_tbs(s->ca, tbs, tbs_len, &c.der, &c.der_len, err) != 0)
		goto out;
	t[3] = seconds_since(&t0);
	c.this_update = now;
	c.next_update = now + KK_CRL_VALIDITY;
	if (kk_store_crl_save(s->st, &c, err) != 0)
		goto out;
	t[4] = seconds_since(&t0);
	kk_log("info", "crl", "CRL %lld issued with %zu entries, %zu bytes, in %.2f s (query "
	    "%.2f, encode %.2f, lint %.2f, sign %.2f, store %.2f)", (long long)c.number, n,
	    c.der_len, t[4], t[0], t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3]);
	if (out != NULL) {
		*out = c;
		memset(&c, 0, sizeof(c));
	}
	rc = 0;
out:
	free(rev);
	free(entries);
	free(tbs);
	X509_CRL_free(crl);
	kk_signed_clear(&c);
	return rc;
}
