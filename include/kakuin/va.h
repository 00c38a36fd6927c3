/*
 * The validation authority: the only code that dials subscriber servers and DNS.
 */
#ifndef KAKUIN_VA_H
#define KAKUIN_VA_H

#include <stddef.h>
#include "kakuin/err.h"

typedef struct kk_va_cfg {
	char resolver_host[64]; /* recursive resolver for every lookup, e.g. "127.0.0.1" */
	int resolver_port;      /* e.g. 53 or 8053 */
	int http01_port;        /* 80, or a test port (--http01-port) */
	int timeout_sec;        /* whole validation, default 10 */
} kk_va_cfg;

#define KK_VA_MAX_ADDRS 16
/* Resolves A and AAAA records of name through the configured resolver (libldns).
 * addrs receives numeric strings. KK_ERR_DNS with a detail on failure or no records. */
int kk_dns_resolve(const kk_va_cfg *cfg, const char *name, char addrs[][46], size_t max,
    size_t *n, kk_err *err);

/* http-01 (RFC 8555 8.3): GET http://<domain>:<port>/.well-known/acme-challenge/<token>,
 * connecting to an address resolved by kk_dns_resolve; at most 10 redirects, each to
 * http/https on 80/443 (or the test port) and re-resolved the same way; body at most
 * 64 KiB; timeout; the body with trailing whitespace trimmed must equal key_authz.
 * 0 when valid; -1 with KK_ERR_CONNECTION, KK_ERR_DNS, KK_ERR_INCORRECT_RESPONSE or
 * KK_ERR_UNAUTHORIZED and a detail that says what was fetched and what was wrong. */
int kk_va_http01(const kk_va_cfg *cfg, const char *domain, const char *token,
    const char *key_authz, kk_err *err);

#endif
