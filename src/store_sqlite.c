/*
 * The SQLite store (include/kakuin/store.h): connection, migrations, the statement
 * helpers of store_internal.h, and the consistency check. Rows of each kind live in
 * store_accounts.c, store_authz.c and store_orders.c.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"
#include "kakuin/metrics.h"
#include "kakuin/util.h"
#include "store_internal.h"

/*
 * SQLite's allocator goes through kk_malloc so kk_alloc_fail_after() reaches inside
 * the database engine too (SQLite's own testing style): a failed allocation in the
 * middle of a transaction must roll back cleanly. Each block carries its size in an
 * 8-byte header, which keeps the 8-byte alignment SQLite requires.
 */
static void *
mem_malloc(int n)
{
	uint64_t *p;

	if (n <= 0 || (p = kk_malloc((size_t)n + sizeof(*p))) == NULL)
		return NULL;
	p[0] = (uint64_t)n;
	return p + 1;
}

static void
mem_free(void *p)
{
	if (p != NULL)
		free((uint64_t *)p - 1);
}

static int
mem_size(void *p)
{
	return p == NULL ? 0 : (int)((uint64_t *)p)[-1];
}

static void *
mem_realloc(void *p, int n)
{
	void *q;
	int old = mem_size(p);

	if ((q = mem_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, (size_t)(old < n ? old : n));
	mem_free(p);
	return q;
}

static int
mem_roundup(int n)
{
	return (n + 7) & ~7;
}

static int
mem_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void
mem_shutdown(void *arg)
{
	(void)arg;
}

static pthread_once_t mem_once = PTHREAD_ONCE_INIT;

/* Must run before SQLite initializes; if something initialized it first, SQLite keeps
 * its own allocator (SQLITE_MISUSE) and only the seam is lost. */
static void
mem_install(void)
{
	static const sqlite3_mem_methods methods = {
		mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup, mem_init,
		mem_shutdown, NULL
	};

	sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
}

void
store_lock(kk_store *st)
{
	pthread_mutex_lock(&st->mu);
}

void
store_unlock(kk_store *st)
{
	pthread_mutex_unlock(&st->mu);
}

/* Test seam (issue #8, kk_store_fault_after): the countdown of store steps, BEGINs and
 * COMMITs before the injected failure; -1 when off. */
static atomic_long fault_after = -1;
static atomic_int fault_code;

void
kk_store_fault_after(long n, int sqlite_code)
{
	atomic_store(&fault_code, sqlite_code);
	atomic_store(&fault_after, n);
}

/* The SQLite result code to fail this step with (the seam), or SQLITE_OK. */
static int
fault_now(void)
{
	return kk_countdown_hit(&fault_after) ? atomic_load(&fault_code) : SQLITE_OK;
}

/* Transient faults (busy, full, I/O, memory) are KK_ERR_UNAVAILABLE: the request may
 * succeed later, and an issuance in progress is retried rather than failed. Each is
 * logged and counted (metrics.h). */
static int
transient_err(int rc, const char *msg, kk_err *err, const char *what)
{
	const char *why;
	kk_metric m;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		m = KK_M_STORE_BUSY;
		why = "the store is busy";
		break;
	case SQLITE_FULL:
		m = KK_M_STORE_FULL;
		why = "the CA's storage is full";
		break;
	case SQLITE_IOERR:
	case SQLITE_READONLY:
		m = KK_M_STORE_IOERR;
		why = "storage I/O error";
		break;
	case SQLITE_NOMEM:
		m = KK_M_STORE_NOMEM;
		why = "the store is out of memory";
		break;
	default:
		return 0;
	}
	kk_metric_inc(m);
	kk_log("error", "store", "%s: %s (%s)", what, why, msg);
	kk_err_set(err, KK_ERR_UNAVAILABLE, "%s (temporary, retry later): %s", why, what);
	return 1;
}

int
store_db_err(kk_store *st, int rc, kk_err *err, const char *what)
{
	int ext = sqlite3_extended_errcode(st->db);
	const char *msg = sqlite3_errcode(st->db) == rc ? sqlite3_errmsg(st->db) :
	    sqlite3_errstr(rc);

	if (transient_err(rc, msg, err, what))
		return -1;
	if ((rc & 0xff) == SQLITE_CORRUPT)
		kk_metric_inc(KK_M_STORE_IOERR);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return kk_err_set(err, KK_ERR_CONFLICT, "%s: already exists (%s)", what,
			    sqlite3_errmsg(st->db));
		if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
			return kk_err_set(err, KK_ERR_NOT_FOUND, "%s: refers to a missing row",
			    what);
	}
	return kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", what, msg);
}

static int
bind_args(sqlite3_stmt *s, const char *fmt, va_list ap)
{
	int i, rc = SQLITE_OK;
	const char *str;
	const void *blob;
	size_t len;
	int64_t v;
	time_t t;

	for (i = 1; *fmt != '\0' && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 'I':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'N':
			v = va_arg(ap, int64_t);
			rc = v == 0 ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, v);
			break;
		case 'i':
			rc = sqlite3_bind_int(s, i, va_arg(ap, int));
			break;
		case 'T':
			rc = sqlite3_bind_int64(s, i, (sqlite3_int64)va_arg(ap, time_t));
			break;
		case 'Z':
			t = va_arg(ap, time_t);
			rc = t == 0 ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_int64(s, i, (sqlite3_int64)t);
			break;
		case 's':
			str = va_arg(ap, const char *);
			rc = sqlite3_bind_text(s, i, str, -1, SQLITE_STATIC);
			break;
		case 'b':
			blob = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			rc = len > INT_MAX ? SQLITE_TOOBIG :
			    sqlite3_bind_blob(s, i, blob, (int)len, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

/* A cached statement for exactly this SQL text that nobody is using, marked busy. */
static sqlite3_stmt *
cached_stmt(kk_store *st, const char *sql)
{
	size_t i;

	for (i = 0; i < st->nstmts; i++)
		if (!st->stmts[i].busy && strcmp(sqlite3_sql(st->stmts[i].s), sql) == 0) {
			st->stmts[i].busy = 1;
			return st->stmts[i].s;
		}
	return NULL;
}

/* Keeps a freshly prepared statement (busy) while there is room; beyond that
 * store_finish finalizes it. */
static void
cache_stmt(kk_store *st, sqlite3_stmt *s)
{
	if (st->nstmts == STORE_STMT_CACHE)
		return;
	st->stmts[st->nstmts].s = s;
	st->stmts[st->nstmts++].busy = 1;
}

static int
store_prepv(kk_store *st, sqlite3_stmt **out, kk_err *err, const char *sql, const char *fmt,
    va_list ap)
{
	sqlite3_stmt *s = NULL;
	int rc;

	*out = NULL;
	if ((s = cached_stmt(st, sql)) == NULL) {
		if ((rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
		    NULL)) != SQLITE_OK)
			return store_db_err(st, rc, err, "prepare");
		cache_stmt(st, s);
	}
	if ((rc = bind_args(s, fmt, ap)) != SQLITE_OK) {
		store_db_err(st, rc, err, "bind");
		store_finish(st, s);
		return -1;
	}
	*out = s;
	return 0;
}

void
store_finish(kk_store *st, sqlite3_stmt *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < st->nstmts; i++)
		if (st->stmts[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			st->stmts[i].busy = 0;
			return;
		}
	store_finish(st, s);
}

int
store_prep(kk_store *st, sqlite3_stmt **out, kk_err *err, const char *sql, const char *fmt,
    ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_prepv(st, out, err, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int
store_step(kk_store *st, sqlite3_stmt *s, kk_err *err, const char *what)
{
	int rc = fault_now();

	if (rc != SQLITE_OK)
		return store_db_err(st, rc, err, what);
	rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_db_err(st, rc, err, what);
}

int
store_run(kk_store *st, int *changes, kk_err *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_prepv(st, &s, err, sql, fmt, ap);
	va_end(ap);
	if (rc != 0)
		return -1;
	if ((rc = store_step(st, s, err, "write")) == 1)
		rc = kk_err_set(err, KK_ERR_INTERNAL, "write returned rows");
	if (rc == 0 && changes != NULL)
		*changes = sqlite3_changes(st->db);
	store_finish(st, s);
	return rc;
}

int
store_write_one(kk_store *st, kk_err *err, const char *what, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc;

	store_lock(st);
	if ((rc = store_begin(st, err)) != 0)
		goto out;
	va_start(ap, fmt);
	rc = store_prepv(st, &s, err, sql, fmt, ap);
	va_end(ap);
	if (rc == 0 && (rc = store_step(st, s, err, what)) == 0 &&
	    sqlite3_changes(st->db) == 0)
		rc = kk_err_set(err, KK_ERR_NOT_FOUND, "%s not found", what);
	else if (rc == 1)
		rc = kk_err_set(err, KK_ERR_INTERNAL, "%s: write returned rows", what);
	store_finish(st, s);
	rc = store_end(st, rc, err);
out:
	store_unlock(st);
	return rc;
}

int
store_get_text(kk_store *st, char *buf, size_t size, kk_err *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_prepv(st, &s, err, sql, fmt, ap);
	va_end(ap);
	if (rc != 0)
		return -1;
	if ((rc = store_step(st, s, err, "read")) == 1)
		store_col_copy(s, 0, buf, size);
	store_finish(st, s);
	return rc;
}

int
store_get_int64(kk_store *st, int64_t *v, kk_err *err, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_prepv(st, &s, err, sql, fmt, ap);
	va_end(ap);
	if (rc != 0)
		return -1;
	if ((rc = store_step(st, s, err, "read")) == 1)
		*v = sqlite3_column_int64(s, 0);
	store_finish(st, s);
	return rc;
}

int
store_get_ids(kk_store *st, int64_t **ids, size_t *n, kk_err *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *s = NULL;
	int64_t *v = NULL, *nv;
	size_t used = 0, cap = 0;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_prepv(st, &s, err, sql, fmt, ap);
	va_end(ap);
	if (rc != 0)
		return -1;
	while ((rc = store_step(st, s, err, "read")) == 1) {
		if (used == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = kk_calloc(cap, sizeof(*nv))) == NULL) {
				rc = kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
				break;
			}
			if (used > 0)
				memcpy(nv, v, used * sizeof(*v));
			free(v);
			v = nv;
		}
		v[used++] = sqlite3_column_int64(s, 0);
	}
	store_finish(st, s);
	if (rc != 0) {
		free(v);
		return -1;
	}
	*ids = v;
	*n = used;
	return 0;
}

int
store_begin(kk_store *st, kk_err *err)
{
	int rc;

	/* A failed ROLLBACK (out of memory) can leave a transaction open; close it so
	 * this operation does not inherit half of an earlier one. */
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if ((rc = fault_now()) != SQLITE_OK ||
	    (rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return store_db_err(st, rc, err, "begin");
	return 0;
}

int
store_begin_durable(kk_store *st, kk_err *err)
{
	int rc;

	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	/* the level cannot change inside a transaction */
	if ((rc = sqlite3_exec(st->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return store_db_err(st, rc, err, "synchronous");
	st->durable = 1;
	if ((rc = store_begin(st, err)) != 0)
		store_end(st, rc, err);
	return rc;
}

int
store_end(kk_store *st, int rc, kk_err *err)
{
	int src;

	if (rc == 0) {
		if ((src = fault_now()) != SQLITE_OK ||
		    (src = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
			rc = store_db_err(st, src, err, "commit");
	}
	if (rc != 0 && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	if (st->durable) {
		st->durable = 0;
		if ((src = sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL,
		    NULL)) != SQLITE_OK && rc == 0)
			rc = store_db_err(st, src, err, "synchronous");
	}
	return rc;
}

int
store_col_str(sqlite3_stmt *s, int col, char **out)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	*out = NULL;
	if (t == NULL)
		return sqlite3_column_type(s, col) == SQLITE_NULL ? 0 : -1;
	if ((*out = kk_strdup((const char *)t)) == NULL)
		return -1;
	return 0;
}

int
store_col_blob(sqlite3_stmt *s, int col, unsigned char **out, size_t *len)
{
	const void *b = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return 0;
	if (b == NULL && n > 0)
		return -1;
	if ((*out = kk_malloc(n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*out, b, n);
	*len = n;
	return 0;
}

void
store_col_copy(sqlite3_stmt *s, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(buf, size, "%s", t == NULL ? "" : (const char *)t);
}

static int
current_version(kk_store *st, int *version, kk_err *err)
{
	char buf[32];
	int rc;

	rc = store_get_text(st, buf, sizeof(buf), err,
	    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
	    "");
	if (rc <= 0) {
		*version = 0;
		return rc;
	}
	if (store_get_text(st, buf, sizeof(buf), err,
	    "SELECT coalesce(max(version), 0) FROM schema_version", "") < 0)
		return -1;
	*version = atoi(buf);
	return 0;
}

/* Applies each pending migration in its own transaction, re-reading the version
 * under the write lock so two processes opening one database migrate only once. */
static int
migrate(kk_store *st, kk_err *err)
{
	const kk_migration *m;
	int rc, version, known = 0;

	for (m = kk_migrations; m->version != 0; m++) {
		known = m->version;
		if (store_begin(st, err) != 0)
			return -1;
		rc = current_version(st, &version, err);
		if (rc == 0 && m->version > version) {
			if ((rc = sqlite3_exec(st->db, m->sql, NULL, NULL, NULL)) != SQLITE_OK)
				rc = store_db_err(st, rc, err, m->name);
			else
				rc = store_run(st, NULL, err, "INSERT INTO schema_version "
				    "(version, name, applied_at) VALUES (?, ?, ?)", "isT",
				    m->version, m->name, kk_now());
		}
		if (store_end(st, rc, err) != 0)
			return -1;
	}
	/* A newer kakuin may have changed what the rows mean: never write to it. */
	if (current_version(st, &version, err) != 0)
		return -1;
	if (version > known)
		return kk_err_set(err, KK_ERR_INTERNAL, "database schema %d is newer than this "
		    "kakuin (%d)", version, known);
	return 0;
}

/* Runs a PRAGMA and checks it answered as expected (journal_mode answers the mode
 * it actually got; an in-memory database stays "memory"). */
static int
pragma(kk_store *st, const char *sql, const char *want, const char *alt, kk_err *err)
{
	char got[32];
	int rc;

	if ((rc = store_get_text(st, got, sizeof(got), err, sql, "")) < 0)
		return -1;
	if (want == NULL)
		return 0;
	if (rc == 0 || (strcmp(got, want) != 0 && (alt == NULL || strcmp(got, alt) != 0)))
		return kk_err_set(err, KK_ERR_INTERNAL, "%s: got \"%s\"", sql, got);
	return 0;
}

/* Statements slower than this are logged with their SQL (the operator's slow query
 * log; a scan that grows with the store shows up here first). */
#define STORE_SLOW_NS	(250LL * 1000 * 1000)

/* sqlite3_trace_v2 SQLITE_TRACE_PROFILE: p is the statement, x its run time in ns. */
static int
slow_statement(unsigned type, void *ctx, void *p, void *x)
{
	long long ns = *(sqlite3_int64 *)x;

	(void)ctx;
	if (type == SQLITE_TRACE_PROFILE && ns >= STORE_SLOW_NS)
		kk_log("warning", "store", "slow statement (%.2f s): %.300s", (double)ns / 1e9,
		    sqlite3_sql((sqlite3_stmt *)p));
	return 0;
}

int
kk_store_open(kk_store **out, const char *path, kk_err *err)
{
	kk_store *st = NULL;
	int rc;

	*out = NULL;
	pthread_once(&mem_once, mem_install);
	if ((st = kk_calloc(1, sizeof(*st))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		free(st);
		return kk_err_set(err, KK_ERR_INTERNAL, "mutex init failed");
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (st->db == NULL)
			kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", path, sqlite3_errstr(rc));
		else
			store_db_err(st, rc, err, path);
		goto fail;
	}
	/* synchronous=NORMAL: WAL commits survive a crashed or killed process; the ones
	 * that must survive power loss use store_begin_durable (FULL for that commit). */
	if (sqlite3_busy_timeout(st->db, 5000) != SQLITE_OK ||
	    sqlite3_trace_v2(st->db, SQLITE_TRACE_PROFILE, slow_statement, NULL) != SQLITE_OK ||
	    pragma(st, "PRAGMA journal_mode = WAL", "wal", "memory", err) != 0 ||
	    pragma(st, "PRAGMA foreign_keys = ON", NULL, NULL, err) != 0 ||
	    pragma(st, "PRAGMA synchronous = NORMAL", NULL, NULL, err) != 0 ||
	    pragma(st, "PRAGMA foreign_keys", "1", NULL, err) != 0 ||
	    migrate(st, err) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	kk_store_close(st);
	return -1;
}

void
kk_store_close(kk_store *st)
{
	if (st == NULL)
		return;
	while (st->nstmts > 0)
		sqlite3_finalize(st->stmts[--st->nstmts].s);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

int
kk_store_schema_version(kk_store *st)
{
	int version = -1;

	store_lock(st);
	if (current_version(st, &version, NULL) != 0)
		version = -1;
	store_unlock(st);
	return version;
}

/* kakuin's invariants: each query names the first row that breaks one. */
static const struct {
	const char *what;
	const char *sql;
} invariants[] = {
	{ "valid order without an issued certificate",
	  "SELECT 'order ' || o.id FROM orders o WHERE o.status = 'valid' AND NOT EXISTS "
	  "(SELECT 1 FROM certificates c WHERE c.serial = o.cert_serial AND "
	  "c.order_id = o.id AND c.status IN ('issued', 'revoked')) LIMIT 1" },
	{ "order without authorizations",
	  "SELECT 'order ' || o.id FROM orders o WHERE NOT EXISTS "
	  "(SELECT 1 FROM order_authorizations l WHERE l.order_id = o.id) LIMIT 1" },
	{ "order links an authorization of another account",
	  "SELECT 'order ' || o.id FROM orders o JOIN order_authorizations l ON "
	  "l.order_id = o.id JOIN authorizations a ON a.id = l.authz_id "
	  "WHERE a.account_id <> o.account_id LIMIT 1" },
	{ "issued certificate without DER",
	  "SELECT 'certificate ' || serial FROM certificates WHERE status IN "
	  "('issued', 'revoked') AND (der IS NULL OR length(der) = 0) LIMIT 1" },
	{ "planned certificate without TBS",
	  "SELECT 'certificate ' || serial FROM certificates WHERE status <> 'reserved' "
	  "AND (tbs IS NULL OR length(tbs) = 0) LIMIT 1" },
	{ "certificate account differs from its order's",
	  "SELECT 'certificate ' || c.serial FROM certificates c JOIN orders o ON "
	  "o.id = c.order_id WHERE o.account_id <> c.account_id LIMIT 1" },
	{ "processing challenge of an authorization that is not pending",
	  "SELECT 'challenge ' || c.id FROM challenges c JOIN authorizations a ON "
	  "a.id = c.authz_id WHERE c.status = 'processing' AND a.status <> 'pending' LIMIT 1" },
	{ "valid authorization without a valid challenge",
	  "SELECT 'authorization ' || a.id FROM authorizations a WHERE a.status = 'valid' "
	  "AND NOT EXISTS (SELECT 1 FROM challenges c WHERE c.authz_id = a.id AND "
	  "c.status = 'valid') LIMIT 1" },
	{ "authorization covered by another account's or a non-covering authorization",
	  "SELECT 'authorization ' || a.id FROM authorizations a JOIN authorizations p ON "
	  "p.id = a.covered_by WHERE p.account_id <> a.account_id OR "
	  "p.covers_subdomains <> 1 LIMIT 1" },
	{ "valid challenge validated after schema 2 without its BR method (BR 3.2.2.4)",
	  "SELECT 'challenge ' || c.id FROM challenges c WHERE c.status = 'valid' AND "
	  "c.br_method IS NULL AND c.validated >= (SELECT applied_at FROM schema_version "
	  "WHERE version = 2) LIMIT 1" },
};

static int
check_locked(kk_store *st, kk_err *err)
{
	sqlite3_stmt *s = NULL;
	char row[128];
	size_t i;
	int rc;

	if ((rc = store_get_text(st, row, sizeof(row), err, "PRAGMA integrity_check", "")) < 0)
		return -1;
	if (rc == 0 || strcmp(row, "ok") != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "integrity_check: %s", row);
	if (store_prep(st, &s, err, "PRAGMA foreign_key_check", "") != 0)
		return -1;
	if ((rc = store_step(st, s, err, "foreign_key_check")) == 1)
		kk_err_set(err, KK_ERR_INTERNAL, "foreign key violation: %s row %lld refers "
		    "to a missing %s", sqlite3_column_text(s, 0),
		    (long long)sqlite3_column_int64(s, 1), sqlite3_column_text(s, 2));
	store_finish(st, s);
	if (rc != 0)
		return -1;
	for (i = 0; i < sizeof(invariants) / sizeof(invariants[0]); i++) {
		rc = store_get_text(st, row, sizeof(row), err, invariants[i].sql, "");
		if (rc < 0)
			return -1;
		if (rc == 1)
			return kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", invariants[i].what, row);
	}
	return 0;
}

int
kk_store_check(kk_store *st, kk_err *err)
{
	int rc;

	/* One transaction: every query sees the same snapshot. */
	store_lock(st);
	if ((rc = store_begin(st, err)) == 0)
		rc = store_end(st, check_locked(st, err), err);
	store_unlock(st);
	return rc;
}
