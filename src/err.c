#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include "kakuin/err.h"

int
kk_err_set(kk_err *err, kk_errkind kind, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

void
kk_err_clear(kk_err *err)
{
	if (err == NULL)
		return;
	err->kind = KK_OK;
	err->detail[0] = '\0';
}

const char *
kk_err_name(kk_errkind kind)
{
	static const char *const names[] = {
		[KK_OK] = "ok",
		[KK_ERR_MALFORMED] = "malformed",
		[KK_ERR_UNAUTHORIZED] = "unauthorized",
		[KK_ERR_BAD_NONCE] = "badNonce",
		[KK_ERR_BAD_SIGNATURE_ALG] = "badSignatureAlgorithm",
		[KK_ERR_BAD_CSR] = "badCSR",
		[KK_ERR_BAD_PUBLIC_KEY] = "badPublicKey",
		[KK_ERR_ACCOUNT_DOES_NOT_EXIST] = "accountDoesNotExist",
		[KK_ERR_NOT_FOUND] = "notFound",
		[KK_ERR_ORDER_NOT_READY] = "orderNotReady",
		[KK_ERR_REJECTED_IDENTIFIER] = "rejectedIdentifier",
		[KK_ERR_UNSUPPORTED_IDENTIFIER] = "unsupportedIdentifier",
		[KK_ERR_INVALID_CONTACT] = "invalidContact",
		[KK_ERR_UNSUPPORTED_CONTACT] = "unsupportedContact",
		[KK_ERR_CONNECTION] = "connection",
		[KK_ERR_INCORRECT_RESPONSE] = "incorrectResponse",
		[KK_ERR_DNS] = "dns",
		[KK_ERR_CAA] = "caa",
		[KK_ERR_TLS] = "tls",
		[KK_ERR_RATE_LIMITED] = "rateLimited",
		[KK_ERR_CONFLICT] = "conflict",
		[KK_ERR_METHOD_NOT_ALLOWED] = "methodNotAllowed",
		[KK_ERR_UNSUPPORTED_MEDIA] = "unsupportedMediaType",
		[KK_ERR_TOO_LARGE] = "tooLarge",
		[KK_ERR_ALREADY_REVOKED] = "alreadyRevoked",
		[KK_ERR_INVALID_PROFILE] = "invalidProfile",
		[KK_ERR_ALREADY_REPLACED] = "alreadyReplaced",
		[KK_ERR_BAD_REVOCATION_REASON] = "badRevocationReason",
		[KK_ERR_EXTERNAL_ACCOUNT_REQUIRED] = "externalAccountRequired",
		[KK_ERR_USER_ACTION_REQUIRED] = "userActionRequired",
		[KK_ERR_UNAVAILABLE] = "serverInternal",
		[KK_ERR_INTERNAL] = "serverInternal",
	};

	if ((size_t)kind >= sizeof(names) / sizeof(names[0]) || names[kind] == NULL)
		return "serverInternal";
	return names[kind];
}

void
kk_err_append_openssl(kk_err *err)
{
	unsigned long e;
	size_t used;

	while ((e = ERR_get_error()) != 0) {
		if (err == NULL)
			continue;
		used = strlen(err->detail);
		if (used + 3 >= sizeof(err->detail))
			continue;
		err->detail[used++] = ';';
		err->detail[used++] = ' ';
		ERR_error_string_n(e, err->detail + used, sizeof(err->detail) - used);
	}
}
