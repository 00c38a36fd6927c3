/*
 * Orders held for a reviewer's look (issue #4, policy ov.review_new_domains): an order
 * naming a registrable domain that no reviewer has accepted for the organization waits
 * for an "order" task. A person checks that the domain belongs with the organization
 * (CP 4.2: the CA may refuse an application), then accepts or refuses; accepted domains
 * are remembered, so later orders for them are not held.
 */
#include <stdio.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/store_review.h"
#include "review_internal.h"

#define ORDER_DOMAINS_MAX 100

/* The registrable domain of name (its public suffix plus one label), or name itself
 * when libpsl has no answer (a public suffix, or no list loaded). Borrowed from name. */
static const char *
registrable(const kk_review *rv, const char *name)
{
	const char *d = rv->psl != NULL ? psl_registrable_domain(rv->psl, name) : NULL;

	return d != NULL ? d : name;
}

int
kk_review_order_check(kk_review *rv, int64_t order_id, int64_t org_id,
    const char *const *names, size_t n, kk_err *why)
{
	const char *domains[ORDER_DOMAINS_MAX];
	char missing[1024], detail[512];
	size_t i, n_missing = 0;
	kk_auditrec a;
	kk_task t;

	if (n == 0 || n > ORDER_DOMAINS_MAX)
		return kk_err_set(why, KK_ERR_INTERNAL, "order %lld: %zu names",
		    (long long)order_id, n);
	for (i = 0; i < n; i++)
		domains[i] = registrable(rv, strncmp(names[i], "*.", 2) == 0 ? names[i] + 2 :
		    names[i]);
	if (kk_store_org_domains_missing(rv->st, org_id, domains, n, missing, sizeof(missing),
	    &n_missing, why) != 0)
		return -1;
	if (n_missing == 0)
		return 1;
	snprintf(detail, sizeof(detail), "order %lld names %.400s, not yet accepted for "
	    "organization %lld", (long long)order_id, missing, (long long)org_id);
	a = (kk_auditrec){ kk_now(), "system", "task.create", NULL, detail };
	if (kk_store_task_order(rv->st, order_id, org_id, missing, &a, &t, why) != 0)
		return -1;
	if (strcmp(t.status, "open") == 0) {
		kk_err_set(why, KK_ERR_USER_ACTION_REQUIRED, "order %lld waits for a reviewer to "
		    "accept %s for organization %lld (task %lld)", (long long)order_id, missing,
		    (long long)org_id, (long long)t.id);
		return 0;
	}
	if (strcmp(t.outcome, "success") != 0)
		return kk_err_set(why, KK_ERR_UNAUTHORIZED, "a reviewer refused the order for %s: "
		    "%s", t.domain, t.note);
	/* accepted (the task's own step may have been interrupted): remember the domains */
	return kk_store_org_domains_add(rv->st, org_id, t.domain, t.id, kk_now(), why) == 0 ?
	    1 : -1;
}
