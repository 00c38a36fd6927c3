/*
 * Orders held for a reviewer's look (issue #4, policy ov.review_new_domains): the
 * registrable domains people accepted for an organization, and one "order" task per held
 * order (include/kakuin/store_review.h).
 */
#include <stdio.h>
#include <string.h>
#include "kakuin/store_review.h"
#include "store_internal.h"

int
kk_store_org_domains_missing(kk_store *st, int64_t org_id, const char *const *domains,
    size_t n, char *missing, size_t missing_len, size_t *n_missing, kk_err *err)
{
	int64_t one;
	size_t i;
	int rc = 0;

	*n_missing = 0;
	missing[0] = '\0';
	store_lock(st);
	for (i = 0; i < n && rc >= 0; i++) {
		rc = store_get_int64(st, &one, err, "SELECT 1 FROM org_domains WHERE org_id = ? "
		    "AND domain = ?", "Is", org_id, domains[i]);
		if (rc == 0 && strstr(missing, domains[i]) == NULL) {
			snprintf(missing + strlen(missing), missing_len - strlen(missing), "%s%s",
			    *n_missing ? " " : "", domains[i]);
			(*n_missing)++;
		}
	}
	store_unlock(st);
	return rc < 0 ? -1 : 0;
}

int
kk_store_org_domains_add(kk_store *st, int64_t org_id, const char *domains, int64_t task_id,
    time_t now, kk_err *err)
{
	char one[256];
	const char *p = domains, *sp;
	size_t len;
	int rc;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	while (rc == 0 && *p != '\0') {
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (len > 0 && len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			rc = store_run(st, NULL, err, "INSERT INTO org_domains (org_id, domain, "
			    "task_id, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", "IsNT",
			    org_id, one, task_id, now);
		}
		p += len + (sp != NULL);
	}
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

int
kk_store_task_order(kk_store *st, int64_t order_id, int64_t org_id, const char *domains,
    const kk_auditrec *a, kk_task *out, kk_err *err)
{
	int64_t id = 0;
	int rc, changes = 0;

	store_lock(st);
	if ((rc = store_begin_durable(st, err)) != 0)
		goto out;
	rc = store_run(st, &changes, err, "INSERT INTO review_tasks (kind, status, org_id, "
	    "order_id, domain, created) VALUES ('order', 'open', ?, ?, ?, ?) ON CONFLICT "
	    "(order_id) WHERE order_id IS NOT NULL DO NOTHING", "IIsT", org_id, order_id,
	    domains, a->at);
	if (rc == 0 && changes == 1)
		rc = store_audit_insert(st, a, "task", sqlite3_last_insert_rowid(st->db), err);
	if (rc == 0 && (rc = store_get_int64(st, &id, err, "SELECT id FROM review_tasks WHERE "
	    "order_id = ?", "I", order_id)) == 1)
		rc = 0;
	else if (rc == 0)
		rc = kk_err_set(err, KK_ERR_INTERNAL, "order %lld: no review task",
		    (long long)order_id);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc == 0 ? kk_store_task_get(st, id, out, err) : -1;
}
