/* HTTPS listeners: libmicrohttpd in front of the WFE, or of any other request handler
 * (the reviewer web UI). */
#ifndef KAKUIN_SERVER_H
#define KAKUIN_SERVER_H

#include <stddef.h>
#include "kakuin/err.h"
#include "wfe.h"

typedef struct kk_server kk_server;

/* Handles one request and always fills resp; ctx is the pointer given at start. Called
 * from the listener's threads. */
typedef void (*kk_http_handler)(void *ctx, const kk_http_req *req, kk_http_resp *resp);

/* Listener limits (docs/security.md "Listener limits"). 0 in a field keeps its default. */
typedef struct kk_server_limits {
	unsigned max_conns;        /* open connections per listener, default 1000 */
	unsigned max_conns_per_ip; /* from one client address, default 64 */
	unsigned idle_sec;         /* no byte either way for this long closes, default 30 */
	unsigned request_sec;      /* receiving one request (from the connect or the end of
	                            * the previous one) or sending one response may take
	                            * this long in all, default 60 (slowloris) */
} kk_server_limits;

#define KK_SERVER_MAX_CONNS	1000
#define KK_SERVER_MAX_PER_IP	64
#define KK_SERVER_IDLE_SEC	30
#define KK_SERVER_REQUEST_SEC	60
#define KK_SERVER_CONN_MEMORY	(32 * 1024) /* per connection: the request line and
					      * headers must fit (else 431) */

/* Sets the limits of the listeners started after it; NULL restores the defaults. Call
 * before starting any listener (not thread-safe). */
void kk_server_set_limits(const kk_server_limits *lim);

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" into a sockaddr (numeric addresses only). */
int kk_parse_listen(const char *s, struct sockaddr_storage *ss, kk_err *err);
/* Starts serving HTTPS on listen with the PEM certificate chain and key files (both NULL:
 * plain HTTP, for the CRL and OCSP listener, CP 4.9.6); requests
 * go to fn(ctx, ...). Bodies over max_body are discarded unread and the request is
 * handed over with too_large set. ctx is borrowed until kk_server_stop. */
int kk_server_start_handler(kk_server **out, kk_http_handler fn, void *ctx, size_t max_body,
    const char *listen, const char *cert_path, const char *key_path, int threads,
    kk_err *err);
/* The ACME listener: kk_server_start_handler with the WFE and KK_MAX_BODY. */
int kk_server_start(kk_server **out, kk_wfe *w, const char *listen, const char *cert_path,
    const char *key_path, int threads, kk_err *err);
/* Stops accepting, finishes the requests in hand, frees s. NULL ok. */
void kk_server_stop(kk_server *s);

#endif
