/*
 * Certificate status for relying parties (include/kakuin/status.h): the publisher
 * thread (CP 4.9.7: a CRL every 24 h and at once after a revocation; CP 4.9.9: OCSP
 * responses re-signed at half their validity) and the plain-HTTP handler for
 * /crl/issuing.crl and /ocsp (RFC 5019 5, 6 for the GET form and its caching headers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "kakuin/store_revoke.h"
#include "status_internal.h"
#include "wfe.h"

/* the publisher looks at the clock, and for revocations made by another process
 * (`kakuin revoke do`), at least this often (seconds of real time) */
#define WAKE_MAX 5
#define PAUSE_NS	(5 * 1000 * 1000)	/* between back-to-back publisher rounds */
/* OCSP responses re-signed per round of the publisher */
#define REFRESH_BATCH 200
#define PEM_MAX (1024 * 1024)

/* The responder certificate made by `kakuin init`. Caller frees. */
static X509 *
load_responder(const char *path, kk_err *err)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;

	if (kk_file_read(path, PEM_MAX, &pem, &len, err) != 0) {
		kk_err_set(err, KK_ERR_NOT_FOUND, "%s is missing: run kakuin init again to make "
		    "the OCSP responder certificate", path);
		return NULL;
	}
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		kk_err_set(err, KK_ERR_INTERNAL, "%s: not a PEM certificate", path);
	BIO_free(b);
	free(pem);
	return x;
}

/* A new CRL now, then the next one due KK_CRL_INTERVAL later. Called without s->mu. */
static void
publish_crl(kk_status *s)
{
	kk_signed c;
	int64_t count;
	kk_err e;
	time_t now = kk_now();

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&s->mu);
	s->crl_due = 0;
	pthread_mutex_unlock(&s->mu);
	if (status_crl_issue(s, now, &c, &e) != 0) {
		kk_log("error", "crl", "cannot issue a CRL: %s", e.detail);
		pthread_mutex_lock(&s->mu);
		s->crl_next = now + WAKE_MAX; /* try again soon */
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (kk_store_revoked_count(s->st, now, &count, &e) != 0)
		count = -1;
	pthread_mutex_lock(&s->mu);
	s->crl_next = c.this_update + KK_CRL_INTERVAL;
	s->crl_count = count;
	pthread_mutex_unlock(&s->mu);
	kk_signed_clear(&c);
}

/* 1 if the revoked certificates a CRL would list now differ in number from the last
 * CRL's: a revocation in another process, or an entry past its notAfter (CP 4.9.7). */
static int
crl_behind(kk_status *s)
{
	int64_t count;
	kk_err e;
	int behind;

	if (kk_store_revoked_count(s->st, kk_now(), &count, &e) != 0)
		return 0;
	pthread_mutex_lock(&s->mu);
	behind = count != s->crl_count;
	pthread_mutex_unlock(&s->mu);
	return behind;
}

/* Re-signs responses past half their validity (RFC 5019 6) or older than a revocation,
 * REFRESH_BATCH at most. 1 when there may be more (a full batch, all signed). */
static int
refresh_ocsp(kk_status *s)
{
	char (*serials)[41] = NULL;
	size_t n = 0, i, failed = 0;
	time_t now = kk_now();
	kk_err e;

	if (kk_store_ocsp_stale(s->st, now, REFRESH_BATCH, &serials, &n, &e) != 0) {
		kk_log("error", "ocsp", "cannot list stale responses: %s", e.detail);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (status_ocsp_presign(s, serials[i], now, NULL, &e) != 0) {
			kk_log("error", "ocsp", "cannot re-sign %s: %s", serials[i], e.detail);
			failed++;
		}
	free(serials);
	return n == REFRESH_BATCH && failed == 0;
}

/* One step of the walk for certificates without a response (issued while the server
 * was down, or past a full queue): signs what a chunk of the table lacks. 1 while the
 * walk goes on. */
static int
walk_missing(kk_status *s)
{
	char (*serials)[41] = NULL;
	size_t n = 0, i;
	time_t now = kk_now();
	kk_err e;

	if (kk_store_ocsp_missing(s->st, now, s->ocsp_cursor, REFRESH_BATCH, &serials, &n,
	    &e) != 0) {
		kk_log("error", "ocsp", "cannot list missing responses: %s", e.detail);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (status_ocsp_presign(s, serials[i], now, NULL, &e) != 0)
			kk_log("error", "ocsp", "cannot pre-sign %s: %s", serials[i], e.detail);
	free(serials);
	return s->ocsp_cursor[0] != '\0';
}

/* Pre-signs the responses of the serials kk_status_changed queued (called with mu
 * held; drops it while signing). A failure leaves the serial to a new walk. */
static void
presign_queued(kk_status *s)
{
	char (*q)[41] = NULL;
	size_t n = s->ocsp_nqueue, i;
	int failed = 0;
	kk_err e;

	if (n == 0)
		return;
	if ((q = kk_malloc(n * sizeof(*q))) == NULL) {
		s->ocsp_scan_due = 1;
		s->ocsp_nqueue = 0;
		return;
	}
	memcpy(q, s->ocsp_queue, n * sizeof(*q));
	s->ocsp_nqueue = 0;
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < n; i++)
		if (status_ocsp_presign(s, q[i], kk_now(), NULL, &e) != 0) {
			kk_log("error", "ocsp", "cannot pre-sign %s: %s", q[i], e.detail);
			failed = 1;
		}
	free(q);
	pthread_mutex_lock(&s->mu);
	if (failed)
		s->ocsp_scan_due = 1;
}

/* Each round: the queued serials, then on the WAKE_MAX tick the CRL and the stale
 * responses, then a step of the walk for missing ones. Every store access is a short
 * query or one row's write, so requests never wait long for the store; while there is
 * more to sign (a full batch, a walk under way) the next round starts at once. */
static void *
publisher_main(void *arg)
{
	kk_status *s = arg;
	struct timespec until, mono, pause = { 0, PAUSE_NS };
	time_t wait;
	int due, tick, more = 0, more_stale = 0;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		presign_queued(s);
		due = s->crl_due || kk_now() >= s->crl_next;
		/* in real time: kk_now() may be a test's pinned clock */
		clock_gettime(CLOCK_MONOTONIC, &mono);
		tick = s->ocsp_scanned == 0 || mono.tv_sec - s->ocsp_scanned >= WAKE_MAX;
		if (s->ocsp_scan_due) {
			s->ocsp_walking = 1;
			s->ocsp_cursor[0] = '\0';
		}
		s->ocsp_scan_due = 0;
		pthread_mutex_unlock(&s->mu);
		/* a revocation by another process: looked for at every wake as before, but
		 * only on the tick while rounds follow each other at once */
		if (due || ((tick || !more) && crl_behind(s)))
			publish_crl(s);
		/* the stale queries again at once only after a full batch: not once per
		 * step of a walk (on a million certificates that kept the store busy) */
		if (tick || more_stale) {
			more_stale = refresh_ocsp(s);
			if (tick)
				s->ocsp_scanned = mono.tv_sec > 0 ? mono.tv_sec : 1;
		}
		more = more_stale;
		if (s->ocsp_walking)
			more |= s->ocsp_walking = walk_missing(s);
		/* rounds back to back still leave the store to the request threads */
		if (more)
			nanosleep(&pause, NULL);
		pthread_mutex_lock(&s->mu);
		if (s->stopping || s->crl_due || s->ocsp_nqueue > 0 || s->ocsp_scan_due || more)
			continue;
		/* kk_now() may be a test's pinned clock: wait in real time, never long */
		wait = s->crl_next - kk_now();
		wait = wait < 1 ? 1 : wait > WAKE_MAX ? WAKE_MAX : wait;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		while (!s->stopping && !s->crl_due && s->ocsp_nqueue == 0 && !s->ocsp_scan_due &&
		    pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int
kk_status_open(kk_status **out, kk_store *st, kk_ca *ca, const kk_policy *pol,
    const kk_paths *paths, kk_err *err)
{
	kk_status *s = NULL;
	kk_signed c;
	time_t now = kk_now();
	kk_err e;

	memset(&c, 0, sizeof(c));
	if ((s = kk_calloc(1, sizeof(*s))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	s->st = st;
	s->ca = ca;
	s->pol = pol;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((s->responder = load_responder(paths->ocsp_pem, err)) == NULL ||
	    status_ocsp_init(s, err) != 0)
		goto fail;
	/* responses missing from the store are found by a walk at start */
	s->ocsp_walking = 1;
	/* a current CRL before anyone asks: the latest unless a new one is due (how many
	 * entries a kept CRL has is not known: -1 makes the publisher check it at once) */
	s->crl_count = -1;
	if (kk_store_crl_latest(st, &c, &e) == 0 && c.this_update <= now &&
	    now < c.this_update + KK_CRL_INTERVAL)
		s->crl_next = c.this_update + KK_CRL_INTERVAL;
	else if (status_crl_issue(s, now, NULL, err) != 0 ||
	    kk_store_revoked_count(st, now, &s->crl_count, err) != 0)
		goto fail;
	else
		s->crl_next = now + KK_CRL_INTERVAL;
	kk_signed_clear(&c);
	if (pthread_create(&s->thread, NULL, publisher_main, s) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot start the CRL/OCSP publisher");
		goto fail;
	}
	s->started = 1;
	*out = s;
	return 0;
fail:
	kk_signed_clear(&c);
	kk_status_close(s);
	return -1;
}

void
kk_status_close(kk_status *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	status_ocsp_fini(s);
	X509_free(s->responder);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

int
kk_status_changed(kk_status *s, const char *serial, kk_err *err)
{
	kk_certrev cs;

	if (kk_store_cert_revstate(s->st, serial, &cs, err) != 0)
		return -1;
	if (strcmp(cs.status, "revoked") == 0) {
		pthread_mutex_lock(&s->mu);
		s->crl_due = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		/* nothing in memory says good from here on (status_ocsp_forget) */
		status_ocsp_forget(s, serial);
		return status_ocsp_presign(s, serial, kk_now(), NULL, err);
	}
	pthread_mutex_lock(&s->mu);
	if (s->ocsp_nqueue < sizeof(s->ocsp_queue) / sizeof(s->ocsp_queue[0]))
		snprintf(s->ocsp_queue[s->ocsp_nqueue++], sizeof(s->ocsp_queue[0]), "%s",
		    serial);
	else
		s->ocsp_scan_due = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* ---- HTTP ---- */

/* resp = status with a short text body. */
static void
text(kk_http_resp *resp, int status, const char *msg)
{
	resp->status = status;
	resp->content_type = "text/plain";
	if ((resp->body = kk_strdup(msg)) != NULL)
		resp->body_len = strlen(msg);
}

/* resp = der (taken over) of type. */
static void
der_body(kk_http_resp *resp, const char *type, kk_signed *d)
{
	resp->status = 200;
	resp->content_type = type;
	resp->body = (char *)d->der;
	resp->body_len = d->der_len;
	d->der = NULL;
}

/* Adds a header with a copy of value, when there is one. */
static void
header(kk_http_resp *resp, const char *name, const char *value)
{
	if (value[0] != '\0')
		kk_wfe_header(resp, name, kk_strdup(value));
}

/* The base64 request of GET /ocsp/{url-encoding of base-64 encoding of the DER} (RFC
 * 6960 A.1) as DER: percent-escapes undone (the listener has usually done it), then
 * standard base64 read through the strict base64url decoder. Caller frees *der. */
static int
get_request(const char *enc, unsigned char **der, size_t *len)
{
	char *b = NULL;
	size_t i, j;
	int rc;

	if ((b = kk_malloc(strlen(enc) + 1)) == NULL)
		return -1;
	for (i = j = 0; enc[i] != '\0'; i++) {
		/* exactly two hex digits (RFC 3986 2.1); sscanf's %2x also took " f", "+f" */
		if (enc[i] == '%' && kk_hexval(enc[i + 1]) >= 0 && kk_hexval(enc[i + 2]) >= 0) {
			b[j] = (char)(kk_hexval(enc[i + 1]) * 16 + kk_hexval(enc[i + 2]));
			i += 2;
		} else
			b[j] = enc[i];
		if (b[j] == '+')
			b[j] = '-';
		else if (b[j] == '/')
			b[j] = '_';
		if (b[j] != '=')
			j++;
	}
	b[j] = '\0';
	rc = kk_b64url_decode(b, j, der, len);
	free(b);
	return rc;
}

/* An OCSP answer; a GET's successful one with the RFC 5019 6.2 caching headers kept with
 * it: max-age until nextUpdate, ETag, Last-Modified (thisUpdate), Expires. */
static void
ocsp(kk_status *s, const unsigned char *der, size_t len, int is_get, kk_http_resp *resp)
{
	status_answer a;
	time_t now = kk_now();
	char cc[96];
	kk_err e;

	if (status_ocsp_answer(s, der, len, now, &a, &e) != 0) {
		kk_log("error", "ocsp", "%s", e.detail);
		text(resp, 500, "internal error\n");
		return;
	}
	der_body(resp, "application/ocsp-response", &a.r);
	if (is_get && a.cacheable && a.r.next_update > now) {
		snprintf(cc, sizeof(cc), "max-age=%lld, public, no-transform, must-revalidate",
		    (long long)(a.r.next_update - now));
		header(resp, "Cache-Control", cc);
		header(resp, "ETag", a.etag);
		header(resp, "Last-Modified", a.last_modified);
		header(resp, "Expires", a.expires);
	}
	status_answer_clear(&a);
}

void
kk_status_http(void *ctx, const kk_http_req *req, kk_http_resp *resp)
{
	kk_status *s = ctx;
	unsigned char *der = NULL;
	size_t len = 0;
	kk_signed c;
	char date[32];
	kk_err e;

	memset(&c, 0, sizeof(c));
	if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/crl/issuing.crl") == 0) {
		if (kk_store_crl_latest(s->st, &c, &e) != 0) {
			kk_log("error", "crl", "%s", e.detail);
			text(resp, 503, "no CRL yet\n");
			return;
		}
		der_body(resp, "application/pkix-crl", &c);
		status_http_date(c.this_update, date);
		header(resp, "Last-Modified", date);
		kk_signed_clear(&c);
	} else if (strcmp(req->method, "GET") == 0 && strncmp(req->path, "/ocsp/", 6) == 0) {
		/* undecodable base64 is a malformed request too: an empty DER */
		if (get_request(req->path + 6, &der, &len) != 0)
			len = 0;
		ocsp(s, der, len, 1, resp);
		free(der);
	} else if (strcmp(req->path, "/ocsp") == 0 && strcmp(req->method, "POST") == 0) {
		if (req->content_type != NULL &&
		    strcmp(req->content_type, "application/ocsp-request") != 0)
			text(resp, 415, "want application/ocsp-request\n");
		else
			ocsp(s, req->too_large ? NULL : (const unsigned char *)req->body,
			    req->too_large ? 0 : req->body_len, 0, resp);
	} else if (strcmp(req->path, "/ocsp") == 0 || strncmp(req->path, "/ocsp/", 6) == 0 ||
	    strcmp(req->path, "/crl/issuing.crl") == 0)
		text(resp, 405, "method not allowed\n");
	else
		text(resp, 404, "not found\n");
}
