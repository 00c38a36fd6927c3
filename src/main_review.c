/*
 * `kakuin review ...`: the OV vetting service (include/kakuin/review.h) on a data
 * directory. Decisions name their reviewer with --as USER and that reviewer's password
 * ($KAKUIN_REVIEW_PASSWORD or one line on stdin), so the two-person rule holds on the
 * command line as in the web UI. Reviewer management is the operator's (whoever can
 * open the data directory), which is how the first admin is created.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/ra.h"
#include "kakuin/review.h"
#include "kakuin/util.h"
#include "cli.h"

/* the organization fields, in the order of org_field[] below */
enum { OF_NAME, OF_UNIT, OF_LOCALITY, OF_STATE, OF_REG, OF_ADDRESS, OF_PHONE, OF_APPL,
    OF_APPL_EMAIL, OF_AUTH, OF_AUTH_EMAIL, OF_N };

typedef struct ropts {
	const char *data_dir, *policy, *as, *role, *status, *search, *kind, *source;
	const char *reference, *document, *note, *reason, *outcome, *org, *detail, *deadline;
	const char *field[OF_N];
	char **pos;   /* positional arguments after group and verb */
	int npos;
} ropts;

typedef struct rctx {
	ropts o;
	kk_policy pol;
	kk_store *st;
	kk_review *rv;
	int64_t actor;       /* 0: the operator */
	char actor_name[64];
	kk_role actor_role;
} rctx;

static void
review_usage(void)
{
	fprintf(stderr,
	    "usage: kakuin review COMMAND --data-dir DIR [--policy FILE]\n"
	    "  user add NAME --role reviewer|approver|admin   (password: $KAKUIN_REVIEW_NEW_PASSWORD\n"
	    "  user list | user disable NAME | user passwd NAME  or a line on stdin)\n"
	    "  org create --name O --locality L --state ST [--unit OU] [--reg-number N]\n"
	    "      [--address A] [--phone P] [--applicant NAME] [--applicant-email E]\n"
	    "      [--authorizer NAME] [--authorizer-email E] [--as USER]\n"
	    "  org update N [the fields of org create] --as USER\n"
	    "  org list [--status S] [--search Q] | org show N\n"
	    "  org evidence N --kind registry|database|document|authority --source S\n"
	    "      [--reference R] [--document FILE] --as USER\n"
	    "  org verify N [--note T] | org approve N [--note T] | org reject N --reason R\n"
	    "      | org revet N [--note T]   (each --as USER)\n"
	    "  eab create --org N --as ADMIN | eab revoke KID --as ADMIN | eab list [--org N]\n"
	    "  task list [--status open|done] | task done N --outcome success|failure\n"
	    "      [--note T] --as USER\n"
	    "usage: kakuin revoke COMMAND --data-dir DIR (CP 4.9)\n"
	    "  revoke request SERIAL --reason R [--detail T] [--deadline 24h|5d] --as USER\n"
	    "  revoke do SERIAL --reason R [--detail T] --as APPROVER\n"
	    "  revoke report   (open requests, earliest deadline first)\n"
	    "  R: unspecified|keyCompromise|affiliationChanged|superseded|\n"
	    "     cessationOfOperation|privilegeWithdrawn\n"
	    "--as USER: the reviewer's password from $KAKUIN_REVIEW_PASSWORD or a line on stdin\n");
}

static int
parse_ropts(int argc, char **argv, ropts *o)
{
	enum { O_DATA = 256, O_POLICY, O_AS, O_ROLE, O_STATUS, O_SEARCH, O_KIND, O_SOURCE,
	    O_REF, O_DOC, O_NOTE, O_REASON, O_OUTCOME, O_ORG, O_DETAIL, O_DEADLINE, O_FIELD };
	static const struct option lo[] = {
		{"data-dir", required_argument, 0, O_DATA}, {"policy", required_argument, 0, O_POLICY},
		{"as", required_argument, 0, O_AS}, {"role", required_argument, 0, O_ROLE},
		{"status", required_argument, 0, O_STATUS}, {"search", required_argument, 0, O_SEARCH},
		{"kind", required_argument, 0, O_KIND}, {"source", required_argument, 0, O_SOURCE},
		{"reference", required_argument, 0, O_REF},
		{"document", required_argument, 0, O_DOC}, {"note", required_argument, 0, O_NOTE},
		{"reason", required_argument, 0, O_REASON},
		{"outcome", required_argument, 0, O_OUTCOME}, {"org", required_argument, 0, O_ORG},
		{"detail", required_argument, 0, O_DETAIL},
		{"deadline", required_argument, 0, O_DEADLINE},
		{"name", required_argument, 0, O_FIELD + OF_NAME},
		{"unit", required_argument, 0, O_FIELD + OF_UNIT},
		{"locality", required_argument, 0, O_FIELD + OF_LOCALITY},
		{"state", required_argument, 0, O_FIELD + OF_STATE},
		{"reg-number", required_argument, 0, O_FIELD + OF_REG},
		{"address", required_argument, 0, O_FIELD + OF_ADDRESS},
		{"phone", required_argument, 0, O_FIELD + OF_PHONE},
		{"applicant", required_argument, 0, O_FIELD + OF_APPL},
		{"applicant-email", required_argument, 0, O_FIELD + OF_APPL_EMAIL},
		{"authorizer", required_argument, 0, O_FIELD + OF_AUTH},
		{"authorizer-email", required_argument, 0, O_FIELD + OF_AUTH_EMAIL},
		{0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case O_DATA: o->data_dir = optarg; break;
		case O_POLICY: o->policy = optarg; break;
		case O_AS: o->as = optarg; break;
		case O_ROLE: o->role = optarg; break;
		case O_STATUS: o->status = optarg; break;
		case O_SEARCH: o->search = optarg; break;
		case O_KIND: o->kind = optarg; break;
		case O_SOURCE: o->source = optarg; break;
		case O_REF: o->reference = optarg; break;
		case O_DOC: o->document = optarg; break;
		case O_NOTE: o->note = optarg; break;
		case O_REASON: o->reason = optarg; break;
		case O_OUTCOME: o->outcome = optarg; break;
		case O_ORG: o->org = optarg; break;
		case O_DETAIL: o->detail = optarg; break;
		case O_DEADLINE: o->deadline = optarg; break;
		default:
			if (ch < O_FIELD || ch >= O_FIELD + OF_N)
				return -1;
			o->field[ch - O_FIELD] = optarg;
		}
	}
	o->pos = argv + optind;
	o->npos = argc - optind;
	if (o->data_dir == NULL) {
		fprintf(stderr, "kakuin: --data-dir is required\n");
		return -1;
	}
	return 0;
}

int
kk_cli_fail(const char *what, const kk_err *e)
{
	fprintf(stderr, "kakuin: %s: %s\n", what, e->detail);
	return 1;
}

static int
bad(const char *msg)
{
	fprintf(stderr, "kakuin: %s\n", msg);
	return 1;
}

/* A positive decimal id. */
static int
parse_id(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* A secret from env (if set) or one line on stdin, echo off on a terminal. */
static int
read_secret(const char *env, const char *prompt, char *buf, size_t size)
{
	const char *v = getenv(env);
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), ok;
	size_t len;

	if (v != NULL) {
		if (snprintf(buf, size, "%s", v) >= (int)size)
			return bad("password too long");
		return 0;
	}
	if (tty) {
		fprintf(stderr, "%s: ", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)size, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return bad("no password (set $KAKUIN_REVIEW_PASSWORD or give it on stdin)");
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	return 0;
}

/* --as USER: signs the reviewer in; without --as the operator acts (actor 0) unless
 * required. */
static int
sign_in(rctx *c, int required)
{
	char pw[1100];
	kk_reviewer r;
	kk_err e;
	int rc;

	if (c->o.as == NULL) {
		if (required)
			return bad("this command needs --as USER (a reviewer)");
		return 0;
	}
	if (read_secret("KAKUIN_REVIEW_PASSWORD", "password", pw, sizeof(pw)) != 0)
		return 1;
	rc = kk_review_login(c->rv, c->o.as, pw, &r, &e);
	memset(pw, 0, sizeof(pw));
	if (rc != 0)
		return kk_cli_fail(c->o.as, &e);
	c->actor = r.id;
	c->actor_role = r.role;
	snprintf(c->actor_name, sizeof(c->actor_name), "%s", r.name);
	return 0;
}

static int
need_pos(const rctx *c, int n, const char *what)
{
	if (c->o.npos != n) {
		fprintf(stderr, "kakuin: expected %s\n", what);
		return 1;
	}
	return 0;
}

/* ---- user ---- */

static int
cmd_user(rctx *c, const char *verb)
{
	char pw[1100];
	int64_t id = 0;
	kk_reviewer *list = NULL;
	size_t i, n = 0;
	kk_role role = KK_ROLE_REVIEWER;
	kk_err e;
	int rc;

	if (strcmp(verb, "list") == 0) {
		if (kk_review_user_list(c->rv, &list, &n, &e) != 0)
			return kk_cli_fail("user list", &e);
		for (i = 0; i < n; i++)
			printf("%lld %s %s%s\n", (long long)list[i].id, list[i].name,
			    kk_role_name(list[i].role), list[i].disabled ? " (disabled)" : "");
		free(list);
		return 0;
	}
	if (need_pos(c, 1, "a reviewer NAME") != 0 || sign_in(c, 0) != 0)
		return 1;
	if (strcmp(verb, "disable") == 0) {
		if (kk_review_user_disable(c->rv, c->actor, c->o.pos[0], &e) != 0)
			return kk_cli_fail("user disable", &e);
		printf("user %s disabled\n", c->o.pos[0]);
		return 0;
	}
	if (strcmp(verb, "add") == 0 && (c->o.role == NULL || kk_role_parse(c->o.role, &role)))
		return bad("user add needs --role reviewer|approver|admin");
	if (strcmp(verb, "add") != 0 && strcmp(verb, "passwd") != 0)
		return bad("user commands: add, list, disable, passwd");
	if (read_secret("KAKUIN_REVIEW_NEW_PASSWORD", "new password", pw, sizeof(pw)) != 0)
		return 1;
	if (strcmp(verb, "add") == 0)
		rc = kk_review_user_add(c->rv, c->actor, c->o.pos[0], role, pw, &id, &e);
	else
		rc = kk_review_user_password(c->rv, c->actor, c->o.pos[0], pw, &e);
	memset(pw, 0, sizeof(pw));
	if (rc != 0)
		return kk_cli_fail(c->o.pos[0], &e);
	if (id != 0)
		printf("user %s (%s) id %lld\n", c->o.pos[0], c->o.role, (long long)id);
	else
		printf("user %s: password changed\n", c->o.pos[0]);
	return 0;
}

/* ---- org ---- */

static const struct {
	const char *opt;
	size_t off, size;
} org_field[OF_N] = {
#define F(opt, field) { opt, offsetof(kk_orgrec, field), sizeof(((kk_orgrec *)0)->field) }
	F("--name", name), F("--unit", unit), F("--locality", locality), F("--state", state),
	F("--reg-number", reg_number), F("--address", address), F("--phone", phone),
	F("--applicant", applicant_name), F("--applicant-email", applicant_email),
	F("--authorizer", authorizer_name), F("--authorizer-email", authorizer_email),
#undef F
};

/* Copies the fields given on the command line into o, refusing what would not fit. */
static int
set_fields(const rctx *c, kk_orgrec *o)
{
	size_t i;

	for (i = 0; i < OF_N; i++) {
		if (c->o.field[i] == NULL)
			continue;
		if (strlen(c->o.field[i]) >= org_field[i].size) {
			fprintf(stderr, "kakuin: %s is too long (at most %zu bytes)\n",
			    org_field[i].opt, org_field[i].size - 1);
			return 1;
		}
		memcpy((char *)o + org_field[i].off, c->o.field[i], strlen(c->o.field[i]) + 1);
	}
	return 0;
}

static void
print_time(const char *label, time_t t)
{
	char buf[21];

	if (t == 0)
		return;
	kk_time_format(t, buf);
	printf("  %-17s %s\n", label, buf);
}

static void
print_person(const char *label, const char *name, const char *email)
{
	printf("  %-17s %s%s%s%s\n", label, name, *email ? " <" : "", email, *email ? ">" : "");
}

static int
org_show(rctx *c, int64_t id)
{
	char obj[32], t[21];
	kk_evidence *ev = NULL;
	kk_audit *au = NULL;
	size_t i, n = 0, na = 0;
	kk_orgrec o;
	kk_err e;

	snprintf(obj, sizeof(obj), "org %lld", (long long)id);
	if (kk_review_org_get(c->rv, id, &o, &e) != 0 ||
	    kk_review_evidence_list(c->rv, id, &ev, &n, &e) != 0 ||
	    kk_review_audit_list(c->rv, obj, 50, &au, &na, &e) != 0) {
		free(ev);
		return kk_cli_fail(obj, &e);
	}
	printf("org %lld\n  %-17s %s%s\n", (long long)o.id, "status:", o.status,
	    o.dev ? " (dev-mode organization, approved by policy)" : "");
	printf("  %-17s %s\n  %-17s %s\n  %-17s %s\n  %-17s %s\n  %-17s %s\n", "O:", o.name,
	    "OU:", o.unit, "L:", o.locality, "ST:", o.state, "C:", o.country);
	printf("  %-17s %s\n  %-17s %s\n  %-17s %s\n", "corporate number:", o.reg_number,
	    "address:", o.address, "phone:", o.phone);
	print_person("applicant:", o.applicant_name, o.applicant_email);
	print_person("authorizer:", o.authorizer_name, o.authorizer_email);
	print_time("created:", o.created);
	if (o.verified_by != 0)
		printf("  %-17s %s\n", "verified by:", o.verified_by_name);
	print_time("verified at:", o.verified_at);
	if (o.approved_by != 0)
		printf("  %-17s %s\n", "approved by:", o.approved_by_name);
	print_time("approved at:", o.approved_at);
	print_time("expires:", o.expires);
	if (strcmp(o.status, "rejected") == 0)
		printf("  %-17s %s\n", "rejected:", o.reason);
	printf("evidence:\n");
	for (i = 0; i < n; i++) {
		kk_time_format(ev[i].created, t);
		printf("  %lld %s: %s; %s%s%s%s by %s at %s\n", (long long)ev[i].id, ev[i].kind,
		    ev[i].source, ev[i].reference, ev[i].doc_sha256[0] ? " [document " : "",
		    ev[i].doc_name, ev[i].doc_sha256[0] ? "]" : "", ev[i].added_by_name, t);
		if (ev[i].doc_sha256[0])
			printf("    sha256 %s\n", ev[i].doc_sha256);
	}
	printf("audit:\n");
	for (i = na; i > 0; i--) {
		kk_time_format(au[i - 1].at, t);
		printf("  %s %s %s %s\n", t, au[i - 1].actor, au[i - 1].action, au[i - 1].detail);
	}
	free(ev);
	free(au);
	return 0;
}

static int
org_list(rctx *c)
{
	kk_orgrec *list = NULL;
	size_t i, n = 0;
	kk_err e;

	if (kk_review_org_list(c->rv, c->o.status, c->o.search, &list, &n, &e) != 0)
		return kk_cli_fail("org list", &e);
	for (i = 0; i < n; i++)
		printf("%lld %s %s%s%s%s\n", (long long)list[i].id, list[i].status, list[i].name,
		    list[i].reg_number[0] ? " (" : "", list[i].reg_number,
		    list[i].reg_number[0] ? ")" : "");
	free(list);
	return 0;
}

static int
org_evidence(rctx *c, int64_t id)
{
	char *doc = NULL;
	const char *base;
	size_t len = 0;
	int64_t eid = 0;
	kk_evidence ev;
	kk_err e;
	int rc;

	memset(&ev, 0, sizeof(ev));
	if (c->o.kind == NULL || c->o.source == NULL)
		return bad("org evidence needs --kind and --source");
	if (snprintf(ev.kind, sizeof(ev.kind), "%s", c->o.kind) >= (int)sizeof(ev.kind) ||
	    snprintf(ev.source, sizeof(ev.source), "%s", c->o.source) >= (int)sizeof(ev.source) ||
	    snprintf(ev.reference, sizeof(ev.reference), "%s", c->o.reference ? c->o.reference :
		"") >= (int)sizeof(ev.reference))
		return bad("--kind, --source or --reference is too long");
	if (c->o.document != NULL) {
		if (kk_file_read(c->o.document, 10 * 1024 * 1024 + 1, &doc, &len, &e) != 0)
			return kk_cli_fail(c->o.document, &e);
		base = strrchr(c->o.document, '/');
		snprintf(ev.doc_name, sizeof(ev.doc_name), "%s", base ? base + 1 : c->o.document);
	}
	rc = kk_review_evidence_add(c->rv, c->actor, id, &ev, (unsigned char *)doc, len, &eid,
	    &e);
	free(doc);
	if (rc != 0)
		return kk_cli_fail("org evidence", &e);
	printf("evidence %lld\n", (long long)eid);
	return 0;
}

static int
org_decide(rctx *c, const char *verb, int64_t id)
{
	kk_orgrec o;
	kk_err e;
	int rc;

	if (strcmp(verb, "verify") == 0)
		rc = kk_review_org_verify(c->rv, c->actor, id, c->o.note, &e);
	else if (strcmp(verb, "approve") == 0)
		rc = kk_review_org_approve(c->rv, c->actor, id, c->o.note, &e);
	else if (strcmp(verb, "reject") == 0)
		rc = c->o.reason == NULL ? bad("org reject needs --reason") :
		    kk_review_org_reject(c->rv, c->actor, id, c->o.reason, &e);
	else
		rc = kk_review_org_revet(c->rv, c->actor, id, c->o.note, &e);
	if (rc == 1)
		return 1;
	if (rc != 0)
		return kk_cli_fail(verb, &e);
	if (kk_review_org_get(c->rv, id, &o, &e) != 0)
		return kk_cli_fail("org", &e);
	printf("org %lld %s by %s: %s\n", (long long)id, strcmp(verb, "revet") == 0 ?
	    "sent back for re-vetting" : strcmp(verb, "verify") == 0 ? "verified" : strcmp(verb,
	    "approve") == 0 ? "approved" : "rejected", c->actor_name, o.status);
	return 0;
}

static int
cmd_org(rctx *c, const char *verb)
{
	int64_t id = 0;
	kk_orgrec o;
	kk_err e;

	if (strcmp(verb, "list") == 0)
		return org_list(c);
	if (strcmp(verb, "create") == 0) {
		memset(&o, 0, sizeof(o));
		if (need_pos(c, 0, "no arguments") != 0 || set_fields(c, &o) != 0 ||
		    sign_in(c, 0) != 0)
			return 1;
		if (kk_review_org_create(c->rv, c->actor, &o, &id, &e) != 0)
			return kk_cli_fail("org create", &e);
		printf("org %lld\n", (long long)id);
		return 0;
	}
	if (need_pos(c, 1, "an organization id") != 0)
		return 1;
	if (parse_id(c->o.pos[0], &id) != 0)
		return bad("organization ids are positive numbers");
	if (strcmp(verb, "show") == 0)
		return org_show(c, id);
	if (strcmp(verb, "update") != 0 && strcmp(verb, "evidence") != 0 &&
	    strcmp(verb, "verify") != 0 && strcmp(verb, "approve") != 0 &&
	    strcmp(verb, "reject") != 0 && strcmp(verb, "revet") != 0)
		return bad("org commands: create, update, list, show, evidence, verify, approve, "
		    "reject, revet");
	if (sign_in(c, 1) != 0)
		return 1;
	if (strcmp(verb, "evidence") == 0)
		return org_evidence(c, id);
	if (strcmp(verb, "update") != 0)
		return org_decide(c, verb, id);
	if (kk_review_org_get(c->rv, id, &o, &e) != 0)
		return kk_cli_fail("org", &e);
	if (set_fields(c, &o) != 0)
		return 1;
	if (kk_review_org_update(c->rv, c->actor, &o, &e) != 0 ||
	    kk_review_org_get(c->rv, id, &o, &e) != 0)
		return kk_cli_fail("org update", &e);
	printf("org %lld updated: %s\n", (long long)id, o.status);
	return 0;
}

/* ---- eab ---- */

static int
cmd_eab(rctx *c, const char *verb)
{
	char kid[40], hmac[64], t[21], u[21];
	int64_t org = 0;
	kk_eab *list = NULL;
	size_t i, n = 0;
	kk_err e;

	if (c->o.org != NULL && parse_id(c->o.org, &org) != 0)
		return bad("--org takes an organization id");
	if (strcmp(verb, "list") == 0) {
		if (kk_review_eab_list(c->rv, org, &list, &n, &e) != 0)
			return kk_cli_fail("eab list", &e);
		for (i = 0; i < n; i++) {
			kk_time_format(list[i].created, t);
			kk_time_format(list[i].last_used, u);
			printf("%s org %lld created %s by %s%s%s%s\n", list[i].kid,
			    (long long)list[i].org_id, t, list[i].created_by,
			    list[i].last_used ? ", last used " : "", list[i].last_used ? u : "",
			    list[i].revoked ? ", revoked" : "");
		}
		free(list);
		return 0;
	}
	if (strcmp(verb, "create") == 0) {
		if (org == 0)
			return bad("eab create needs --org N");
		if (need_pos(c, 0, "no arguments") != 0 || sign_in(c, 1) != 0)
			return 1;
		if (kk_review_eab_create(c->rv, c->actor, org, kid, hmac, &e) != 0)
			return kk_cli_fail("eab create", &e);
		printf("kid: %s\nhmac: %s\n(the HMAC key is shown only this once)\n", kid, hmac);
		memset(hmac, 0, sizeof(hmac));
		return 0;
	}
	if (strcmp(verb, "revoke") != 0)
		return bad("eab commands: create, revoke, list");
	if (need_pos(c, 1, "an EAB key id") != 0 || sign_in(c, 1) != 0)
		return 1;
	if (kk_review_eab_revoke(c->rv, c->actor, c->o.pos[0], &e) != 0)
		return kk_cli_fail("eab revoke", &e);
	printf("eab %s revoked\n", c->o.pos[0]);
	return 0;
}

/* ---- task ---- */

static int
cmd_task(rctx *c, const char *verb)
{
	kk_task *list = NULL, t;
	size_t i, n = 0;
	int64_t id = 0;
	int success;
	kk_err e;

	if (strcmp(verb, "list") == 0) {
		if (kk_review_task_list(c->rv, c->o.status, &list, &n, &e) != 0)
			return kk_cli_fail("task list", &e);
		for (i = 0; i < n; i++)
			printf("%lld %s %s org %lld: %s%s%s (BR %s, value %s)%s%s\n",
			    (long long)list[i].id, list[i].kind, list[i].status,
			    (long long)list[i].org_id, list[i].domain, list[i].phone[0] ? " phone " :
			    "", list[i].phone, list[i].br_method, list[i].random_value,
			    list[i].outcome[0] ? " " : "", list[i].outcome);
		free(list);
		return 0;
	}
	if (strcmp(verb, "done") != 0)
		return bad("task commands: list, done");
	if (need_pos(c, 1, "a task id") != 0)
		return 1;
	if (parse_id(c->o.pos[0], &id) != 0)
		return bad("task ids are positive numbers");
	if (c->o.outcome == NULL || (strcmp(c->o.outcome, "success") != 0 &&
	    strcmp(c->o.outcome, "failure") != 0))
		return bad("task done needs --outcome success|failure");
	success = strcmp(c->o.outcome, "success") == 0;
	if (sign_in(c, 1) != 0)
		return 1;
	if (kk_review_task_complete(c->rv, c->actor, id, success, c->o.note, &e) != 0 ||
	    kk_review_task_get(c->rv, id, &t, &e) != 0)
		return kk_cli_fail("task done", &e);
	printf("task %lld %s: %s by %s\n", (long long)id, t.status, t.outcome, t.done_by_name);
	return 0;
}

/* ---- revoke (CP 4.9.1, 4.9.3) ---- */

static int
revoke_report(rctx *c)
{
	kk_revreq *list = NULL;
	char deadline[21];
	time_t now = kk_now();
	size_t i, n = 0;
	kk_err e;

	if (kk_store_revreq_open(c->st, &list, &n, &e) != 0)
		return kk_cli_fail("revoke report", &e);
	for (i = 0; i < n; i++) {
		kk_time_format(list[i].deadline, deadline);
		printf("%lld %s %s within %s, deadline %s%s (by %s): %s\n", (long long)list[i].id,
		    list[i].serial, kk_revoke_reason_name(list[i].reason), list[i].deadline_class,
		    deadline, list[i].deadline <= now ? " OVERDUE" : "", list[i].requested_by,
		    list[i].detail);
	}
	if (n == 0)
		printf("no open revocation requests\n");
	free(list);
	return 0;
}

static int
cmd_revoke(rctx *c, const char *verb)
{
	kk_reviewer who;
	kk_revreq r;
	char **serials = NULL, deadline[21];
	size_t i, n = 0;
	int reason = 0;
	kk_err e;

	if (strcmp(verb, "report") == 0)
		return revoke_report(c);
	if (strcmp(verb, "request") != 0 && strcmp(verb, "do") != 0)
		return bad("revoke commands: request, do, report");
	if (need_pos(c, 1, "a certificate serial") != 0)
		return 1;
	if (c->o.reason == NULL || kk_revoke_reason_parse(c->o.reason, &reason) != 0)
		return bad("--reason must be unspecified, keyCompromise, affiliationChanged, "
		    "superseded, cessationOfOperation or privilegeWithdrawn");
	if (sign_in(c, 1) != 0)
		return 1;
	memset(&who, 0, sizeof(who));
	who.id = c->actor;
	who.role = c->actor_role;
	snprintf(who.name, sizeof(who.name), "%s", c->actor_name);
	if (strcmp(verb, "request") == 0) {
		if (kk_revoke_request(c->st, &who, c->o.pos[0], reason, c->o.detail,
		    c->o.deadline, kk_now(), &r, &e) != 0)
			return kk_cli_fail("revoke request", &e);
		kk_time_format(r.deadline, deadline);
		printf("revocation request %lld: %s %s, revoke by %s (%s)\n", (long long)r.id,
		    r.serial, kk_revoke_reason_name(reason), deadline, r.deadline_class);
		return 0;
	}
	if (kk_revoke_by_reviewer(c->st, &who, c->o.pos[0], reason, c->o.detail, &serials, &n,
	    &e) != 0)
		return kk_cli_fail("revoke", &e);
	for (i = 0; i < n; i++)
		printf("revoked %s (%s)\n", serials[i], kk_revoke_reason_name(i == 0 ? reason : 1));
	kk_serials_free(serials, n);
	return 0;
}

/* argv[0] is "review", or "revoke" for `kakuin revoke VERB ...` (the same options and
 * reviewer sign-in). */
int
kk_review_main(int argc, char **argv)
{
	char docs[600];
	const char *group, *verb;
	kk_paths paths;
	rctx c;
	kk_err e;
	int rc = 1, revoke = strcmp(argv[0], "revoke") == 0;

	if (argc >= 2 && strcmp(argv[1], "help") == 0) {
		review_usage();
		return 0;
	}
	memset(&c, 0, sizeof(c));
	/* options may come anywhere: getopt moves the words (GROUP VERB ARGS) to the end */
	if (parse_ropts(argc, argv, &c.o) != 0 || c.o.npos < (revoke ? 1 : 2)) {
		review_usage();
		return 2;
	}
	group = revoke ? "revoke" : c.o.pos[0];
	verb = c.o.pos[revoke ? 0 : 1];
	c.o.pos += revoke ? 1 : 2;
	c.o.npos -= revoke ? 1 : 2;
	kk_paths_init(&paths, c.o.data_dir);
	if (!kk_file_exists(paths.db)) {
		fprintf(stderr, "kakuin: %s is not initialised; run kakuin init --data-dir %s\n",
		    c.o.data_dir, c.o.data_dir);
		return 1;
	}
	snprintf(docs, sizeof(docs), "%s/documents", c.o.data_dir);
	if (kk_policy_load(c.o.policy, &c.pol, &e) != 0)
		return kk_cli_fail("policy", &e);
	if (kk_store_open(&c.st, paths.db, &e) != 0)
		return kk_cli_fail("store", &e);
	if (kk_review_open(&c.rv, c.st, &c.pol, docs, &e) != 0) {
		kk_cli_fail("review", &e);
		goto out;
	}
	if (strcmp(group, "user") == 0)
		rc = cmd_user(&c, verb);
	else if (strcmp(group, "org") == 0)
		rc = cmd_org(&c, verb);
	else if (strcmp(group, "eab") == 0)
		rc = cmd_eab(&c, verb);
	else if (strcmp(group, "task") == 0)
		rc = cmd_task(&c, verb);
	else if (revoke)
		rc = cmd_revoke(&c, verb);
	else {
		review_usage();
		rc = 2;
	}
out:
	kk_review_close(c.rv);
	kk_store_close(c.st);
	return rc;
}
