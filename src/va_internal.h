/*
 * Validation authority internals shared by src/va_dns.c (queries), src/va_caa.c (CAA and
 * the RFC 8659 issue-value grammar) and src/va_methods.c (challenge dispatch).
 */
#ifndef KAKUIN_VA_INTERNAL_H
#define KAKUIN_VA_INTERNAL_H

#include <stddef.h>
#include <ldns/ldns.h>
#include "kakuin/va.h"

#define VA_QUOTE_MAX	100	/* characters of a record shown in a detail */

/* One answer the caller may use: the resolver said NOERROR or NXDOMAIN. */
typedef struct va_dns_ans {
	ldns_pkt *pkt;		/* owned */
	ldns_rdf *qname;	/* owned */
	ldns_rr_type type;
	ldns_rr_list *rrs;	/* owned list of the RRs of type for qname, following the CNAME
				 * chain inside the answer (RFC 1034 3.6.2); the RRs are borrowed
				 * from pkt. Empty on NXDOMAIN or NODATA. */
	int nxdomain;
	int ad;			/* the resolver's AD bit (RFC 4035 3.2.3): 1 = secure */
} va_dns_ans;

/* 1 if name is a host name: LDH labels, no trailing dot (RFC 1035 2.3.1, RFC 1123 2.1). */
int va_dns_name_valid(const char *name);

/* Queries type t for name (presentation form, no trailing dot; underscores allowed) at the
 * configured resolver with RD=1 and EDNS0 DO=1. 0 with *ans filled (caller frees with
 * va_dns_ans_free) on NOERROR or NXDOMAIN; -1 with KK_ERR_DNS "DNS problem: SERVFAIL
 * looking up TXT for name - DNSSEC Bogus (EDE 6: ...)" on any other outcome, or
 * KK_ERR_INTERNAL for a bad configuration. */
int va_dns_lookup(const kk_va_cfg *cfg, const char *name, ldns_rr_type t, va_dns_ans *ans,
    kk_err *err);

/* Frees what ans owns (the struct is the caller's); accepts NULL. */
void va_dns_ans_free(va_dns_ans *ans);

/* The character-strings of one TXT RR joined (RFC 7208 3.3 style), NUL-terminated;
 * caller frees. NULL when memory runs out. */
char *va_dns_txt(const ldns_rr *rr);

/* Copies src (len bytes) into dst as a C-escaped quotable string, at most VA_QUOTE_MAX
 * source characters, with "..." when cut. dst needs 4 * VA_QUOTE_MAX + 4 bytes. */
void va_quote(char *dst, size_t dstsize, const char *src, size_t len);

/* An RFC 8659 4.2 issue-value (also the dns-persist-01 record value). */
#define VA_IV_PARAMS	8
typedef struct va_issue_value {
	char issuer[256];	/* issuer-domain-name, "" when absent */
	size_t n;
	struct {
		char tag[64];
		char value[512];
	} p[VA_IV_PARAMS];
} va_issue_value;

/* Parses s (len bytes) per RFC 8659 4.2: issuer-domain-name, then ";"-separated
 * tag=value parameters with optional whitespace. Duplicate tags (case-insensitive)
 * are malformed. 0, or -1 with why (a static string) when malformed. */
int va_issue_value_parse(const char *s, size_t len, va_issue_value *iv, const char **why);

/* The value of parameter tag (case-insensitive), or NULL. Borrowed from iv. */
const char *va_issue_value_param(const va_issue_value *iv, const char *tag);

/* 1 if name equals one of domains, case-insensitively, ignoring a trailing dot. */
int va_issuer_ours(const char *name, const char *const *domains, size_t n);

/* One CAA property (RFC 8659 4.1) read from rr's rdata. */
typedef struct va_caa_prop {
	int flags;
	char tag[16];		/* lower-cased for comparison */
	const unsigned char *value; /* borrowed from the RR */
	size_t value_len;
} va_caa_prop;

/* 0 with *prop filled from a CAA RR; -1 when its rdata is not a CAA property. */
int va_caa_prop_get(const ldns_rr *rr, va_caa_prop *prop);

/* RFC 8659 3: the relevant CAA RRset of domain, climbing to its parents (not the root).
 * 0 with *ans holding it (rrs empty when none; caller frees), *owner where it was found
 * (borrowed from domain), *secure 1 if every answer had AD; -1 (KK_ERR_DNS) on a failed
 * lookup. */
int va_caa_relevant(const kk_va_cfg *cfg, const char *domain, va_dns_ans *ans,
    const char **owner, int *secure, kk_err *err);

/* Appends ` flags tag "value"` of prop to buf (size bufsize), truncating quietly. */
void va_caa_prop_append(char *buf, size_t bufsize, const va_caa_prop *prop);

#endif
