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
