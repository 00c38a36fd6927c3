/*
 * The reviewer web UI's pages: the queue, search, an organization with its evidence,
 * audit trail and decision forms (CP 3.2.2, 3.2.5), the new-organization form and a
 * reviewer task (phone validation, BR 3.2.2.4.16/.17). Forms are shown only to roles the
 * service would accept them from; the service enforces regardless.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "review_web.h"

#define ORG_FIELD(n, label, req) \
	{#n, label, offsetof(kk_orgrec, n), sizeof(((kk_orgrec *)0)->n), req}
const kk_web_field kk_web_org_fields[] = {
	ORG_FIELD(name, "Organization name (O)", 1),
	ORG_FIELD(unit, "Organizational unit (OU)", 0),
	ORG_FIELD(locality, "Locality (L)", 1),
	ORG_FIELD(state, "State or prefecture (ST)", 1),
	ORG_FIELD(reg_number, "Corporate number", 0),
	ORG_FIELD(address, "Address", 0),
	ORG_FIELD(phone, "Phone", 0),
	ORG_FIELD(applicant_name, "Applicant", 0),
	ORG_FIELD(applicant_email, "Applicant e-mail", 0),
	ORG_FIELD(authorizer_name, "Authorizer", 0),
	ORG_FIELD(authorizer_email, "Authorizer e-mail", 0),
};
const size_t kk_web_n_org_fields = sizeof(kk_web_org_fields) / sizeof(kk_web_org_fields[0]);

static void
org_link(kk_html *h, const kk_orgrec *o)
{
	kk_html_fmt(h, "<a href=\"/org/%lld\">", (long long)o->id);
	kk_html_esc(h, o->name[0] ? o->name : "(unnamed)");
	kk_html_raw(h, "</a>");
}

/* The effective status, and for in_review whether step 1 of 2 is done and by whom. */
static void
org_status(kk_html *h, const kk_orgrec *o)
{
	kk_html_esc(h, o->status);
	if (strcmp(o->status, "in_review") != 0)
		return;
	if (o->verified_by == 0) {
		kk_html_raw(h, " (not verified yet)");
		return;
	}
	kk_html_raw(h, " (verified by ");
	kk_html_esc(h, o->verified_by_name);
	kk_html_raw(h, ")");
}

static void
org_table(kk_html *h, const char *id, const kk_orgrec *o, size_t n)
{
	size_t i;

	if (n == 0) {
		kk_html_raw(h, "<p>None.</p>");
		return;
	}
	kk_html_fmt(h, "<table id=%s><tr><th>#</th><th>Organization</th><th>Corporate "
	    "number</th><th>Applicant</th><th>Status</th><th>Created</th></tr>", id);
	for (i = 0; i < n; i++) {
		kk_html_fmt(h, "<tr><td>%lld</td><td>", (long long)o[i].id);
		org_link(h, &o[i]);
		kk_html_raw(h, "</td>");
		kk_html_td(h, o[i].reg_number);
		kk_html_td(h, o[i].applicant_name);
		kk_html_raw(h, "<td>");
		org_status(h, &o[i]);
		kk_html_raw(h, "</td>");
		kk_html_td_time(h, o[i].created);
		kk_html_raw(h, "</tr>");
	}
	kk_html_raw(h, "</table>");
}

static void
task_table(kk_html *h, const kk_task *t, size_t n)
{
	size_t i;

	if (n == 0) {
		kk_html_raw(h, "<p>None.</p>");
		return;
	}
	kk_html_raw(h, "<table id=tasks><tr><th>Task</th><th>Kind</th><th>Domain</th>"
	    "<th>Phone</th><th>Created</th></tr>");
	for (i = 0; i < n; i++) {
		kk_html_fmt(h, "<tr><td><a href=\"/task/%lld\">task %lld</a></td>",
		    (long long)t[i].id, (long long)t[i].id);
		kk_html_td(h, t[i].kind);
		kk_html_td(h, t[i].domain);
		kk_html_td(h, t[i].phone);
		kk_html_td_time(h, t[i].created);
		kk_html_raw(h, "</tr>");
	}
	kk_html_raw(h, "</table>");
}

/* GET /: what waits for a reviewer. */
void
kk_web_queue(kk_web_req *r)
{
	static const char *const st[] = {"submitted", "in_review", "approved", "rejected",
	    "expired"};
	static const char *const title[] = {"Submitted", "In review", NULL, NULL, "Expired"};
	kk_orgrec *o[5] = {NULL};
	size_t n[5] = {0}, nt = 0, i;
	kk_task *t = NULL;
	kk_html h = {0};
	kk_err e;

	for (i = 0; i < 5; i++)
		if (kk_review_org_list(r->rv, st[i], NULL, &o[i], &n[i], &e) != 0)
			goto fail;
	if (kk_review_task_list(r->rv, "open", &t, &nt, &e) != 0)
		goto fail;
	kk_html_raw(&h, "<p id=counts>");
	for (i = 0; i < 5; i++)
		kk_html_fmt(&h, "%s%s: <b id=count-%s>%zu</b>", i ? " &middot; " : "", st[i],
		    st[i], n[i]);
	kk_html_fmt(&h, " &middot; open tasks: <b id=count-tasks>%zu</b></p>", nt);
	for (i = 0; i < 5; i++) {
		if (title[i] == NULL)
			continue;
		kk_html_fmt(&h, "<h2>%s</h2>", title[i]);
		org_table(&h, st[i], o[i], n[i]);
	}
	kk_html_raw(&h, "<h2>Open tasks</h2>");
	task_table(&h, t, nt);
	kk_web_page(r, 200, "Review queue", NULL, &h);
	goto out;
fail:
	kk_html_free(&h);
	kk_web_error(r, "queue", &e);
out:
	for (i = 0; i < 5; i++)
		free(o[i]);
	free(t);
}

/* GET /search?q=: a case-insensitive substring of name, number or applicant. */
void
kk_web_search(kk_web_req *r, const char *q)
{
	kk_orgrec *o = NULL;
	size_t n = 0;
	kk_html h = {0};
	kk_err e;

	if (q == NULL)
		q = "";
	if (kk_review_org_list(r->rv, NULL, *q ? q : NULL, &o, &n, &e) != 0) {
		kk_web_error(r, "search", &e);
		return;
	}
	kk_html_raw(&h, "<form method=get action=\"/search\"><input type=search name=q "
	    "value=\"");
	kk_html_esc(&h, q);
	kk_html_raw(&h, "\"> <button>Search</button></form>");
	kk_html_fmt(&h, "<p>%zu organization%s.</p>", n, n == 1 ? "" : "s");
	org_table(&h, "results", o, n);
	free(o);
	kk_web_page(r, 200, "Search", NULL, &h);
}

static void
row(kk_html *h, const char *id, const char *label, const char *value)
{
	kk_html_fmt(h, "<tr><th>%s</th><td id=%s>", label, id);
	kk_html_esc(h, value);
	kk_html_raw(h, "</td></tr>");
}

/* "name, at time" of a verification step, or "-". */
static void
step_row(kk_html *h, const char *id, const char *label, int64_t who, const char *name,
    time_t at)
{
	kk_html_fmt(h, "<tr><th>%s</th><td id=%s>", label, id);
	if (who == 0) {
		kk_html_raw(h, "&mdash;</td></tr>");
		return;
	}
	kk_html_esc(h, name);
	kk_html_raw(h, ", ");
	kk_html_time(h, at);
	kk_html_raw(h, "</td></tr>");
}

static void
org_fields(kk_html *h, const kk_orgrec *o)
{
	size_t i;

	kk_html_raw(h, "<table id=fields><tr><th>Status</th><td><span class=st id=status>");
	kk_html_esc(h, o->status);
	kk_html_raw(h, "</span>");
	if (o->dev)
		kk_html_raw(h, " (the development organization of kakuin init)");
	kk_html_raw(h, "</td></tr>");
	for (i = 0; i < kk_web_n_org_fields; i++) {
		const kk_web_field *f = &kk_web_org_fields[i];
		row(h, f->name, f->label, (const char *)o + f->off);
	}
	row(h, "country", "Country (C)", o->country);
	step_row(h, "verified_by", "Verified by (step 1 of 2)", o->verified_by,
	    o->verified_by_name, o->verified_at);
	step_row(h, "approved_by", "Approved by (step 2 of 2)", o->approved_by,
	    o->approved_by_name, o->approved_at);
	kk_html_raw(h, "<tr><th>Approval expires</th><td id=expires>");
	kk_html_time(h, o->expires);
	kk_html_raw(h, "</td></tr>");
	if (o->reason[0] != '\0')
		row(h, "reason", "Last rejection", o->reason);
	kk_html_raw(h, "<tr><th>Created</th><td>");
	kk_html_time(h, o->created);
	kk_html_raw(h, "</td></tr></table>");
}

static void
evidence_table(kk_html *h, const kk_evidence *ev, size_t n)
{
	size_t i;

	kk_html_raw(h, "<h2>Evidence</h2>");
	if (n == 0) {
		kk_html_raw(h, "<p>None yet.</p>");
		return;
	}
	kk_html_raw(h, "<table id=evidence><tr><th>Kind</th><th>Source</th><th>Reference</th>"
	    "<th>Document (SHA-256)</th><th>Added by</th><th>When</th></tr>");
	for (i = 0; i < n; i++) {
		kk_html_raw(h, "<tr>");
		kk_html_td(h, ev[i].kind);
		kk_html_td(h, ev[i].source);
		kk_html_td(h, ev[i].reference);
		kk_html_raw(h, "<td>");
		if (ev[i].doc_sha256[0] != '\0') {
			kk_html_esc(h, ev[i].doc_name);
			kk_html_raw(h, "<br><span class=hash>");
			kk_html_esc(h, ev[i].doc_sha256);
			kk_html_raw(h, "</span>");
		}
		kk_html_raw(h, "</td>");
		kk_html_td(h, ev[i].added_by_name);
		kk_html_td_time(h, ev[i].created);
		kk_html_raw(h, "</tr>");
	}
	kk_html_raw(h, "</table>");
}

/* One decision form: POST /org/N/ACTION with the CSRF token and one text field. */
static void
action_form(kk_web_req *r, kk_html *h, int64_t id, const char *action, const char *field,
    const char *label, const char *button, int required)
{
	kk_html_fmt(h, "<form method=post action=\"/org/%lld/%s\" class=act id=%s>",
	    (long long)id, action, action);
	kk_web_csrf_input(r, h);
	kk_html_fmt(h, "<label>%s <input type=text name=%s maxlength=255%s></label>"
	    "<button>%s</button></form>", label, field, required ? " required" : "", button);
}

static void
org_actions(kk_web_req *r, kk_html *h, const kk_orgrec *o)
{
	int open = strcmp(o->status, "submitted") == 0 || strcmp(o->status, "in_review") == 0;
	int approver = r->me.role == KK_ROLE_APPROVER || r->me.role == KK_ROLE_ADMIN;

	kk_html_raw(h, "<h2>Actions</h2>");
	if (open) {
		kk_html_fmt(h, "<form method=post action=\"/org/%lld/evidence\" class=act "
		    "id=evidence-form>", (long long)o->id);
		kk_web_csrf_input(r, h);
		kk_html_raw(h, "<label>Kind <select name=kind><option>registry</option>"
		    "<option>database</option><option>document</option><option>authority"
		    "</option></select></label><label>Source <input type=text name=source "
		    "maxlength=127 required></label><label>Reference <input type=text "
		    "name=reference maxlength=255 required></label><button>Add evidence"
		    "</button> <small>(documents: <code>kakuin review org evidence N --document "
		    "FILE</code>)</small></form>");
	}
	if (open && o->verified_by == 0)
		action_form(r, h, o->id, "verify", "note", "Note", "Verify (step 1 of 2)", 0);
	if (strcmp(o->status, "in_review") == 0 && o->verified_by != 0 && approver)
		action_form(r, h, o->id, "approve", "note", "Note", "Approve (step 2 of 2)", 0);
	if (open)
		action_form(r, h, o->id, "reject", "reason", "Reason", "Reject", 1);
	if (!open && approver)
		action_form(r, h, o->id, "revet", "note", "Note", "Send back for re-vetting", 0);
}

static void
eab_table(kk_html *h, const kk_eab *k, size_t n)
{
	size_t i;

	kk_html_raw(h, "<h2>EAB keys</h2>");
	if (n == 0) {
		kk_html_raw(h, "<p>None (admins create them with <code>kakuin review eab "
		    "create</code>).</p>");
		return;
	}
	kk_html_raw(h, "<table id=eab><tr><th>Key id</th><th>Created by</th><th>Created</th>"
	    "<th>Last used</th><th>Revoked</th></tr>");
	for (i = 0; i < n; i++) {
		kk_html_raw(h, "<tr><td class=hash>");
		kk_html_esc(h, k[i].kid);
		kk_html_raw(h, "</td>");
		kk_html_td(h, k[i].created_by);
		kk_html_td_time(h, k[i].created);
		kk_html_td_time(h, k[i].last_used);
		kk_html_td_time(h, k[i].revoked);
		kk_html_raw(h, "</tr>");
	}
	kk_html_raw(h, "</table>");
}

static void
audit_table(kk_html *h, const kk_audit *a, size_t n)
{
	size_t i;

	kk_html_raw(h, "<h2>Audit trail</h2><table id=audit><tr><th>When</th><th>Who</th>"
	    "<th>Action</th><th>Detail</th></tr>");
	for (i = 0; i < n; i++) {
		kk_html_raw(h, "<tr>");
		kk_html_td_time(h, a[i].at);
		kk_html_td(h, a[i].actor);
		kk_html_td(h, a[i].action);
		kk_html_td(h, a[i].detail);
		kk_html_raw(h, "</tr>");
	}
	kk_html_raw(h, "</table>");
}

/* GET /org/N, or the same page with a refusal after a post. */
void
kk_web_org(kk_web_req *r, int64_t id, int status, const char *error)
{
	kk_orgrec o;
	kk_evidence *ev = NULL;
	kk_audit *au = NULL;
	kk_eab *eab = NULL;
	size_t nev = 0, nau = 0, neab = 0;
	char object[32];
	kk_html h = {0};
	kk_err e;

	snprintf(object, sizeof(object), "org %lld", (long long)id);
	if (kk_review_org_get(r->rv, id, &o, &e) != 0 ||
	    kk_review_evidence_list(r->rv, id, &ev, &nev, &e) != 0 ||
	    kk_review_audit_list(r->rv, object, 200, &au, &nau, &e) != 0 ||
	    kk_review_eab_list(r->rv, id, &eab, &neab, &e) != 0) {
		kk_web_error(r, object, &e);
		goto out;
	}
	org_fields(&h, &o);
	org_actions(r, &h, &o);
	evidence_table(&h, ev, nev);
	eab_table(&h, eab, neab);
	audit_table(&h, au, nau);
	kk_web_page(r, status, o.name[0] ? o.name : "(unnamed)", error, &h);
out:
	free(ev);
	free(au);
	free(eab);
}

/* GET /org/new, or the form again with what was typed and why it was refused. */
void
kk_web_org_form(kk_web_req *r, const kk_orgrec *o, int status, const char *error)
{
	kk_html h = {0};
	size_t i;

	kk_html_raw(&h, "<form method=post action=\"/org/new\" class=act id=org-new>");
	kk_web_csrf_input(r, &h);
	for (i = 0; i < kk_web_n_org_fields; i++) {
		const kk_web_field *f = &kk_web_org_fields[i];
		kk_html_fmt(&h, "<label>%s <input type=text name=%s maxlength=%zu%s value=\"",
		    f->label, f->name, f->size - 1, f->required ? " required" : "");
		if (o != NULL)
			kk_html_esc(&h, (const char *)o + f->off);
		kk_html_raw(&h, "\"></label>");
	}
	kk_html_raw(&h, "<button>Create</button></form>");
	kk_web_page(r, status, "New organization", error, &h);
}

/* GET /task/N: what to call and what to check (BR 3.2.2.4.16/.17), and the outcome. */
void
kk_web_task(kk_web_req *r, int64_t id, int status, const char *error)
{
	kk_task t;
	kk_html h = {0};
	char title[48];
	kk_err e;

	if (kk_review_task_get(r->rv, id, &t, &e) != 0) {
		kk_web_error(r, "task", &e);
		return;
	}
	kk_html_raw(&h, "<table id=task>");
	row(&h, "kind", "Kind", t.kind);
	row(&h, "task-status", "Status", t.status);
	if (t.org_id != 0)
		kk_html_fmt(&h, "<tr><th>Organization</th><td><a href=\"/org/%lld\">org %lld"
		    "</a></td></tr>", (long long)t.org_id, (long long)t.org_id);
	if (t.order_id != 0)
		kk_html_fmt(&h, "<tr><th>Order</th><td>%lld</td></tr>", (long long)t.order_id);
	if (strcmp(t.kind, "phone") == 0) {
		row(&h, "domain", "Domain", t.domain);
		row(&h, "phone", "Phone number to call", t.phone);
		row(&h, "random", "Random value to confirm", t.random_value);
		row(&h, "method", "BR method", t.br_method);
	} else {
		/* an order held for a look: do these domains belong with the organization? */
		row(&h, "domain", "Domains new for the organization", t.domain);
	}
	if (strcmp(t.status, "done") == 0) {
		row(&h, "outcome", "Outcome", t.outcome);
		row(&h, "note", "Note", t.note);
		row(&h, "done_by", "Done by", t.done_by_name);
	}
	kk_html_raw(&h, "<tr><th>Created</th><td>");
	kk_html_time(&h, t.created);
	kk_html_raw(&h, "</td></tr></table>");
	if (strcmp(t.status, "open") == 0) {
		kk_html_fmt(&h, "<form method=post action=\"/task/%lld\" class=act id=complete>",
		    (long long)id);
		kk_web_csrf_input(r, &h);
		kk_html_raw(&h, strcmp(t.kind, "phone") == 0 ?
		    "<label><input type=radio name=outcome value=success required> "
		    "Confirmed: the person reached at this number confirmed the random value"
		    "</label>" : "<label><input type=radio name=outcome value=success required> "
		    "Accepted: these domains belong with the organization</label>");
		kk_html_raw(&h, "<label><input type=radio name=outcome value=failure> Failed"
		    "</label><label>Note (required for a failure) <input type=text name=note "
		    "maxlength=255></label><button>Record outcome</button></form>");
	}
	snprintf(title, sizeof(title), "Task %lld", (long long)id);
	kk_web_page(r, status, title, error, &h);
}
