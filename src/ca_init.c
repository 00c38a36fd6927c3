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
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "kakuin/ca.h"
#include "kakuin/clock.h"
#include "kakuin/util.h"

#define TOKEN_LABEL "kakuin"
#define PEM_MAX (1024 * 1024)
/* The listener's certificate is ours, not a subscriber's: one year */
#define TLS_SERVER_DAYS 365

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
			return kk_err_set(err, KK_ERR_NOT_FOUND, "%s is missing (run kakuin init)", path);
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
	if (load_pin(p, "KAKUIN_HSM_PIN", "user.pin", create, s->user_pin, sizeof(s->user_pin),
		err) != 0 ||
	    load_pin(p, "KAKUIN_HSM_SO_PIN", "so.pin", create, s->so_pin, sizeof(s->so_pin),
		err) != 0)
		return -1;
	s->cfg.module = NULL;
	s->cfg.softhsm_conf = p->softhsm_conf;
	s->cfg.token_label = TOKEN_LABEL;
	s->cfg.user_pin = s->user_pin;
	s->cfg.so_pin = s->so_pin;
	return 0;
}
