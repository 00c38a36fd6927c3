/*
 * Private to src/review*.c: the service context and the checks every part of the OV
 * vetting service shares (who is acting, is this text acceptable).
 */
#ifndef KAKUIN_REVIEW_INTERNAL_H
#define KAKUIN_REVIEW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <libpsl.h>
#include "kakuin/review.h"

struct kk_review {
	kk_store *st;            /* borrowed */
	const kk_policy *pol;    /* borrowed */
	char docs_dir[512];
	psl_ctx_t *psl;          /* Public Suffix List: registrable domains (review_orders.c) */
};

/* Who acts: actor 0 is the local operator (only where operator_ok), anything else must
 * be a reviewer who is not disabled and has at least role min (reviewer < approver <
 * admin). name gets what the audit log records. KK_ERR_UNAUTHORIZED naming the rule. */
int review_actor(kk_review *rv, int64_t actor, int operator_ok, kk_role min, char name[64],
    kk_err *err);
/* Text input: NUL-terminated within size bytes (fits its column's struct field), no
 * control characters (< 0x20, 0x7f), non-empty when required. s NULL reads as "".
 * HTML is allowed: every output escapes. KK_ERR_MALFORMED naming what. */
int review_text(const char *what, const char *s, size_t size, int required, kk_err *err);

#endif
