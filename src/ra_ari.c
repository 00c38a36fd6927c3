/*
 * RA: ACME Renewal Information (RFC 9773) and renewal orders (CP 4.6, 4.7): the
 * window in which a client should renew, and the "replaces" field of newOrder.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "ra_internal.h"

#define HOUR 3600
#define DAY 86400
/* CP 4.7 (as kakuin applies it): a renewal order may name the certificate it replaces
 * only in the last 90 days of that certificate's validity */
#define REPLACE_WINDOW_DAYS 90

/* RFC 9773 4.1: certID = base64url(AKI keyIdentifier) "." base64url(serial octets). The
 * AKI must be the issuing CA's key identifier; *serial gets the serial as the store
 * keeps it. KK_ERR_MALFORMED for a malformed certID, KK_ERR_NOT_FOUND for another CA. */
static int
cert_id_serial(kk_ra *ra, const char *cert_id, char serial[41], kk_err *err)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(
	    (X509 *)kk_ca_issuing_cert(ra->ca));
	const char *dot = strchr(cert_id, '.');
	unsigned char *aki = NULL, *sn = NULL, *p;
	size_t aki_len = 0, sn_len = 0;
	int rc = -1;

	if (dot == NULL || kk_b64url_decode(cert_id, (size_t)(dot - cert_id), &aki,
	    &aki_len) != 0 || kk_b64url_decode(dot + 1, strlen(dot + 1), &sn, &sn_len) != 0 ||
	    aki_len == 0 || sn_len == 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "certID must be base64url(AKI) \".\" "
		    "base64url(serial) (RFC 9773 4.1)");
		goto out;
	}
	/* DER INTEGER content: a leading zero octet only keeps a positive number positive */
	p = sn;
	if (sn_len > 1 && p[0] == 0) {
		p++;
		sn_len--;
	}
	if (ski == NULL || (size_t)ASN1_STRING_length(ski) != aki_len ||
	    memcmp(ASN1_STRING_get0_data(ski), aki, aki_len) != 0 || sn_len > 20) {
		kk_err_set(err, KK_ERR_NOT_FOUND, "no certificate of this CA has that certID");
		goto out;
	}
	kk_hex(p, sn_len, serial);
	rc = 0;
out:
	free(aki);
	free(sn);
	return rc;
}

int
kk_ra_renewal_info(kk_ra *ra, const char *cert_id, time_t *start, time_t *end, kk_err *err)
{
	char serial[41];
	time_t now = kk_now(), life;
	kk_cert c;

	memset(&c, 0, sizeof(c));
	if (cert_id_serial(ra, cert_id, serial, err) != 0)
		return -1;
	if (kk_store_cert_get(ra->store, serial, &c, err) != 0 ||
	    (strcmp(c.status, "issued") != 0 && strcmp(c.status, "revoked") != 0)) {
		kk_cert_clear(&c);
		return kk_err_set(err, KK_ERR_NOT_FOUND, "no certificate of this CA has that "
		    "certID");
	}
	life = c.not_after - c.not_before;
	if (strcmp(c.status, "revoked") == 0) {
		/* RFC 9773 4.2: a revoked certificate is renewed at once */
		*start = now - 2 * HOUR;
		*end = now - HOUR;
	} else {
		/* the last third of the validity, ending with a sixth to spare */
		*start = c.not_after - life / 3;
		*end = c.not_after - life / 6;
	}
	kk_cert_clear(&c);
	return 0;
}

int
ra_replaces(kk_ra *ra, const kk_account *acct, const char *cert_id, char serial[41],
    kk_err *err)
{
	time_t now = kk_now();
	int64_t other;
	kk_certrev r;
	int rc;

	if (cert_id_serial(ra, cert_id, serial, err) != 0 ||
	    kk_store_cert_revstate(ra->store, serial, &r, err) != 0 ||
	    r.account_id != acct->id)
		return kk_err_set(err, KK_ERR_MALFORMED, "\"replaces\" must name a certificate "
		    "issued to this account (RFC 9773 5)");
	if (strcmp(r.status, "issued") != 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "\"replaces\": certificate %s is %s; "
		    "order without \"replaces\"", serial, r.status);
	if (r.not_after <= now)
		return kk_err_set(err, KK_ERR_MALFORMED, "\"replaces\": certificate %s has "
		    "expired; order without \"replaces\"", serial);
	if (now < r.not_after - (time_t)REPLACE_WINDOW_DAYS * DAY)
		return kk_err_set(err, KK_ERR_MALFORMED, "\"replaces\": certificate %s may be "
		    "renewed only in its last %d days (CP 4.7)", serial, REPLACE_WINDOW_DAYS);
	/* RFC 9773 7.4: one renewal per certificate (an invalid order does not count) */
	if ((rc = kk_store_order_replacing(ra->store, serial, &other, err)) < 0)
		return -1;
	if (rc == 1)
		return kk_err_set(err, KK_ERR_ALREADY_REPLACED, "certificate %s is already "
		    "replaced by order %lld", serial, (long long)other);
	return 0;
}
