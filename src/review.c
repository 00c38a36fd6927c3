/* OV vetting service (include/kakuin/review.h): the context, who is acting, input
 * checks and the audit log. Reviewers are in review_users.c, organizations and their
 * vetting in review_org.c, EAB keys and tasks in review_tasks.c. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kakuin/store_review.h"
#include "kakuin/util.h"
#include "review_internal.h"

/* docs_dir is created 0700: uploaded documents are applicants' papers. */
int
kk_review_open(kk_review **out, kk_store *st, const kk_policy *pol, const char *docs_dir,
    kk_err *err)
{
	kk_review *rv = NULL;

	*out = NULL;
	if (st == NULL || pol == NULL || docs_dir == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "review service needs a store, a policy "
		    "and a documents directory");
	if ((rv = kk_calloc(1, sizeof(*rv))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	if (snprintf(rv->docs_dir, sizeof(rv->docs_dir), "%s", docs_dir) >=
	    (int)sizeof(rv->docs_dir)) {
		free(rv);
		return kk_err_set(err, KK_ERR_INTERNAL, "documents directory path too long");
	}
	if (kk_mkdirs(docs_dir, 0700, err) != 0) {
		free(rv);
		return -1;
	}
	rv->st = st;
	rv->pol = pol;
	/* the newest of libpsl's built-in list and Debian's publicsuffix package */
	rv->psl = psl_latest(NULL);
	*out = rv;
	return 0;
}

kk_store *
kk_review_store(kk_review *rv)
{
	return rv->st;
}

void
kk_review_close(kk_review *rv)
{
	if (rv == NULL)
		return;
	psl_free(rv->psl);
	free(rv);
}

static const char *const role_names[] = { NULL, "reviewer", "approver", "admin" };

const char *
kk_role_name(kk_role r)
{
	if (r < KK_ROLE_REVIEWER || r > KK_ROLE_ADMIN)
		return "none";
	return role_names[r];
}

int
kk_role_parse(const char *s, kk_role *out)
{
	int r;

	for (r = KK_ROLE_REVIEWER; s != NULL && r <= KK_ROLE_ADMIN; r++) {
		if (strcmp(s, role_names[r]) == 0) {
			*out = (kk_role)r;
			return 0;
		}
	}
	return -1;
}

/* The operator is whoever runs the CLI on the data directory: recorded as
 * "cli:<login name>" (schema 3, audit_log.actor). */
static void
operator_name(char name[64])
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(name, 64, "cli:%s", res->pw_name);
	else
		snprintf(name, 64, "cli:uid%ld", (long)geteuid());
}

int
review_actor(kk_review *rv, int64_t actor, int operator_ok, kk_role min, char name[64],
    kk_err *err)
{
	kk_reviewer r;
	kk_err e;

	if (actor == 0 && operator_ok) {
		operator_name(name);
		return 0;
	}
	if (actor <= 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "this needs a signed-in reviewer");
	if (kk_store_reviewer_get(rv->st, actor, NULL, &r, NULL, 0, &e) != 0) {
		if (e.kind == KK_ERR_NOT_FOUND)
			return kk_err_set(err, KK_ERR_UNAUTHORIZED, "unknown reviewer id %lld",
			    (long long)actor);
		*err = e;
		return -1;
	}
	if (r.disabled)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "reviewer %s is disabled", r.name);
	if (r.role < min)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "%s is a%s %s: this needs the %s "
		    "role%s", r.name, r.role == KK_ROLE_ADMIN ? "n" : "", kk_role_name(r.role),
		    kk_role_name(min), min == KK_ROLE_ADMIN ? "" : " or higher");
	snprintf(name, 64, "%s", r.name);
	return 0;
}

int
review_text(const char *what, const char *s, size_t size, int required, kk_err *err)
{
	size_t i, len;

	if (s == NULL)
		s = "";
	if ((len = strnlen(s, size)) == size)
		return kk_err_set(err, KK_ERR_MALFORMED, "%s is too long (at most %zu bytes)",
		    what, size - 1);
	if (required && len == 0)
		return kk_err_set(err, KK_ERR_MALFORMED, "%s is required", what);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return kk_err_set(err, KK_ERR_MALFORMED, "%s contains a control "
			    "character (byte %zu)", what, i + 1);
	return 0;
}

/* Caller frees *out. */
int
kk_review_audit_list(kk_review *rv, const char *object, size_t limit, kk_audit **out,
    size_t *n, kk_err *err)
{
	return kk_store_audit_list(rv->st, object, limit, out, n, err);
}
