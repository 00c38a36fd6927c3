/*
 * The ACME front end (WFE): HTTP requests in, ACME JSON or problem documents out.
 * It verifies JWS and nonces and renders resources; state changes go to the RA. It is
 * independent of the HTTP library (acme/server.c adapts libmicrohttpd to it), so unit
 * tests can drive it with plain structs.
 */
#ifndef KAKUIN_WFE_H
#define KAKUIN_WFE_H

#include <stddef.h>
#include "kakuin/err.h"
#include "kakuin/ra.h"

#define KK_MAX_BODY (64 * 1024) /* bodies above this are refused before parsing */
#define KK_RESP_MAX_HEADERS 8

typedef struct kk_http_req {
	const char *method;
	const char *path;          /* without query string */
	const char *host;          /* Host header, or NULL */
	const char *content_type;  /* or NULL */
	const char *body;
	size_t body_len;
	int too_large;             /* body exceeded the listener's limit and was discarded */
	const char *query;         /* raw query string after '?' (not decoded), or NULL */
	const char *cookie;        /* Cookie header, or NULL */
	const char *origin;        /* Origin header, or NULL */
	const char *fetch_site;    /* Sec-Fetch-Site header, or NULL */
} kk_http_req;

typedef struct kk_http_resp {
	int status;
	char *body;                /* owned */
	size_t body_len;
	const char *content_type;  /* static string */
	struct {
		const char *name;  /* static */
		char *value;       /* owned */
	} hdr[KK_RESP_MAX_HEADERS];
	size_t n_hdr;
} kk_http_resp;

typedef struct kk_wfe kk_wfe;

/* default_base: "https://host:port" used when a request has no usable Host header. */
int kk_wfe_new(kk_wfe **out, kk_ra *ra, const char *default_base, kk_err *err);
void kk_wfe_free(kk_wfe *w);
/* Handles one request; always fills resp (a problem document on any error). */
void kk_wfe_handle(kk_wfe *w, const kk_http_req *req, kk_http_resp *resp);
void kk_http_resp_clear(kk_http_resp *resp);
/* Adds a header (name static, value owned; freed on failure); -1 when value is NULL or
 * the response has KK_RESP_MAX_HEADERS already. Also used by the reviewer web UI. */
int kk_wfe_header(kk_http_resp *resp, const char *name, char *value);

/* RFC 8555 6.7: the problem type and HTTP status for an error kind (the one mapping). */
void kk_problem_of(kk_errkind kind, const char **type, int *status);
/* Fills resp with the problem document for err. */
void kk_problem_resp(const kk_err *err, kk_http_resp *resp);

#endif
