/* RA: orders, authorizations, challenges and finalization (RFC 8555 7.4, 7.5). */
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "kakuin/clock.h"
#include "kakuin/metrics.h"
#include "kakuin/names.h"
#include "kakuin/util.h"
#include "ra_internal.h"

#define DAY 86400

/* Normalised identifiers of a newOrder payload as a JSON array; KK_ERR_* on bad input. */
static json_t *
parse_identifiers(json_t *payload, kk_err *err)
{
	json_t *ids = json_object_get(payload, "identifiers"), *out = NULL, *v, *w;
	size_t i, j;

	if (!json_is_array(ids) || json_array_size(ids) == 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "newOrder needs a non-empty identifiers array");
		return NULL;
	}
	if (json_array_size(ids) > KK_MAX_ORDER_NAMES) {
		kk_err_set(err, KK_ERR_REJECTED_IDENTIFIER, "at most %d identifiers per order",
		    KK_MAX_ORDER_NAMES);
		return NULL;
	}
	if ((out = json_array()) == NULL)
		goto oom;
	json_array_foreach(ids, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *value = json_string_value(json_object_get(v, "value"));
		const char *why;
		char name[300];
		int dup = 0;

		if (type == NULL || value == NULL) {
			kk_err_set(err, KK_ERR_MALFORMED, "identifier %zu needs string type and value", i);
			goto fail;
		}
		if (strcmp(type, "dns") != 0) {
			kk_err_set(err, KK_ERR_UNSUPPORTED_IDENTIFIER,
			    "identifier type \"%.20s\" is not supported; only dns", type);
			goto fail;
		}
		if (strlen(value) >= sizeof(name)) {
			kk_err_set(err, KK_ERR_REJECTED_IDENTIFIER, "name is too long");
			goto fail;
		}
		strcpy(name, value);
		kk_str_lower(name);
		/* RFC 8555 7.1.3 wildcards, and the lint's own name rule (BR 4.2.2, 7.1.2.7.12):
		 * a name the lint would refuse at finalize is refused here */
		if ((why = kk_dns_name_problem(name)) != NULL) {
			kk_err_set(err, KK_ERR_REJECTED_IDENTIFIER, "\"%.255s\" %s", name, why);
			goto fail;
		}
		json_array_foreach(out, j, w)
			if (strcmp(json_string_value(json_object_get(w, "value")), name) == 0)
				dup = 1;
		if (!dup && json_array_append_new(out, json_pack("{s:s,s:s}", "type", "dns", "value",
		    name)) != 0)
			goto oom;
	}
	return out;
oom:
	kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
fail:
	json_decref(out);
	return NULL;
}

static int order_effective(kk_ra *ra, kk_order *o, kk_err *err);

/* Every challenge type kakuin can validate, in the order offered; the policy decides
 * which are offered (kk_policy_challenge_usable). */
static const char *const offer_order[] = {
	"http-01", "dns-01", "dns-account-01", "dns-persist-01", "dns-cname-01", "dns-caa-01",
	"phone-txt-01", "phone-caa-01",
};

/* BR 4.2.1 reuse of this account's own authorization for the name, else the ADN rule
 * (BR 3.2.2.4.7): a valid parent validated by a DNS method covers it. Sets
 * s->existing_id or s->covered_by when one applies. */
static int
authz_reuse(kk_ra *ra, const kk_account *acct, kk_authz_spec *s, time_t now,
    time_t reuse_after, kk_err *err)
{
	kk_err e;

	if (kk_store_authz_find_reusable(ra->store, acct->id, s->value, s->wildcard, now,
	    reuse_after, &s->existing_id, &e) == 0)
		return 0;
	s->existing_id = 0;
	if (e.kind == KK_ERR_NOT_FOUND && kk_store_authz_find_covering(ra->store, acct->id,
	    s->value, s->wildcard, now, reuse_after, &s->covered_by, &e) == 0)
		return 0;
	s->covered_by = 0;
	if (e.kind == KK_ERR_NOT_FOUND)
		return 0;
	*err = e;
	return -1;
}

int
kk_ra_new_order(kk_ra *ra, const kk_account *acct, json_t *payload, kk_order *out, kk_err *err)
{
	const kk_policy *pol = &ra->cfg.policy;
	json_t *ids = NULL, *v;
	kk_authz_spec specs[KK_MAX_ORDER_NAMES];
	char replaces[41] = "";
	char *tokens[KK_MAX_ORDER_NAMES][KK_MAX_CHALLENGES];
	size_t i, j, n = 0;
	time_t now = kk_now();
	time_t reuse_after = now - (time_t)kk_schedule_days(&pol->authz_reuse, now) * DAY;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(tokens, 0, sizeof(tokens));
	if (!json_is_object(payload))
		return kk_err_set(err, KK_ERR_MALFORMED, "newOrder payload must be a JSON object");
	if (json_object_get(payload, "notBefore") || json_object_get(payload, "notAfter"))
		return kk_err_set(err, KK_ERR_MALFORMED,
		    "notBefore and notAfter are not supported: validity follows the CP and BR");
	/* RFC 9773 5: a renewal names the certificate it replaces */
	if ((v = json_object_get(payload, "replaces")) != NULL && (!json_is_string(v) ||
	    ra_replaces(ra, acct, json_string_value(v), replaces, err) != 0))
		return json_is_string(v) ? -1 : kk_err_set(err, KK_ERR_MALFORMED,
		    "\"replaces\" must be a certID string");
	/* draft-aaron-acme-profiles: a profile the directory lists, or the policy default */
	if ((v = json_object_get(payload, "profile")) != NULL && (!json_is_string(v) ||
	    kk_policy_profile(pol, json_string_value(v)) == NULL))
		return kk_err_set(err, KK_ERR_INVALID_PROFILE, "profile %.40s is not offered: "
		    "see the directory's meta.profiles", json_is_string(v) ?
		    json_string_value(v) : "(not a string)");
	snprintf(out->profile, sizeof(out->profile), "%s", v != NULL ? json_string_value(v) :
	    pol->default_profile);
	snprintf(out->replaces, sizeof(out->replaces), "%s", replaces);
	if ((ids = parse_identifiers(payload, err)) == NULL)
		return -1;
	memset(specs, 0, sizeof(specs));
	json_array_foreach(ids, i, v) {
		kk_authz_spec *s = &specs[n++];
		const char *name = json_string_value(json_object_get(v, "value"));

		s->wildcard = strncmp(name, "*.", 2) == 0;
		s->value = s->wildcard ? name + 2 : name;
		if (authz_reuse(ra, acct, s, now, reuse_after, err) != 0)
			goto out;
		if (s->existing_id > 0 || s->covered_by > 0)
			continue;
		s->expires = now + (time_t)pol->pending_authz_lifetime_days * DAY;
		for (j = 0; j < sizeof(offer_order) / sizeof(offer_order[0]); j++) {
			if (!kk_policy_challenge_usable(pol, offer_order[j], s->wildcard, now))
				continue;
			/* CP 3.2.7 / RFC 8555 8.1: a fresh random value of 256 bits per challenge */
			if ((tokens[i][s->n_chall] = kk_random_token(32)) == NULL) {
				kk_err_set(err, KK_ERR_INTERNAL, "cannot generate a random token");
				goto out;
			}
			s->chall_types[s->n_chall] = offer_order[j];
			s->chall_tokens[s->n_chall] = tokens[i][s->n_chall];
			s->n_chall++;
		}
		if (s->n_chall == 0) {
			kk_err_set(err, KK_ERR_REJECTED_IDENTIFIER, "%s%s: no validation method is "
			    "available for this name under the CA's policy", s->wildcard ? "*." : "",
			    s->value);
			goto out;
		}
	}
	out->account_id = acct->id;
	strcpy(out->status, "pending");
	out->expires = now + (time_t)pol->order_lifetime_days * DAY;
	if ((out->identifiers = json_dumps(ids, JSON_COMPACT)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (kk_store_order_create(ra->store, out, specs, n, err) != 0)
		goto out;
	/* RFC 8555 7.1.6: an order whose authorizations are all reused is ready at once */
	if (order_effective(ra, out, err) != 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < KK_MAX_ORDER_NAMES; i++)
		for (j = 0; j < KK_MAX_CHALLENGES; j++)
			free(tokens[i][j]);
	json_decref(ids);
	if (rc != 0)
		kk_order_clear(out);
	return rc;
}

/* Effective authz status: a pending or valid authorization past its expiry is expired. */
static void
authz_effective(kk_authz *a, time_t now)
{
	if ((strcmp(a->status, "pending") == 0 || strcmp(a->status, "valid") == 0) &&
	    a->expires <= now)
		strcpy(a->status, "expired");
}

int
kk_ra_authz(kk_ra *ra, const kk_account *acct, int64_t id, kk_authz *out, kk_err *err)
{
	if (kk_store_authz_get(ra->store, id, out, err) != 0)
		return -1;
	if (out->account_id != acct->id) {
		kk_authz_clear(out);
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "authorization belongs to another account");
	}
	authz_effective(out, kk_now());
	return 0;
}

/* A processing order is held while its account's organization is not approved (CP 3.2.2;
 * kk_ra_issue leaves it so and the sweeper issues it later). */
static int
order_held(kk_ra *ra, kk_order *o, time_t now, kk_err *err)
{
	kk_account acct;
	kk_err why;

	memset(&acct, 0, sizeof(acct));
	if (kk_store_account_get(ra->store, o->account_id, &acct, err) != 0)
		return -1;
	o->held = ra_gate(ra, o, acct.org_id, now, &why) == 0;
	kk_account_clear(&acct);
	return 0;
}

/* RFC 8555 7.1.6: pending orders become ready when every authorization is valid, and
 * invalid when one fails or the order expires. */
static int
order_effective(kk_ra *ra, kk_order *o, kk_err *err)
{
	time_t now = kk_now();
	int all_valid = 1;
	size_t i;

	if (strcmp(o->status, "processing") == 0)
		return order_held(ra, o, now, err);
	if (strcmp(o->status, "pending") != 0)
		return 0;
	if (o->expires <= now) {
		strcpy(o->status, "invalid");
		return 0;
	}
	for (i = 0; i < o->n_authz; i++) {
		kk_authz a;

		if (kk_store_authz_get(ra->store, o->authz_ids[i], &a, err) != 0)
			return -1;
		authz_effective(&a, now);
		if (strcmp(a.status, "valid") != 0)
			all_valid = 0;
		if (strcmp(a.status, "pending") != 0 && strcmp(a.status, "valid") != 0) {
			strcpy(o->status, "invalid");
			kk_authz_clear(&a);
			return 0;
		}
		kk_authz_clear(&a);
	}
	if (all_valid)
		strcpy(o->status, "ready");
	return 0;
}

int
kk_ra_order(kk_ra *ra, const kk_account *acct, int64_t id, kk_order *out, kk_err *err)
{
	if (kk_store_order_get(ra->store, id, out, err) != 0)
		return -1;
	if (out->account_id != acct->id) {
		kk_order_clear(out);
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "order belongs to another account");
	}
	if (order_effective(ra, out, err) != 0) {
		kk_order_clear(out);
		return -1;
	}
	return 0;
}

int
kk_ra_deactivate_authz(kk_ra *ra, const kk_account *acct, int64_t id, kk_err *err)
{
	kk_authz a;
	int rc;

	if (kk_ra_authz(ra, acct, id, &a, err) != 0)
		return -1;
	/* RFC 8555 7.5.2: only pending or valid authorizations can be deactivated */
	if (strcmp(a.status, "pending") != 0 && strcmp(a.status, "valid") != 0) {
		kk_err_set(err, KK_ERR_MALFORMED, "authorization is %s and cannot be deactivated",
		    a.status);
		kk_authz_clear(&a);
		return -1;
	}
	kk_authz_clear(&a);
	rc = kk_store_authz_set_status(ra->store, id, "deactivated", err);
	return rc;
}

int
kk_ra_challenge(kk_ra *ra, const kk_account *acct, const char *acct_uri, int64_t id,
    int respond, kk_challenge *out, kk_err *err)
{
	kk_authz a;
	int start;
	kk_err e;

	if (kk_store_challenge_get(ra->store, id, out, err) != 0)
		return -1;
	if (kk_ra_authz(ra, acct, out->authz_id, &a, err) != 0) {
		kk_challenge_clear(out);
		return -1;
	}
	start = respond && strcmp(out->status, "pending") == 0 &&
	    strcmp(a.status, "pending") == 0;
	kk_authz_clear(&a);
	if (!start)
		return 0;
	if (kk_store_challenge_start(ra->store, id, acct_uri, &e) == 0 &&
	    kk_ra_enqueue(ra, id, &e) != 0)
		kk_log("error", "ra", "challenge %lld: %s", (long long)id, e.detail);
	kk_challenge_clear(out);
	return kk_store_challenge_get(ra->store, id, out, err);
}

int
kk_ra_orders(kk_ra *ra, const kk_account *acct, int64_t **ids, size_t *n, kk_err *err)
{
	return kk_store_orders_by_account(ra->store, acct->id, ids, n, err);
}

/* BR 3.2.2.4.16/.17: a person calls the phone contact the domain publishes. Looks the
 * number up and leaves the challenge processing with a task in the review queue; the
 * reviewer's outcome finishes it (kk_review_task_complete). 0 task queued, -1 err (no
 * number, lookup failure): the challenge fails. */
static int
phone_task(kk_ra *ra, const kk_challenge *c, const kk_authz *a, kk_err *err)
{
	char phones[4][64], list[300] = "";
	const kk_method *m = kk_policy_method(&ra->cfg.policy, c->type);
	size_t n = 0, i;
	int64_t task;

	if (kk_va_phone_contacts(&ra->cfg.va, c->type, a->id_value, phones, 4, &n, err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		    phones[i]);
	if (kk_review_task_phone(ra->review, c->id, a->id_value, list, c->token,
	    m != NULL ? m->br : "", &task, err) != 0)
		return -1;
	kk_log("info", "va", "%s for %s (challenge %lld): reviewer task %lld to call %s",
	    c->type, a->id_value, (long long)c->id, (long long)task, list);
	return 0;
}

/* Hands one challenge to the VA with everything its type needs. */
static int
validate(kk_ra *ra, const kk_challenge *c, const kk_authz *a, const char *keyauth, time_t now,
    kk_va_result *res, kk_err *err)
{
	const kk_policy *pol = &ra->cfg.policy;
	const char *issuers[4];
	kk_va_chall ch;
	size_t i;

	memset(&ch, 0, sizeof(ch));
	for (i = 0; i < pol->n_caa_identities && i < 4; i++)
		issuers[i] = pol->caa_identities[i];
	ch.type = c->type;
	ch.domain = a->id_value;
	ch.wildcard = a->wildcard;
	ch.token = c->token;
	ch.key_authz = keyauth;
	ch.account_uri = c->account_uri != NULL ? c->account_uri : "";
	ch.issuer_domains = issuers;
	ch.n_issuer_domains = i;
	ch.cname_target = pol->dns_cname_target;
	ch.now = now;
	return kk_va_validate(&ra->cfg.va, &ch, res, err);
}

void
kk_ra_validate(kk_ra *ra, int64_t chall_id)
{
	const kk_policy *pol = &ra->cfg.policy;
	const kk_method *m;
	kk_challenge c;
	kk_authz a;
	kk_account acct;
	kk_va_result res;
	kk_valrec rec;
	char *keyauth = NULL, *problem = NULL;
	time_t now = kk_now();
	int ok = 0;
	kk_err e;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	memset(&acct, 0, sizeof(acct));
	memset(&res, 0, sizeof(res));
	memset(&rec, 0, sizeof(rec));
	kk_err_clear(&e);
	if (kk_store_challenge_get(ra->store, chall_id, &c, &e) != 0 ||
	    kk_store_authz_get(ra->store, c.authz_id, &a, &e) != 0 ||
	    kk_store_account_get(ra->store, a.account_id, &acct, &e) != 0) {
		kk_log("error", "ra", "validation of challenge %lld: %s", (long long)chall_id, e.detail);
		goto out;
	}
	if (strcmp(c.status, "processing") != 0)
		goto out;
	/* CP 3.2.7: the random value may be used for at most token_lifetime_days */
	if (now > c.created + (time_t)pol->token_lifetime_days * DAY) {
		kk_err_set(&e, KK_ERR_UNAUTHORIZED, "the random value of this challenge is older than "
		    "%d days (CP 3.2.7); create a new order", pol->token_lifetime_days);
	} else if (a.expires <= now) {
		kk_err_set(&e, KK_ERR_UNAUTHORIZED, "the authorization has expired");
	} else if (!kk_policy_challenge_usable(pol, c.type, a.wildcard, now)) {
		/* BR 3.2.2.4: a method past its sunset (or disabled since) is never used */
		kk_err_set(&e, KK_ERR_UNAUTHORIZED, "challenge type %s may no longer be used under "
		    "the CA's policy; create a new order", c.type);
	} else if (strncmp(c.type, "phone-", 6) == 0) {
		if (phone_task(ra, &c, &a, &e) == 0)
			goto out; /* stays processing until a reviewer records the call */
	} else if ((keyauth = kk_printf("%s.%s", c.token, acct.thumbprint)) == NULL) {
		kk_err_set(&e, KK_ERR_INTERNAL, "out of memory");
	} else {
		ok = validate(ra, &c, &a, keyauth, now, &res, &e) == 0;
	}
	if (!ok && (problem = kk_ra_problem_json(&e)) == NULL) {
		kk_log("error", "ra", "challenge %lld: out of memory", (long long)chall_id);
		goto out;
	}
	kk_log("info", "va", "%s for %s%s (authz %lld, challenge %lld): %s%s%s", c.type,
	    a.wildcard ? "*." : "", a.id_value, (long long)a.id, (long long)chall_id,
	    ok ? "valid, " : e.detail, ok ? res.checked : "",
	    ok ? (res.dnssec == KK_DNSSEC_SECURE ? " (DNSSEC secure)" : " (insecure)") : "");
	/* BR 3.2.2.4: record the method and the BR version used */
	if (ok && (m = kk_policy_method(pol, c.type)) != NULL) {
		rec.br_method = m->br;
		rec.br_version = pol->br_version;
		rec.checked = res.checked;
		rec.dnssec = res.dnssec == KK_DNSSEC_SECURE ? "secure" : "insecure";
		rec.covers_subdomains = res.covers_subdomains;
	}
	if (!ok)
		kk_metric_inc(KK_M_VA_FAILED);
	/* BR 4.2.1: a completed validation may be reused for the reuse period of its date */
	now = kk_now();
	if (kk_store_challenge_finish(ra->store, chall_id, ok, now,
	    now + (time_t)kk_schedule_days(&pol->authz_reuse, now) * DAY, &rec, problem, &e) != 0)
		kk_log("error", "ra", "recording challenge %lld: %s", (long long)chall_id, e.detail);
out:
	free(keyauth);
	free(problem);
	kk_challenge_clear(&c);
	kk_authz_clear(&a);
	kk_account_clear(&acct);
}
