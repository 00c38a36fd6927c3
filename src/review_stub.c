/* TEMPORARY until wip-review lands */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include "kakuin/review.h"
struct kk_review { kk_store *st; };
int kk_review_open(kk_review **out, kk_store *st, const kk_policy *pol, const char *docs_dir, kk_err *err)
{ (void)pol; (void)docs_dir; (void)err; *out = calloc(1, sizeof(**out)); (*out)->st = st; return 0; }
void kk_review_close(kk_review *rv) { free(rv); }
int kk_review_org_issuable(kk_review *rv, int64_t org_id, time_t now, kk_err *why)
{ (void)rv; (void)now; if (org_id == 1) return 1; kk_err_set(why, KK_ERR_UNAUTHORIZED, "stub"); return 0; }
int kk_review_org_get(kk_review *rv, int64_t id, kk_orgrec *out, kk_err *err)
{
	kk_org o;
	memset(out, 0, sizeof(*out));
	if (kk_store_org_get(rv->st, id, &o, err) != 0) return -1;
	out->id = id; snprintf(out->name, sizeof(out->name), "%s", o.name); snprintf(out->unit, sizeof(out->unit), "%s", o.unit ? o.unit : "");
	snprintf(out->locality, sizeof(out->locality), "%s", o.locality); snprintf(out->state, sizeof(out->state), "%s", o.state);
	strcpy(out->status, "approved"); kk_org_clear(&o); return 0;
}
int kk_review_eab_key(kk_review *rv, const char *kid, unsigned char key[64], size_t *key_len, int64_t *org_id, kk_err *err)
{ (void)rv; (void)kid; (void)key; (void)key_len; (void)org_id; return kk_err_set(err, KK_ERR_UNAUTHORIZED, "unknown EAB key id"); }
int kk_review_task_phone(kk_review *rv, int64_t challenge_id, const char *domain, const char *phone, const char *random_value, const char *br_method, int64_t *id, kk_err *err)
{ (void)rv; (void)challenge_id; (void)domain; (void)phone; (void)random_value; (void)br_method; *id = 1; (void)err; return 0; }
