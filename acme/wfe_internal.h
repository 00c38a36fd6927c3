/* Shared between acme/wfe*.c only. */
#ifndef KAKUIN_WFE_INTERNAL_H
#define KAKUIN_WFE_INTERNAL_H

#include <stdint.h>
#include <jansson.h>
#include "jws.h"
#include "wfe.h"

struct kk_wfe {
	kk_ra *ra;
	char default_base[256];
};

/* One POST request after authentication (RFC 8555 6.2). */
typedef struct kk_wfe_ctx {
	kk_wfe *w;
	const kk_http_req *req;
	kk_http_resp *resp;
	char base[300];        /* "https://host:port" */
	kk_jws *jws;
	json_t *payload;       /* parsed payload (NULL for POST-as-GET) */
	kk_account acct;       /* the kid's account (id 0 for jwk requests) */
} kk_wfe_ctx;

/* Response helpers: take ownership of body/json. */
void kk_wfe_json(kk_http_resp *resp, int status, json_t *body);
int kk_wfe_header(kk_http_resp *resp, const char *name, char *value);
/* Parses "/prefix/<int>[suffix]" ids: 0 ok, -1 not a match. */
int kk_wfe_path_id(const char *path, const char *prefix, const char *suffix, int64_t *id);

/* Resource handlers (acme/wfe_res.c); each returns 0 or -1 with err set. */
int kk_wfe_new_account(kk_wfe_ctx *c, kk_err *err);
int kk_wfe_account(kk_wfe_ctx *c, int64_t id, kk_err *err);
int kk_wfe_account_orders(kk_wfe_ctx *c, int64_t id, kk_err *err);
int kk_wfe_key_change(kk_wfe_ctx *c, kk_err *err);
int kk_wfe_new_order(kk_wfe_ctx *c, kk_err *err);
int kk_wfe_order(kk_wfe_ctx *c, int64_t id, kk_err *err);
int kk_wfe_finalize(kk_wfe_ctx *c, int64_t id, kk_err *err);
int kk_wfe_authz(kk_wfe_ctx *c, int64_t id, kk_err *err);
int kk_wfe_challenge(kk_wfe_ctx *c, int64_t id, kk_err *err);
int kk_wfe_cert(kk_wfe_ctx *c, const char *serial, kk_err *err);
/* acme/wfe_revoke.c */
int kk_wfe_revoke_cert(kk_wfe_ctx *c, kk_err *err);
/* GET /acme/renewal-info/<certID> (RFC 9773 4), unauthenticated. */
int kk_wfe_renewal_info(kk_wfe_ctx *c, const char *cert_id, kk_err *err);

#endif
