/* Loads the CP as data (policy/default.json) into kk_policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "kakuin/clock.h"
#include "kakuin/policy.h"
#include "policy_internal.h"

/* Copies the string at path "a.b" (dots separate objects) into dst; required unless opt. */
static int
get_str(json_t *root, const char *obj, const char *key, char *dst, size_t dstlen, int opt,
    kk_err *err)
{
	json_t *o = obj ? json_object_get(root, obj) : root;
	json_t *v = json_object_get(o, key);

	if (v == NULL && opt) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s must be a string", obj ? obj : "",
		    key);
	if (strlen(json_string_value(v)) >= dstlen)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s is too long", obj ? obj : "", key);
	strcpy(dst, json_string_value(v));
	return 0;
}

int
policy_get_int(json_t *o, const char *where, const char *key, int min, int max, int *dst,
    kk_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s must be an integer in %d..%d",
		    where, key, min, max);
	*dst = (int)json_integer_value(v);
	return 0;
}

static int
get_dn(json_t *o, const char *key, kk_dn *dn, kk_err *err)
{
	json_t *d = json_object_get(o, key);

	if (!json_is_object(d))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: hierarchy.%s must be an object", key);
	if (get_str(d, NULL, "C", dn->c, sizeof(dn->c), 0, err) != 0 ||
	    get_str(d, NULL, "O", dn->o, sizeof(dn->o), 0, err) != 0 ||
	    get_str(d, NULL, "CN", dn->cn, sizeof(dn->cn), 0, err) != 0)
		return -1;
	return 0;
}

/* {"before": N, "steps": [{"from": "YYYY-MM-DD", "days": N}, ...]} in date order */
static int
get_schedule(json_t *o, const char *where, const char *key, kk_schedule *s, kk_err *err)
{
	json_t *sch = json_object_get(o, key), *steps, *st;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(sch) ||
	    policy_get_int(sch, key, "before", 1, 10000, &s->before_first, err) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s must be a schedule", where, key);
	steps = json_object_get(sch, "steps");
	if (!json_is_array(steps) || json_array_size(steps) > KK_POLICY_MAX_STEPS)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s.steps must be an array", where,
		    key);
	json_array_foreach(steps, i, st) {
		const char *from = json_string_value(json_object_get(st, "from"));
		if (from == NULL || kk_time_parse(from, &s->step[i].from) != 0)
			return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s step %zu: bad date", where,
			    key, i);
		if (policy_get_int(st, key, "days", 1, 10000, &s->step[i].days, err) != 0)
			return -1;
		if (i > 0 && s->step[i].from <= s->step[i - 1].from)
			return kk_err_set(err, KK_ERR_INTERNAL, "policy: %s.%s steps out of order", where,
			    key);
	}
	s->n = json_array_size(steps);
	return 0;
}

static int
load_hierarchy(json_t *root, kk_policy *p, kk_err *err)
{
	json_t *h = json_object_get(root, "hierarchy");

	if (get_dn(h, "root", &p->root_dn, err) != 0 ||
	    get_dn(h, "issuing", &p->issuing_dn, err) != 0 ||
	    get_dn(h, "tls_ca", &p->tls_ca_dn, err) != 0 ||
	    policy_get_int(h, "hierarchy", "root_key_bits", 2048, 8192, &p->root_key_bits, err) != 0 ||
	    policy_get_int(h, "hierarchy", "issuing_key_bits", 2048, 8192, &p->issuing_key_bits,
		err) != 0 ||
	    policy_get_int(h, "hierarchy", "root_validity_days", 1, 36525, &p->root_validity_days,
		err) != 0 ||
	    policy_get_int(h, "hierarchy", "issuing_validity_days", 1, 36525, &p->issuing_validity_days,
		err) != 0)
		return -1;
	return 0;
}

/* profile.profiles {name: {description, validity_days}} and default_profile */
static int
load_profiles(json_t *pr, kk_policy *p, kk_err *err)
{
	json_t *ps = json_object_get(pr, "profiles"), *v;
	const char *name;

	if (!json_is_object(ps) || json_object_size(ps) == 0 ||
	    json_object_size(ps) > KK_POLICY_MAX_PROFILES)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: profile.profiles must name 1..%d "
		    "profiles", KK_POLICY_MAX_PROFILES);
	json_object_foreach(ps, name, v) {
		kk_cert_profile *cp = &p->profiles[p->n_profiles];
		const char *d = json_string_value(json_object_get(v, "description"));

		if (strlen(name) == 0 || strlen(name) >= sizeof(cp->name) || d == NULL ||
		    strlen(d) >= sizeof(cp->description))
			return kk_err_set(err, KK_ERR_INTERNAL, "policy: profile.profiles.%s needs a "
			    "short name and a description", name);
		if (policy_get_int(v, "profile.profiles", "validity_days", 0, 398, &cp->validity_days,
		    err) != 0)
			return -1;
		strcpy(cp->name, name);
		strcpy(cp->description, d);
		p->n_profiles++;
	}
	if (get_str(pr, NULL, "default_profile", p->default_profile,
	    sizeof(p->default_profile), 0, err) != 0)
		return -1;
	if (kk_policy_profile(p, p->default_profile) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: default_profile %s is not a "
		    "profile", p->default_profile);
	return 0;
}

const kk_cert_profile *
kk_policy_profile(const kk_policy *p, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < p->n_profiles; i++)
		if (strcmp(p->profiles[i].name, name) == 0)
			return &p->profiles[i];
	return NULL;
}

static int
load_profile(json_t *root, kk_policy *p, kk_err *err)
{
	json_t *pr = json_object_get(root, "profile"), *oids, *v;
	size_t i;

	if (get_str(root, "profile", "subject_country", p->subject_country,
		sizeof(p->subject_country), 0, err) != 0 ||
	    get_str(root, "profile", "cps_uri", p->cps_uri, sizeof(p->cps_uri), 0, err) != 0 ||
	    get_str(root, "profile", "crl_url", p->crl_url, sizeof(p->crl_url), 0, err) != 0 ||
	    get_str(root, "profile", "ocsp_url", p->ocsp_url, sizeof(p->ocsp_url), 0, err) != 0 ||
	    policy_get_int(pr, "profile", "cp_max_validity_days", 1, 398,
		&p->cp_max_validity_days, err) != 0 ||
	    get_schedule(pr, "profile", "br_validity", &p->br_validity, err) != 0 ||
	    /* BR 7.1: at least 64 bits of CSPRNG output; RFC 5280: at most 20 octets */
	    policy_get_int(pr, "profile", "serial_bytes", 9, 20, &p->serial_bytes, err) != 0 ||
	    policy_get_int(pr, "profile", "rsa_min_bits", 2048, 8192, &p->rsa_min_bits, err) != 0 ||
	    load_profiles(pr, p, err) != 0)
		return -1;
	oids = json_object_get(pr, "policy_oids");
	if (!json_is_array(oids) || json_array_size(oids) == 0 ||
	    json_array_size(oids) > KK_POLICY_MAX_OIDS)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: profile.policy_oids must list 1..%d OIDs",
		    KK_POLICY_MAX_OIDS);
	json_array_foreach(oids, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(p->policy_oids[0]))
			return kk_err_set(err, KK_ERR_INTERNAL, "policy: bad policy OID");
		strcpy(p->policy_oids[i], json_string_value(v));
	}
	p->n_policy_oids = json_array_size(oids);
	return 0;
}

static int
load_validation(json_t *root, kk_policy *p, kk_err *err)
{
	json_t *v = json_object_get(root, "validation");

	/* CP 3.2.7: a random value may be used for at most 30 days */
	if (policy_get_int(v, "validation", "token_lifetime_days", 1, 30, &p->token_lifetime_days,
	    err) != 0 ||
	    get_schedule(v, "validation", "authz_reuse", &p->authz_reuse, err) != 0 ||
	    policy_get_int(v, "validation", "order_lifetime_days", 1, 30, &p->order_lifetime_days,
		err) != 0 ||
	    policy_get_int(v, "validation", "pending_authz_lifetime_days", 1, 30,
		&p->pending_authz_lifetime_days, err) != 0 ||
	    get_str(root, "validation", "br_version", p->br_version, sizeof(p->br_version), 0,
		err) != 0 ||
	    get_str(root, "validation", "dns_cname_target", p->dns_cname_target,
		sizeof(p->dns_cname_target), 0, err) != 0 ||
	    get_str(root, "validation", "dnssec_probe", p->dnssec_probe, sizeof(p->dnssec_probe),
		0, err) != 0)
		return -1;
	return policy_load_methods(v, p, err);
}

static int
load_directory(json_t *root, kk_policy *p, kk_err *err)
{
	json_t *d = json_object_get(root, "directory"), *ids, *v;
	size_t i;

	if (get_str(root, "directory", "terms_of_service", p->terms_of_service,
		sizeof(p->terms_of_service), 1, err) != 0 ||
	    get_str(root, "directory", "website", p->website, sizeof(p->website), 1, err) != 0)
		return -1;
	ids = json_object_get(d, "caa_identities");
	if (!json_is_array(ids) || json_array_size(ids) > 4)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: directory.caa_identities (<= 4)");
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(p->caa_identities[0]))
			return kk_err_set(err, KK_ERR_INTERNAL, "policy: bad CAA identity");
		strcpy(p->caa_identities[i], json_string_value(v));
	}
	p->n_caa_identities = json_array_size(ids);
	return 0;
}

static int
load_ov(json_t *root, kk_policy *p, kk_err *err)
{
	json_t *ov = json_object_get(root, "ov");
	char mode[16];

	if (get_str(root, "ov", "mode", mode, sizeof(mode), 0, err) != 0 ||
	    get_schedule(ov, "ov", "org_reuse", &p->org_reuse, err) != 0 ||
	    policy_get_int(ov, "ov", "session_minutes", 1, 1440, &p->session_minutes, err) != 0 ||
	    policy_get_int(ov, "ov", "retry_after_seconds", 1, 3600, &p->retry_after_seconds, err) != 0)
		return -1;
	if (strcmp(mode, "dev") != 0 && strcmp(mode, "production") != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ov.mode must be \"production\" or "
		    "\"dev\"");
	p->ov_dev_mode = strcmp(mode, "dev") == 0;
	if (!json_is_boolean(json_object_get(ov, "review_new_domains")))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ov.review_new_domains must be "
		    "true or false");
	p->review_new_domains = json_is_true(json_object_get(ov, "review_new_domains"));
	/* BR 4.2.1: organization data may be reused for at most 825, then 398 days */
	if (kk_schedule_days(&p->org_reuse, 0) > 825)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ov.org_reuse exceeds 825 days");
	return 0;
}

static int
load_dev_org(json_t *root, kk_policy *p, kk_err *err)
{
	if (get_str(root, "dev_organization", "O", p->dev_org_name, sizeof(p->dev_org_name), 0,
		err) != 0 ||
	    get_str(root, "dev_organization", "OU", p->dev_org_unit, sizeof(p->dev_org_unit), 1,
		err) != 0 ||
	    get_str(root, "dev_organization", "L", p->dev_org_locality, sizeof(p->dev_org_locality),
		0, err) != 0 ||
	    get_str(root, "dev_organization", "ST", p->dev_org_state, sizeof(p->dev_org_state), 0,
		err) != 0)
		return -1;
	return 0;
}

int
kk_policy_load(const char *path, kk_policy *out, kk_err *err)
{
	json_t *root = NULL;
	json_error_t jerr;
	int rc = -1;

	if (path == NULL)
		path = getenv("KAKUIN_POLICY");
	if (path == NULL)
		path = KAKUIN_POLICY_DEFAULT;
	memset(out, 0, sizeof(*out));
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "policy %s: line %d: %s", path, jerr.line, jerr.text);
		goto out;
	}
	if (load_hierarchy(root, out, err) != 0 || load_profile(root, out, err) != 0 ||
	    load_validation(root, out, err) != 0 || load_directory(root, out, err) != 0 ||
	    load_ov(root, out, err) != 0 || load_dev_org(root, out, err) != 0 ||
	    policy_load_ct(root, out, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
kk_schedule_days(const kk_schedule *s, time_t t)
{
	int days = s->before_first;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (t >= s->step[i].from)
			days = s->step[i].days;
	return days;
}

int
kk_policy_validity_days(const kk_policy *p, time_t t)
{
	int br = kk_schedule_days(&p->br_validity, t);

	return br < p->cp_max_validity_days ? br : p->cp_max_validity_days;
}

void
kk_policy_set_public_base(kk_policy *p, const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(p->crl_url, sizeof(p->crl_url), "%.*s/crl/issuing.crl", (int)n, base);
	snprintf(p->ocsp_url, sizeof(p->ocsp_url), "%.*s/ocsp", (int)n, base);
}
