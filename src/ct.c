/*
 * Certificate Transparency client (RFC 6962): submits a precertificate to the policy's
 * logs, all at once with the libcurl multi interface, and keeps the SCTs that verify.
 *
 * Only this file dials the logs. Each log gets one POST of add-pre-chain (RFC 6962 4.1)
 * bounded by ct.timeout_seconds, over https verified against the system CAs (http is
 * allowed for test logs), with no redirects and a capped answer. An answer is used only
 * if its SCT verifies with the log's key (src/ct_sct.c); anything else is named in the
 * error so an operator sees which log failed and why.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "kakuin/ct.h"
#include "kakuin/util.h"
#include "ct_internal.h"

#define CT_MAX_ANSWER	(64 * 1024)	/* an SCT answer is ~200 bytes */
#define CT_MAX_CHAIN	8		/* precertificate + CA certificates sent */
#define CT_QUOTE_MAX	80		/* characters of a log's error shown */
#define CT_ADD_PRE_CHAIN "ct/v1/add-pre-chain"

/* One submission to one log, and what came of it. */
typedef struct ct_sub {
	const kk_ct_log *log;		/* borrowed from the policy */
	CURL *h;
	char *url;			/* owned */
	char curl_err[CURL_ERROR_SIZE];
	char *body;			/* the answer; owned, CT_MAX_ANSWER + 1 bytes */
	size_t body_len;
	int too_large;
	int done;
	CURLcode rc;
	char why[160];			/* "" = the SCT is good */
	unsigned char *sct;		/* SerializedSCT; owned */
	size_t sct_len;
} ct_sub;

static pthread_once_t ct_once = PTHREAD_ONCE_INIT;
static CURLcode ct_global_rc = CURLE_FAILED_INIT;

/* curl_global_init is reference-counted: kakuin serve also calls it in main. */
static void
ct_global_init(void)
{
	ct_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
ct_write(char *data, size_t size, size_t n, void *arg)
{
	ct_sub *s = arg;

	n *= size;
	if (s->body_len + n > CT_MAX_ANSWER) {
		s->too_large = 1;
		return 0;
	}
	memcpy(s->body + s->body_len, data, n);
	s->body_len += n;
	return n;
}

/* Appends the base64 DER of der (len octets) to chain. */
static int
ct_chain_add(json_t *chain, const unsigned char *der, int len)
{
	char *b64 = NULL;
	int rv = -1;

	if (len <= 0 || (b64 = kk_malloc((size_t)len / 3 * 4 + 5)) == NULL)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, der, len);
	rv = json_array_append_new(chain, json_string(b64));
	free(b64);
	return rv;
}

static int
ct_chain_add_x509(json_t *chain, const X509 *x)
{
	unsigned char *der = NULL;
	int len, rv;

	len = i2d_X509(x, &der);
	rv = ct_chain_add(chain, der, len);
	OPENSSL_free(der);
	return rv;
}

/* The add-pre-chain request body (RFC 6962 4.1): the precertificate, then the
 * certificates of chain_pem (or the issuer alone if chain_pem is NULL). Caller frees. */
static char *
ct_request(const unsigned char *precert, size_t precert_len, const X509 *issuer,
    const char *chain_pem, kk_err *err)
{
	json_t *root = NULL, *chain = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	char *out = NULL;

	if ((root = json_object()) == NULL || (chain = json_array()) == NULL ||
	    json_object_set(root, "chain", chain) != 0 ||
	    ct_chain_add(chain, precert, (int)precert_len) != 0)
		goto oom;
	if (chain_pem == NULL) {
		if (ct_chain_add_x509(chain, issuer) != 0)
			goto oom;
	} else if ((bio = BIO_new_mem_buf(chain_pem, -1)) == NULL)
		goto oom;
	while (bio != NULL && json_array_size(chain) <= CT_MAX_CHAIN &&
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (ct_chain_add_x509(chain, x) != 0)
			goto oom;
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();	/* the end of the PEM text */
	if (json_array_size(chain) < 2 || json_array_size(chain) > CT_MAX_CHAIN) {
		kk_err_set(err, KK_ERR_INTERNAL, "CT: the chain must hold 1 to %d CA "
		    "certificates", CT_MAX_CHAIN - 1);
		goto out;
	}
	if ((out = json_dumps(root, JSON_COMPACT)) == NULL)
		goto oom;
	goto out;
oom:
	kk_err_set(err, KK_ERR_INTERNAL, "CT: cannot build the add-pre-chain request");
out:
	X509_free(x);
	BIO_free(bio);
	json_decref(chain);
	json_decref(root);
	return out;
}

/* Prepares the POST of body to s->log (RFC 6962 4.1). body is borrowed until the
 * transfer ends. */
static int
ct_sub_init(ct_sub *s, const kk_ct_policy *ct, const char *body, struct curl_slist *hdr)
{
	const char *url = s->log->url;
	const char *slash = url[0] != '\0' && url[strlen(url) - 1] == '/' ? "" : "/";

	if ((s->url = kk_printf("%s%s%s", url, slash, CT_ADD_PRE_CHAIN)) == NULL ||
	    (s->body = kk_malloc(CT_MAX_ANSWER + 1)) == NULL || (s->h = curl_easy_init()) == NULL)
		return -1;
	if (curl_easy_setopt(s->h, CURLOPT_URL, s->url) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_TIMEOUT, (long)ct->timeout_seconds) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_USERAGENT, "kakuin") != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->curl_err) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, ct_write) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(s->h, CURLOPT_PRIVATE, s) != CURLE_OK)
		return -1;
	return 0;
}

/* Frees what s owns (not s itself); accepts NULL. */
static void
ct_sub_free(ct_sub *s, CURLM *m)
{
	if (s == NULL)
		return;
	if (s->h != NULL && m != NULL)
		curl_multi_remove_handle(m, s->h);
	curl_easy_cleanup(s->h);
	free(s->url);
	free(s->body);
	free(s->sct);
}

/* Runs every transfer of m to its end; each is bounded by its own CURLOPT_TIMEOUT. */
static int
ct_run(CURLM *m)
{
	CURLMsg *msg;
	ct_sub *s;
	int running = 1, left;

	while (running > 0) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return -1;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE ||
			    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s) != CURLE_OK)
				continue;
			s->done = 1;
			s->rc = msg->data.result;
		}
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			return -1;
	}
	return 0;
}

/* Judges the answer of s: the transfer, the HTTP status, the JSON, the SCT. */
static void
ct_sub_judge(ct_sub *s, const ct_entry *e)
{
	json_t *ans = NULL;
	const char *why, *msg;
	ct_sct sct;
	long status = 0;

	if (!s->done || s->rc != CURLE_OK) {
		snprintf(s->why, sizeof(s->why), "%.150s", !s->done ? "no answer" :
		    s->too_large ? "answer larger than 64 KiB" :
		    s->curl_err[0] != '\0' ? s->curl_err : curl_easy_strerror(s->rc));
		return;
	}
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	s->body[s->body_len] = '\0';
	ans = json_loads(s->body, JSON_REJECT_DUPLICATES, NULL);
	if (status != 200) {
		msg = json_string_value(json_object_get(ans, "error"));
		snprintf(s->why, sizeof(s->why), "HTTP %ld%s%.*s", status, msg ? ": " : "",
		    CT_QUOTE_MAX, msg ? msg : "");
	} else if (ans == NULL)
		snprintf(s->why, sizeof(s->why), "answer is not JSON");
	else if ((why = ct_sct_from_json(ans, &s->sct, &s->sct_len)) != NULL ||
	    (why = ct_sct_parse(s->sct, s->sct_len, &sct)) != NULL ||
	    (why = ct_sct_check(s->log, &sct, e)) != NULL)
		snprintf(s->why, sizeof(s->why), "%s", why);
	json_decref(ans);
}

/* RFC 6962 3.3: opaque SerializedSCT<1..2^16-1>; SerializedSCT sct_list<1..2^16-1>. */
static int
ct_list(const ct_sub *subs, size_t n, unsigned char **out, size_t *len, kk_err *err)
{
	unsigned char *p;
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		if (subs[i].why[0] == '\0')
			total += 2 + subs[i].sct_len;
	if (total > CT_LIST_MAX)
		return kk_err_set(err, KK_ERR_INTERNAL, "CT: the SCT list is too large");
	if ((*out = p = kk_malloc(2 + total)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "CT: out of memory");
	*p++ = (unsigned char)(total >> 8);
	*p++ = (unsigned char)total;
	for (i = 0; i < n; i++) {
		if (subs[i].why[0] != '\0')
			continue;
		*p++ = (unsigned char)(subs[i].sct_len >> 8);
		*p++ = (unsigned char)subs[i].sct_len;
		memcpy(p, subs[i].sct, subs[i].sct_len);
		p += subs[i].sct_len;
	}
	*len = 2 + total;
	return 0;
}

/* min_scts and min_operators over the good SCTs; otherwise the error names every log
 * that gave none and why. */
static int
ct_enough(const kk_ct_policy *ct, const ct_sub *subs, size_t n, kk_err *err)
{
	const char *ops[KK_CT_MAX_LOGS];
	char detail[1024];
	size_t i, j, n_ok = 0, n_ops = 0, off;

	for (i = 0; i < n; i++) {
		if (subs[i].why[0] != '\0') {
			kk_log("warning", "ct", "log %s (%s): %s", subs[i].log->name,
			    subs[i].url, subs[i].why);
			continue;
		}
		n_ok++;
		for (j = 0; j < n_ops && strcmp(ops[j], subs[i].log->operator_name) != 0; j++)
			;
		if (j == n_ops)
			ops[n_ops++] = subs[i].log->operator_name;
	}
	if (n_ok >= (size_t)ct->min_scts && n_ops >= (size_t)ct->min_operators)
		return 0;
	off = (size_t)snprintf(detail, sizeof(detail), "CT: %zu of %d required SCTs (%zu of %d "
	    "operators)", n_ok, ct->min_scts, n_ops, ct->min_operators);
	for (i = 0, j = 0; i < n && off < sizeof(detail); i++)
		if (subs[i].why[0] != '\0')
			off += (size_t)snprintf(detail + off, sizeof(detail) - off, "%s %s: %s",
			    j++ == 0 ? ":" : ";", subs[i].log->name, subs[i].why);
	return kk_err_set(err, KK_ERR_INTERNAL, "%s", detail);
}

/* The logs whose temporal interval [start, end) holds not_after (log list v3 shards). */
static size_t
ct_pick(const kk_ct_policy *ct, const ASN1_TIME *not_after, ct_sub *subs)
{
	const kk_ct_log *l;
	size_t i, n = 0;

	for (i = 0; i < ct->n_logs; i++) {
		l = &ct->logs[i];
		if ((l->not_after_start == 0 && l->not_after_end == 0) ||
		    (ASN1_TIME_cmp_time_t(not_after, l->not_after_start) >= 0 &&
		    ASN1_TIME_cmp_time_t(not_after, l->not_after_end) == -1))
			subs[n++].log = l;
	}
	return n;
}

/* No log takes the precertificate: name its notAfter. */
static int
ct_no_log(const ASN1_TIME *not_after, kk_err *err)
{
	char when[32] = "?";
	struct tm tm;

	if (ASN1_TIME_to_tm(not_after, &tm) == 1)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return kk_err_set(err, KK_ERR_INTERNAL, "CT: no log of the policy takes notAfter %s",
	    when);
}

int
kk_ct_collect(const kk_ct_policy *ct, const unsigned char *precert, size_t precert_len,
    const X509 *issuer, const char *chain_pem, unsigned char **sct_list, size_t *sct_len,
    kk_err *err)
{
	ct_sub subs[KK_CT_MAX_LOGS];
	const unsigned char *p = precert;
	struct curl_slist *hdr = NULL;
	ct_entry e = { { 0 }, NULL, 0 };
	CURLM *m = NULL;
	X509 *x = NULL;
	char *body = NULL;
	size_t i, n = 0;
	int rv = -1;

	*sct_list = NULL;
	*sct_len = 0;
	memset(subs, 0, sizeof(subs));
	if ((x = d2i_X509(NULL, &p, (long)precert_len)) == NULL || p != precert + precert_len) {
		kk_err_set(err, KK_ERR_INTERNAL, "CT: the precertificate does not parse");
		goto out;
	}
	if (ct_entry_init(&e, x, issuer, NID_ct_precert_poison, err) != 0 ||
	    (body = ct_request(precert, precert_len, issuer, chain_pem, err)) == NULL)
		goto out;
	if ((n = ct_pick(ct, X509_get0_notAfter(x), subs)) == 0) {
		ct_no_log(X509_get0_notAfter(x), err);
		goto out;
	}
	pthread_once(&ct_once, ct_global_init);
	if (ct_global_rc != CURLE_OK || (m = curl_multi_init()) == NULL ||
	    (hdr = curl_slist_append(NULL, "Content-Type: application/json")) == NULL)
		goto curl;
	for (i = 0; i < n; i++)
		if (ct_sub_init(&subs[i], ct, body, hdr) != 0 ||
		    curl_multi_add_handle(m, subs[i].h) != CURLM_OK)
			goto curl;
	if (ct_run(m) != 0)
		goto curl;
	for (i = 0; i < n; i++)
		ct_sub_judge(&subs[i], &e);
	if (ct_enough(ct, subs, n, err) != 0 || ct_list(subs, n, sct_list, sct_len, err) != 0)
		goto out;
	rv = 0;
	goto out;
curl:
	kk_err_set(err, KK_ERR_INTERNAL, "CT: cannot set up the submissions (libcurl)");
out:
	for (i = 0; i < n; i++)
		ct_sub_free(&subs[i], m);
	curl_multi_cleanup(m);
	curl_slist_free_all(hdr);
	free(body);
	ct_entry_free(&e);
	X509_free(x);
	return rv;
}
