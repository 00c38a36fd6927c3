/* Pre-issuance lint of subscriber certificates (BR 4.3.1.2, SC-075): the certificate,
 * signed with a throwaway key, is checked against CP table 7.1-1 and RFC 5280/BR basics
 * before the token is asked to sign its TBS. Shared by src/ca*.c only. */
#ifndef KAKUIN_LINT_CERT_H
#define KAKUIN_LINT_CERT_H

#include <time.h>
#include <openssl/x509.h>
#include "kakuin/err.h"
#include "kakuin/policy.h"

/* What is being linted (RFC 6962 3.1): a certificate without CT, a precertificate (the
 * critical poison extension), or a certificate with its embedded SCT list. */
typedef enum kk_lint_kind {
	KK_LINT_PLAIN,
	KK_LINT_PRECERT,
	KK_LINT_FINAL_CT,
} kk_lint_kind;

typedef struct kk_lint_ctx {
	const kk_policy *pol;
	X509 *issuing;             /* the issuing CA certificate */
	time_t issuing_not_after;
	const char *const *names;  /* the order's names; names[0] is the CN */
	size_t n_names;
	time_t not_before;         /* as planned */
	kk_lint_kind kind;
} kk_lint_ctx;

/* Parses der (a throwaway-signed Certificate) and checks every rule; -1 with a
 * KK_ERR_INTERNAL "lint: <rule> (<source>)" detail at the first broken rule. */
int lint_cert(const kk_lint_ctx *ctx, const unsigned char *der, long len, kk_err *err);
/* ASN1_TIME as time_t (UTC). -1 on bad input. */
int lint_asn1_time(const ASN1_TIME *t, time_t *out);

#endif
