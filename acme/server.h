/* HTTPS listener: libmicrohttpd in front of the WFE. */
#ifndef KAKUIN_SERVER_H
#define KAKUIN_SERVER_H

#include "kakuin/err.h"
#include "wfe.h"

typedef struct kk_server kk_server;

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" into a sockaddr (numeric addresses only). */
int kk_parse_listen(const char *s, struct sockaddr_storage *ss, kk_err *err);
/* Starts serving HTTPS on listen with the PEM certificate chain and key files. */
int kk_server_start(kk_server **out, kk_wfe *w, const char *listen, const char *cert_path,
    const char *key_path, int threads, kk_err *err);
void kk_server_stop(kk_server *s);

#endif
