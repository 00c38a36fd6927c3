/*
 * The OCSP responder (CP 4.9.9, 7.3; RFC 6960, RFC 5019). Responses are signed by the
 * delegated responder key in the token (CP table 7.1-2), name the responder by key hash,
 * carry the responder certificate, and are valid KK_OCSP_VALIDITY from thisUpdate. The
 * response for one SHA-1 CertID (the RFC 5019 profile) is pre-signed and cached; any
 * other well-formed request for our issuing CA is signed on demand. Nonces are ignored
 * (RFC 5019 4). A CertID of another issuer gets "unauthorized" (RFC 5019 2.2.3).
 *
 * The hot path (issue #7, docs/performance.md "OCSP responder"): recent pre-signed
 * responses are kept in memory with their caching headers, so a repeated RFC 5019 GET
 * costs no store access, hash or date formatting. The store stays the truth: a
 * response is kept only as read from the store or as just signed, and every signature
 * of a serial replaces (a revocation drops) what is kept for it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ocsp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "lint_status.h"
#include "status_internal.h"

#define MAX_CERTIDS 20

/* An unsigned error response (RFC 6960 4.2.1) into out->der. */
static int
error_response(int status, kk_signed *out, kk_err *err)
{
	OCSP_RESPONSE *r = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	if ((r = OCSP_response_create(status, NULL)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(r, &der)) <= 0 ||
	    (out->der = kk_malloc((size_t)len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode an OCSP error response");
		goto out;
	}
	memcpy(out->der, der, (size_t)len);
	out->der_len = (size_t)len;
	rc = 0;
out:
	OPENSSL_free(der);
	OCSP_RESPONSE_free(r);
	return rc;
}

/* The lower-case hex serial of a CertID (as the store keeps it), "" when negative. */
static int
certid_serial(OCSP_CERTID *id, char out[41])
{
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int rc = -1;

	out[0] = '\0';
	if (OCSP_id_get0_info(NULL, NULL, NULL, &sn, id) != 1 ||
	    (bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL)
		goto out;
	if (!BN_is_negative(bn) && !BN_is_zero(bn)) {
		if ((hex = BN_bn2hex(bn)) == NULL)
			goto out;
		if (strlen(hex) < 41) {
			snprintf(out, 41, "%s", hex);
			kk_str_lower(out);
		}
	}
	rc = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* Adds the SingleResponse for id (RFC 6960 4.2.1): good, revoked (with the reason when
 * not unspecified) or unknown (never issued by us). */
static int
add_single(kk_status *s, OCSP_BASICRESP *bs, OCSP_CERTID *id, ASN1_TIME *tu, ASN1_TIME *nu,
    kk_err *err)
{
	kk_certrev cs;
	ASN1_TIME *rt = NULL;
	char serial[41];
	int status = V_OCSP_CERTSTATUS_UNKNOWN, reason = OCSP_REVOKED_STATUS_NOSTATUS, rc = -1;
	kk_err e;

	kk_err_clear(&e);
	if (certid_serial(id, serial) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot read a CertID serial");
	/* reserved or planned serials are not certificates (yet): unknown; a signed
	 * precertificate assigns its serial (BR 4.9.10): good */
	if (serial[0] != '\0' && kk_store_cert_revstate(s->st, serial, &cs, &e) == 0 &&
	    (strcmp(cs.status, "issued") == 0 || strcmp(cs.status, "revoked") == 0 ||
	    strcmp(cs.status, "precert") == 0)) {
		status = V_OCSP_CERTSTATUS_GOOD;
		if (strcmp(cs.status, "revoked") == 0) {
			status = V_OCSP_CERTSTATUS_REVOKED;
			reason = cs.reason != 0 ? cs.reason : OCSP_REVOKED_STATUS_NOSTATUS;
			if ((rt = ASN1_GENERALIZEDTIME_set(NULL, cs.revoked_at)) == NULL)
				goto out;
		}
	} else if (serial[0] != '\0' && e.kind != KK_OK && e.kind != KK_ERR_NOT_FOUND) {
		*err = e;
		return -1;
	}
	if (OCSP_basic_add1_status(bs, id, status, reason, rt, tu, nu) == NULL)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		kk_err_set(err, KK_ERR_INTERNAL, "cannot add an OCSP SingleResponse");
	ASN1_TIME_free(rt);
	return rc;
}

/* Appends a DER encoding made by i2d (ret = its length) to buf. */
static int
append(unsigned char **buf, size_t *len, const unsigned char *der, int n)
{
	unsigned char *nb;

	if (n <= 0 || (nb = kk_realloc(*buf, *len + (size_t)n)) == NULL)
		return -1;
	memcpy(nb + *len, der, (size_t)n);
	*buf = nb;
	*len += (size_t)n;
	return 0;
}

/* Wraps content in a SEQUENCE (X.690 8.9). */
static int
wrap_sequence(unsigned char **buf, size_t *len)
{
	int total = ASN1_object_size(1, (int)*len, V_ASN1_SEQUENCE);
	unsigned char *nb, *p;

	if (total <= 0 || (nb = kk_malloc((size_t)total)) == NULL)
		return -1;
	p = nb;
	ASN1_put_object(&p, 1, (int)*len, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, *buf, *len);
	free(*buf);
	*buf = nb;
	*len = (size_t)total;
	return 0;
}

/* ResponseData (RFC 6960 4.2.1): v1 (default, omitted), responderID byKey, producedAt,
 * the SingleResponses of singles. OpenSSL keeps ResponseData opaque and signs it only
 * with a private key in hand, so it is encoded here from its public parts. Caller frees
 * *tbs. */
static int
response_data(kk_status *s, OCSP_BASICRESP *singles, time_t now, unsigned char **tbs,
    size_t *tbs_len)
{
	OCSP_RESPID *rid = NULL;
	ASN1_GENERALIZEDTIME *produced = NULL;
	unsigned char *der = NULL, *list = NULL, *body = NULL;
	size_t list_len = 0, body_len = 0;
	int i, n, rc = -1;

	if ((rid = OCSP_RESPID_new()) == NULL || OCSP_RESPID_set_by_key(rid, s->responder) != 1 ||
	    (produced = ASN1_GENERALIZEDTIME_set(NULL, now)) == NULL)
		goto out;
	n = i2d_OCSP_RESPID(rid, &der);
	if (append(&body, &body_len, der, n) != 0)
		goto out;
	OPENSSL_free(der);
	der = NULL;
	n = i2d_ASN1_GENERALIZEDTIME(produced, &der);
	if (append(&body, &body_len, der, n) != 0)
		goto out;
	for (i = 0; i < OCSP_resp_count(singles); i++) {
		OPENSSL_free(der);
		der = NULL;
		n = i2d_OCSP_SINGLERESP(OCSP_resp_get0(singles, i), &der);
		if (append(&list, &list_len, der, n) != 0)
			goto out;
	}
	if (wrap_sequence(&list, &list_len) != 0 ||
	    append(&body, &body_len, list, (int)list_len) != 0 || wrap_sequence(&body, &body_len) != 0)
		goto out;
	*tbs = body;
	*tbs_len = body_len;
	body = NULL;
	rc = 0;
out:
	OCSP_RESPID_free(rid);
	ASN1_GENERALIZEDTIME_free(produced);
	OPENSSL_free(der);
	free(list);
	free(body);
	return rc;
}

/* Signs a BasicOCSPResponse with the responder key, adds the responder certificate,
 * checks the signature and wraps it as a successful OCSPResponse into out. */
static int
sign_response(kk_status *s, OCSP_BASICRESP *singles, time_t now, kk_signed *out, kk_err *err)
{
	unsigned char *tbs = NULL, *basic = NULL, *der = NULL;
	const unsigned char *p;
	size_t tbs_len = 0, basic_len = 0;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *r = NULL;
	int len, rc = -1;

	if (response_data(s, singles, now, &tbs, &tbs_len) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the OCSP ResponseData");
		goto out;
	}
	/* lint before sign (BR 4.3.1.2): a nonconforming response never reaches the token */
	if (lint_ocsp_tbs(tbs, tbs_len, s->responder, kk_ca_issuing_cert(s->ca), now, err) != 0 ||
	    kk_ca_sign_tbs(s->ca, KK_KEY_OCSP, tbs, tbs_len, &basic, &basic_len, err) != 0)
		goto out;
	p = basic;
	/* OCSP_NOVERIFY: the signature is checked against the responder certificate we
	 * just added; its chain is ours by construction */
	if ((bs = d2i_OCSP_BASICRESP(NULL, &p, (long)basic_len)) == NULL ||
	    p != basic + basic_len || OCSP_basic_add1_cert(bs, s->responder) != 1 ||
	    OCSP_basic_verify(bs, NULL, NULL, OCSP_NOVERIFY) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "signed OCSP response does not parse or verify");
		kk_err_append_openssl(err);
		goto out;
	}
	if ((r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(r, &der)) <= 0 || (out->der = kk_malloc((size_t)len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode the OCSP response");
		goto out;
	}
	memcpy(out->der, der, (size_t)len);
	out->der_len = (size_t)len;
	out->this_update = now;
	out->next_update = now + KK_OCSP_VALIDITY;
	rc = 0;
out:
	free(tbs);
	free(basic);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	return rc;
}

/* A signed response for ids[0..n) at now into out. */
static int
sign_ids(kk_status *s, OCSP_CERTID *const *ids, size_t n, time_t now, kk_signed *out,
    kk_err *err)
{
	OCSP_BASICRESP *singles = NULL;
	ASN1_TIME *tu = NULL, *nu = NULL;
	size_t i;
	int rc = -1;

	if ((singles = OCSP_BASICRESP_new()) == NULL ||
	    (tu = ASN1_GENERALIZEDTIME_set(NULL, now)) == NULL ||
	    (nu = ASN1_GENERALIZEDTIME_set(NULL, now + KK_OCSP_VALIDITY)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_single(s, singles, ids[i], tu, nu, err) != 0)
			goto out;
	rc = sign_response(s, singles, now, out, err);
out:
	OCSP_BASICRESP_free(singles);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	return rc;
}

/* The CertID of serial under our issuing CA with hash md. Caller frees. */
static OCSP_CERTID *
our_certid(kk_status *s, const EVP_MD *md, const ASN1_INTEGER *sn)
{
	const X509 *issuing = kk_ca_issuing_cert(s->ca);

	return OCSP_cert_id_new(md, X509_get_subject_name(issuing),
	    X509_get0_pubkey_bitstr(issuing), sn);
}

/* ---- responses in memory ---- */

/* slots of the cache: a direct-mapped table, a serial's slot by the hash of its text,
 * about 1.7 KB a response (at most ~7 MB) */
#define CACHE_SLOTS 4096

struct slot {
	/* bumped by every signature or drop of a serial hashing here: a response read from
	 * the store before that must not be kept */
	uint64_t gen;
	char serial[41];        /* "" when empty */
	time_t this_update, next_update;
	unsigned char *der;
	size_t der_len;
	char etag[68], last_modified[32], expires[32];
};

struct ocsp_cache {
	pthread_rwlock_t lk;
	struct slot slot[CACHE_SLOTS];
};

void
status_http_date(time_t t, char buf[32])
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	    "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return;
	snprintf(buf, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday,
	    mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
status_answer_clear(status_answer *a)
{
	if (a == NULL)
		return;
	kk_signed_clear(&a->r);
	memset(a, 0, sizeof(*a));
}

/* The RFC 5019 6.2 headers of a successful answer: ETag (SHA-256 of the DER),
 * Last-Modified (thisUpdate), Expires (nextUpdate). */
static void
answer_headers(status_answer *a)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	SHA256(a->r.der, a->r.der_len, md);
	kk_hex(md, sizeof(md), hex);
	snprintf(a->etag, sizeof(a->etag), "\"%s\"", hex);
	status_http_date(a->r.this_update, a->last_modified);
	status_http_date(a->r.next_update, a->expires);
	a->cacheable = 1;
}

static struct slot *
slot_of(kk_status *s, const char *serial)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *serial != '\0'; serial++)
		h = (h ^ (unsigned char)*serial) * 16777619u;
	return &s->cache->slot[h % CACHE_SLOTS];
}

/* Empties sl. Under the write lock. */
static void
slot_clear(struct slot *sl)
{
	free(sl->der);
	sl->der = NULL;
	sl->der_len = 0;
	sl->serial[0] = '\0';
}

/* serial's kept response valid at now into out (1), else 0 with *gen the slot's
 * generation for cache_keep. */
static int
cache_get(kk_status *s, const char *serial, time_t now, status_answer *out, uint64_t *gen)
{
	struct slot *sl = slot_of(s, serial);
	int hit = 0;

	pthread_rwlock_rdlock(&s->cache->lk);
	*gen = sl->gen;
	if (strcmp(sl->serial, serial) == 0 && sl->this_update <= now && now < sl->next_update &&
	    (out->r.der = kk_malloc(sl->der_len)) != NULL) {
		memcpy(out->r.der, sl->der, sl->der_len);
		out->r.der_len = sl->der_len;
		out->r.this_update = sl->this_update;
		out->r.next_update = sl->next_update;
		memcpy(out->etag, sl->etag, sizeof(out->etag));
		memcpy(out->last_modified, sl->last_modified, sizeof(out->last_modified));
		memcpy(out->expires, sl->expires, sizeof(out->expires));
		out->cacheable = 1;
		hit = 1;
	}
	pthread_rwlock_unlock(&s->cache->lk);
	return hit;
}

/* Keeps a copy of a (with its headers) as serial's response, in place of whatever its
 * slot holds. Read from the store (!fresh): only when the slot's generation is still
 * *gen (nothing signed or dropped there since a was read). Just signed (fresh): the
 * generation moves on, and a is kept when the slot holds serial already (the refresh
 * of a million responses must not evict those asked for), or when gen is given and
 * nothing else happened to the slot since it was read. */
static void
cache_keep(kk_status *s, const char *serial, const status_answer *a, int fresh,
    const uint64_t *gen)
{
	struct slot *sl = slot_of(s, serial);
	unsigned char *der;
	int keep;

	if ((der = kk_malloc(a->r.der_len)) == NULL)
		return;
	memcpy(der, a->r.der, a->r.der_len);
	pthread_rwlock_wrlock(&s->cache->lk);
	if (fresh)
		sl->gen++;
	keep = fresh ? strcmp(sl->serial, serial) == 0 || (gen != NULL && sl->gen == *gen + 1) :
	    sl->gen == *gen;
	if (!keep) {
		pthread_rwlock_unlock(&s->cache->lk);
		free(der);
		return;
	}
	slot_clear(sl);
	snprintf(sl->serial, sizeof(sl->serial), "%s", serial);
	sl->der = der;
	sl->der_len = a->r.der_len;
	sl->this_update = a->r.this_update;
	sl->next_update = a->r.next_update;
	memcpy(sl->etag, a->etag, sizeof(sl->etag));
	memcpy(sl->last_modified, a->last_modified, sizeof(sl->last_modified));
	memcpy(sl->expires, a->expires, sizeof(sl->expires));
	pthread_rwlock_unlock(&s->cache->lk);
}

void
status_ocsp_forget(kk_status *s, const char *serial)
{
	struct slot *sl;

	if (s->cache == NULL)
		return;
	sl = slot_of(s, serial);
	pthread_rwlock_wrlock(&s->cache->lk);
	sl->gen++;
	if (strcmp(sl->serial, serial) == 0)
		slot_clear(sl);
	pthread_rwlock_unlock(&s->cache->lk);
}

/* The issuerNameHash and issuerKeyHash of our CertIDs under md into name and key. */
static int
issuer_hashes(kk_status *s, const EVP_MD *md, unsigned char *name, unsigned char *key,
    size_t len)
{
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	OCSP_CERTID *id = NULL;
	int rc = -1;

	if (sn != NULL && (id = our_certid(s, md, sn)) != NULL &&
	    OCSP_id_get0_info(&nh, NULL, &kh, NULL, id) == 1 &&
	    ASN1_STRING_length(nh) == (int)len && ASN1_STRING_length(kh) == (int)len) {
		memcpy(name, ASN1_STRING_get0_data(nh), len);
		memcpy(key, ASN1_STRING_get0_data(kh), len);
		rc = 0;
	}
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(sn);
	return rc;
}

int
status_ocsp_init(kk_status *s, kk_err *err)
{
	if (issuer_hashes(s, EVP_sha1(), s->name_sha1, s->key_sha1, 20) != 0 ||
	    issuer_hashes(s, EVP_sha256(), s->name_sha256, s->key_sha256, 32) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot hash the issuing CA's name and key");
	if (pthread_mutex_init(&s->sign_mu, NULL) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot make a mutex");
	s->sign_mu_ok = 1;
	if ((s->cache = kk_calloc(1, sizeof(*s->cache))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	if (pthread_rwlock_init(&s->cache->lk, NULL) != 0) {
		free(s->cache);
		s->cache = NULL;
		return kk_err_set(err, KK_ERR_INTERNAL, "cannot make a lock");
	}
	return 0;
}

void
status_ocsp_fini(kk_status *s)
{
	size_t i;

	if (s->cache != NULL) {
		for (i = 0; i < CACHE_SLOTS; i++)
			slot_clear(&s->cache->slot[i]);
		pthread_rwlock_destroy(&s->cache->lk);
		free(s->cache);
		s->cache = NULL;
	}
	if (s->sign_mu_ok)
		pthread_mutex_destroy(&s->sign_mu);
	s->sign_mu_ok = 0;
}

/* ---- signing and answering ---- */

/* The generation of serial's slot now. */
static uint64_t
cache_gen(kk_status *s, const char *serial)
{
	struct slot *sl = slot_of(s, serial);
	uint64_t gen;

	pthread_rwlock_rdlock(&s->cache->lk);
	gen = sl->gen;
	pthread_rwlock_unlock(&s->cache->lk);
	return gen;
}

/* status_ocsp_presign, the answer into *a; keep: into memory even when not there yet
 * (asked for). Holds sign_mu from reading the certificate's status to keeping the
 * response, so a revocation's re-signature (kk_status_changed) cannot be overtaken by
 * one that read the status before it. */
static int
presign(kk_status *s, const char *serial, time_t now, int keep, status_answer *a,
    kk_err *err)
{
	OCSP_CERTID *id = NULL;
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	uint64_t gen;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	pthread_mutex_lock(&s->sign_mu);
	gen = cache_gen(s, serial);
	if (BN_hex2bn(&bn, serial) != (int)strlen(serial) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (id = our_certid(s, EVP_sha1(), sn)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot make the CertID of %s", serial);
		goto out;
	}
	if (sign_ids(s, &id, 1, now, &a->r, err) != 0 ||
	    kk_store_ocsp_put(s->st, serial, &a->r, err) != 0)
		goto out;
	answer_headers(a);
	cache_keep(s, serial, a, 1, keep ? &gen : NULL);
	rc = 0;
out:
	pthread_mutex_unlock(&s->sign_mu);
	if (rc != 0)
		status_answer_clear(a);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return rc;
}

int
status_ocsp_presign(kk_status *s, const char *serial, time_t now, kk_signed *out,
    kk_err *err)
{
	status_answer a;

	if (presign(s, serial, now, 0, &a, err) != 0)
		return -1;
	if (out != NULL) {
		*out = a.r;
		memset(&a.r, 0, sizeof(a.r));
	}
	status_answer_clear(&a);
	return 0;
}

/* 1 if h is the hash want of length len. */
static int
hash_is(const ASN1_OCTET_STRING *h, const unsigned char *want, size_t len)
{
	return ASN1_STRING_length(h) == (int)len &&
	    memcmp(ASN1_STRING_get0_data(h), want, len) == 0;
}

/* 1 if id names our issuing CA (name and key hashes under its own hash algorithm,
 * SHA-1 or SHA-256, as computed at open), else 0. *sha1: the algorithm was SHA-1. */
static int
ours(kk_status *s, OCSP_CERTID *id, int *sha1)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *alg = NULL;
	int nid;

	*sha1 = 0;
	if (OCSP_id_get0_info(&nh, &alg, &kh, NULL, id) != 1)
		return 0;
	nid = OBJ_obj2nid(alg);
	if (nid == NID_sha1) {
		*sha1 = 1;
		return hash_is(nh, s->name_sha1, 20) && hash_is(kh, s->key_sha1, 20);
	}
	return nid == NID_sha256 && hash_is(nh, s->name_sha256, 32) &&
	    hash_is(kh, s->key_sha256, 32);
}

/* 1 if the successful OCSPResponse der says its certificate is revoked. */
static int
says_revoked(const kk_signed *r)
{
	const unsigned char *p = r->der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *one;
	int revoked = 0;

	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r->der_len)) != NULL &&
	    (bs = OCSP_response_get1_basic(resp)) != NULL &&
	    (one = OCSP_resp_get0(bs, 0)) != NULL)
		revoked = OCSP_single_get0_status(one, NULL, NULL, NULL, NULL) ==
		    V_OCSP_CERTSTATUS_REVOKED;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return revoked;
}

/* The pre-signed response of serial still valid at now into out (1): from memory, or
 * read from the store and kept. Not one that says good for a revoked certificate (a
 * revocation by another process, not re-signed yet): 0, out empty. */
static int
presigned(kk_status *s, const char *serial, time_t now, status_answer *out)
{
	kk_certrev cs;
	uint64_t gen;
	kk_err e;

	if (cache_get(s, serial, now, out, &gen))
		return 1;
	if (kk_store_ocsp_get(s->st, serial, &out->r, &e) != 0)
		return 0;
	if (!(out->r.this_update <= now && now < out->r.next_update) ||
	    kk_store_cert_revstate(s->st, serial, &cs, &e) != 0 ||
	    (strcmp(cs.status, "revoked") == 0 && !says_revoked(&out->r))) {
		status_answer_clear(out);
		return 0;
	}
	answer_headers(out);
	cache_keep(s, serial, out, 0, &gen);
	return 1;
}

/* A certificate of ours, unexpired, without a usable pre-signed response (not reached
 * by the publisher yet, or revoked by another process): its response pre-signed now,
 * into out (1), so the next request finds it. 0 for any other serial. */
static int
on_demand(kk_status *s, const char *serial, time_t now, status_answer *out)
{
	kk_certrev cs;
	kk_err e;

	if (kk_store_cert_revstate(s->st, serial, &cs, &e) != 0 || cs.not_after < now ||
	    (strcmp(cs.status, "issued") != 0 && strcmp(cs.status, "revoked") != 0 &&
	    strcmp(cs.status, "precert") != 0))
		return 0;
	if (presign(s, serial, now, 1, out, &e) != 0) {
		kk_log("error", "ocsp", "cannot pre-sign %s: %s", serial, e.detail);
		return 0;
	}
	return 1;
}

int
status_ocsp_answer(kk_status *s, const unsigned char *der, size_t len, time_t now,
    status_answer *out, kk_err *err)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *ids[MAX_CERTIDS];
	char serial[41];
	int i, n = 0, sha1 = 0, rc = -1;
	kk_err e;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > 64 * 1024 || (req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL ||
	    p != der + len || (n = OCSP_request_onereq_count(req)) < 1 || n > MAX_CERTIDS) {
		rc = error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &out->r, err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		ids[i] = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		if (!ours(s, ids[i], &sha1)) {
			rc = error_response(OCSP_RESPONSE_STATUS_UNAUTHORIZED, &out->r, err);
			goto out;
		}
	}
	/* the RFC 5019 profile: one SHA-1 CertID, answered pre-signed */
	if (n == 1 && sha1 && certid_serial(ids[0], serial) == 0 && serial[0] != '\0' &&
	    (presigned(s, serial, now, out) || on_demand(s, serial, now, out))) {
		rc = 0;
		goto out;
	}
	if (sign_ids(s, ids, (size_t)n, now, &out->r, &e) != 0) {
		kk_log("error", "ocsp", "cannot sign a response: %s", e.detail);
		status_answer_clear(out);
		rc = error_response(OCSP_RESPONSE_STATUS_INTERNALERROR, &out->r, err);
		goto out;
	}
	answer_headers(out);
	rc = 0;
out:
	OCSP_REQUEST_free(req);
	return rc;
}
