/*
 * Policy ct: Certificate Transparency (RFC 6962) for the SignedCertificateTimestampList
 * of CP table 7.1-1. The logs are entries of a CT log list (log_list.json v3: the
 * description, the operator, the url, the base64 DER key and the temporal interval).
 */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "kakuin/clock.h"
#include "kakuin/policy.h"
#include "policy_internal.h"

static int
ct_bool(json_t *o, const char *key, int *dst, kk_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.%s must be true or false", key);
	*dst = json_is_true(v);
	return 0;
}

/* logs[i].key (base64 DER SPKI): parsed to make sure it is a usable log key (ECDSA
 * P-256 or RSA >= 2048, RFC 6962 2.1.4), and its SHA-256 is the log ID (3.2). */
static int
ct_key(const char *b64, kk_ct_log *l, size_t i, kk_err *err)
{
	const unsigned char *p = l->key;
	EVP_PKEY *k = NULL;
	int n, ok = 0;

	n = EVP_DecodeBlock(l->key, (const unsigned char *)b64, (int)strlen(b64));
	/* EVP_DecodeBlock counts the padding as zero octets */
	if (n > 0 && strlen(b64) > 0 && b64[strlen(b64) - 1] == '=')
		n -= strlen(b64) > 1 && b64[strlen(b64) - 2] == '=' ? 2 : 1;
	if (n > 0) {
		l->key_len = (size_t)n;
		k = d2i_PUBKEY(NULL, &p, (long)l->key_len);
	}
	if (k != NULL && p == l->key + l->key_len)
		ok = (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && EVP_PKEY_get_bits(k) == 256) ||
		    (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA && EVP_PKEY_get_bits(k) >= 2048);
	EVP_PKEY_free(k);
	if (!ok)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs[%zu].key is not a base64 "
		    "ECDSA P-256 or RSA >= 2048 SubjectPublicKeyInfo", i);
	return EVP_Digest(l->key, l->key_len, l->log_id, NULL, EVP_sha256(), NULL) == 1 ? 0 :
	    kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs[%zu]: cannot hash the key", i);
}

static int
ct_str(json_t *o, const char *key, size_t i, char *dst, size_t len, kk_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs[%zu].%s must be a "
		    "non-empty string shorter than %zu", i, key, len);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
ct_log(json_t *o, size_t i, kk_ct_log *l, kk_err *err)
{
	json_t *ti = json_object_get(o, "temporal_interval");
	char key[700];
	const char *s, *e;

	if (!json_is_object(o))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs[%zu] must be an object", i);
	if (ct_str(o, "description", i, l->name, sizeof(l->name), err) != 0 ||
	    ct_str(o, "operator", i, l->operator_name, sizeof(l->operator_name), err) != 0 ||
	    ct_str(o, "url", i, l->url, sizeof(l->url), err) != 0 ||
	    ct_str(o, "key", i, key, sizeof(key), err) != 0 || ct_key(key, l, i, err) != 0)
		return -1;
	if (strncmp(l->url, "https://", 8) != 0 && strncmp(l->url, "http://", 7) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs[%zu].url must be http(s)",
		    i);
	if (ti == NULL)
		return 0;
	s = json_string_value(json_object_get(ti, "start_inclusive"));
	e = json_string_value(json_object_get(ti, "end_exclusive"));
	if (s == NULL || e == NULL || kk_time_parse(s, &l->not_after_start) != 0 ||
	    kk_time_parse(e, &l->not_after_end) != 0 || l->not_after_end <= l->not_after_start)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs[%zu].temporal_interval "
		    "needs start_inclusive < end_exclusive (RFC 3339 dates)", i);
	return 0;
}

int
policy_load_ct(json_t *root, kk_policy *p, kk_err *err)
{
	json_t *ct = json_object_get(root, "ct"), *logs, *v;
	kk_ct_policy *c = &p->ct;
	size_t i;

	if (!json_is_object(ct))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct must be an object");
	if (ct_bool(ct, "enabled", &c->enabled, err) != 0 ||
	    ct_bool(ct, "dev_enabled", &c->dev_enabled, err) != 0 ||
	    policy_get_int(ct, "ct", "min_scts", 1, KK_CT_MAX_LOGS, &c->min_scts, err) != 0 ||
	    policy_get_int(ct, "ct", "min_operators", 1, KK_CT_MAX_LOGS, &c->min_operators, err) != 0 ||
	    policy_get_int(ct, "ct", "timeout_seconds", 1, 300, &c->timeout_seconds, err) != 0 ||
	    ct_bool(ct, "wait", &c->wait, err) != 0 ||
	    policy_get_int(ct, "ct", "max_wait_seconds", 0, 7 * 86400, &c->max_wait_seconds, err) != 0)
		return -1;
	logs = json_object_get(ct, "logs");
	if (!json_is_array(logs) || json_array_size(logs) > KK_CT_MAX_LOGS)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.logs must be an array of at "
		    "most %d logs", KK_CT_MAX_LOGS);
	json_array_foreach(logs, i, v) {
		if (ct_log(v, i, &c->logs[i], err) != 0)
			return -1;
		c->n_logs = i + 1;
	}
	if (c->min_operators > c->min_scts)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: ct.min_operators exceeds "
		    "ct.min_scts");
	if ((c->enabled || c->dev_enabled) && c->n_logs < (size_t)c->min_scts)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: CT is enabled but ct.logs has "
		    "fewer than ct.min_scts (%d) logs", c->min_scts);
	return 0;
}

int
kk_policy_ct_on(const kk_policy *p)
{
	return p->ov_dev_mode ? p->ct.dev_enabled : p->ct.enabled;
}
