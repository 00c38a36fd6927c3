/* EAB keys bound to organizations (RFC 8555 7.3.4) and reviewer tasks: phone validations
 * (BR 3.2.2.4.16/.17) and orders held for review (include/kakuin/review.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include "kakuin/clock.h"
#include "kakuin/store_review.h"
#include "kakuin/util.h"
#include "review_internal.h"

#define KID_BYTES 18  /* 24 base64url characters */
#define KEY_BYTES 32  /* 43 base64url characters */

/* ---- EAB keys ---- */

static int
check_kid(const char *kid, kk_err *err)
{
	size_t len = kid != NULL ? strnlen(kid, 40) : 0;

	if (len == 0 || len >= 40 || strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") != len)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "unknown EAB key id");
	return 0;
}

/* Admin only. The key is handed out once, here; the store keeps it to verify MACs. */
int
kk_review_eab_create(kk_review *rv, int64_t actor, int64_t org_id, char kid[40],
    char hmac_key[64], kk_err *err)
{
	unsigned char kb[KID_BYTES], key[KEY_BYTES];
	char who[64], obj[64], detail[32], *k = NULL, *h = NULL;
	kk_orgrec o;
	kk_auditrec a;
	int rc = -1;

	if (review_actor(rv, actor, 0, KK_ROLE_ADMIN, who, err) != 0 ||
	    kk_review_org_get(rv, org_id, &o, err) != 0)
		return -1;
	/* drawn again while base64url would start with '-' (first six bits 62): certbot
	 * and lego would take "--eab-kid -x..." / "--hmac -x..." for an option */
	do {
		if (kk_random(kb, sizeof(kb)) != 0 || kk_random(key, sizeof(key)) != 0) {
			kk_err_set(err, KK_ERR_INTERNAL, "no randomness");
			goto out;
		}
	} while (kb[0] >> 2 == 62 || key[0] >> 2 == 62);
	if (kk_b64url_encode(kb, sizeof(kb), &k) != 0 ||
	    kk_b64url_encode(key, sizeof(key), &h) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(obj, sizeof(obj), "eab %s", k);
	snprintf(detail, sizeof(detail), "org %lld", (long long)org_id);
	a = (kk_auditrec){ kk_now(), who, "eab.create", obj, detail };
	if (kk_store_eab_add(rv->st, k, h, org_id, &a, err) != 0)
		goto out;
	snprintf(kid, 40, "%s", k);
	snprintf(hmac_key, 64, "%s", h);
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (h != NULL)
		OPENSSL_cleanse(h, strlen(h));
	free(k);
	free(h);
	return rc;
}

int
kk_review_eab_revoke(kk_review *rv, int64_t actor, const char *kid, kk_err *err)
{
	char who[64], obj[64];
	kk_auditrec a;

	if (review_actor(rv, actor, 0, KK_ROLE_ADMIN, who, err) != 0)
		return -1;
	if (check_kid(kid, err) != 0)
		return kk_err_set(err, KK_ERR_NOT_FOUND, "unknown EAB key id");
	snprintf(obj, sizeof(obj), "eab %s", kid);
	a = (kk_auditrec){ kk_now(), who, "eab.revoke", obj, NULL };
	return kk_store_eab_revoke(rv->st, kid, &a, err);
}

/* Caller frees *out. */
int
kk_review_eab_list(kk_review *rv, int64_t org_id, kk_eab **out, size_t *n, kk_err *err)
{
	return kk_store_eab_list(rv->st, org_id, out, n, err);
}

int
kk_review_eab_key(kk_review *rv, const char *kid, unsigned char key[64], size_t *key_len,
    int64_t *org_id, kk_err *err)
{
	unsigned char *raw = NULL;
	char b64[64];
	size_t len = 0;
	int64_t org = 0;
	kk_err e;
	int rc = -1;

	if (check_kid(kid, err) != 0)
		return -1;
	if (kk_store_eab_use(rv->st, kid, kk_now(), b64, &org, &e) != 0) {
		if (e.kind == KK_ERR_NOT_FOUND)
			return kk_err_set(err, KK_ERR_UNAUTHORIZED, "unknown EAB key id");
		if (e.kind == KK_ERR_CONFLICT)
			return kk_err_set(err, KK_ERR_UNAUTHORIZED, "EAB key %s was revoked", kid);
		*err = e;
		return -1;
	}
	if (kk_b64url_decode(b64, strlen(b64), &raw, &len) != 0 || len == 0 || len > 64) {
		kk_err_set(err, KK_ERR_INTERNAL, "EAB key %s is stored badly", kid);
		goto out;
	}
	memcpy(key, raw, len);
	*key_len = len;
	*org_id = org;
	rc = 0;
out:
	if (raw != NULL)
		OPENSSL_cleanse(raw, len);
	free(raw);
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

/* ---- tasks ---- */

/* Finishes the phone task's challenge with the outcome a person recorded: valid with the
 * validation record (BR method of the task, the number called and by whom) or invalid
 * with an unauthorized problem carrying the note. */
static int
finish_challenge(kk_review *rv, const kk_task *t, int success, const char *note,
    const char *by, kk_err *err)
{
	const kk_policy *pol = rv->pol;
	time_t now = kk_now();
	json_t *p = NULL;
	char checked[200], *problem = NULL;
	kk_valrec rec;
	int rc = -1;

	snprintf(checked, sizeof(checked), "phone %s (called by %s)", t->phone, by);
	rec = (kk_valrec){ t->br_method, pol->br_version, checked, NULL, 0 };
	if (!success) {
		p = json_pack("{s:s,s:s+,s:i}", "type", "urn:ietf:params:acme:error:unauthorized",
		    "detail", "phone validation failed: ", note ? note : "", "status", 403);
		if (p == NULL || (problem = json_dumps(p, JSON_COMPACT)) == NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
			goto out;
		}
	}
	rc = kk_store_challenge_finish(rv->st, t->challenge_id, success, now,
	    now + (time_t)kk_schedule_days(&pol->authz_reuse, now) * 86400, &rec, problem, err);
out:
	json_decref(p);
	free(problem);
	return rc;
}

/* A done phone task whose challenge is still processing: the process stopped between
 * the two steps of kk_review_task_complete. Finishes it from the recorded outcome. */
static int
task_resume(kk_review *rv, int64_t id, kk_err *err)
{
	kk_challenge c;
	kk_task t;
	int rc;

	memset(&c, 0, sizeof(c));
	if (kk_store_task_get(rv->st, id, &t, err) != 0)
		return -1;
	if (strcmp(t.status, "done") != 0)
		return 0;
	if (kk_store_challenge_get(rv->st, t.challenge_id, &c, err) != 0)
		return -1;
	rc = 0;
	if (strcmp(c.status, "processing") == 0)
		rc = finish_challenge(rv, &t, strcmp(t.outcome, "success") == 0, t.note,
		    t.done_by_name, err);
	kk_challenge_clear(&c);
	return rc;
}

/* Idempotent per challenge. Also completes the second step of a task completion that
 * was interrupted (the validation worker calls this again for processing challenges). */
int
kk_review_task_phone(kk_review *rv, int64_t challenge_id, const char *domain,
    const char *phone, const char *random_value, const char *br_method, int64_t *id,
    kk_err *err)
{
	char detail[512];
	kk_auditrec a;
	kk_task t;
	int created = 0;

	memset(&t, 0, sizeof(t));
	if (review_text("domain", domain, sizeof(t.domain), 1, err) != 0 ||
	    review_text("phone", phone, sizeof(t.phone), 1, err) != 0 ||
	    review_text("random value", random_value, sizeof(t.random_value), 1, err) != 0 ||
	    review_text("BR method", br_method, sizeof(t.br_method), 1, err) != 0)
		return -1;
	t.challenge_id = challenge_id;
	snprintf(t.domain, sizeof(t.domain), "%s", domain);
	snprintf(t.phone, sizeof(t.phone), "%s", phone);
	snprintf(t.random_value, sizeof(t.random_value), "%s", random_value);
	snprintf(t.br_method, sizeof(t.br_method), "%s", br_method);
	snprintf(detail, sizeof(detail), "call %s for %s (challenge %lld, BR %s)", phone,
	    domain, (long long)challenge_id, br_method);
	a = (kk_auditrec){ kk_now(), "system", "task.create", NULL, detail };
	if (kk_store_task_phone(rv->st, &t, &a, id, &created, err) != 0)
		return -1;
	return created ? 0 : task_resume(rv, *id, err);
}

/* status: NULL, "open" or "done". Caller frees *out. */
int
kk_review_task_list(kk_review *rv, const char *status, kk_task **out, size_t *n,
    kk_err *err)
{
	if (status != NULL && strcmp(status, "open") != 0 && strcmp(status, "done") != 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "task status must be open or done");
	return kk_store_task_list(rv->st, status, out, n, err);
}

int
kk_review_task_get(kk_review *rv, int64_t id, kk_task *out, kk_err *err)
{
	return kk_store_task_get(rv->st, id, out, err);
}

/* A phone task must find its challenge processing (the validation worker leaves it so). */
static int
check_challenge(kk_review *rv, const kk_task *t, kk_err *err)
{
	kk_challenge c;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	if (kk_store_challenge_get(rv->st, t->challenge_id, &c, err) != 0)
		return -1;
	if (strcmp(c.status, "processing") != 0)
		rc = kk_err_set(err, KK_ERR_UNAUTHORIZED, "task %lld: challenge %lld is %s, not "
		    "waiting for the call", (long long)t->id, (long long)t->challenge_id,
		    c.status);
	kk_challenge_clear(&c);
	return rc;
}

/*
 * Two steps, because kk_store_challenge_finish runs its own transaction: first the task
 * (compare-and-set open -> done with its audit row: the person's decision is recorded
 * and no second reviewer can decide the same task), then the challenge and its
 * authorization. If the second step fails the task is reopened; if the process stops
 * between the two, kk_review_task_phone finishes the challenge from the recorded outcome.
 */
int
kk_review_task_complete(kk_review *rv, int64_t actor, int64_t id, int success,
    const char *note, kk_err *err)
{
	char who[64], obj[32], detail[512];
	kk_auditrec a;
	kk_task t;
	kk_err e;

	if (review_actor(rv, actor, 0, KK_ROLE_REVIEWER, who, err) != 0 ||
	    review_text("note", note, sizeof(t.note), !success, err) != 0 ||
	    kk_store_task_get(rv->st, id, &t, err) != 0)
		return -1;
	if (strcmp(t.status, "open") != 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "task %lld is done already (%s by %s)",
		    (long long)id, t.outcome, t.done_by_name);
	if (strcmp(t.kind, "phone") == 0 && check_challenge(rv, &t, err) != 0)
		return -1;
	snprintf(obj, sizeof(obj), "task %lld", (long long)id);
	snprintf(detail, sizeof(detail), "%s%s%s", success ? "success" : "failure",
	    note && *note ? ": " : "", note ? note : "");
	a = (kk_auditrec){ kk_now(), who, "task.complete", obj, detail };
	if (kk_store_task_complete(rv->st, id, actor, success ? "success" : "failure", note, &a,
	    err) != 0) {
		if (err != NULL && err->kind == KK_ERR_CONFLICT)
			err->kind = KK_ERR_UNAUTHORIZED;
		return -1;
	}
	/* an accepted order task accepts its domains; kk_review_order_check does it again if
	 * this step is lost */
	if (strcmp(t.kind, "order") == 0 && success &&
	    kk_store_org_domains_add(rv->st, t.org_id, t.domain, t.id, kk_now(), &e) != 0)
		kk_log("error", "review", "task %lld: %s", (long long)id, e.detail);
	if (strcmp(t.kind, "phone") != 0 || finish_challenge(rv, &t, success, note, who, err) == 0)
		return 0;
	snprintf(detail, sizeof(detail), "challenge %lld not finished: %.400s",
	    (long long)t.challenge_id, err != NULL ? err->detail : "");
	a = (kk_auditrec){ kk_now(), who, "task.reopen", obj, detail };
	if (kk_store_task_reopen(rv->st, id, &a, &e) != 0)
		kk_log("error", "review", "task %lld: %s; reopening failed: %s", (long long)id,
		    detail, e.detail);
	return -1;
}
