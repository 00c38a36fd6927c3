/* TEMPORARY until the VA branch lands */
#include <string.h>
#include <stdio.h>
#include "kakuin/va.h"
int kk_va_validate(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res, kk_err *err)
{
	memset(res, 0, sizeof(*res));
	if (strcmp(ch->type, "http-01") == 0) {
		snprintf(res->checked, sizeof(res->checked), "http://%s/.well-known/acme-challenge/%s", ch->domain, ch->token);
		return kk_va_http01(cfg, ch->domain, ch->token, ch->key_authz, err);
	}
	return kk_err_set(err, KK_ERR_MALFORMED, "no");
}
int kk_va_caa_check(const kk_va_cfg *cfg, const kk_caa_req *req, int *dnssec, kk_err *err)
{ (void)cfg; (void)req; (void)err; if (dnssec) *dnssec = 0; return 0; }
int kk_va_dnssec_probe(const kk_va_cfg *cfg, const char *name, kk_err *err)
{ (void)cfg; (void)name; return kk_err_set(err, KK_ERR_DNS, "stub"); }
