/*
 * The reviewer UI's revocation page (CP 4.9.1, 4.9.3): open revocation requests with
 * their deadlines (overdue marked), a form to record a request and a form to revoke now.
 * The service decides who may (kk_revoke_request, kk_revoke_by_reviewer: revoking needs
 * an approver or admin); this page only renders and passes the form on. The server's
 * CRL/OCSP publisher notices the revocation within seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/ra.h"
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "review_web.h"

static const char *const reasons[] = {
	"unspecified", "keyCompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "privilegeWithdrawn",
};

/* A form posting to action with serial, reason (select), detail and button label. */
static void
revoke_form(kk_web_req *r, kk_html *h, const char *id, const char *action,
    const char *button)
{
	size_t i;

	kk_html_fmt(h, "<form method=post action=\"%s\" class=act id=%s>", action, id);
	kk_web_csrf_input(r, h);
	kk_html_raw(h, "<label>Serial (hex) <input type=text name=serial required maxlength=40"
	    " pattern=\"[0-9a-fA-F]{1,40}\"></label><label>Reason <select name=reason>");
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		kk_html_fmt(h, "<option>%s</option>", reasons[i]);
	kk_html_raw(h, "</select></label><label>Detail <input type=text name=detail "
	    "maxlength=255></label><button>");
	kk_html_esc(h, button);
	kk_html_raw(h, "</button></form>");
}

/* GET /revocations (status and error for a refused post). */
void
kk_web_revocations(kk_web_req *r, int status, const char *error)
{
	kk_revreq *q = NULL;
	kk_html h = {0};
	time_t now = kk_now();
	size_t n = 0, i;
	kk_err e;

	if (kk_store_revreq_open(kk_review_store(r->rv), &q, &n, &e) != 0) {
		kk_web_error(r, "revocations", &e);
		return;
	}
	kk_html_fmt(&h, "<h2>Open revocation requests</h2><p><b id=count-revreq>%zu</b> open."
	    "</p><table id=revreqs><tr><th>Serial</th><th>Reason</th><th>Requested by</th>"
	    "<th>Detail</th><th>Deadline (CP 4.9.1)</th></tr>", n);
	for (i = 0; i < n; i++) {
		kk_html_raw(&h, "<tr>");
		kk_html_td(&h, q[i].serial);
		kk_html_td(&h, kk_revoke_reason_name(q[i].reason));
		kk_html_td(&h, q[i].requested_by);
		kk_html_td(&h, q[i].detail);
		kk_html_raw(&h, "<td>");
		kk_html_time(&h, q[i].deadline);
		kk_html_fmt(&h, " (%s)%s</td></tr>", q[i].deadline_class,
		    q[i].deadline <= now ? " <b class=overdue>OVERDUE</b>" : "");
	}
	kk_html_raw(&h, "</table><h2>Record a revocation request</h2>");
	revoke_form(r, &h, "request", "/revocations/request", "Record request");
	kk_html_raw(&h, "<h2>Revoke now</h2><p>Approvers and admins only. keyCompromise "
	    "revokes every certificate with the key and blocks it (CP 4.9.12).</p>");
	revoke_form(r, &h, "revoke", "/revocations/revoke", "Revoke");
	free(q);
	kk_web_page(r, status, "Revocations", error, &h);
}

/* POST /revocations/request and /revocations/revoke. */
void
kk_web_revoke_post(kk_web_req *r, const char *action)
{
	const char *serial = kk_form_get(&r->form, "serial");
	const char *reason = kk_form_get(&r->form, "reason");
	const char *detail = kk_form_get(&r->form, "detail");
	char **serials = NULL;
	size_t n = 0;
	int code, rc;
	kk_err e;

	if (serial == NULL || *serial == '\0' || reason == NULL ||
	    kk_revoke_reason_parse(reason, &code) != 0) {
		kk_web_revocations(r, 400, "Give a serial and one of the listed reasons.");
		return;
	}
	if (strcmp(action, "request") == 0)
		rc = kk_revoke_request(kk_review_store(r->rv), &r->me, serial, code,
		    detail ? detail : "", NULL, kk_now(), NULL, &e);
	else
		rc = kk_revoke_by_reviewer(kk_review_store(r->rv), &r->me, serial, code,
		    detail ? detail : "", &serials, &n, &e);
	if (rc != 0) {
		if (kk_web_status(&e) == 500) {
			kk_web_error(r, "revocation", &e);
			return;
		}
		kk_web_revocations(r, kk_web_status(&e), e.detail);
		return;
	}
	kk_log("info", "review-web", "%s %s (%s) by %s%s", action, serial, reason, r->me.name,
	    n > 1 ? " and the key's other certificates" : "");
	kk_serials_free(serials, n);
	kk_web_redirect(r, "/revocations");
}
