/* Shared between src/policy*.c only. */
#ifndef KAKUIN_POLICY_INTERNAL_H
#define KAKUIN_POLICY_INTERNAL_H

#include <jansson.h>
#include "kakuin/policy.h"

/* o.key as an integer in min..max into *dst; the error names "where.key". */
int policy_get_int(json_t *o, const char *where, const char *key, int min, int max, int *dst,
    kk_err *err);
/* Loads validation.methods (the BR 3.2.2.4 table) into p. */
int policy_load_methods(json_t *validation, kk_policy *p, kk_err *err);

/* Loads ct (Certificate Transparency: logs, SCTs required, failure handling) into p. */
int policy_load_ct(json_t *root, kk_policy *p, kk_err *err);

#endif
