/*
 * `kakuin init` (include/kakuin/ca.h): the data directory layout, the SoftHSM token and
 * its PINs, and the CA hierarchy: root and issuing CA for subscribers (CP 1.1, table
 * 7.1-1's issuer), plus a local CA for the ACME listener's own TLS certificate. Every
 * CA key is generated in the token; every certificate here is signed by the token.
 * Re-running keeps whatever already exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/util.h"
#include "ca_internal.h"

#define TOKEN_LABEL "kakuin"
#define PEM_MAX (1024 * 1024)
/* The listener's certificate is ours, not a subscriber's: one year */
#define TLS_SERVER_DAYS 365
/* CP table 7.1-2: the OCSP responder certificate, a 2048-bit key; about a year (the
 * table's example runs 2018/3/1 to 2019/3/5), never past the issuing CA's notAfter */
#define OCSP_KEY_BITS 2048
#define OCSP_DAYS 365

void
kk_paths_init(kk_paths *p, const char *dir)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->data_dir, sizeof(p->data_dir), "%s", dir);
	snprintf(p->db, sizeof(p->db), "%s/kakuin.db", p->data_dir);
	snprintf(p->hsm_dir, sizeof(p->hsm_dir), "%s/hsm", p->data_dir);
	snprintf(p->softhsm_conf, sizeof(p->softhsm_conf), "%s/hsm/softhsm2.conf", p->data_dir);
	snprintf(p->root_pem, sizeof(p->root_pem), "%s/ca/root.pem", p->data_dir);
	snprintf(p->issuing_pem, sizeof(p->issuing_pem), "%s/ca/issuing.pem", p->data_dir);
	snprintf(p->chain_pem, sizeof(p->chain_pem), "%s/ca/chain.pem", p->data_dir);
	snprintf(p->ocsp_pem, sizeof(p->ocsp_pem), "%s/ca/ocsp.pem", p->data_dir);
	snprintf(p->tls_ca_pem, sizeof(p->tls_ca_pem), "%s/tls/ca.pem", p->data_dir);
	snprintf(p->tls_cert_pem, sizeof(p->tls_cert_pem), "%s/tls/server.pem", p->data_dir);
	snprintf(p->tls_key_pem, sizeof(p->tls_key_pem), "%s/tls/server.key", p->data_dir);
}

/* SoftHSM configuration keeping the token files under DIR/hsm/tokens. */
static int
write_softhsm_conf(const kk_paths *p, kk_err *err)
{
	char tokens[700], *conf = NULL;
	int rc;

	snprintf(tokens, sizeof(tokens), "%s/tokens", p->hsm_dir);
	if (kk_mkdirs(tokens, 0700, err) != 0)
		return -1;
	if (kk_file_exists(p->softhsm_conf))
		return 0;
	if ((conf = kk_printf("directories.tokendir = %s\nobjectstore.backend = file\n"
	    "log.level = ERROR\n", tokens)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	rc = kk_file_write(p->softhsm_conf, conf, strlen(conf), 0600, err);
	free(conf);
	return rc;
}

/* A PIN from the environment, else from DIR/hsm/<file> (created at random if create). */
static int
load_pin(const kk_paths *p, const char *env, const char *file, int create, char *dst,
    size_t dstlen, kk_err *err)
{
	char path[700], *pin = NULL;
	const char *v;
	int rc = -1;

	if ((v = getenv(env)) != NULL && *v != '\0') {
		if (strlen(v) >= dstlen)
			return kk_err_set(err, KK_ERR_INTERNAL, "$%s is too long", env);
		snprintf(dst, dstlen, "%s", v);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", p->hsm_dir, file);
	if (!kk_file_exists(path)) {
		if (!create)
			return kk_err_set(err, KK_ERR_NOT_FOUND, "no token PIN: set $%s or create %s "
			    "(kakuin init does when the variable is unset)", env, path);
		if ((pin = kk_random_token(24)) == NULL)
			return kk_err_set(err, KK_ERR_INTERNAL, "no randomness for a PIN");
		rc = kk_file_write(path, pin, strlen(pin), 0600, err);
		free(pin);
		pin = NULL;
		if (rc != 0)
			return -1;
	}
	if (kk_file_read(path, 256, &pin, NULL, err) != 0)
		return -1;
	pin[strcspn(pin, "\r\n")] = '\0';
	if (*pin == '\0' || strlen(pin) >= dstlen)
		kk_err_set(err, KK_ERR_INTERNAL, "%s: bad PIN length", path);
	else {
		snprintf(dst, dstlen, "%s", pin);
		rc = 0;
	}
	OPENSSL_cleanse(pin, strlen(pin));
	free(pin);
	return rc;
}

int
kk_signer_setup_load(kk_signer_setup *s, const kk_paths *p, int create, kk_err *err)
{
	memset(s, 0, sizeof(*s));
	if (create && write_softhsm_conf(p, err) != 0)
		return -1;
	if (!kk_file_exists(p->softhsm_conf))
		return kk_err_set(err, KK_ERR_NOT_FOUND, "%s is missing (run kakuin init)",
		    p->softhsm_conf);
	/* serving needs only the user PIN; the SO PIN is for initialising the token */
	if (load_pin(p, "KAKUIN_HSM_PIN", "user.pin", create, s->user_pin, sizeof(s->user_pin),
		err) != 0 ||
	    (create && load_pin(p, "KAKUIN_HSM_SO_PIN", "so.pin", create, s->so_pin,
		sizeof(s->so_pin), err) != 0))
		return -1;
	s->cfg.module = NULL;
	s->cfg.softhsm_conf = p->softhsm_conf;
	s->cfg.token_label = TOKEN_LABEL;
	s->cfg.user_pin = s->user_pin;
	s->cfg.so_pin = s->so_pin;
	return 0;
}

/* PEM of a certificate file, or NULL. Caller frees. */
static X509 *
read_cert(const char *path, kk_err *err)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;

	if (kk_file_read(path, PEM_MAX, &pem, &len, err) != 0)
		return NULL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: not a PEM certificate", path);
		kk_err_append_openssl(err);
	}
	BIO_free(b);
	free(pem);
	return x;
}

/* Writes a, then b if not NULL, as PEM to path (mode 0644: certificates are public). */
static int
write_certs(const char *path, X509 *a, X509 *b, kk_err *err)
{
	BIO *bio = NULL;
	char *data;
	long n;
	int rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, a) != 1 ||
	    (b != NULL && PEM_write_bio_X509(bio, b) != 1) ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot encode %s as PEM", path);
		goto out;
	}
	rc = kk_file_write(path, data, (size_t)n, 0644, err);
out:
	BIO_free(bio);
	return rc;
}

/* A name from the policy's hierarchy section (C, O, CN). Caller frees. */
static X509_NAME *
dn_name(const kk_dn *dn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL ||
	    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)dn->c, -1,
		-1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)dn->o, -1,
		-1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)dn->cn, -1,
		-1, 0) != 1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/*
 * The common part of every certificate made here: v3, a random serial, issuer and
 * subject, validity from now for days (both ends inclusive) but not past the issuer's
 * notAfter, and the key. issuer NULL = self-signed. Caller frees the result.
 */
static X509 *
new_cert(const kk_policy *pol, X509 *issuer, X509_NAME *subject, EVP_PKEY *key, int days,
    kk_err *err)
{
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	char serial[41];
	time_t now = kk_now(), na = now + (time_t)days * 86400 - 1;

	if (kk_ca_new_serial(pol, serial, err) != 0)
		return NULL;
	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
	    BN_hex2bn(&bn, serial) == 0 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : subject) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), na) == NULL ||
	    (issuer != NULL && X509_cmp_time(X509_get0_notAfter(issuer), &na) < 0 &&
		X509_set1_notAfter(x, X509_get0_notAfter(issuer)) != 1) ||
	    X509_set_pubkey(x, key) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot build a certificate");
		kk_err_append_openssl(err);
		X509_free(x);
		x = NULL;
	}
	BN_free(bn);
	return x;
}

/* An extension in OpenSSL config syntax (kk_ca_add_ext). */
struct ext {
	int nid;
	const char *value;
};

/* Adds e[0..n) in order; issuer NULL = x itself (self-signed). */
static int
add_exts(X509 *x, X509 *issuer, const struct ext *e, size_t n, kk_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (kk_ca_add_ext(x, issuer != NULL ? issuer : x, e[i].nid, e[i].value, err) != 0)
			return -1;
	return 0;
}

/* A self-signed CA certificate for the token key label (RFC 5280 4.2.1.9, 4.2.1.3). */
static X509 *
make_self_signed(kk_signer *s, const kk_policy *pol, const char *label, const kk_dn *dn,
    EVP_PKEY *key, int days, kk_err *err)
{
	static const struct ext exts[] = {
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
		{ NID_subject_key_identifier, "hash" },
	};
	X509_NAME *name = NULL;
	X509 *x = NULL, *signed_x = NULL;

	if ((name = dn_name(dn)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "bad CA name %s", dn->cn);
		return NULL;
	}
	if ((x = new_cert(pol, NULL, name, key, days, err)) != NULL &&
	    add_exts(x, NULL, exts, sizeof(exts) / sizeof(exts[0]), err) == 0)
		kk_ca_sign_x509(s, label, x, &signed_x, err);
	X509_NAME_free(name);
	X509_free(x);
	return signed_x;
}

/* The issuing CA (CP 1.3.1): CA:TRUE pathlen:0, serverAuth only, the CP's policy OIDs. */
static X509 *
make_issuing(kk_signer *s, const kk_policy *pol, X509 *root, EVP_PKEY *key, kk_err *err)
{
	char policies[KK_POLICY_MAX_OIDS * 66] = "", crl[300];
	struct ext exts[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
		{ NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_certificate_policies, policies },
		{ NID_crl_distribution_points, crl },
		{ NID_authority_key_identifier, "keyid:always" },
		{ NID_subject_key_identifier, "hash" },
	};
	X509_NAME *name = NULL;
	X509 *x = NULL, *signed_x = NULL;
	size_t i;

	for (i = 0; i < pol->n_policy_oids; i++) {
		strcat(policies, i > 0 ? "," : "");
		strcat(policies, pol->policy_oids[i]);
	}
	snprintf(crl, sizeof(crl), "URI:%s", pol->crl_url);
	if ((name = dn_name(&pol->issuing_dn)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "bad CA name %s", pol->issuing_dn.cn);
		return NULL;
	}
	if ((x = new_cert(pol, root, name, key, pol->issuing_validity_days, err)) != NULL &&
	    add_exts(x, root, exts, sizeof(exts) / sizeof(exts[0]), err) == 0)
		kk_ca_sign_x509(s, KK_KEY_ROOT, x, &signed_x, err);
	X509_NAME_free(name);
	X509_free(x);
	return signed_x;
}

/* The delegated OCSP responder (CP table 7.1-2, RFC 6960 4.2.2.2): C=JP, O fixed, CN
 * "<issuing CN> OCSP Responder"; digitalSignature (critical), id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1), the CP policy OID with its CPS qualifier,
 * AKI and SKI. */
static X509 *
make_ocsp(kk_signer *s, const kk_policy *pol, X509 *issuing, EVP_PKEY *key, kk_err *err)
{
	static const struct ext exts[] = {
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "OCSPSigning" },
		{ NID_id_pkix_OCSP_noCheck, "ignored" },
	};
	static const struct ext ids[] = {
		{ NID_authority_key_identifier, "keyid:always" },
		{ NID_subject_key_identifier, "hash" },
	};
	kk_dn dn = pol->issuing_dn;
	X509_NAME *name = NULL;
	X509 *x = NULL, *signed_x = NULL;

	snprintf(dn.cn, sizeof(dn.cn), "%.100s OCSP Responder", pol->issuing_dn.cn);
	if ((name = dn_name(&dn)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "bad OCSP responder name %s", dn.cn);
		return NULL;
	}
	if ((x = new_cert(pol, issuing, name, key, OCSP_DAYS, err)) != NULL &&
	    add_exts(x, issuing, exts, sizeof(exts) / sizeof(exts[0]), err) == 0 &&
	    ca_add_policies(x, pol, 1, err) == 0 &&
	    add_exts(x, issuing, ids, sizeof(ids) / sizeof(ids[0]), err) == 0)
		kk_ca_sign_x509(s, KK_KEY_ISSUING, x, &signed_x, err);
	X509_NAME_free(name);
	X509_free(x);
	return signed_x;
}

/* The certificate at path if it exists (it must certify key), else *out = NULL.
 * Caller frees *out. */
static int
load_existing(const char *path, EVP_PKEY *key, X509 **out, kk_err *err)
{
	*out = NULL;
	if (!kk_file_exists(path))
		return 0;
	if ((*out = read_cert(path, err)) == NULL)
		return -1;
	if (EVP_PKEY_eq(X509_get0_pubkey(*out), key) != 1) {
		X509_free(*out);
		*out = NULL;
		return kk_err_set(err, KK_ERR_INTERNAL, "%s does not match its key in the token",
		    path);
	}
	return 0;
}

/* Writes a freshly made certificate (NULL = making it failed, err is set). */
static int
store_new(const char *path, X509 *x, kk_err *err)
{
	if (x == NULL || write_certs(path, x, NULL, err) != 0)
		return -1;
	kk_log("info", "ca", "wrote %s", path);
	return 0;
}

/* The listener's key: loaded from path, or a new P-256 key written there (0600). It is
 * a leaf key for our own TLS, not a CA key, so it may live in a file. Caller frees. */
static EVP_PKEY *
tls_server_key(const char *path, kk_err *err)
{
	EVP_PKEY *key = NULL;
	BIO *b = NULL;
	char *pem = NULL, *data;
	size_t len = 0;
	long n;

	if (kk_file_exists(path)) {
		if (kk_file_read(path, PEM_MAX, &pem, &len, err) != 0)
			return NULL;
		if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
		    (key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
			kk_err_set(err, KK_ERR_INTERNAL, "%s: not a PEM private key", path);
		goto out;
	}
	if ((key = EVP_EC_gen("P-256")) == NULL || (b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot make the TLS server key");
		EVP_PKEY_free(key);
		key = NULL;
		goto out;
	}
	if (kk_file_write(path, data, (size_t)n, 0600, err) != 0) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	BIO_free(b);
	if (pem != NULL)
		OPENSSL_cleanse(pem, len);
	free(pem);
	return key;
}

/* The ACME listener's certificate for localhost, 127.0.0.1 and ::1, signed by the local
 * TLS CA in the token. */
static int
ensure_tls_server(kk_signer *s, const kk_policy *pol, const kk_paths *p, X509 *ca,
    kk_err *err)
{
	static const struct ext exts[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1" },
		{ NID_authority_key_identifier, "keyid:always" },
		{ NID_subject_key_identifier, "hash" },
	};
	EVP_PKEY *key = NULL;
	X509_NAME *name = NULL;
	X509 *x = NULL, *signed_x = NULL;
	int rc = -1;

	if (kk_file_exists(p->tls_cert_pem) && kk_file_exists(p->tls_key_pem))
		return 0;
	if ((key = tls_server_key(p->tls_key_pem, err)) == NULL)
		goto out;
	if ((name = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)"localhost", -1, -1, 0) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((x = new_cert(pol, ca, name, key, TLS_SERVER_DAYS, err)) == NULL ||
	    add_exts(x, ca, exts, sizeof(exts) / sizeof(exts[0]), err) != 0 ||
	    kk_ca_sign_x509(s, KK_KEY_TLS_CA, x, &signed_x, err) != 0 ||
	    store_new(p->tls_cert_pem, signed_x, err) != 0)
		goto out;
	rc = 0;
out:
	X509_free(signed_x);
	X509_free(x);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return rc;
}

/* Directories, token and the four keys (root, issuing, TLS CA, OCSP responder). *s and
 * the keys are the caller's. */
static int
init_token_and_keys(const kk_paths *p, const kk_policy *pol, kk_signer **s, EVP_PKEY *keys[4],
    kk_err *err)
{
	kk_signer_setup setup;
	char ca_dir[700], tls_dir[700];
	int rc = -1;

	snprintf(ca_dir, sizeof(ca_dir), "%s/ca", p->data_dir);
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", p->data_dir);
	if (kk_mkdirs(p->data_dir, 0700, err) != 0 || kk_mkdirs(ca_dir, 0755, err) != 0 ||
	    kk_mkdirs(tls_dir, 0700, err) != 0 || kk_signer_setup_load(&setup, p, 1, err) != 0)
		return -1;
	if (kk_signer_init_token(&setup.cfg, err) != 0 || kk_signer_open(s, &setup.cfg, err) != 0)
		goto out;
	/* CP 6.1.1: CA keys are generated in the cryptographic module */
	if (kk_signer_ensure_rsa_key(*s, KK_KEY_ROOT, (unsigned)pol->root_key_bits, &keys[0],
		err) != 0 ||
	    kk_signer_ensure_rsa_key(*s, KK_KEY_ISSUING, (unsigned)pol->issuing_key_bits, &keys[1],
		err) != 0 ||
	    kk_signer_ensure_rsa_key(*s, KK_KEY_TLS_CA, (unsigned)pol->issuing_key_bits, &keys[2],
		err) != 0 ||
	    kk_signer_ensure_rsa_key(*s, KK_KEY_OCSP, OCSP_KEY_BITS, &keys[3], err) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(&setup, sizeof(setup));
	return rc;
}

int
kk_ca_init(const kk_paths *p, const kk_policy *pol, kk_err *err)
{
	kk_signer *s = NULL;
	EVP_PKEY *keys[4] = { NULL, NULL, NULL, NULL };
	X509 *root = NULL, *issuing = NULL, *tls_ca = NULL, *ocsp = NULL;
	int made = 0, rc = -1;

	if (init_token_and_keys(p, pol, &s, keys, err) != 0)
		goto out;
	if (load_existing(p->root_pem, keys[0], &root, err) != 0)
		goto out;
	if (root == NULL) {
		root = make_self_signed(s, pol, KK_KEY_ROOT, &pol->root_dn, keys[0],
		    pol->root_validity_days, err);
		if (store_new(p->root_pem, root, err) != 0)
			goto out;
		made = 1;
	}
	if (load_existing(p->issuing_pem, keys[1], &issuing, err) != 0)
		goto out;
	if (issuing == NULL) {
		issuing = make_issuing(s, pol, root, keys[1], err);
		if (store_new(p->issuing_pem, issuing, err) != 0)
			goto out;
		made = 1;
	}
	if ((made || !kk_file_exists(p->chain_pem)) &&
	    write_certs(p->chain_pem, issuing, root, err) != 0)
		goto out;
	/* a new issuing CA needs a new responder certificate (older data dirs get one too) */
	if (!made && load_existing(p->ocsp_pem, keys[3], &ocsp, err) != 0)
		goto out;
	if (ocsp == NULL) {
		ocsp = make_ocsp(s, pol, issuing, keys[3], err);
		if (store_new(p->ocsp_pem, ocsp, err) != 0)
			goto out;
	}
	if (load_existing(p->tls_ca_pem, keys[2], &tls_ca, err) != 0)
		goto out;
	if (tls_ca == NULL) {
		tls_ca = make_self_signed(s, pol, KK_KEY_TLS_CA, &pol->tls_ca_dn, keys[2],
		    pol->issuing_validity_days, err);
		if (store_new(p->tls_ca_pem, tls_ca, err) != 0)
			goto out;
	}
	if (ensure_tls_server(s, pol, p, tls_ca, err) != 0)
		goto out;
	rc = 0;
out:
	X509_free(root);
	X509_free(issuing);
	X509_free(tls_ca);
	X509_free(ocsp);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	EVP_PKEY_free(keys[2]);
	EVP_PKEY_free(keys[3]);
	kk_signer_close(s);
	return rc;
}
