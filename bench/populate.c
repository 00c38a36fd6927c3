/*
 * kakuin-bench-populate (issue #7): fills the store of a data dir made by `kakuin init`
 * with COUNT issued certificates, for the scale benchmarks (bench/scale.sh) and the OCSP
 * benchmark (bench/ocsp.sh).
 *
 * The first certificate is a real one: planned and signed by kakuin's own CA code
 * (kk_ca_plan, kk_ca_sign with the issuing key in the token) for a fresh RSA-2048 key,
 * and written to --cert-out so OCSP requests can be made for it. Signing a million
 * through SoftHSM would take a quarter of an hour, so the other rows repeat its TBS and
 * DER under fresh random serials (kk_ca_new_serial); the status code paths read the
 * serial, status and dates from the row, not from the DER.
 *
 * The store has no bulk insert, and this is a benchmark tool, not kakuin's runtime, so
 * the rows are written with SQL directly: one transaction per --batch rows, prepared
 * statements. They keep kk_store_check's invariants (src/store_sqlite.c): one account of
 * the default organization, one valid authorization with a valid http-01 challenge that
 * records its BR method, and per certificate a valid order linked to that authorization
 * whose cert_serial is the certificate's. --revoked N marks the last N certificates
 * revoked (reasons spread over unspecified, keyCompromise, superseded and
 * cessationOfOperation, revocation times over the last 30 days).
 *
 * Usage: kakuin-bench-populate --data-dir DIR --count N [--revoked N] [--batch N]
 *            [--cert-out PEM]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/policy.h"
#include "kakuin/store.h"
#include "kakuin/store_revoke.h"
#include "kakuin/util.h"
#include "bench_clock.h"

#define NAME "bench.example.jp"
#define IDENTIFIERS "[{\"type\":\"dns\",\"value\":\"" NAME "\"}]"

/* The one real certificate every row carries. */
typedef struct leaf {
	char serial[41];
	unsigned char *tbs, *der;
	size_t tbs_len, der_len;
	time_t not_before, not_after;
	char spki[65];
} leaf;

/* A CSR for NAME with a fresh RSA-2048 key. Caller frees. */
static X509_REQ *
make_csr(void)
{
	EVP_PKEY *k = NULL;
	X509_REQ *r = NULL;

	if ((k = EVP_RSA_gen(2048)) == NULL || (r = X509_REQ_new()) == NULL ||
	    X509_REQ_set_pubkey(r, k) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_ASC,
	    (const unsigned char *)NAME, -1, -1, 0) != 1 ||
	    X509_REQ_sign(r, k, EVP_sha256()) <= 0) {
		X509_REQ_free(r);
		r = NULL;
	}
	EVP_PKEY_free(k);
	return r;
}

/* Plans and signs the real certificate through kakuin's CA; writes its PEM to out_pem
 * (may be NULL). lf owns the buffers (free). */
static int
issue_leaf(const kk_paths *p, const kk_policy *pol, const char *out_pem, leaf *lf,
    kk_err *err)
{
	const char *names[] = { NAME };
	kk_store *st = NULL;
	kk_ca *ca = NULL;
	kk_org org;
	kk_subject subj;
	X509_REQ *csr = NULL;
	X509 *x = NULL;
	const unsigned char *q;
	FILE *f = NULL;
	int rc = -1;

	memset(&org, 0, sizeof(org));
	if (kk_store_open(&st, p->db, err) != 0 || kk_store_org_get(st, 1, &org, err) != 0 ||
	    kk_ca_open(&ca, p, pol, err) != 0 || kk_ca_new_serial(pol, lf->serial, err) != 0)
		goto out;
	if ((csr = make_csr()) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot make a CSR");
		goto out;
	}
	subj.o = org.name;
	subj.l = org.locality;
	subj.st = org.state;
	subj.validity_days = 0;
	if (kk_ca_plan(ca, lf->serial, &subj, names, 1, csr, kk_now(), &lf->tbs, &lf->tbs_len,
	    &lf->not_before, &lf->not_after, err) != 0 ||
	    kk_ca_sign(ca, lf->tbs, lf->tbs_len, &lf->der, &lf->der_len, err) != 0)
		goto out;
	q = lf->der;
	if ((x = d2i_X509(NULL, &q, (long)lf->der_len)) == NULL ||
	    kk_spki_sha256(X509_get0_pubkey(x), lf->spki) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "the signed certificate does not parse");
		goto out;
	}
	if (out_pem != NULL && ((f = fopen(out_pem, "w")) == NULL ||
	    PEM_write_X509(f, x) != 1 || fclose(f) != 0)) {
		f = NULL;
		kk_err_set(err, KK_ERR_INTERNAL, "cannot write %s", out_pem);
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	X509_free(x);
	X509_REQ_free(csr);
	kk_ca_free(ca);
	kk_org_clear(&org);
	kk_store_close(st);
	return rc;
}

/* The account, authorization and challenge every order shares. */
static int
insert_owner(sqlite3 *db, time_t now, sqlite3_int64 *account, sqlite3_int64 *authz)
{
	char sql[1024], thumb[41];
	unsigned char r[20];

	if (kk_random(r, sizeof(r)) != 0)
		return -1;
	kk_hex(r, sizeof(r), thumb);
	snprintf(sql, sizeof(sql), "INSERT INTO accounts (jwk, thumbprint, status, org_id, "
	    "created) VALUES ('{\"kty\":\"EC\",\"bench\":\"%s\"}', 'bench-%s', 'valid', 1, %lld)",
	    thumb, thumb, (long long)now);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	*account = sqlite3_last_insert_rowid(db);
	snprintf(sql, sizeof(sql), "INSERT INTO authorizations (account_id, id_type, id_value, "
	    "wildcard, status, expires, validated, created) VALUES (%lld, 'dns', '" NAME "', 0, "
	    "'valid', %lld, %lld, %lld)", (long long)*account, (long long)now + 397 * 86400,
	    (long long)now, (long long)now);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	*authz = sqlite3_last_insert_rowid(db);
	snprintf(sql, sizeof(sql), "INSERT INTO challenges (authz_id, type, token, status, "
	    "created, validated, br_method, br_version, checked) VALUES (%lld, 'http-01', "
	    "'bench-%s', 'valid', %lld, %lld, '3.2.2.4.19', 'bench', 'kakuin-bench-populate')",
	    (long long)*authz, thumb, (long long)now, (long long)now);
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

typedef struct rows {
	sqlite3 *db;
	sqlite3_stmt *order, *link, *cert;
	sqlite3_int64 account, authz;
	const leaf *lf;
	const kk_policy *pol;
	time_t now;
} rows;

/* Row i: an order, its link to the authorization, its certificate (revoked or not). */
static int
insert_one(rows *w, size_t i, int revoked)
{
	static const int reasons[] = { 0, 1, 4, 5 };
	char serial[41];
	sqlite3_int64 order;
	int reason = reasons[i % 4];
	kk_err e;

	if (i == 0)
		memcpy(serial, w->lf->serial, sizeof(serial));
	else if (kk_ca_new_serial(w->pol, serial, &e) != 0)
		return -1;
	sqlite3_bind_int64(w->order, 1, w->account);
	sqlite3_bind_int64(w->order, 2, w->now);
	sqlite3_bind_int64(w->order, 3, w->now + 7 * 86400);
	sqlite3_bind_text(w->order, 4, serial, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(w->order) != SQLITE_DONE || sqlite3_reset(w->order) != SQLITE_OK)
		return -1;
	order = sqlite3_last_insert_rowid(w->db);
	sqlite3_bind_int64(w->link, 1, order);
	sqlite3_bind_int64(w->link, 2, w->authz);
	if (sqlite3_step(w->link) != SQLITE_DONE || sqlite3_reset(w->link) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(w->cert, 1, serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(w->cert, 2, revoked ? "revoked" : "issued", -1, SQLITE_STATIC);
	sqlite3_bind_blob(w->cert, 3, w->lf->tbs, (int)w->lf->tbs_len, SQLITE_STATIC);
	sqlite3_bind_blob(w->cert, 4, w->lf->der, (int)w->lf->der_len, SQLITE_STATIC);
	sqlite3_bind_int64(w->cert, 5, order);
	sqlite3_bind_int64(w->cert, 6, w->account);
	sqlite3_bind_int64(w->cert, 7, w->lf->not_before);
	sqlite3_bind_int64(w->cert, 8, w->lf->not_after);
	sqlite3_bind_int64(w->cert, 9, w->now);
	sqlite3_bind_text(w->cert, 10, w->lf->spki, -1, SQLITE_STATIC);
	if (revoked) {
		sqlite3_bind_int64(w->cert, 11, w->now - (time_t)(i % (30 * 86400)));
		if (reason != 0)
			sqlite3_bind_int(w->cert, 12, reason);
		else
			sqlite3_bind_null(w->cert, 12);
		sqlite3_bind_text(w->cert, 13, "account 1", -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(w->cert, 11);
		sqlite3_bind_null(w->cert, 12);
		sqlite3_bind_null(w->cert, 13);
	}
	return sqlite3_step(w->cert) == SQLITE_DONE && sqlite3_reset(w->cert) == SQLITE_OK ?
	    0 : -1;
}

/* count rows in transactions of batch rows; the last n_revoked are revoked. */
static int
insert_all(rows *w, size_t count, size_t n_revoked, size_t batch)
{
	size_t i;
	double t0 = now_s();

	for (i = 0; i < count; i++) {
		if (i % batch == 0 && sqlite3_exec(w->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			return -1;
		if (insert_one(w, i, i >= count - n_revoked) != 0)
			return -1;
		if ((i + 1 == count || (i + 1) % batch == 0) &&
		    sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return -1;
		if ((i + 1) % 100000 == 0)
			fprintf(stderr, "populate: %zu rows, %.1f s\n", i + 1, now_s() - t0);
	}
	return 0;
}

static int
populate(const char *db_path, const kk_policy *pol, const leaf *lf, size_t count,
    size_t n_revoked, size_t batch)
{
	rows w;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	w.lf = lf;
	w.pol = pol;
	w.now = kk_now();
	/* synchronous=OFF: a benchmark fill that a crash may lose; kakuin itself keeps
	 * SQLite's defaults */
	if (sqlite3_open(db_path, &w.db) != SQLITE_OK ||
	    sqlite3_exec(w.db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; "
	    "PRAGMA cache_size=-200000", NULL, NULL, NULL) != SQLITE_OK ||
	    insert_owner(w.db, w.now, &w.account, &w.authz) != 0 ||
	    sqlite3_prepare_v2(w.db, "INSERT INTO orders (account_id, status, created, expires, "
	    "identifiers, cert_serial) VALUES (?1, 'valid', ?2, ?3, '" IDENTIFIERS "', ?4)", -1,
	    &w.order, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w.db, "INSERT INTO order_authorizations (order_id, position, "
	    "authz_id) VALUES (?, 0, ?)", -1, &w.link, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w.db, "INSERT INTO certificates (serial, status, tbs, der, "
	    "order_id, account_id, not_before, not_after, created, spki_sha256, revoked_at, "
	    "revoked_reason, revoked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
	    &w.cert, NULL) != SQLITE_OK ||
	    insert_all(&w, count, n_revoked, batch) != 0) {
		fprintf(stderr, "kakuin-bench-populate: %s\n",
		    w.db != NULL ? sqlite3_errmsg(w.db) : "cannot open the database");
		if (w.db != NULL)
			sqlite3_exec(w.db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(w.order);
	sqlite3_finalize(w.link);
	sqlite3_finalize(w.cert);
	if (w.db != NULL && sqlite3_close(w.db) != SQLITE_OK)
		rc = -1;
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"data-dir", required_argument, 0, 'd'}, {"count", required_argument, 0, 'n'},
		{"revoked", required_argument, 0, 'r'}, {"batch", required_argument, 0, 'b'},
		{"cert-out", required_argument, 0, 'o'}, {0, 0, 0, 0}};
	const char *dir = NULL, *cert_out = NULL;
	long long count = -1, n_revoked = 0, batch = 10000;
	kk_paths paths;
	kk_policy pol;
	leaf lf;
	double t0, t1;
	int ch, rc = 1;
	kk_err e;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n': count = atoll(optarg); break;
		case 'r': n_revoked = atoll(optarg); break;
		case 'b': batch = atoll(optarg); break;
		case 'o': cert_out = optarg; break;
		default: return 2;
		}
	}
	if (dir == NULL || count < 1 || n_revoked < 0 || n_revoked > count || batch < 1) {
		fprintf(stderr, "usage: kakuin-bench-populate --data-dir DIR --count N "
		    "[--revoked N <= COUNT] [--batch N] [--cert-out PEM]\n");
		return 2;
	}
	memset(&lf, 0, sizeof(lf));
	kk_paths_init(&paths, dir);
	if (kk_policy_load(NULL, &pol, &e) != 0 ||
	    issue_leaf(&paths, &pol, cert_out, &lf, &e) != 0) {
		fprintf(stderr, "kakuin-bench-populate: %s\n", e.detail);
		goto out;
	}
	t0 = now_s();
	if (populate(paths.db, &pol, &lf, (size_t)count, (size_t)n_revoked, (size_t)batch) != 0)
		goto out;
	t1 = now_s();
	printf("populate: %lld certificates (%lld revoked) in %.1f s, %.0f rows/s; "
	    "the real one is %s\n", count, n_revoked, t1 - t0, (double)count / (t1 - t0),
	    lf.serial);
	rc = 0;
out:
	free(lf.tbs);
	free(lf.der);
	return rc;
}
