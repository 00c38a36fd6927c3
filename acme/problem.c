/* RFC 8555 6.7: the one place where error kinds become problem types and HTTP status. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "kakuin/metrics.h"
#include "kakuin/util.h"
#include "wfe.h"

#define KK_UNAVAILABLE_RETRY_AFTER "10"  /* seconds before a transient fault is retried */

void
kk_problem_of(kk_errkind kind, const char **type, int *status)
{
	*status = 400;
	*type = kk_err_name(kind);
	switch (kind) {
	case KK_ERR_UNAUTHORIZED:
		*status = 403;
		break;
	case KK_ERR_NOT_FOUND:
		*type = "malformed";
		*status = 404;
		break;
	case KK_ERR_METHOD_NOT_ALLOWED:
		*type = "malformed";
		*status = 405;
		break;
	case KK_ERR_CONFLICT:
		*type = "malformed";
		*status = 409;
		break;
	case KK_ERR_ALREADY_REPLACED:
		*status = 409;
		break;
	case KK_ERR_TOO_LARGE:
		*type = "malformed";
		*status = 413;
		break;
	case KK_ERR_UNSUPPORTED_MEDIA:
		*type = "malformed";
		*status = 415;
		break;
	case KK_ERR_ORDER_NOT_READY:
		*status = 403;
		break;
	case KK_ERR_RATE_LIMITED:
		*status = 429;
		break;
	case KK_ERR_USER_ACTION_REQUIRED:
		*status = 403;
		break;
	case KK_ERR_MALFORMED:
	case KK_ERR_BAD_NONCE:
	case KK_ERR_BAD_SIGNATURE_ALG:
	case KK_ERR_BAD_CSR:
	case KK_ERR_BAD_PUBLIC_KEY:
	case KK_ERR_ACCOUNT_DOES_NOT_EXIST:
	case KK_ERR_REJECTED_IDENTIFIER:
	case KK_ERR_UNSUPPORTED_IDENTIFIER:
	case KK_ERR_INVALID_CONTACT:
	case KK_ERR_UNSUPPORTED_CONTACT:
	case KK_ERR_CONNECTION:
	case KK_ERR_INCORRECT_RESPONSE:
	case KK_ERR_DNS:
	case KK_ERR_CAA:
	case KK_ERR_TLS:
	case KK_ERR_ALREADY_REVOKED:
	case KK_ERR_BAD_REVOCATION_REASON:
	case KK_ERR_EXTERNAL_ACCOUNT_REQUIRED:
	case KK_ERR_INVALID_PROFILE:
		break;
	case KK_ERR_UNAVAILABLE:
		*type = "serverInternal";
		*status = 503;
		break;
	case KK_OK:
	case KK_ERR_INTERNAL:
	default:
		*type = "serverInternal";
		*status = 500;
		break;
	}
}

void
kk_problem_resp(const kk_err *err, kk_http_resp *resp)
{
	const char *type;
	int status;
	json_t *o;
	char *s;

	kk_problem_of(err->kind, &type, &status);
	if (status == 500 || status == 503) {
		kk_log("error", "wfe", "serverInternal: %s", err->detail);
		kk_metric_inc(KK_M_SERVER_INTERNAL);
	}
	o = json_pack("{s:s+,s:s,s:i}", "type", "urn:ietf:params:acme:error:", type, "detail",
	    err->detail[0] ? err->detail : type, "status", status);
	s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	free(resp->body);
	resp->body = s ? kk_strdup(s) : NULL;
	free(s);
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	resp->status = status;
	resp->content_type = "application/problem+json";
	/* RFC 9110 10.2.3: when to try a transient failure again */
	if (status == 503)
		kk_wfe_header(resp, "Retry-After", kk_strdup(KK_UNAVAILABLE_RETRY_AFTER));
}
