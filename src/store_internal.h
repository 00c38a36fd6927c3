/*
 * Private to src/store_*.c: the connection, its lock, and the small prepared-statement
 * helpers every store file uses. Nothing outside the store includes this.
 *
 * Binding formats (store_prep and friends), one character per SQL parameter:
 *   'I' int64_t   'N' int64_t, 0 binds NULL   'i' int
 *   'T' time_t    'Z' time_t, 0 binds NULL
 *   's' const char *, NULL binds NULL    'b' const void *, size_t (blob)
 * Bound values are borrowed (SQLITE_STATIC): they must outlive the statement, which the
 * helpers finalize before returning.
 */
#ifndef KAKUIN_STORE_INTERNAL_H
#define KAKUIN_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include "kakuin/store.h"

#define STORE_STMT_CACHE 96
struct kk_store {
	sqlite3 *db;
	pthread_mutex_t mu; /* one connection shared by all threads */
	int durable;        /* the open transaction commits with synchronous=FULL */
	/* prepared statements kept for reuse (store_prep / store_finish), under mu:
	 * compiling SQL cost more than running it */
	struct {
		sqlite3_stmt *s;
		int busy;
	} stmts[STORE_STMT_CACHE];
	size_t nstmts;
};

void store_lock(kk_store *st);
void store_unlock(kk_store *st);

/* Hands back a statement from store_prep: a cached one is reset for its next use,
 * any other finalized. NULL is ignored. */
void store_finish(kk_store *st, sqlite3_stmt *s);

/* Maps an SQLite result code to an err kind: unique -> CONFLICT, foreign key ->
 * NOT_FOUND, anything else INTERNAL with sqlite3_errmsg. Returns -1. */
int store_db_err(kk_store *st, int rc, kk_err *err, const char *what);

/* Prepares sql and binds the arguments described by fmt. *out is the caller's to
 * sqlite3_finalize. */
int store_prep(kk_store *st, sqlite3_stmt **out, kk_err *err, const char *sql,
    const char *fmt, ...);
/* One step: 1 row, 0 done, -1 error (err set, what names the operation). */
int store_step(kk_store *st, sqlite3_stmt *s, kk_err *err, const char *what);
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows it hit. */
int store_run(kk_store *st, int *changes, kk_err *err, const char *sql, const char *fmt, ...);
/* store_run in its own transaction under the lock, for writes that must hit exactly
 * one row: KK_ERR_NOT_FOUND ("<what> not found") when none matched. */
int store_write_one(kk_store *st, kk_err *err, const char *what, const char *sql,
    const char *fmt, ...);
/* First column of the first row as text into buf: 1 found, 0 no row, -1 error. */
int store_get_text(kk_store *st, char *buf, size_t size, kk_err *err, const char *sql,
    const char *fmt, ...);
/* First column of the first row as int64: 1 found, 0 no row, -1 error. */
int store_get_int64(kk_store *st, int64_t *v, kk_err *err, const char *sql,
    const char *fmt, ...);
/* First column of every row as int64. Caller frees *ids (kk_malloc'd, may be NULL
 * when *n == 0). */
int store_get_ids(kk_store *st, int64_t **ids, size_t *n, kk_err *err, const char *sql,
    const char *fmt, ...);

/* BEGIN IMMEDIATE: takes the write lock up front so a compare-and-set cannot lose a
 * race to another process between its read and its write. */
int store_begin(kk_store *st, kk_err *err);
/* COMMIT when rc == 0, else ROLLBACK. Returns rc, or -1 if the commit failed. */
int store_end(kk_store *st, int rc, kk_err *err);
/* store_begin for a change that must survive power loss before anyone acts on it: a
 * TBS about to be signed, a signed (pre)certificate, a revocation, a reviewer's
 * decision. The connection runs with synchronous=NORMAL (WAL: safe against a crashed
 * or killed process, not against power loss); this transaction commits with FULL,
 * which also makes every earlier commit durable (they precede it in the WAL). */
int store_begin_durable(kk_store *st, kk_err *err);

/* Inserts a new pending authorization for spec and its challenges, created at now;
 * *id gets its id. The caller holds the lock and a transaction (store_authz.c). */
int store_authz_insert(kk_store *st, int64_t account_id, const kk_authz_spec *spec,
    time_t now, int64_t *id, kk_err *err);

/* Writes the audit row of a change (src/store_review.c): a->object NULL names the row
 * just inserted as "<kind> <id>". The caller holds the lock and a transaction. */
struct kk_auditrec;
int store_audit_insert(kk_store *st, const struct kk_auditrec *a, const char *kind, int64_t id,
    kk_err *err);

/* 1 if serial is 1..40 lower-case hex digits (as kk_ca_new_serial makes them). */
int store_serial_ok(const char *serial);
/* After a compare-and-set on a certificate row hit nothing: sql (binding blob, then
 * serial) answers 'same' when the row already holds exactly this content (a resumed
 * step: 0), else the row's status (KK_ERR_CONFLICT naming step). */
int store_cert_retry(kk_store *st, const char *sql, const char *serial,
    const unsigned char *blob, size_t len, const char *step, kk_err *err);

/* Reads every row of s (finalized here) into a kk_malloc'd array of size-byte elements
 * filled by row(). Caller frees *out (src/store_review.c). */
int store_read_rows(kk_store *st, sqlite3_stmt *s, size_t size,
    void (*row)(sqlite3_stmt *, void *), void **out, size_t *n, kk_err *err);

/* A store_read_rows row reader for a serial in column 0 (char[41] elements). */
void store_serial_row(sqlite3_stmt *s, void *p);

/* Column readers. Strings and blobs are copied with kk_malloc (caller frees);
 * NULL columns give NULL. -1 only when an allocation failed. */
int store_col_str(sqlite3_stmt *s, int col, char **out);
int store_col_blob(sqlite3_stmt *s, int col, unsigned char **out, size_t *len);
/* Copies a short text column (status, type) into a fixed buffer, truncating. */
void store_col_copy(sqlite3_stmt *s, int col, char *buf, size_t size);

#endif
