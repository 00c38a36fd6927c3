/*
 * The validation authority: the only code that dials subscriber servers and DNS.
 */
#ifndef KAKUIN_VA_H
#define KAKUIN_VA_H

#include <stddef.h>
#include <time.h>
#include "kakuin/err.h"

typedef struct kk_va_cfg {
	char resolver_host[64]; /* recursive resolver for every lookup, e.g. "127.0.0.1" */
	int resolver_port;      /* e.g. 53 or 8053 */
	int http01_port;        /* 80, or a test port (--http01-port) */
	int timeout_sec;        /* whole validation, default 10 */
	int allow_loopback;     /* test mode: http-01 may dial 127.0.0.0/8 and ::1 (never in
	                         * production; kakuin serve --va-allow-loopback or --dev) */
} kk_va_cfg;

struct sockaddr;
/* Validation safety (docs/security.md): 1 if the VA may connect to sa; 0 if sa is in the
 * IANA IPv4/IPv6 Special-Purpose Address Registries (private, loopback, link-local,
 * reserved, documentation, multicast, ...; the embedded address of ::ffff:0:0/96 is
 * checked as IPv4) or is not AF_INET/AF_INET6, with *why (may be NULL) a static text
 * naming the block, e.g. "10.0.0.0/8, private-use (RFC 1918)". allow_loopback admits
 * 127.0.0.0/8 and ::1 only (test mode). src/va_addr.c. */
int kk_va_addr_allowed(const struct sockaddr *sa, int allow_loopback, const char **why);
/* The same for a numeric address string (what kk_dns_resolve returns); 0 for anything
 * that is not one. */
int kk_va_addr_str_allowed(const char *addr, int allow_loopback, const char **why);

#define KK_VA_MAX_ADDRS 16
/* Resolves A and AAAA records of name through the configured resolver (libldns).
 * addrs receives numeric strings. KK_ERR_DNS with a detail on failure or no records. */
int kk_dns_resolve(const kk_va_cfg *cfg, const char *name, char addrs[][46], size_t max,
    size_t *n, kk_err *err);

/* http-01 (RFC 8555 8.3): GET http://<domain>:<port>/.well-known/acme-challenge/<token>,
 * connecting only to an address resolved by kk_dns_resolve that kk_va_addr_allowed
 * admits (a name whose every address is refused fails with KK_ERR_CONNECTION "...
 * resolves to a reserved address ..."); at most 10 redirects, each to
 * http/https on 80/443 (or the test port) and re-resolved the same way; body at most
 * 64 KiB; timeout; the body with trailing whitespace trimmed must equal key_authz.
 * 0 when valid; -1 with KK_ERR_CONNECTION, KK_ERR_DNS, KK_ERR_INCORRECT_RESPONSE or
 * KK_ERR_UNAUTHORIZED and a detail that says what was fetched and what was wrong. */
int kk_va_http01(const kk_va_cfg *cfg, const char *domain, const char *token,
    const char *key_authz, kk_err *err);

/* ---- DNS methods, DNSSEC, CAA (issue #3) ----
 *
 * DNSSEC (BR 3.2.2.4 / 3.2.2.8, SC-085): every lookup is sent with EDNS0 DO=1 and RD=1 to
 * the configured resolver, which must be a validating resolver on a trusted path
 * (unbound on localhost). kakuin trusts its AD bit: AD=1 is "secure"; NOERROR/NXDOMAIN
 * with AD=0 is "insecure" (the resolver proved the zone unsigned); SERVFAIL is a refusal
 * (bogus answers come back as SERVFAIL from a validating resolver; an Extended DNS Error,
 * RFC 8914, if present, is quoted in the detail, e.g. "DNSSEC Bogus"). */

#define KK_DNSSEC_INSECURE 0
#define KK_DNSSEC_SECURE   1

/* What one successful validation looked at: stored as the validation record (BR 3.2.2.4). */
typedef struct kk_va_result {
	char checked[320];      /* e.g. "TXT _acme-challenge.example.com" or the http-01 URL */
	int dnssec;             /* KK_DNSSEC_SECURE if every DNS answer used had AD=1 */
	int covers_subdomains;  /* the method lets this validation cover names beneath the
	                         * validated name and "*." of it (BR 3.2.2.4.7 / .21; for
	                         * dns-persist-01 only with policy=wildcard). 0 for http-01. */
} kk_va_result;

/* One challenge to validate. Strings are borrowed. */
typedef struct kk_va_chall {
	const char *type;         /* http-01 dns-01 dns-account-01 dns-persist-01
	                           * dns-cname-01 dns-caa-01 */
	const char *domain;       /* identifier value, lower case, without "*." */
	int wildcard;             /* the order asked for "*." + domain */
	const char *token;
	const char *key_authz;    /* token "." thumbprint */
	const char *account_uri;  /* the account URL (dns-account-01, dns-persist-01) */
	const char *const *issuer_domains; /* the CA's CAA identities (dns-caa-01, dns-persist-01) */
	size_t n_issuer_domains;
	const char *cname_target; /* dns-cname-01: the CA-chosen CNAME target, no trailing dot */
	time_t now;               /* dns-persist-01 persistUntil is compared with this */
} kk_va_chall;

/* Validates one challenge of any type above. 0 and *res filled when the record is right;
 * -1 with KK_ERR_UNAUTHORIZED / KK_ERR_INCORRECT_RESPONSE (wrong or missing record, the
 * detail names the record looked up and what was found), KK_ERR_DNS (lookup failed,
 * SERVFAIL, DNSSEC bogus, timeout), KK_ERR_CONNECTION, or KK_ERR_MALFORMED (unknown type). */
int kk_va_validate(const kk_va_cfg *cfg, const kk_va_chall *ch, kk_va_result *res,
    kk_err *err);

/* One CAA check (RFC 8659 with RFC 8657) before issuance for domain (or "*." + domain
 * when wildcard). Strings are borrowed. */
typedef struct kk_caa_req {
	const char *domain;
	int wildcard;
	const char *const *issuer_domains; /* ours, from policy/ (e.g. "secomtrust.net") */
	size_t n_issuer_domains;
	const char *account_uri;  /* RFC 8657 accounturi is compared with this */
	const char *method;       /* ACME challenge type that validated the name (8657
	                           * validationmethods) */
} kk_caa_req;

/* 0 when issuance is permitted (no relevant CAA RRset, or an issue/issuewild property
 * names one of our issuer domains with matching 8657 parameters). -1 with KK_ERR_CAA and
 * a detail quoting the owner and record(s) that refused, or KK_ERR_DNS when any lookup of
 * the climb fails (SERVFAIL, bogus, timeout): a failed CAA lookup refuses issuance.
 * *dnssec (may be NULL) gets KK_DNSSEC_SECURE if every answer used was AD-validated. */
int kk_va_caa_check(const kk_va_cfg *cfg, const kk_caa_req *req, int *dnssec, kk_err *err);

/* The CP's phone methods (BR 3.2.2.4.16 phone-txt-01: TXT at
 * _validation-contactphone.<domain>, BR A.2.2; BR 3.2.2.4.17 phone-caa-01: CAA
 * contactphone properties of the relevant RRset, BR A.1.2): up to max distinct numbers
 * into phones. 0 with *n >= 1; -1 with KK_ERR_UNAUTHORIZED when none is published (the
 * detail names where kakuin looked), KK_ERR_DNS when a lookup fails. A reviewer calls. */
int kk_va_phone_contacts(const kk_va_cfg *cfg, const char *type, const char *domain,
    char phones[][64], size_t max, size_t *n, kk_err *err);

/* Start-up check that the resolver validates: name's SOA must come back NOERROR with AD=1.
 * -1 with KK_ERR_DNS and a detail otherwise. */
int kk_va_dnssec_probe(const kk_va_cfg *cfg, const char *name, kk_err *err);

#endif
