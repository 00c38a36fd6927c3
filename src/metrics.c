/* Operational counters (include/kakuin/metrics.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include "kakuin/metrics.h"
#include "kakuin/util.h"

static atomic_llong counters[KK_M_COUNT];

static const struct {
	const char *name;
	const char *help;
} info[KK_M_COUNT] = {
	[KK_M_CERTS_ISSUED] = { "kakuin_certificates_issued_total",
	    "Certificates signed and stored." },
	[KK_M_ISSUE_DEFERRED] = { "kakuin_issuance_deferred_total",
	    "Issuance attempts left processing (retried) because of a transient fault." },
	[KK_M_SERVER_INTERNAL] = { "kakuin_server_internal_total",
	    "serverInternal problem documents sent (HTTP 500 and 503)." },
	[KK_M_STORE_BUSY] = { "kakuin_store_busy_total", "SQLite busy or locked errors." },
	[KK_M_STORE_FULL] = { "kakuin_store_full_total", "SQLite disk or database full." },
	[KK_M_STORE_IOERR] = { "kakuin_store_io_errors_total",
	    "SQLite I/O, read-only and corruption errors." },
	[KK_M_STORE_NOMEM] = { "kakuin_store_nomem_total", "SQLite out of memory." },
	[KK_M_SIGNER_ERRORS] = { "kakuin_signer_errors_total",
	    "Token (PKCS#11) signatures that failed." },
	[KK_M_DNS_TIMEOUTS] = { "kakuin_dns_timeouts_total", "DNS lookups that timed out." },
	[KK_M_VA_FAILED] = { "kakuin_validations_failed_total",
	    "Domain validations that ended invalid." },
	[KK_M_HTTP_SLOW_CUT] = { "kakuin_http_slow_connections_cut_total",
	    "Connections cut by the request timeout (slow clients)." },
};

void
kk_metric_inc(kk_metric m)
{
	if ((unsigned)m < KK_M_COUNT)
		atomic_fetch_add_explicit(&counters[m], 1, memory_order_relaxed);
}

long long
kk_metric_get(kk_metric m)
{
	return (unsigned)m < KK_M_COUNT ?
	    atomic_load_explicit(&counters[m], memory_order_relaxed) : 0;
}

char *
kk_metrics_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (i = 0; i < KK_M_COUNT; i++)
		fprintf(fp, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", info[i].name,
		    info[i].help, info[i].name, info[i].name, kk_metric_get((kk_metric)i));
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
