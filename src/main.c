/* kakuin: one binary with subcommands (init, serve, org, review, check). */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/keycheck.h"
#include "kakuin/policy.h"
#include "kakuin/ra.h"
#include "kakuin/review.h"
#include "kakuin/status.h"
#include "kakuin/store.h"
#include "kakuin/util.h"
#include "cli.h"
#include "review_web.h"
#include "server.h"
#include "wfe.h"

/* `kakuin review ...` (src/main_review.c); argv[0] is "review". */

typedef struct opts {
	const char *data_dir, *policy, *listen, *resolver, *tls_cert, *tls_key, *public_base;
	const char *dnssec_probe, *review_listen, *http_listen;
	const char *name, *unit, *locality, *state;
	int http01_port, workers, threads, dev, va_loopback;
	kk_server_limits lim;	/* listener limits; 0 = default */
} opts;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kakuin init  --data-dir DIR [--policy FILE]\n"
	    "       kakuin serve --data-dir DIR [--listen ADDR:PORT] [--http01-port N]\n"
	    "                    [--dns-resolver ADDR:PORT] [--tls-cert PEM --tls-key PEM]\n"
	    "                    [--public-base-url URL] [--policy FILE]\n"
	    "                    [--dnssec-probe NAME|none] [--review-listen ADDR:PORT|none]\n"
	    "                    [--http-listen ADDR:PORT|none] [--dev]\n"
	    "                    [--va-allow-loopback] [--max-connections N]\n"
	    "                    [--max-connections-per-ip N] [--idle-timeout SEC]\n"
	    "                    [--request-timeout SEC]\n"
	    "       kakuin org set --data-dir DIR [--name O] [--unit OU] [--locality L]\n"
	    "                    [--state ST]\n"
	    "       kakuin org show --data-dir DIR\n"
	    "       kakuin review user|org|eab|task ... --data-dir DIR (kakuin review help)\n"
	    "       kakuin revoke request|do|report ... --data-dir DIR (kakuin review help)\n"
	    "       kakuin check --data-dir DIR\n"
	    "       kakuin keys scan --data-dir DIR [--policy FILE]\n"
	    "defaults: --listen 127.0.0.1:14000 --http01-port 80 --dns-resolver 127.0.0.1:53\n"
	    "          --review-listen 127.0.0.1:14001 (the reviewer web UI)\n"
	    "          --http-listen 127.0.0.1:8080 (CRL and OCSP over plain HTTP; with --dev\n"
	    "          and no --public-base-url, certificates point there)\n"
	    "          --max-connections 1000 --max-connections-per-ip 64 (per listener)\n"
	    "          --idle-timeout 30 --request-timeout 60 (docs/security.md)\n"
	    "--va-allow-loopback (tests only; implied by --dev): http-01 may connect to\n"
	    "          127.0.0.0/8 and ::1, which production refuses\n");
}

/* A listener limit: 1..100000, or UINT_MAX for anything else (parse_opts refuses it). */
static unsigned
opt_count(const char *s)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' && v >= 1 && v <= 100000 ? (unsigned)v : UINT_MAX;
}

static int
parse_opts(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {
		{"data-dir", required_argument, 0, 'd'}, {"policy", required_argument, 0, 'p'},
		{"listen", required_argument, 0, 'l'}, {"http01-port", required_argument, 0, 'h'},
		{"dns-resolver", required_argument, 0, 'r'}, {"tls-cert", required_argument, 0, 'c'},
		{"tls-key", required_argument, 0, 'k'}, {"public-base-url", required_argument, 0, 'b'},
		{"name", required_argument, 0, 'N'}, {"unit", required_argument, 0, 'U'},
		{"locality", required_argument, 0, 'L'}, {"state", required_argument, 0, 'S'},
		{"workers", required_argument, 0, 'w'}, {"threads", required_argument, 0, 't'},
		{"dnssec-probe", required_argument, 0, 'P'}, {"dev", no_argument, 0, 'V'},
		{"review-listen", required_argument, 0, 'R'},
		{"http-listen", required_argument, 0, 'H'},
		{"va-allow-loopback", no_argument, 0, 'A'},
		{"max-connections", required_argument, 0, 'C'},
		{"max-connections-per-ip", required_argument, 0, 'I'},
		{"idle-timeout", required_argument, 0, 'T'},
		{"request-timeout", required_argument, 0, 'Q'},
		{0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:14000";
	o->resolver = "127.0.0.1:53";
	o->review_listen = "127.0.0.1:14001";
	o->http_listen = "127.0.0.1:8080";
	o->http01_port = 80;
	o->workers = 4;
	o->threads = 4;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': o->data_dir = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'h': o->http01_port = atoi(optarg); break;
		case 'r': o->resolver = optarg; break;
		case 'c': o->tls_cert = optarg; break;
		case 'k': o->tls_key = optarg; break;
		case 'b': o->public_base = optarg; break;
		case 'N': o->name = optarg; break;
		case 'U': o->unit = optarg; break;
		case 'L': o->locality = optarg; break;
		case 'S': o->state = optarg; break;
		case 'w': o->workers = atoi(optarg); break;
		case 't': o->threads = atoi(optarg); break;
		case 'P': o->dnssec_probe = optarg; break;
		case 'V': o->dev = 1; break;
		case 'R': o->review_listen = optarg; break;
		case 'H': o->http_listen = optarg; break;
		case 'A': o->va_loopback = 1; break;
		case 'C': o->lim.max_conns = opt_count(optarg); break;
		case 'I': o->lim.max_conns_per_ip = opt_count(optarg); break;
		case 'T': o->lim.idle_sec = opt_count(optarg); break;
		case 'Q': o->lim.request_sec = opt_count(optarg); break;
		default: return -1;
		}
	}
	if (o->data_dir == NULL) {
		fprintf(stderr, "kakuin: --data-dir is required\n");
		return -1;
	}
	if (o->http01_port <= 0 || o->http01_port > 65535) {
		fprintf(stderr, "kakuin: --http01-port must be 1..65535\n");
		return -1;
	}
	if (o->lim.max_conns == UINT_MAX || o->lim.max_conns_per_ip == UINT_MAX ||
	    o->lim.idle_sec == UINT_MAX || o->lim.request_sec == UINT_MAX) {
		fprintf(stderr, "kakuin: --max-connections, --max-connections-per-ip, "
		    "--idle-timeout and --request-timeout take a number 1..100000\n");
		return -1;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "kakuin: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
}


static int
cmd_init(const opts *o)
{
	kk_paths paths;
	kk_policy pol;
	kk_store *st = NULL;
	kk_org def;
	kk_err e;

	kk_paths_init(&paths, o->data_dir);
	if (kk_policy_load(o->policy, &pol, &e) != 0)
		return kk_cli_fail("policy", &e);
	if (kk_mkdirs(o->data_dir, 0700, &e) != 0 || kk_store_open(&st, paths.db, &e) != 0)
		return kk_cli_fail("store", &e);
	def.id = 1;
	def.name = pol.dev_org_name;
	def.unit = pol.dev_org_unit;
	def.locality = pol.dev_org_locality;
	def.state = pol.dev_org_state;
	if (kk_store_org_ensure_default(st, &def, &e) != 0) {
		kk_store_close(st);
		return kk_cli_fail("organization", &e);
	}
	kk_store_close(st);
	if (kk_ca_init(&paths, &pol, &e) != 0)
		return kk_cli_fail("CA hierarchy", &e);
	printf("kakuin: data directory %s is ready\n  root CA:  %s\n  chain:    %s\n"
	    "  TLS CA:   %s (trust this for the ACME listener)\n", o->data_dir, paths.root_pem,
	    paths.chain_pem, paths.tls_ca_pem);
	return 0;
}

static int
parse_resolver(const char *s, kk_va_cfg *va, kk_err *err)
{
	struct sockaddr_storage ss;
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (kk_parse_listen(s, &ss, err) != 0)
		return -1;
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(va->resolver_host))
		return kk_err_set(err, KK_ERR_MALFORMED, "resolver address too long");
	memcpy(va->resolver_host, s, hl);
	va->resolver_host[hl] = '\0';
	va->resolver_port = atoi(colon + 1);
	return 0;
}

/* SC-085: DCV and CAA lookups must be DNSSEC-validated, and kakuin relies on the
 * resolver's AD bit (docs/dns-validation.md), so a resolver that does not validate is
 * refused at start-up. "none" skips the probe (development with a non-validating
 * resolver such as dnsmasq); it is logged as a warning. */
static int
dnssec_check(const kk_ra_cfg *cfg, const opts *o)
{
	const char *name = o->dnssec_probe ? o->dnssec_probe : cfg->policy.dnssec_probe;
	kk_err e;

	if (strcmp(name, "none") == 0) {
		kk_log("warning", "main", "DNSSEC probe disabled: the resolver %s is trusted to "
		    "validate without being checked", o->resolver);
		return 0;
	}
	if (kk_va_dnssec_probe(&cfg->va, name, &e) != 0) {
		fprintf(stderr, "kakuin: --dns-resolver %s: %s\n(use a validating resolver such as "
		    "unbound, or --dnssec-probe none for development)\n", o->resolver, e.detail);
		return -1;
	}
	kk_log("info", "main", "resolver %s validates DNSSEC (probe %s)", o->resolver, name);
	return 0;
}

static int
cmd_serve(const opts *o)
{
	kk_ra_cfg cfg;
	kk_ra *ra = NULL;
	kk_wfe *w = NULL;
	kk_server *srv = NULL, *ui = NULL, *status = NULL;
	kk_review *rv = NULL;
	kk_review_web *web = NULL;
	const char *cert, *key;
	sigset_t set;
	char base[300], docs[600];
	int sig, rc = 1;
	kk_err e;

	memset(&cfg, 0, sizeof(cfg));
	kk_paths_init(&cfg.paths, o->data_dir);
	if (!kk_file_exists(cfg.paths.issuing_pem)) {
		fprintf(stderr, "kakuin: %s is not initialised; run kakuin init --data-dir %s\n",
		    o->data_dir, o->data_dir);
		return 1;
	}
	if (kk_policy_load(o->policy, &cfg.policy, &e) != 0)
		return kk_cli_fail("policy", &e);
	/* certificates name the CP's CRL and OCSP URLs, or --public-base-url; a dev
	 * install without one points them at its own plain-HTTP listener */
	if (o->public_base != NULL)
		kk_policy_set_public_base(&cfg.policy, o->public_base);
	else if (o->dev && strcmp(o->http_listen, "none") != 0) {
		snprintf(base, sizeof(base), "http://%s", o->http_listen);
		kk_policy_set_public_base(&cfg.policy, base);
	}
	if (parse_resolver(o->resolver, &cfg.va, &e) != 0)
		return kk_cli_fail("--dns-resolver", &e);
	cfg.va.http01_port = o->http01_port;
	cfg.va.timeout_sec = 10;
	/* validation safety (docs/security.md): production never dials loopback; tests,
	 * whose http-01 servers listen on 127.0.0.1, say so explicitly */
	cfg.va.allow_loopback = o->va_loopback || o->dev;
	if (cfg.va.allow_loopback)
		kk_log("warning", "main", "validation test mode (%s): http-01 may connect to "
		    "loopback addresses (127.0.0.0/8, ::1); production refuses them",
		    o->va_loopback ? "--va-allow-loopback" : "--dev");
	kk_server_set_limits(&o->lim);
	cfg.workers = o->workers;
	/* policy ov.mode: production needs EAB to a vetted organization; --dev (or mode
	 * "dev") lets accounts without EAB use the dev organization of kakuin init */
	if (o->dev)
		cfg.policy.ov_dev_mode = 1;
	if (cfg.policy.ov_dev_mode)
		kk_log("warning", "main", "dev mode: accounts without External Account Binding "
		    "get the dev organization \"%s\"; do not use for real certificates",
		    cfg.policy.dev_org_name);
	if (kk_policy_ct_on(&cfg.policy))
		kk_log("info", "main", "Certificate Transparency on: %d SCTs from %d operators "
		    "out of %zu logs (policy ct)", cfg.policy.ct.min_scts,
		    cfg.policy.ct.min_operators, cfg.policy.ct.n_logs);
	else
		kk_log("warning", "main", "Certificate Transparency off (policy ct): certificates "
		    "carry no SCTs");
	if (dnssec_check(&cfg, o) != 0)
		return 1;
	/* signals are handled by sigwait below, not by whichever thread they hit */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(base, sizeof(base), "https://%s", o->listen);
	if (kk_ra_open(&ra, &cfg, &e) != 0) {
		kk_cli_fail("start", &e);
		goto out;
	}
	if (kk_weakkeys_count() == 0)
		kk_log("warning", "main", "no Debian weak-key lists in %s/weakkeys: keys of "
		    "CVE-2008-0166 are not refused; run scripts/debian-weak-keys %s/weakkeys "
		    "(docs/weak-keys.md; lists are picked up while serving)", o->data_dir,
		    o->data_dir);
	cert = o->tls_cert ? o->tls_cert : cfg.paths.tls_cert_pem;
	key = o->tls_key ? o->tls_key : cfg.paths.tls_key_pem;
	if (kk_wfe_new(&w, ra, base, &e) != 0 ||
	    kk_server_start(&srv, w, o->listen, cert, key, o->threads, &e) != 0) {
		kk_cli_fail("start", &e);
		goto out;
	}
	kk_log("info", "main", "ACME directory at %s/directory (http-01 port %d, resolver %s)", base,
	    o->http01_port, o->resolver);
	/* the reviewer web UI (issue #4): same TLS identity, one thread (people, not robots) */
	snprintf(docs, sizeof(docs), "%s/documents", cfg.paths.data_dir);
	if (strcmp(o->review_listen, "none") != 0 &&
	    (kk_review_open(&rv, kk_ra_store(ra), kk_ra_policy(ra), docs, &e) != 0 ||
	    kk_review_web_new(&web, rv, &e) != 0 ||
	    kk_server_start_handler(&ui, kk_review_web_handle, web, KK_WEB_MAX_BODY,
		o->review_listen, cert, key, 1, &e) != 0)) {
		kk_cli_fail("review UI", &e);
		goto out;
	}
	if (ui != NULL)
		kk_log("info", "main", "reviewer web UI at https://%s/", o->review_listen);
	/* CRL and OCSP for relying parties: plain HTTP (CP 4.9.6, RFC 5019 5) */
	if (strcmp(o->http_listen, "none") != 0) {
		if (kk_server_start_handler(&status, kk_status_http, kk_ra_status(ra), 64 * 1024,
		    o->http_listen, NULL, NULL, o->threads, &e) != 0) {
			kk_cli_fail("--http-listen", &e);
			goto out;
		}
		kk_log("info", "main", "CRL at http://%s/crl/issuing.crl, OCSP at http://%s/ocsp "
		    "(certificates name %s and %s)", o->http_listen, o->http_listen,
		    cfg.policy.crl_url, cfg.policy.ocsp_url);
	}
	sigwait(&set, &sig);
	kk_log("info", "main", "signal %d: shutting down", sig);
	rc = 0;
out:
	kk_server_stop(status);
	kk_server_stop(ui);
	kk_review_web_free(web);
	kk_review_close(rv);
	kk_server_stop(srv);
	kk_wfe_free(w);
	kk_ra_close(ra);
	curl_global_cleanup();
	return rc;
}

/* Opens the store of an initialised data directory; 0 ok, else the exit status. */
static int
open_existing_store(const opts *o, kk_store **st)
{
	kk_paths paths;
	kk_err e;

	kk_paths_init(&paths, o->data_dir);
	if (!kk_file_exists(paths.db)) {
		fprintf(stderr, "kakuin: %s is not initialised; run kakuin init --data-dir %s\n",
		    o->data_dir, o->data_dir);
		return 1;
	}
	if (kk_store_open(st, paths.db, &e) != 0)
		return kk_cli_fail("store", &e);
	return 0;
}

static int
cmd_org(const char *sub, const opts *o)
{
	kk_store *st = NULL;
	kk_org org;
	int rc = 1;
	kk_err e;

	memset(&org, 0, sizeof(org));
	if ((rc = open_existing_store(o, &st)) != 0)
		return rc;
	rc = 1;
	if (strcmp(sub, "set") == 0) {
		kk_org upd = {1, (char *)o->name, (char *)o->unit, (char *)o->locality,
		    (char *)o->state};
		if ((o->name && !*o->name) || (o->locality && !*o->locality) ||
		    (o->state && !*o->state)) {
			fprintf(stderr, "kakuin: O, L and ST are required by CP table 7.1-1\n");
			goto out;
		}
		if (kk_store_org_update(st, &upd, &e) != 0) {
			kk_cli_fail("org set", &e);
			goto out;
		}
	} else if (strcmp(sub, "show") != 0) {
		usage();
		goto out;
	}
	if (kk_store_org_get(st, 1, &org, &e) != 0) {
		kk_cli_fail("org", &e);
		goto out;
	}
	printf("O=%s\nOU=%s\nL=%s\nST=%s\n", org.name, org.unit ? org.unit : "", org.locality,
	    org.state);
	rc = 0;
out:
	kk_org_clear(&org);
	kk_store_close(st);
	return rc;
}

static int
cmd_check(const opts *o)
{
	kk_store *st = NULL;
	kk_err e;
	int rc, version;

	if ((rc = open_existing_store(o, &st)) != 0)
		return rc;
	rc = kk_store_check(st, &e);
	version = kk_store_schema_version(st);
	kk_store_close(st);
	if (rc != 0)
		return kk_cli_fail("store check", &e);
	printf("kakuin: store is consistent (schema version %d)\n", version);
	return 0;
}

/* `kakuin keys scan` (CP 4.9.1): DATA/weakkeys loaded, every live certificate's key
 * checked again; refused ones get 24-hour revocation requests (kk_keys_scan). */
static int
cmd_keys_scan(const opts *o)
{
	kk_store *st = NULL;
	kk_policy pol;
	char dir[600];
	size_t lists = 0, found = 0, filed = 0;
	int rc;
	kk_err e;

	if (kk_policy_load(o->policy, &pol, &e) != 0)
		return kk_cli_fail("policy", &e);
	if ((rc = open_existing_store(o, &st)) != 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/weakkeys", o->data_dir);
	if (kk_file_exists(dir) && kk_weakkeys_load_dir(dir, &lists, &e) != 0)
		fprintf(stderr, "kakuin: %s\n", e.detail);
	printf("Debian weak-key lists: %zu (%zu keys) from %s\n", lists, kk_weakkeys_count(),
	    dir);
	rc = kk_keys_scan(st, &pol, kk_now(), &found, &filed, &e);
	kk_store_close(st);
	if (rc != 0)
		return kk_cli_fail("keys scan", &e);
	printf("%zu live certificates with keys refused now; %zu new revocation requests "
	    "(kakuin revoke report)\n", found, filed);
	return 0;
}

int
main(int argc, char **argv)
{
	opts o;
	const char *cmd, *sub = NULL;

	if (argc < 2) {
		usage();
		return 2;
	}
	cmd = argv[1];
	argv++;
	argc--;
	if (strcmp(cmd, "review") == 0 || strcmp(cmd, "revoke") == 0)
		return kk_review_main(argc, argv);
	if (strcmp(cmd, "org") == 0 || strcmp(cmd, "keys") == 0) {
		if (argc < 2) {
			usage();
			return 2;
		}
		sub = argv[1];
		argv++;
		argc--;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
		usage();
		return 0;
	}
	if (parse_opts(argc, argv, &o) != 0) {
		usage();
		return 2;
	}
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&o);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(&o);
	if (strcmp(cmd, "org") == 0)
		return cmd_org(sub, &o);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&o);
	if (strcmp(cmd, "keys") == 0 && strcmp(sub, "scan") == 0)
		return cmd_keys_scan(&o);
	usage();
	return 2;
}
