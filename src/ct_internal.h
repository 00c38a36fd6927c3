/*
 * Certificate Transparency internals shared by src/ct.c (submission over HTTP) and
 * src/ct_sct.c (the SCT wire format and its signature, RFC 6962 3.2 and 3.3).
 */
#ifndef KAKUIN_CT_INTERNAL_H
#define KAKUIN_CT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <openssl/x509.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"

#define CT_MAX_SKEW_SECONDS	300	/* an SCT may be this far ahead of kk_now() */
#define CT_LIST_MAX		65535	/* TLS opaque<1..2^16-1> (RFC 6962 3.3) */

/* What a log signs for one certificate (RFC 6962 3.2 PreCert): the SHA-256 of the
 * issuer's SubjectPublicKeyInfo and the TBSCertificate without the poison (a
 * precertificate) or without the SCT list (a final certificate). */
typedef struct ct_entry {
	unsigned char issuer_key_hash[32];
	unsigned char *tbs;	/* owned (OPENSSL_malloc) */
	size_t tbs_len;
} ct_entry;

/* A parsed SerializedSCT v1 (RFC 6962 3.2); ext and sig borrow from the bytes parsed. */
typedef struct ct_sct {
	unsigned char log_id[32];
	uint64_t timestamp;	/* milliseconds since the epoch */
	const unsigned char *ext;
	size_t ext_len;
	unsigned char hash_alg;	/* TLS HashAlgorithm, sha256 = 4 (RFC 5246 7.4.1.4.1) */
	unsigned char sig_alg;	/* TLS SignatureAlgorithm, rsa = 1, ecdsa = 3 */
	const unsigned char *sig;
	size_t sig_len;
} ct_sct;

/* Fills e for cert issued by issuer, cutting the extension nid (NID_ct_precert_poison or
 * NID_ct_precert_scts), which must be there exactly once. Free with ct_entry_free. */
int ct_entry_init(ct_entry *e, const X509 *cert, const X509 *issuer, int nid, kk_err *err);
/* Frees what e owns; accepts NULL. */
void ct_entry_free(ct_entry *e);

/* Parses one SerializedSCT (der, len, borrowed by *out). NULL or the reason it is bad
 * (a static string). */
const char *ct_sct_parse(const unsigned char *der, size_t len, ct_sct *out);
/* Checks a parsed SCT from log for e: log ID, timestamp not ahead of kk_now() by more
 * than CT_MAX_SKEW_SECONDS, signature with the log's key over the precert_entry.
 * NULL or the reason (a static string). */
const char *ct_sct_check(const kk_ct_log *log, const ct_sct *sct, const ct_entry *e);
/* The SerializedSCT of an add-pre-chain answer (RFC 6962 4.1: sct_version, id,
 * timestamp, extensions, signature). *der is the caller's (free). NULL or the reason. */
const char *ct_sct_from_json(const json_t *answer, unsigned char **der, size_t *len);

#endif
