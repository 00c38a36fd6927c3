/*
 * Lint before sign for CRLs and OCSP responses (BR 4.3.1.2, ballot SC-075: every
 * to-be-signed CRL and OCSP response is checked before the CA key signs it). A CRL is
 * checked against CP table 7.2 and RFC 5280 5, an OCSP response against CP 7.3, RFC
 * 6960 4.2 and BR 4.9.10. Certificates are linted in src/ca.c.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "kakuin/util.h"
#include "ca_internal.h"
#include "lint_status.h"
#include "status_internal.h"

#define TEN_DAYS (10 * 86400)   /* BR 4.9.7 (CRL), BR 4.9.10 (OCSP) maximum */
#define EIGHT_HOURS (8 * 3600)  /* BR 4.9.10 OCSP minimum */

/* One failed profile rule of what (CRL or OCSP): logged, and nothing is signed. */
static int
lint_fail(kk_err *err, const char *what, const char *rule)
{
	kk_log("error", "lint", "%s refused: %s", what, rule);
	return kk_err_set(err, KK_ERR_INTERNAL, "lint: %s: %s", what, rule);
}

/* to - from in seconds into *secs; -1 if either time is unreadable. */
static int
time_diff(const ASN1_TIME *from, const ASN1_TIME *to, long long *secs)
{
	int days = 0, s = 0;

	if (from == NULL || to == NULL || ASN1_TIME_diff(&days, &s, from, to) != 1)
		return -1;
	*secs = (long long)days * 86400 + s;
	return 0;
}

/* 1 if t is readable and not after now + KK_LINT_SKEW. */
static int
not_future(const ASN1_TIME *t, time_t now)
{
	int c = t == NULL ? -2 : ASN1_TIME_cmp_time_t(t, now + KK_LINT_SKEW);

	return c == -1 || c == 0;
}

/* 1 if the DER of a and b are byte-equal (RFC 5280 7.1 asks for no less of the issuer). */
static int
name_der_equal(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509_NAME(a, &da), lb = i2d_X509_NAME(b, &db);
	int eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

/* 1 if n is a positive INTEGER of at most max DER content octets (RFC 5280 4.1.2.2,
 * 5.2.3). */
static int
positive_int(const ASN1_INTEGER *n, int max)
{
	BIGNUM *bn = n == NULL ? NULL : ASN1_INTEGER_to_BN(n, NULL);
	int ok;

	ok = bn != NULL && !BN_is_negative(bn) && !BN_is_zero(bn) &&
	    BN_num_bytes(bn) + (BN_num_bits(bn) % 8 == 0) <= max;
	BN_free(bn);
	return ok;
}

/* BR 7.2.2 / CP 7.2: keyCompromise, affiliationChanged, superseded, cessationOfOperation,
 * privilegeWithdrawn; unspecified (0) is expressed by leaving the reason out. */
static int
reason_allowed(long r)
{
	return r == 1 || r == 3 || r == 4 || r == 5 || r == 9;
}

/* CRL extensions of table 7.2: CRL Number and AKI (key id only), each once, both
 * non-critical, nothing else (RFC 5280 5.2.1, 5.2.3). */
static const char *
crl_extensions(X509_CRL *c, const X509 *issuing)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuing);
	AUTHORITY_KEYID *akid = NULL;
	ASN1_INTEGER *num = NULL;
	const char *bad = NULL;
	int i, nid, crit = 0, seen_num = 0, seen_aki = 0;

	for (i = 0; i < X509_CRL_get_ext_count(c) && bad == NULL; i++) {
		X509_EXTENSION *x = X509_CRL_get_ext(c, i);

		nid = OBJ_obj2nid(X509_EXTENSION_get_object(x));
		if (nid == NID_crl_number)
			seen_num++;
		else if (nid == NID_authority_key_identifier)
			seen_aki++;
		else
			bad = "an extension other than CRL Number and AKI";
		if (bad == NULL && X509_EXTENSION_get_critical(x))
			bad = "a critical CRL extension";
	}
	if (bad != NULL)
		return bad;
	if (seen_num != 1)
		return "CRL Number missing or repeated";
	if (seen_aki != 1)
		return "authorityKeyIdentifier missing or repeated";
	if ((num = X509_CRL_get_ext_d2i(c, NID_crl_number, &crit, NULL)) == NULL ||
	    !positive_int(num, 20))
		bad = "CRL Number is not a positive integer of at most 20 octets";
	else if ((akid = X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, &crit,
	    NULL)) == NULL || akid->keyid == NULL || akid->issuer != NULL ||
	    akid->serial != NULL || ski == NULL || ASN1_OCTET_STRING_cmp(akid->keyid, ski) != 0)
		bad = "authorityKeyIdentifier is not the issuing CA's key id";
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return bad;
}

/* The parsed CRL c (signed by tk) at now. */
static const char *
crl_rules(X509_CRL *c, EVP_PKEY *tk, const X509 *issuing, time_t now)
{
	const ASN1_TIME *tu = X509_CRL_get0_lastUpdate(c), *nu = X509_CRL_get0_nextUpdate(c);
	long long validity = 0;

	if (X509_CRL_get_version(c) != X509_CRL_VERSION_2)
		return "not version 2";
	/* X509_CRL_verify also requires the inner and outer algorithms to match */
	if (X509_CRL_get_signature_nid(c) != NID_sha256WithRSAEncryption ||
	    X509_CRL_verify(c, tk) != 1)
		return "signature algorithm is not sha256WithRSAEncryption";
	if (!name_der_equal(X509_CRL_get_issuer(c), X509_get_subject_name(issuing)))
		return "issuer is not the issuing CA's subject";
	if (!not_future(tu, now))
		return "thisUpdate is in the future";
	if (nu == NULL)
		return "nextUpdate is missing";
	if (time_diff(tu, nu, &validity) != 0 || validity <= 0)
		return "nextUpdate is not after thisUpdate";
	if (validity > TEN_DAYS)
		return "nextUpdate is more than 10 days after thisUpdate (BR 4.9.7)";
	if (validity != KK_CRL_VALIDITY)
		return "nextUpdate is not 96 h after thisUpdate";
	return NULL;
}

/* One DER element: its tag and contents [c, c + len). */
typedef struct der_el {
	unsigned char tag;
	const unsigned char *c;
	size_t len;
} der_el;

/* The element at *p, which it must end by end (kk_der_tlv: DER, a one-octet tag, at
 * most 4 length octets, TBS_MAX); *p moves past it. -1 if not DER. */
static int
der_next(const unsigned char **p, const unsigned char *end, der_el *e)
{
	const unsigned char *q = *p;
	size_t len;
	int tag;

	memset(e, 0, sizeof(*e));
	if (kk_der_tlv(&q, end, &tag, &len) != 0)
		return -1;
	e->tag = (unsigned char)tag;
	e->c = q;
	e->len = len;
	*p = q + len;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* e as seconds since 1970 if it is a Time as RFC 5280 4.1.2.5 wants it (5.1.2.4-6):
 * UTCTime YYMMDDHHMMSSZ for 1950..2049, GeneralizedTime YYYYMMDDHHMMSSZ from 2050. */
static int
der_time(const der_el *e, long long *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const unsigned char *c = e->c;
	size_t n = e->tag == V_ASN1_UTCTIME ? 13 : e->tag == V_ASN1_GENERALIZEDTIME ? 15 : 0;
	int v[8], i, k = n == 15 ? 2 : 1;
	long long y;

	if (n == 0 || e->len != n || c[n - 1] != 'Z')
		return -1;
	for (i = 0; i < (int)n - 1; i++)
		if (c[i] < '0' || c[i] > '9')
			return -1;
	for (i = 0; i < 6 + k; i++)
		v[i] = (c[2 * i] - '0') * 10 + (c[2 * i + 1] - '0');
	y = k == 2 ? v[0] * 100 + v[1] : v[0] < 50 ? 2000 + v[0] : 1900 + v[0];
	if ((k == 2 && y < 2050) || v[k] < 1 || v[k] > 12 || v[k + 1] < 1 ||
	    v[k + 1] > mdays[v[k] - 1] || (v[k] == 2 && v[k + 1] == 29 &&
	    (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))) || v[k + 2] > 23 ||
	    v[k + 3] > 59 || v[k + 4] > 59)
		return -1;
	*t = days_from_civil(y, v[k], v[k + 1]) * 86400 + v[k + 2] * 3600 + v[k + 3] * 60 +
	    v[k + 4];
	return 0;
}

/* An entry's crlEntryExtensions ext (RFC 5280 5.3): exactly one, a non-critical
 * reasonCode of an allowed value (BR 7.2.2). */
static const char *
entry_extensions(const der_el *exts)
{
	static const unsigned char reason_oid[] = { 0x55, 0x1d, 0x15 }; /* id-ce-cRLReasons */
	const unsigned char *p = exts->c, *end = p + exts->len, *q, *qend;
	der_el ext, oid, v, en;

	if (der_next(&p, end, &ext) != 0 || ext.tag != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED))
		return "an entry's crlEntryExtensions is empty or does not parse";
	q = ext.c;
	qend = q + ext.len;
	if (der_next(&q, qend, &oid) != 0 || oid.tag != V_ASN1_OBJECT ||
	    der_next(&q, qend, &v) != 0)
		return "an entry's extension does not parse";
	if (p != end || oid.len != sizeof(reason_oid) ||
	    memcmp(oid.c, reason_oid, sizeof(reason_oid)) != 0)
		return "an entry has an extension other than reasonCode";
	if (v.tag == V_ASN1_BOOLEAN)
		return v.len == 1 && v.c[0] == 0xff ? "an entry's reasonCode is critical" :
		    "an entry's reasonCode has critical FALSE, which DER leaves out";
	p = v.c;
	if (v.tag != V_ASN1_OCTET_STRING || q != qend || der_next(&p, v.c + v.len, &en) != 0 ||
	    en.tag != V_ASN1_ENUMERATED || p != v.c + v.len)
		return "an entry's reasonCode does not parse";
	if (en.len != 1 || !reason_allowed(en.c[0]))
		return "an entry's reasonCode is not 1, 3, 4, 5 or 9";
	return NULL;
}

/* One revokedCertificates entry e (RFC 5280 5.1.2.6, 5.3): a positive serial of at most
 * 20 octets in minimal DER (*sn), revoked no later than thisUpdate tu, at most the
 * reasonCode extension. */
static const char *
crl_entry(const der_el *e, long long tu, der_el *sn)
{
	const unsigned char *p = e->c, *end = p + e->len;
	der_el date, exts;
	long long t = 0;

	if (e->tag != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED) || der_next(&p, end, sn) != 0 ||
	    sn->tag != V_ASN1_INTEGER || der_next(&p, end, &date) != 0)
		return "an entry is not SEQUENCE { serialNumber, revocationDate, ... }";
	if (sn->len == 0 || sn->len > 20 || (sn->c[0] & 0x80) != 0 ||
	    (sn->len == 1 && sn->c[0] == 0))
		return "an entry's serial is not a positive integer of at most 20 octets";
	if (sn->len > 1 && sn->c[0] == 0 && (sn->c[1] & 0x80) == 0)
		return "an entry's serial is not minimally encoded (X.690 8.3.2)";
	if (der_time(&date, &t) != 0)
		return "an entry's revocationDate is not UTCTime through 2049, GeneralizedTime "
		    "after (RFC 5280 4.1.2.5)";
	if (t > tu)
		return "an entry's revocationDate is after thisUpdate";
	if (p == end)
		return NULL;
	if (der_next(&p, end, &exts) != 0 || exts.tag != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED) ||
	    p != end)
		return "an entry is not SEQUENCE { serialNumber, revocationDate, "
		    "crlEntryExtensions }";
	return entry_extensions(&exts);
}

/* FNV-1a of a serial's contents. */
static uint64_t
serial_hash(const unsigned char *c, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

/* No serial in list twice, in any order (RFC 5280 5.1.2.6): an open-addressing set of
 * the n serials, each slot the upper half of its hash and its offset in list (where it
 * follows its one-octet length), so a probe seldom has to reach into the list. */
static const char *
crl_no_twice(const der_el *list, size_t n)
{
	const unsigned char *p = list->c, *end = p + list->len, *o;
	uint64_t *set = NULL, h, slot;
	size_t cap = 64, i;
	der_el e, sn;
	const char *bad = NULL;

	while (cap < 2 * n)
		cap *= 2;
	if ((set = kk_calloc(cap, sizeof(*set))) == NULL)
		return "out of memory";
	while (p < end && bad == NULL) {
		(void)der_next(&p, end, &e); /* checked by crl_entries */
		o = e.c;
		(void)der_next(&o, e.c + e.len, &sn);
		h = serial_hash(sn.c, sn.len);
		slot = (h & 0xffffffff00000000ULL) | (uint64_t)(sn.c - list->c);
		for (i = (size_t)h & (cap - 1); set[i] != 0 && bad == NULL;
		    i = (i + 1) & (cap - 1)) {
			o = list->c + (set[i] & 0xffffffff);
			if ((set[i] ^ slot) >> 32 == 0 && o[-1] == sn.len &&
			    memcmp(o, sn.c, sn.len) == 0)
				bad = "a serial is listed twice";
		}
		set[i] = slot;
	}
	free(set);
	return bad;
}

/* revokedCertificates list of a CRL with thisUpdate tu: present only when not empty
 * (RFC 5280 5.1.2.6), each entry by crl_entry, no serial twice. */
static const char *
crl_entries(const der_el *list, long long tu)
{
	const unsigned char *p = list->c, *end = p + list->len;
	der_el e, sn;
	const char *bad = NULL;
	size_t n = 0;

	if (list->len == 0)
		return "revokedCertificates is present but empty";
	if (list->len > UINT32_MAX)
		return "revokedCertificates is too large";
	for (; p < end && bad == NULL; n++)
		if (der_next(&p, end, &e) != 0)
			bad = "an entry does not parse";
		else
			bad = crl_entry(&e, tu, &sn);
	return bad != NULL ? bad : crl_no_twice(list, n);
}

/* The TBSCertList tbs with its revokedCertificates (at [cut, cut_end)) left out, signed
 * by tk and parsed: the header that crl_rules and crl_extensions check with OpenSSL.
 * *out (caller frees) is NULL when it does not parse. */
static int
crl_header(const der_el *tbs, const unsigned char *cut, const unsigned char *cut_end,
    EVP_PKEY *tk, X509_CRL **out, kk_err *err)
{
	size_t body = tbs->len - (size_t)(cut_end - cut), sig_len = 0, der_len = 0;
	int total = ASN1_object_size(1, (int)body, V_ASN1_SEQUENCE), rc = -1;
	unsigned char *hdr = NULL, *sig = NULL, *der = NULL, *p;
	const unsigned char *q;
	EVP_MD_CTX *md = NULL;

	*out = NULL;
	if (body > INT_MAX / 2 || total <= 0 || (hdr = kk_malloc((size_t)total)) == NULL ||
	    (sig = kk_malloc((size_t)EVP_PKEY_get_size(tk))) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: CRL: out of memory");
		goto out;
	}
	p = hdr;
	ASN1_put_object(&p, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, tbs->c, (size_t)(cut - tbs->c));
	memcpy(p + (cut - tbs->c), cut_end, (size_t)(tbs->c + tbs->len - cut_end));
	sig_len = (size_t)EVP_PKEY_get_size(tk);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, tk) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, hdr, (size_t)total) != 1 ||
	    ca_assemble(hdr, (size_t)total, sig, sig_len, &der, &der_len, err) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: CRL: cannot sign the header");
		kk_err_append_openssl(err);
		goto out;
	}
	q = der;
	if ((*out = d2i_X509_CRL(NULL, &q, (long)der_len)) != NULL && q != der + der_len) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	rc = 0;
out:
	free(hdr);
	free(sig);
	free(der);
	EVP_MD_CTX_free(md);
	return rc;
}

int
lint_crl_tbs(const unsigned char *tbs, size_t tbs_len, const X509 *issuing, time_t now,
    kk_err *err)
{
	EVP_PKEY *tk = ca_throwaway_key();
	const unsigned char *p = tbs, *q, *el_at, *cut = NULL, *cut_end = NULL;
	der_el seq, el, list = { 0, NULL, 0 }, times[2] = { { 0, NULL, 0 }, { 0, NULL, 0 } };
	X509_CRL *c = NULL;
	long long tu = 0, nu = 0;
	const char *bad = NULL;
	int ntimes = 0;

	if (tk == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "lint: CRL: no throwaway key");
	if (der_next(&p, tbs + tbs_len, &seq) != 0 || p != tbs + tbs_len ||
	    seq.tag != (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED))
		return lint_fail(err, "CRL", "the encoding does not parse");
	/* version, signature, issuer, thisUpdate, nextUpdate, then the first SEQUENCE is
	 * revokedCertificates (RFC 5280 5.1) */
	for (q = seq.c; q < seq.c + seq.len; ) {
		el_at = q;
		if (der_next(&q, seq.c + seq.len, &el) != 0)
			return lint_fail(err, "CRL", "the encoding does not parse");
		if ((el.tag == V_ASN1_UTCTIME || el.tag == V_ASN1_GENERALIZEDTIME) && ntimes < 2)
			times[ntimes++] = el;
		else if (el.tag == (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED) && ntimes > 0 &&
		    cut == NULL) {
			list = el;
			cut = el_at;
			cut_end = q;
		}
	}
	if (cut == NULL)
		cut = cut_end = seq.c + seq.len;
	if (crl_header(&seq, cut, cut_end, tk, &c, err) != 0)
		return -1;
	if (c == NULL)
		bad = "the encoding does not parse";
	else if ((bad = crl_rules(c, tk, issuing, now)) == NULL &&
	    (bad = crl_extensions(c, issuing)) == NULL) {
		/* the header parsed, so times[] holds thisUpdate and nextUpdate */
		if (der_time(&times[0], &tu) != 0 || der_time(&times[1], &nu) != 0)
			bad = "thisUpdate or nextUpdate is not UTCTime through 2049, "
			    "GeneralizedTime after (RFC 5280 5.1.2.4, 5.1.2.5)";
		else if (list.c != NULL)
			bad = crl_entries(&list, tu);
	}
	X509_CRL_free(c);
	return bad == NULL ? 0 : lint_fail(err, "CRL", bad);
}

/* The responder: named by key hash (RFC 6960 4.2.2.3), the one certificate included,
 * issued by the issuing CA for id-kp-OCSPSigning (RFC 6960 4.2.2.2, CP table 7.1-2). */
static const char *
ocsp_responder(OCSP_BASICRESP *bs, const X509 *responder, const X509 *issuing)
{
	const ASN1_OCTET_STRING *keyid = NULL;
	const X509_NAME *name = NULL;
	const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (OCSP_resp_get0_id(bs, &keyid, &name) != 1 || keyid == NULL)
		return "responderID is not byKey";
	if (X509_pubkey_digest(responder, EVP_sha1(), md, &mdlen) != 1 ||
	    (unsigned int)ASN1_STRING_length(keyid) != mdlen ||
	    memcmp(ASN1_STRING_get0_data(keyid), md, mdlen) != 0)
		return "responderID is not the SHA-1 of the responder's key";
	if (sk_X509_num(certs) != 1 || X509_cmp(sk_X509_value(certs, 0), responder) != 0)
		return "the included certificate is not the responder certificate";
	if (X509_check_issued((X509 *)issuing, (X509 *)responder) != X509_V_OK ||
	    (X509_get_extended_key_usage((X509 *)responder) & XKU_OCSP_SIGN) == 0)
		return "the responder is not an OCSP signer of the issuing CA";
	return NULL;
}

/* One SingleResponse (RFC 6960 4.2.1): a CertID of the issuing CA under SHA-1 or
 * SHA-256, the validity of BR 4.9.10, a revocation time and allowed reason when
 * revoked, no extensions. */
static const char *
ocsp_single(OCSP_SINGLERESP *sr, const X509 *issuing, time_t now)
{
	const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(sr);
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
	OCSP_CERTID *want = NULL;
	long long validity = 0;
	int nid, status, reason = 0, same;

	if (OCSP_id_get0_info(NULL, &alg, NULL, &sn, (OCSP_CERTID *)id) != 1)
		return "a CertID does not parse";
	nid = OBJ_obj2nid(alg);
	if (nid != NID_sha1 && nid != NID_sha256)
		return "a CertID hash algorithm is not SHA-1 or SHA-256";
	if ((want = OCSP_cert_id_new(EVP_get_digestbynid(nid), X509_get_subject_name(issuing),
	    X509_get0_pubkey_bitstr(issuing), sn)) == NULL)
		return "out of memory";
	same = OCSP_id_issuer_cmp(want, id) == 0;
	OCSP_CERTID_free(want);
	if (!same)
		return "a CertID's issuer hashes are not the issuing CA's";
	status = OCSP_single_get0_status(sr, &reason, &rt, &tu, &nu);
	if (tu == NULL || nu == NULL)
		return "thisUpdate or nextUpdate is missing";
	if (!not_future(tu, now))
		return "thisUpdate is in the future";
	if (time_diff(tu, nu, &validity) != 0 || validity < EIGHT_HOURS ||
	    validity > TEN_DAYS)
		return "nextUpdate - thisUpdate is not within 8 h .. 10 days (BR 4.9.10)";
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		if (rt == NULL || ASN1_TIME_compare(rt, tu) > 0)
			return "a revoked status has no revocation time before thisUpdate";
		if (reason != OCSP_REVOKED_STATUS_NOSTATUS && !reason_allowed(reason))
			return "a revocation reason is not 1, 3, 4, 5 or 9";
	} else if (status != V_OCSP_CERTSTATUS_GOOD && status != V_OCSP_CERTSTATUS_UNKNOWN) {
		return "a certificate status is not good, revoked or unknown";
	}
	if (OCSP_SINGLERESP_get_ext_count(sr) != 0)
		return "a SingleResponse has extensions";
	return NULL;
}

int
lint_ocsp_response(OCSP_RESPONSE *resp, const X509 *responder, const X509 *issuing,
    time_t now, kk_err *err)
{
	OCSP_BASICRESP *bs = NULL;
	const ASN1_GENERALIZEDTIME *produced;
	const char *bad = NULL;
	int i;

	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		bad = "not a successful basic response";
	else if (OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm) !=
	    NID_sha256WithRSAEncryption)
		bad = "signature algorithm is not sha256WithRSAEncryption";
	else if ((bad = ocsp_responder(bs, responder, issuing)) != NULL)
		;
	else if ((produced = OCSP_resp_get0_produced_at(bs)) == NULL || !not_future(produced, now))
		bad = "producedAt is missing or in the future";
	else if (OCSP_resp_count(bs) < 1)
		bad = "no SingleResponse";
	else if (OCSP_BASICRESP_get_ext_count(bs) != 0)
		bad = "the response has extensions";
	for (i = 0; bad == NULL && i < OCSP_resp_count(bs); i++)
		bad = ocsp_single(OCSP_resp_get0(bs, i), issuing, now);
	OCSP_BASICRESP_free(bs);
	return bad == NULL ? 0 : lint_fail(err, "OCSP response", bad);
}

/* BasicOCSPResponse ::= SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING '' }
 * (RFC 6960 4.2.1), the signature left empty. Caller frees *out. */
static int
unsigned_basic(const unsigned char *tbs, size_t tbs_len, unsigned char **out, long *out_len)
{
	static const unsigned char empty_bits[] = { 0x03, 0x01, 0x00 };
	size_t body = tbs_len + sizeof(sha256_rsa_algid) + sizeof(empty_bits);
	int total = ASN1_object_size(1, (int)body, V_ASN1_SEQUENCE);
	unsigned char *buf, *p;

	if (tbs_len > INT_MAX / 2 || total <= 0 || (buf = kk_malloc((size_t)total)) == NULL)
		return -1;
	p = buf;
	ASN1_put_object(&p, 1, (int)body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, tbs, tbs_len);
	p += tbs_len;
	memcpy(p, sha256_rsa_algid, sizeof(sha256_rsa_algid));
	p += sizeof(sha256_rsa_algid);
	memcpy(p, empty_bits, sizeof(empty_bits));
	*out = buf;
	*out_len = total;
	return 0;
}

int
lint_ocsp_tbs(const unsigned char *tbs, size_t tbs_len, X509 *responder,
    const X509 *issuing, time_t now, kk_err *err)
{
	unsigned char *basic = NULL, *der = NULL;
	const unsigned char *p;
	long basic_len = 0;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *r = NULL, *parsed = NULL;
	int len, rc = -1;

	if (unsigned_basic(tbs, tbs_len, &basic, &basic_len) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "lint: OCSP response: cannot encode");
		goto out;
	}
	/* the same steps as src/ocsp.c after signing, so the whole response is linted */
	p = basic;
	if ((bs = d2i_OCSP_BASICRESP(NULL, &p, basic_len)) == NULL || p != basic + basic_len ||
	    OCSP_basic_add1_cert(bs, responder) != 1 ||
	    (r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(r, &der)) <= 0) {
		lint_fail(err, "OCSP response", "the ResponseData does not parse");
		goto out;
	}
	p = der;
	if ((parsed = d2i_OCSP_RESPONSE(NULL, &p, len)) == NULL) {
		lint_fail(err, "OCSP response", "the response does not parse");
		goto out;
	}
	rc = lint_ocsp_response(parsed, responder, issuing, now, err);
out:
	free(basic);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OCSP_RESPONSE_free(parsed);
	return rc;
}
