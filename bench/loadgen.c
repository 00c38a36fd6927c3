/*
 * kakuin-loadgen: N concurrent ACME clients (RFC 8555) each issuing
 * certificates back to back against a CA on this machine (kakuin or Pebble),
 * answering http-01 itself, then a summary and machine-readable lines:
 *
 *   kakuin-loadgen --directory URL (--cacert PEM | --insecure) [--clients N]
 *       [--duration SEC | --issuances TOTAL] [--warmup SEC] [--http01-port P]
 *       [--suffix DOMAIN] [--eab-kid KID --eab-hmac B64U]
 *       [--poll-min-ms MS] [--poll-max-ms MS] [--retry SEC] [--save-dir DIR]
 *
 *   RESULT clients=N issuances=I seconds=S rate=R p50_ms=.. p90_ms=.. p99_ms=..
 *       max_ms=.. errors=E cpu_seconds=C cpu_share=F retries=T
 *   ERROR type=<kind> count=N example="..."      (one per kind of error)
 *
 * Latency is newOrder to certificate downloaded; cpu is this process's own
 * user+sys time over the measured window, its share over wall time x cores.
 * --retry (crash tests): a request that gets no answer or a 5xx is sent again with a
 * fresh nonce for up to SEC seconds, and a failed issuance starts again with a new
 * order (three times), so a client survives its server being killed and restarted.
 * --save-dir keeps every downloaded chain as DIR/<name>.pem.
 * Exit 0 when it ran (errors or not), 1 when it could not start, 2 on usage.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <openssl/rand.h>
#include "lg.h"

#define MAX_CLIENTS 1024

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: kakuin-loadgen --directory URL (--cacert PEM | --insecure)\n"
	    "           [--clients N] [--duration SEC | --issuances TOTAL] [--warmup SEC]\n"
	    "           [--http01-port P] [--suffix DOMAIN] [--eab-kid KID --eab-hmac B64U]\n"
	    "           [--poll-min-ms MS] [--poll-max-ms MS] [--retry SEC] [--save-dir DIR]\n"
	    "  defaults: --clients 1 --duration 10 --http01-port 5002\n"
	    "            --suffix bench.example.jp --poll-min-ms 50 --poll-max-ms 1000\n");
}

/* A number in [lo, hi] from s, or -1 with a message. */
static int
num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "kakuin-loadgen: %s wants a number in [%g, %g], not '%s'\n",
		    opt, lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Fills *o from argv; 0 ok, 1 for --help, -1 on a usage error. */
static int
parse_opts(int argc, char **argv, struct lg_opts *o)
{
	static const struct option lo[] = {
		{ "directory", required_argument, NULL, 'd' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "clients", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "issuances", required_argument, NULL, 'i' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "http01-port", required_argument, NULL, 'p' },
		{ "suffix", required_argument, NULL, 's' },
		{ "eab-kid", required_argument, NULL, 'K' },
		{ "eab-hmac", required_argument, NULL, 'H' },
		{ "poll-min-ms", required_argument, NULL, 'm' },
		{ "poll-max-ms", required_argument, NULL, 'M' },
		{ "retry", required_argument, NULL, 'r' },
		{ "save-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->clients = 1;
	o->http01_port = 5002;
	o->suffix = "bench.example.jp";
	o->poll_min_ms = 50;
	o->poll_max_ms = 1000;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		v = 0;
		switch (ch) {
		case 'd': o->directory = optarg; break;
		case 'c': o->cacert = optarg; break;
		case 'k': o->insecure = 1; break;
		case 's': o->suffix = optarg; break;
		case 'K': o->eab_kid = optarg; break;
		case 'H': o->eab_hmac = optarg; break;
		case 'S': o->save_dir = optarg; break;
		case 'r':
			if (num("--retry", optarg, 0, 3600, &o->retry) != 0)
				return -1;
			break;
		case 'h': return 1;
		case 'n':
			if (num("--clients", optarg, 1, MAX_CLIENTS, &v) != 0)
				return -1;
			o->clients = (int)v;
			break;
		case 't':
			if (num("--duration", optarg, 0.1, 86400, &o->duration) != 0)
				return -1;
			break;
		case 'i':
			if (num("--issuances", optarg, 1, 1e9, &v) != 0)
				return -1;
			o->issuances = (long)v;
			break;
		case 'w':
			if (num("--warmup", optarg, 0, 86400, &o->warmup) != 0)
				return -1;
			break;
		case 'p':
			if (num("--http01-port", optarg, 1, 65535, &v) != 0)
				return -1;
			o->http01_port = (int)v;
			break;
		case 'm':
		case 'M':
			if (num(ch == 'm' ? "--poll-min-ms" : "--poll-max-ms", optarg, 1, 60000,
			    &v) != 0)
				return -1;
			*(ch == 'm' ? &o->poll_min_ms : &o->poll_max_ms) = (int)v;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || o->directory == NULL) {
		fprintf(stderr, "kakuin-loadgen: %s\n", optind != argc ?
		    "unexpected argument" : "--directory is required");
		return -1;
	}
	if (o->duration > 0 && o->issuances > 0) {
		fprintf(stderr, "kakuin-loadgen: --duration and --issuances exclude each other\n");
		return -1;
	}
	if ((o->eab_kid == NULL) != (o->eab_hmac == NULL)) {
		fprintf(stderr, "kakuin-loadgen: --eab-kid and --eab-hmac go together\n");
		return -1;
	}
	if (o->poll_min_ms > o->poll_max_ms) {
		fprintf(stderr, "kakuin-loadgen: --poll-min-ms exceeds --poll-max-ms\n");
		return -1;
	}
	if (o->duration == 0 && o->issuances == 0)
		o->duration = 10;
	return 0;
}

/* Hands out the next issuance: 0 with *what (LG_WARM before T0, else
 * LG_CLAIMED), or -1 when the client should stop. */
int
lg_claim(struct lg_run *run, enum lg_what *what)
{
	int rc = 0;

	pthread_mutex_lock(&run->mu);
	*what = LG_CLAIMED;
	if (run->stop)
		rc = -1;
	else if (run->o->issuances > 0 && !run->measuring)
		*what = LG_WARM;
	else if (run->o->issuances > 0 && run->claimed >= run->o->issuances)
		rc = -1;
	else if (run->o->issuances > 0)
		run->claimed++;
	pthread_mutex_unlock(&run->mu);
	return rc;
}

/* Adds one finished issuance (f NULL: success after ms) to the counts if it
 * belongs to the measurement: a claimed one with --issuances, one ending
 * between T0 and the stop with --duration; set-up errors always count. */
void
lg_record(struct lg_run *run, enum lg_what what, double ms, const struct lg_fail *f)
{
	struct lg_errkind *k;
	double *nl;
	size_t cap;
	int counted;

	pthread_mutex_lock(&run->mu);
	counted = what == LG_SETUP || (run->o->issuances > 0 ? what == LG_CLAIMED :
	    run->measuring && !run->stop);
	if (!counted)
		goto out;
	if (f == NULL) {
		if (run->n_lat == run->cap_lat) {
			cap = run->cap_lat ? run->cap_lat * 2 : 1024;
			if ((nl = realloc(run->lat_ms, cap * sizeof(*nl))) == NULL)
				goto out;
			run->lat_ms = nl;
			run->cap_lat = cap;
		}
		run->lat_ms[run->n_lat++] = ms;
		run->done++;
		goto out;
	}
	run->errors++;
	for (k = run->kinds; k != NULL && strcmp(k->kind, f->kind) != 0; k = k->next)
		;
	if (k == NULL && (k = calloc(1, sizeof(*k))) != NULL) {
		snprintf(k->kind, sizeof(k->kind), "%s", f->kind);
		snprintf(k->example, sizeof(k->example), "%s", f->detail);
		k->next = run->kinds;
		run->kinds = k;
	}
	if (k != NULL)
		k->count++;
out:
	pthread_mutex_unlock(&run->mu);
}

/* One more request or issuance tried again under --retry. */
void
lg_retried(struct lg_run *run)
{
	pthread_mutex_lock(&run->mu);
	run->retries++;
	pthread_mutex_unlock(&run->mu);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile p of the sorted v[0..n-1]; 0 when n is 0. */
static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)ceil(p / 100.0 * (double)n);
	return v[i > 0 ? i - 1 : 0];
}

static double
cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The ERROR example with quotes and control characters made harmless. */
static void
clean(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"')
			*s = '\'';
		else if ((unsigned char)*s < 0x20)
			*s = ' ';
}

static void
report(struct lg_run *run, double secs, double cpu)
{
	const struct lg_opts *o = run->o;
	struct lg_errkind *k;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double rate = secs > 0 ? (double)run->done / secs : 0, share;
	double p50, p90, p99, mx;

	if (cores < 1)
		cores = 1;
	share = secs > 0 ? cpu / (secs * (double)cores) : 0;
	if (run->n_lat > 0)
		qsort(run->lat_ms, run->n_lat, sizeof(double), cmp_double);
	p50 = pct(run->lat_ms, run->n_lat, 50);
	p90 = pct(run->lat_ms, run->n_lat, 90);
	p99 = pct(run->lat_ms, run->n_lat, 99);
	mx = pct(run->lat_ms, run->n_lat, 100);
	printf("kakuin-loadgen: %d client%s against %s, run %s, %.2f s measured"
	    " (warm-up %.1f s)\n", o->clients, o->clients == 1 ? "" : "s", o->directory,
	    run->run_id, secs, o->warmup);
	printf("  %ld certificates issued (%.2f/s), %ld errors\n", run->done, rate, run->errors);
	if (o->retry > 0)
		printf("  %ld requests or issuances retried\n", run->retries);
	printf("  issuance latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
	    p50, p90, p99, mx);
	printf("  generator cpu %.2f s = %.1f%% of %ld core%s\n", cpu, share * 100, cores,
	    cores == 1 ? "" : "s");
	printf("RESULT clients=%d issuances=%ld seconds=%.3f rate=%.3f p50_ms=%.1f p90_ms=%.1f"
	    " p99_ms=%.1f max_ms=%.1f errors=%ld cpu_seconds=%.3f cpu_share=%.4f retries=%ld\n",
	    o->clients, run->done, secs, rate, p50, p90, p99, mx, run->errors, cpu, share,
	    run->retries);
	for (k = run->kinds; k != NULL; k = k->next) {
		clean(k->example);
		printf("ERROR type=%s count=%ld example=\"%s\"\n", k->kind, k->count, k->example);
	}
	fflush(stdout);
}

static void
sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Starts the clients, waits for their set-up, opens the window after the
 * warm-up, closes it after --duration (or when --issuances are used up). */
static int
run_clients(struct lg_run *run, double *secs, double *cpu)
{
	const struct lg_opts *o = run->o;
	struct lg_slot *slots = NULL;
	pthread_t *th = NULL;
	double t0, c0;
	int i, n = 0, rc = -1;

	if ((slots = calloc((size_t)o->clients, sizeof(*slots))) == NULL ||
	    (th = calloc((size_t)o->clients, sizeof(*th))) == NULL)
		goto out;
	for (n = 0; n < o->clients; n++) {
		slots[n].run = run;
		slots[n].idx = n;
		if (pthread_create(&th[n], NULL, lg_client_main, &slots[n]) != 0) {
			fprintf(stderr, "kakuin-loadgen: only %d client threads started\n", n);
			break;
		}
	}
	pthread_mutex_lock(&run->mu);
	while (run->ready < n)
		pthread_cond_wait(&run->cv, &run->mu);
	run->go = 1;
	pthread_cond_broadcast(&run->cv);
	pthread_mutex_unlock(&run->mu);
	if (o->warmup > 0)
		sleep_s(o->warmup);
	pthread_mutex_lock(&run->mu);
	run->measuring = 1;
	pthread_mutex_unlock(&run->mu);
	t0 = lg_now();
	c0 = cpu_now();
	if (o->duration > 0) {
		sleep_s(o->duration);
		pthread_mutex_lock(&run->mu);
		run->stop = 1;
		pthread_mutex_unlock(&run->mu);
		*secs = lg_now() - t0;
		*cpu = cpu_now() - c0;
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (o->duration == 0) {
		*secs = lg_now() - t0;
		*cpu = cpu_now() - c0;
	}
	rc = n > 0 ? 0 : -1;
out:
	free(slots);
	free(th);
	return rc;
}

int
main(int argc, char **argv)
{
	struct lg_opts o;
	struct lg_run run;
	struct lg_errkind *k;
	unsigned char rnd[4];
	double secs = 0, cpu = 0;
	int rc = 1, p;

	if ((p = parse_opts(argc, argv, &o)) != 0) {
		usage(p > 0 ? stdout : stderr);
		return p > 0 ? 0 : 2;
	}
	memset(&run, 0, sizeof(run));
	run.o = &o;
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.cv, NULL);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return 1;
	snprintf(run.run_id, sizeof(run.run_id), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	    rnd[3]);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (lg_directory(&run) != 0)
		goto out;
	if ((run.h01 = lg_http01_start(o.http01_port)) == NULL)
		goto out;
	if (run_clients(&run, &secs, &cpu) != 0)
		goto out;
	report(&run, secs, cpu);
	rc = 0;
out:
	lg_http01_stop(run.h01);
	while ((k = run.kinds) != NULL) {
		run.kinds = k->next;
		free(k);
	}
	free(run.lat_ms);
	free(run.new_nonce);
	free(run.new_account);
	free(run.new_order);
	pthread_mutex_destroy(&run.mu);
	pthread_cond_destroy(&run.cv);
	curl_global_cleanup();
	return rc;
}
