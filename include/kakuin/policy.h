/*
 * The CP as data (policy/default.json): profile, URLs, OIDs, date schedules, key rules.
 * A CP or BR change edits the JSON, not the code.
 */
#ifndef KAKUIN_POLICY_H
#define KAKUIN_POLICY_H

#include <stddef.h>
#include <time.h>
#include "kakuin/err.h"

#define KK_POLICY_MAX_STEPS 8
#define KK_POLICY_MAX_OIDS 4

/* "from this date on, at most this many days" */
typedef struct kk_schedule_step {
	time_t from;
	int days;
} kk_schedule_step;

typedef struct kk_schedule {
	kk_schedule_step step[KK_POLICY_MAX_STEPS];
	size_t n;
	int before_first; /* days before the first step's date */
} kk_schedule;

typedef struct kk_dn {
	char c[8];
	char o[128];
	char cn[128];
} kk_dn;

/* One BR 3.2.2.4 domain validation method (policy validation.methods). */
#define KK_POLICY_MAX_METHODS 24
#define KK_METHOD_MAX_CHALLENGES 4
typedef struct kk_method {
	char br[24];          /* "3.2.2.4.7" */
	char title[96];
	char cp[24];          /* CP 3.2.7 item, e.g. "3.2.7(4)"; "" = beyond the CP */
	char challenges[KK_METHOD_MAX_CHALLENGES][24]; /* ACME challenge types it maps onto */
	size_t n_challenges;
	int enabled;
	time_t sunset;        /* not usable from this date on; 0 = no sunset */
	int wildcard;         /* may validate "*." names */
} kk_method;

/* An ACME profile (draft-aaron-acme-profiles) of the subscriber certificate. */
#define KK_POLICY_MAX_PROFILES 4
typedef struct kk_cert_profile {
	char name[32];
	char description[160];
	int validity_days;    /* 0 = the CP/BR maximum; else the shorter of the two */
} kk_cert_profile;

/* Certificate Transparency (RFC 6962; CP table 7.1-1 SignedCertificateTimestampList).
 * One log of policy ct.logs, as in a CT log list (log_list.json v3). */
#define KK_CT_MAX_LOGS 8
typedef struct kk_ct_log {
	char name[96];            /* "Google 'Argon2027h1'" */
	char operator_name[96];   /* SCTs must come from ct.min_operators distinct operators */
	char url[256];            /* base URL; "ct/v1/add-pre-chain" is appended */
	unsigned char key[512];   /* DER SubjectPublicKeyInfo (ECDSA P-256 or RSA) */
	size_t key_len;
	unsigned char log_id[32]; /* SHA-256 of key (RFC 6962 3.2) */
	time_t not_after_start;   /* temporal shard: accepts certificates whose notAfter is */
	time_t not_after_end;     /* in [start, end); both 0 = any */
} kk_ct_log;

typedef struct kk_ct_policy {
	int enabled;              /* production mode (ov.mode "production") */
	int dev_enabled;          /* serve --dev / ov.mode "dev" */
	int min_scts;             /* verified SCTs required in the certificate, >= 1 */
	int min_operators;        /* distinct log operators among them, >= 1 */
	int timeout_seconds;      /* per submission (connect + answer) */
	int wait;                 /* too few SCTs: 1 = the order stays processing and is
	                           * retried (Retry-After) until max_wait_seconds; 0 = fail */
	int max_wait_seconds;
	kk_ct_log logs[KK_CT_MAX_LOGS];
	size_t n_logs;
} kk_ct_policy;

typedef struct kk_policy {
	/* CA hierarchy (kakuin init) */
	kk_dn root_dn;
	kk_dn issuing_dn;
	kk_dn tls_ca_dn;           /* local CA for the ACME listener's TLS certificate */
	int root_key_bits;
	int issuing_key_bits;
	int root_validity_days;
	int issuing_validity_days;

	/* Subscriber profile, CP table 7.1-1 */
	char subject_country[8];   /* fixed C=JP */
	char cps_uri[256];
	char policy_oids[KK_POLICY_MAX_OIDS][64]; /* [0] CP OID (gets the CPS qualifier) */
	size_t n_policy_oids;
	char crl_url[256];
	char ocsp_url[256];
	int cp_max_validity_days;  /* 398 */
	kk_schedule br_validity;   /* BR maximum validity by issuance date */
	int serial_bytes;          /* random serial length, >= 8 (64 bits) */
	int rsa_min_bits;          /* CP 6.1.5 */
	kk_cert_profile profiles[KK_POLICY_MAX_PROFILES];
	size_t n_profiles;
	char default_profile[32];

	/* Validation, CP 3.2.7 and BR 4.2.1 */
	int token_lifetime_days;   /* a random value may be used for at most this long */
	kk_schedule authz_reuse;   /* BR reuse period of a completed validation */
	int order_lifetime_days;
	int pending_authz_lifetime_days;
	char br_version[16];       /* BR version the method table follows (validation records) */
	kk_method methods[KK_POLICY_MAX_METHODS];
	size_t n_methods;
	char dns_cname_target[128]; /* dns-cname-01: the CA-chosen CNAME target */
	char dnssec_probe[128];     /* name whose SOA must validate at start-up; "none" = skip */

	/* Directory meta */
	char terms_of_service[256];
	char website[256];
	char caa_identities[4][128];
	size_t n_caa_identities;

	/* OV vetting (CP 3.2.2, 3.2.5; BR 4.2.1) */
	int ov_dev_mode;           /* 1: accounts without EAB use the dev organization */
	kk_schedule org_reuse;     /* days verified organization data may be reused */
	int session_minutes;       /* reviewer web UI sessions */
	int retry_after_seconds;   /* Retry-After of an order held for review */
	int review_new_domains;    /* hold orders for registrable domains not yet accepted
	                            * for the organization until a reviewer looks */

	/* The organization `kakuin init` creates for dev mode */
	char dev_org_name[128];
	char dev_org_unit[128];
	char dev_org_locality[128];
	char dev_org_state[128];

	/* Certificate Transparency */
	kk_ct_policy ct;
} kk_policy;

/* Loads and checks a policy file. path NULL = $KAKUIN_POLICY or the compiled-in default. */
int kk_policy_load(const char *path, kk_policy *out, kk_err *err);
/* Days allowed by a schedule for an event at time t. */
int kk_schedule_days(const kk_schedule *s, time_t t);
/* Validity of a certificate issued at t: min(CP maximum, BR maximum for t), in days. */
int kk_policy_validity_days(const kk_policy *p, time_t t);
/* The profile called name, or NULL. */
const kk_cert_profile *kk_policy_profile(const kk_policy *p, const char *name);
/* The method an ACME challenge type maps onto, or NULL if none does. */
const kk_method *kk_policy_method(const kk_policy *p, const char *challenge_type);
/* 1 if challenge_type may be offered and validated at t: its method is enabled and t is
 * before the method's sunset (BR 3.2.2.4); for wildcard names the method must allow them. */
int kk_policy_challenge_usable(const kk_policy *p, const char *challenge_type, int wildcard,
    time_t t);
/* 1 if certificates are logged (precertificate + embedded SCTs): ct.enabled in
 * production, ct.dev_enabled in dev mode. */
int kk_policy_ct_on(const kk_policy *p);
/* Replaces the CRL and OCSP URLs with ones under base (dev mode, --public-base-url). */
void kk_policy_set_public_base(kk_policy *p, const char *base);

#endif
