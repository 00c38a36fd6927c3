/*
 * Operational counters (issue #8: every fault gives the operator a log line and a
 * metric). Process-wide, lock-free (C11 atomics), exported in the Prometheus text
 * format at GET /metrics on the reviewer listener (src/review_web.c).
 */
#ifndef KAKUIN_METRICS_H
#define KAKUIN_METRICS_H

typedef enum kk_metric {
	KK_M_CERTS_ISSUED,       /* certificates signed and stored */
	KK_M_ISSUE_DEFERRED,     /* issuance attempts left processing by a transient fault */
	KK_M_SERVER_INTERNAL,    /* serverInternal problem documents sent (500 and 503) */
	KK_M_STORE_BUSY,         /* SQLite busy/locked */
	KK_M_STORE_FULL,         /* SQLite: disk or database full */
	KK_M_STORE_IOERR,        /* SQLite I/O errors (and read-only, corrupt) */
	KK_M_STORE_NOMEM,        /* SQLite out of memory */
	KK_M_SIGNER_ERRORS,      /* token signatures that failed */
	KK_M_DNS_TIMEOUTS,       /* DNS lookups that timed out */
	KK_M_VA_FAILED,          /* validations that ended invalid */
	KK_M_HTTP_SLOW_CUT,      /* connections cut by the request timeout (slowloris) */
	KK_M_COUNT
} kk_metric;

void kk_metric_inc(kk_metric m);
long long kk_metric_get(kk_metric m);
/* The counters as Prometheus text exposition format 0.0.4. Caller frees. NULL on OOM. */
char *kk_metrics_text(void);

#endif
