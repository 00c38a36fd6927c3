/*
 * The BR 3.2.2.4 validation method table (policy validation.methods): which ACME
 * challenge types exist, which BR method each one is, and until when it may be used.
 */
#include <string.h>
#include <jansson.h>
#include "kakuin/clock.h"
#include "kakuin/policy.h"
#include "policy_internal.h"

/* Copies string member key of o into dst (required unless opt). */
static int
method_str(json_t *o, size_t i, const char *key, char *dst, size_t len, int opt, kk_err *err)
{
	json_t *v = json_object_get(o, key);

	dst[0] = '\0';
	if ((v == NULL || json_is_null(v)) && opt)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) >= len)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu].%s must "
		    "be a string shorter than %zu", i, key, len);
	strcpy(dst, json_string_value(v));
	return 0;
}

static int
load_method(json_t *o, size_t i, kk_method *m, kk_err *err)
{
	json_t *ch = json_object_get(o, "challenges"), *v;
	char sunset[16];
	size_t j;

	if (!json_is_object(o))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu] must be "
		    "an object", i);
	if (method_str(o, i, "br", m->br, sizeof(m->br), 0, err) != 0 ||
	    method_str(o, i, "title", m->title, sizeof(m->title), 0, err) != 0 ||
	    method_str(o, i, "cp", m->cp, sizeof(m->cp), 1, err) != 0 ||
	    method_str(o, i, "sunset", sunset, sizeof(sunset), 1, err) != 0)
		return -1;
	if (strncmp(m->br, "3.2.2.4.", 8) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu].br \"%s\" "
		    "is not a BR 3.2.2.4 method", i, m->br);
	if (sunset[0] != '\0' && kk_time_parse(sunset, &m->sunset) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu].sunset: "
		    "bad date", i);
	if (!json_is_boolean(json_object_get(o, "enabled")))
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu].enabled "
		    "must be true or false", i);
	m->enabled = json_is_true(json_object_get(o, "enabled"));
	m->wildcard = json_is_true(json_object_get(o, "wildcard"));
	if (!json_is_array(ch) || json_array_size(ch) > KK_METHOD_MAX_CHALLENGES)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu].challenges "
		    "must be an array of at most %d types", i, KK_METHOD_MAX_CHALLENGES);
	json_array_foreach(ch, j, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(m->challenges[0]))
			return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods[%zu]: bad "
			    "challenge type", i);
		strcpy(m->challenges[j], json_string_value(v));
	}
	m->n_challenges = json_array_size(ch);
	return 0;
}

int
policy_load_methods(json_t *validation, kk_policy *p, kk_err *err)
{
	json_t *ms = json_object_get(validation, "methods"), *o;
	size_t i, j, k, l;

	if (!json_is_array(ms) || json_array_size(ms) == 0 ||
	    json_array_size(ms) > KK_POLICY_MAX_METHODS)
		return kk_err_set(err, KK_ERR_INTERNAL, "policy: validation.methods must list 1..%d "
		    "methods", KK_POLICY_MAX_METHODS);
	json_array_foreach(ms, i, o)
		if (load_method(o, i, &p->methods[i], err) != 0)
			return -1;
	p->n_methods = json_array_size(ms);
	/* a challenge type must name exactly one method, or its validation record is ambiguous */
	for (i = 0; i < p->n_methods; i++)
		for (j = 0; j < p->methods[i].n_challenges; j++)
			for (k = i; k < p->n_methods; k++)
				for (l = (k == i ? j + 1 : 0); l < p->methods[k].n_challenges; l++)
					if (strcmp(p->methods[i].challenges[j],
					    p->methods[k].challenges[l]) == 0)
						return kk_err_set(err, KK_ERR_INTERNAL, "policy: "
						    "challenge type %s is listed twice",
						    p->methods[i].challenges[j]);
	return 0;
}

const kk_method *
kk_policy_method(const kk_policy *p, const char *challenge_type)
{
	size_t i, j;

	for (i = 0; i < p->n_methods; i++)
		for (j = 0; j < p->methods[i].n_challenges; j++)
			if (strcmp(p->methods[i].challenges[j], challenge_type) == 0)
				return &p->methods[i];
	return NULL;
}

int
kk_policy_challenge_usable(const kk_policy *p, const char *challenge_type, int wildcard,
    time_t t)
{
	const kk_method *m = kk_policy_method(p, challenge_type);

	if (m == NULL || !m->enabled || (m->sunset != 0 && t >= m->sunset))
		return 0;
	return !wildcard || m->wildcard;
}
