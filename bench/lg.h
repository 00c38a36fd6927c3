/*
 * kakuin-loadgen: shared types of the ACME load generator (bench/loadgen.c).
 * Self-contained (OpenSSL, libcurl, jansson, pthreads) so it drives any RFC 8555
 * server, kakuin or Pebble, without kakuin's internals.
 */
#ifndef KAKUIN_BENCH_LG_H
#define KAKUIN_BENCH_LG_H

#include <pthread.h>
#include <stddef.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

struct lg_opts {
	const char *directory;
	const char *cacert;
	int insecure;
	int clients;
	double duration;        /* seconds; 0 when issuances is used */
	long issuances;         /* total attempts; 0 when duration is used */
	double warmup;
	int http01_port;
	const char *suffix;
	const char *eab_kid;
	const char *eab_hmac;   /* base64url */
	int poll_min_ms;
	int poll_max_ms;
	double retry;           /* seconds a request or issuance is retried; 0: never */
	const char *save_dir;   /* NULL, or where each certificate is written as <name>.pem */
};

/* One HTTP answer. lg_resp_clear frees the members. */
struct lg_resp {
	long status;
	char *body;
	size_t len;
	char *location;
	char *nonce;
	double retry_after;     /* seconds; -1 when absent */
};

/* What went wrong in one step: kind is the problem type (without the ACME
 * urn prefix), "curl:<error>", "http:<status>" or a local word; detail is
 * one line for the ERROR example. */
struct lg_fail {
	char kind[96];
	char detail[256];
};

struct lg_http01;

/* The state every client thread shares; fields under mu unless noted. */
struct lg_run {
	const struct lg_opts *o;        /* read-only */
	char run_id[9];                 /* read-only after start */
	char *new_nonce, *new_account, *new_order;  /* read-only after start */
	struct lg_http01 *h01;
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* signals ready and go */
	int ready;                      /* clients past their set-up */
	int go;                         /* 1: clients start ordering */
	int measuring;                  /* 1 from T0 (after warm-up) */
	int stop;                       /* 1: start no new order */
	long claimed;                   /* --issuances: attempts handed out */
	long done;                      /* issuances counted */
	double *lat_ms;
	size_t n_lat, cap_lat;
	long errors;
	long retries;                   /* --retry: requests and issuances tried again */
	struct lg_errkind *kinds;
};

struct lg_errkind {
	struct lg_errkind *next;
	char kind[96];
	char example[256];
	long count;
};

/* lg_crypto.c */
int lg_b64url(const unsigned char *in, size_t len, char **out);
int lg_b64url_decode(const char *in, unsigned char **out, size_t *outlen);
EVP_PKEY *lg_ec_key(void);
EVP_PKEY *lg_rsa_key(void);
int lg_ec_jwk(EVP_PKEY *k, char **jwk, char **thumb);
int lg_jws(EVP_PKEY *k, const char *protected_json, const char *payload, char **out);
int lg_eab(const char *kid, const char *hmac_b64u, const char *url, const char *jwk,
    json_t **out);
int lg_csr(EVP_PKEY *k, const char *name, char **out);
int lg_cert_check(const char *pem, size_t len, const char *name);

/* lg_http.c */
CURL *lg_curl(const struct lg_opts *o);
int lg_request(CURL *c, const char *url, const char *body, const char *accept, int head,
    struct lg_resp *r, struct lg_fail *f);
void lg_resp_clear(struct lg_resp *r);
struct lg_http01 *lg_http01_start(int port);
void lg_http01_stop(struct lg_http01 *h);
int lg_http01_put(struct lg_http01 *h, const char *token, const char *keyauth);
void lg_http01_del(struct lg_http01 *h, const char *token);

/* lg_acme.c: lg_client_main runs one client thread; arg is its struct lg_slot. */
struct lg_slot {
	struct lg_run *run;
	int idx;
};
void *lg_client_main(void *arg);
int lg_directory(struct lg_run *run);
double lg_now(void);
void lg_fail_set(struct lg_fail *f, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* loadgen.c: the client threads report through these */
enum lg_what { LG_WARM, LG_CLAIMED, LG_SETUP };
int lg_claim(struct lg_run *run, enum lg_what *what);
void lg_record(struct lg_run *run, enum lg_what what, double ms, const struct lg_fail *f);
void lg_retried(struct lg_run *run);

#endif
