/* RA: life cycle, validation workers, accounts (RFC 8555 7.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "ra_internal.h"

char *
kk_ra_problem_json(const kk_err *e)
{
	json_t *o;
	char *s, *out;

	o = json_pack("{s:s+,s:s}", "type", "urn:ietf:params:acme:error:", kk_err_name(e->kind),
	    "detail", e->detail);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	out = kk_strdup(s);
	free(s);
	return out;
}

int
kk_ra_enqueue(kk_ra *ra, int64_t chall_id, kk_err *err)
{
	int rc = -1;

	pthread_mutex_lock(&ra->qmu);
	if (ra->qlen == ra->qcap) {
		size_t ncap = ra->qcap ? ra->qcap * 2 : 64, i;
		int64_t *nq = kk_calloc(ncap, sizeof(*nq));
		if (nq == NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "out of memory queueing a validation");
			goto out;
		}
		for (i = 0; i < ra->qlen; i++)
			nq[i] = ra->queue[(ra->qhead + i) % ra->qcap];
		free(ra->queue);
		ra->queue = nq;
		ra->qhead = 0;
		ra->qcap = ncap;
	}
	ra->queue[(ra->qhead + ra->qlen) % ra->qcap] = chall_id;
	ra->qlen++;
	pthread_cond_signal(&ra->qcv);
	rc = 0;
out:
	pthread_mutex_unlock(&ra->qmu);
	return rc;
}

static void *
worker_main(void *arg)
{
	kk_ra *ra = arg;
	int64_t id;

	for (;;) {
		pthread_mutex_lock(&ra->qmu);
		while (ra->qlen == 0 && !ra->stopping)
			pthread_cond_wait(&ra->qcv, &ra->qmu);
		if (ra->stopping) {
			pthread_mutex_unlock(&ra->qmu);
			return NULL;
		}
		id = ra->queue[ra->qhead];
		ra->qhead = (ra->qhead + 1) % ra->qcap;
		ra->qlen--;
		pthread_mutex_unlock(&ra->qmu);
		kk_ra_validate(ra, id);
		pthread_mutex_lock(&ra->qmu);
		ra->done_seq++;
		pthread_cond_broadcast(&ra->done_cv);
		pthread_mutex_unlock(&ra->qmu);
	}
}

int
kk_ra_await(kk_ra *ra, unsigned *seq, int max_ms)
{
	struct timespec until;
	int got = 0;

	pthread_mutex_lock(&ra->qmu);
	if (*seq == 0) {
		*seq = ra->done_seq;
		pthread_mutex_unlock(&ra->qmu);
		return 1;
	}
	/* a few request threads at most: the others keep serving */
	if (ra->awaiting < KK_RA_MAX_AWAITING) {
		ra->awaiting++;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)max_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!ra->stopping && ra->done_seq == *seq &&
		    pthread_cond_timedwait(&ra->done_cv, &ra->qmu, &until) == 0)
			;
		got = ra->done_seq != *seq;
		*seq = ra->done_seq;
		ra->awaiting--;
	}
	pthread_mutex_unlock(&ra->qmu);
	return got;
}

/* After a crash: challenges that were processing are validated again (the random value
 * is still within its lifetime or the validation fails), orders that were processing
 * are issued (a planned TBS is signed as planned) or failed. */
static void
recover(kk_ra *ra)
{
	int64_t *ids = NULL;
	size_t n = 0, i;
	kk_err e;

	if (kk_store_challenges_processing(ra->store, &ids, &n, &e) == 0) {
		for (i = 0; i < n; i++)
			if (kk_ra_enqueue(ra, ids[i], &e) != 0)
				kk_log("error", "ra", "recover challenge %lld: %s", (long long)ids[i],
				    e.detail);
		free(ids);
	}
	ids = NULL;
	if (kk_store_orders_processing(ra->store, &ids, &n, &e) == 0) {
		for (i = 0; i < n; i++) {
			kk_log("info", "ra", "resuming finalization of order %lld", (long long)ids[i]);
			if (kk_ra_issue(ra, ids[i], NULL, &e) == -1)
				kk_log("error", "ra", "order %lld: %s", (long long)ids[i], e.detail);
		}
		free(ids);
	}
}

int
kk_ra_open(kk_ra **out, const kk_ra_cfg *cfg, kk_err *err)
{
	kk_ra *ra = NULL;
	char docs[600];
	int i;

	if ((ra = kk_calloc(1, sizeof(*ra))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	ra->cfg = *cfg;
	pthread_mutex_init(&ra->qmu, NULL);
	pthread_cond_init(&ra->qcv, NULL);
	pthread_cond_init(&ra->done_cv, NULL);
	pthread_mutex_init(&ra->issue_mu, NULL);
	pthread_cond_init(&ra->issue_cv, NULL);
	pthread_cond_init(&ra->sweep_cv, NULL);
	snprintf(docs, sizeof(docs), "%s/documents", cfg->paths.data_dir);
	if (kk_store_open(&ra->store, cfg->paths.db, err) != 0 ||
	    kk_ca_open(&ra->ca, &cfg->paths, &ra->cfg.policy, err) != 0 ||
	    kk_status_open(&ra->status, ra->store, ra->ca, &ra->cfg.policy, &ra->cfg.paths,
		err) != 0 ||
	    kk_review_open(&ra->review, ra->store, &ra->cfg.policy, docs, err) != 0)
		goto fail;
	/* before held orders resume, so their keys meet the lists too */
	ra_weakkeys_refresh(ra);
	recover(ra);
	ra->n_workers = cfg->workers < 1 ? 1 : cfg->workers > KK_RA_MAX_WORKERS ?
	    KK_RA_MAX_WORKERS : cfg->workers;
	for (i = 0; i < ra->n_workers; i++) {
		if (pthread_create(&ra->workers[i], NULL, worker_main, ra) != 0) {
			ra->n_workers = i;
			kk_err_set(err, KK_ERR_INTERNAL, "cannot start validation workers");
			goto fail;
		}
	}
	if (pthread_create(&ra->sweeper, NULL, ra_sweeper_main, ra) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot start the sweeper of held orders");
		goto fail;
	}
	ra->sweeper_started = 1;
	*out = ra;
	return 0;
fail:
	kk_ra_close(ra);
	return -1;
}

void
kk_ra_close(kk_ra *ra)
{
	int i;

	if (ra == NULL)
		return;
	pthread_mutex_lock(&ra->qmu);
	ra->stopping = 1;
	pthread_cond_broadcast(&ra->qcv);
	pthread_cond_broadcast(&ra->done_cv);
	pthread_cond_broadcast(&ra->sweep_cv);
	pthread_mutex_unlock(&ra->qmu);
	for (i = 0; i < ra->n_workers; i++)
		pthread_join(ra->workers[i], NULL);
	if (ra->sweeper_started)
		pthread_join(ra->sweeper, NULL);
	kk_review_close(ra->review);
	kk_status_close(ra->status);
	kk_ca_free(ra->ca);
	kk_store_close(ra->store);
	free(ra->queue);
	pthread_mutex_destroy(&ra->qmu);
	pthread_cond_destroy(&ra->qcv);
	pthread_cond_destroy(&ra->done_cv);
	pthread_mutex_destroy(&ra->issue_mu);
	pthread_cond_destroy(&ra->issue_cv);
	pthread_cond_destroy(&ra->sweep_cv);
	free(ra);
}

const kk_policy *
kk_ra_policy(const kk_ra *ra)
{
	return &ra->cfg.policy;
}

kk_store *
kk_ra_store(kk_ra *ra)
{
	return ra->store;
}

const kk_ca *
kk_ra_ca(const kk_ra *ra)
{
	return ra->ca;
}

kk_status *
kk_ra_status(kk_ra *ra)
{
	return ra->status;
}

void
ra_status_changed(kk_ra *ra, const char *serial)
{
	kk_err e;

	if (kk_status_changed(ra->status, serial, &e) != 0)
		kk_log("error", "ra", "certificate %s: status not re-signed: %s", serial, e.detail);
}

/* RFC 8555 7.3: mailto: URIs only, one address each, no hfields (RFC 6068). */
static int
check_contacts(json_t *contact, kk_err *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(contact))
		return kk_err_set(err, KK_ERR_MALFORMED, "contact must be an array of URIs");
	if (json_array_size(contact) > 10)
		return kk_err_set(err, KK_ERR_MALFORMED, "too many contacts (at most 10)");
	json_array_foreach(contact, i, v) {
		const char *s = json_string_value(v), *addr, *at, *c;

		if (s == NULL)
			return kk_err_set(err, KK_ERR_MALFORMED, "contact must be an array of URIs");
		if (strncmp(s, "mailto:", 7) != 0)
			return kk_err_set(err, KK_ERR_UNSUPPORTED_CONTACT,
			    "contact %.100s: only mailto: URIs are supported", s);
		addr = s + 7;
		if (strlen(addr) > 254 || strchr(addr, '?') != NULL || strchr(addr, ',') != NULL)
			return kk_err_set(err, KK_ERR_INVALID_CONTACT,
			    "contact %.100s: one address without hfields, please", s);
		at = strchr(addr, '@');
		if (at == NULL || at == addr || strchr(at + 1, '@') != NULL || strchr(at, '.') == NULL ||
		    at[1] == '.' || addr[strlen(addr) - 1] == '.')
			return kk_err_set(err, KK_ERR_INVALID_CONTACT,
			    "contact %.100s: not a valid email address", s);
		for (c = addr; *c; c++)
			if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || strchr("<>\"\\", *c))
				return kk_err_set(err, KK_ERR_INVALID_CONTACT,
				    "contact %.100s: invalid character in address", s);
	}
	return 0;
}

int
kk_ra_new_account(kk_ra *ra, const char *jwk, const char *thumb, json_t *contact,
    int only_existing, const kk_eab_req *eab, kk_account *out, int *created, kk_err *err)
{
	char *cs = NULL;
	int64_t org_id = 1;
	int rc = -1;
	kk_err e;

	*created = 0;
	if (kk_store_account_by_thumbprint(ra->store, thumb, out, &e) == 0)
		return 0;
	if (e.kind != KK_ERR_NOT_FOUND) {
		*err = e;
		return -1;
	}
	if (only_existing)
		return kk_err_set(err, KK_ERR_ACCOUNT_DOES_NOT_EXIST, "no account exists with this key");
	if (contact != NULL && check_contacts(contact, err) != 0)
		return -1;
	/* CP 3.2.2: the subject comes from a vetted organization, which the EAB key names;
	 * dev mode lets accounts without one use the dev organization of kakuin init */
	if (eab != NULL && ra_eab_bind(ra, eab, &org_id, err) != 0)
		return -1;
	if (eab == NULL && !ra->cfg.policy.ov_dev_mode)
		return kk_err_set(err, KK_ERR_EXTERNAL_ACCOUNT_REQUIRED, "this CA issues "
		    "organization-validated certificates: register with the External Account "
		    "Binding key (kid and HMAC key) your organization received after vetting");
	cs = contact ? json_dumps(contact, JSON_COMPACT) : NULL;
	memset(out, 0, sizeof(*out));
	out->jwk = kk_strdup(jwk);
	out->thumbprint = kk_strdup(thumb);
	out->contact = kk_strdup(cs ? cs : "[]");
	strcpy(out->status, "valid");
	out->org_id = org_id;
	if (eab != NULL)
		snprintf(out->eab_kid, sizeof(out->eab_kid), "%s", eab->kid);
	if (out->jwk == NULL || out->thumbprint == NULL || out->contact == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (kk_store_account_create(ra->store, out, err) != 0) {
		/* a concurrent newAccount with the same key won the race: return that one */
		if (err->kind == KK_ERR_CONFLICT) {
			kk_account_clear(out);
			rc = kk_store_account_by_thumbprint(ra->store, thumb, out, err);
		}
		goto out;
	}
	*created = 1;
	rc = 0;
out:
	free(cs);
	if (rc != 0)
		kk_account_clear(out);
	return rc;
}

int
kk_ra_account(kk_ra *ra, int64_t id, kk_account *out, kk_err *err)
{
	if (kk_store_account_get(ra->store, id, out, err) != 0) {
		if (err->kind == KK_ERR_NOT_FOUND)
			kk_err_set(err, KK_ERR_ACCOUNT_DOES_NOT_EXIST, "account %lld does not exist",
			    (long long)id);
		return -1;
	}
	if (strcmp(out->status, "valid") != 0) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "account is %s", out->status);
		kk_account_clear(out);
		return -1;
	}
	return 0;
}

int
kk_ra_update_account(kk_ra *ra, kk_account *acct, json_t *contact, const char *status,
    kk_err *err)
{
	char *cs = NULL;
	int rc = -1;
	int64_t id = acct->id;

	if (status != NULL && strcmp(status, "deactivated") != 0)
		return kk_err_set(err, KK_ERR_MALFORMED,
		    "an account's status can only be changed to \"deactivated\"");
	if (contact != NULL) {
		if (check_contacts(contact, err) != 0)
			return -1;
		if ((cs = json_dumps(contact, JSON_COMPACT)) == NULL)
			return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	}
	if (kk_store_account_update(ra->store, id, cs, status, err) != 0)
		goto out;
	kk_account_clear(acct);
	if (kk_store_account_get(ra->store, id, acct, err) != 0)
		goto out;
	rc = 0;
out:
	free(cs);
	return rc;
}

int
kk_ra_key_change(kk_ra *ra, kk_account *acct, const char *new_jwk, const char *new_thumb,
    int64_t *other_id, kk_err *err)
{
	kk_account other;
	kk_err e;

	memset(&other, 0, sizeof(other));
	*other_id = 0;
	if (kk_store_account_by_thumbprint(ra->store, new_thumb, &other, &e) == 0) {
		*other_id = other.id;
		kk_account_clear(&other);
		return kk_err_set(err, KK_ERR_CONFLICT, "the new key is already in use by an account");
	}
	if (kk_store_account_rekey(ra->store, acct->id, new_jwk, new_thumb, err) != 0)
		return -1;
	return kk_ra_update_account(ra, acct, NULL, NULL, err);
}
