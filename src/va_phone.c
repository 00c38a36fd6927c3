/*
 * Validation authority: the phone contacts of a domain for the CP's phone methods, which
 * a person then calls (BR 3.2.2.4.16 phone-txt-01: the DNS TXT record phone contact,
 * BR A.2.2 "_validation-contactphone"; BR 3.2.2.4.17 phone-caa-01: the CAA contactphone
 * property, BR A.1.2, in the relevant RRset of RFC 8659). The call itself is a reviewer
 * task (include/kakuin/review.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldns/ldns.h>
#include "kakuin/va.h"
#include "va_internal.h"

#define PHONE_MAX 40

/* 1 if s (len bytes) looks like a phone number: digits with "+ -.()" and spaces, 4..40
 * characters, at least 4 digits (E.164 allows 15; punctuation is common in records). */
static int
phone_ok(const char *s, size_t len)
{
	size_t i, digits = 0;

	if (len < 4 || len > PHONE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (strchr("+-.() ", s[i]) == NULL || s[i] == '\0')
			return 0;
	}
	return digits >= 4;
}

/* Appends s (len bytes, already checked by phone_ok) unless phones has it. */
static void
phone_add(char phones[][64], size_t max, size_t *n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen(phones[i]) == len && memcmp(phones[i], s, len) == 0)
			return;
	if (*n < max) {
		memcpy(phones[*n], s, len);
		phones[(*n)++][len] = '\0';
	}
}

/* BR A.2.2: TXT at _validation-contactphone.<domain>, the whole string the number. */
static int
phones_txt(const kk_va_cfg *cfg, const char *domain, char phones[][64], size_t max, size_t *n,
    char *where, size_t where_len, kk_err *err)
{
	va_dns_ans ans = { 0 };
	char owner[300];
	size_t i;

	snprintf(owner, sizeof(owner), "_validation-contactphone.%s", domain);
	snprintf(where, where_len, "TXT %s", owner);
	if (va_dns_lookup(cfg, owner, LDNS_RR_TYPE_TXT, &ans, err) != 0)
		return -1;
	for (i = 0; i < ldns_rr_list_rr_count(ans.rrs); i++) {
		char *t = va_dns_txt(ldns_rr_list_rr(ans.rrs, i));

		if (t != NULL && phone_ok(t, strlen(t)))
			phone_add(phones, max, n, t, strlen(t));
		free(t);
	}
	va_dns_ans_free(&ans);
	return 0;
}

/* BR A.1.2: contactphone properties of the relevant CAA RRset. */
static int
phones_caa(const kk_va_cfg *cfg, const char *domain, char phones[][64], size_t max, size_t *n,
    char *where, size_t where_len, kk_err *err)
{
	va_dns_ans ans = { 0 };
	const char *owner = domain;
	va_caa_prop prop;
	int secure;
	size_t i;

	if (va_caa_relevant(cfg, domain, &ans, &owner, &secure, err) != 0)
		return -1;
	snprintf(where, where_len, "CAA contactphone of %s", owner);
	for (i = 0; i < ldns_rr_list_rr_count(ans.rrs); i++)
		if (va_caa_prop_get(ldns_rr_list_rr(ans.rrs, i), &prop) == 0 &&
		    strcmp(prop.tag, "contactphone") == 0 &&
		    phone_ok((const char *)prop.value, prop.value_len))
			phone_add(phones, max, n, (const char *)prop.value, prop.value_len);
	va_dns_ans_free(&ans);
	return 0;
}

int
kk_va_phone_contacts(const kk_va_cfg *cfg, const char *type, const char *domain,
    char phones[][64], size_t max, size_t *n, kk_err *err)
{
	char where[320];
	int rc;

	*n = 0;
	if (domain == NULL || !va_dns_name_valid(domain))
		return kk_err_set(err, KK_ERR_MALFORMED, "invalid domain name");
	if (strcmp(type, "phone-txt-01") == 0)
		rc = phones_txt(cfg, domain, phones, max, n, where, sizeof(where), err);
	else if (strcmp(type, "phone-caa-01") == 0)
		rc = phones_caa(cfg, domain, phones, max, n, where, sizeof(where), err);
	else
		return kk_err_set(err, KK_ERR_MALFORMED, "%s is not a phone method", type);
	if (rc != 0)
		return -1;
	if (*n == 0)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "No phone number found in %s: publish "
		    "the domain's phone contact there (BR %s) and try again", where,
		    strcmp(type, "phone-txt-01") == 0 ? "A.2.2" : "A.1.2");
	return 0;
}
