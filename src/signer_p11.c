/*
 * The signer (include/kakuin/signer.h): the only file that talks PKCS#11, through
 * libp11. CA keys are generated inside the token and never leave it.
 *
 * One open signer per process and token is shared (reference counted): libp11 ties the
 * module's C_Initialize/C_Finalize and the token's login state to its context, so two
 * independent contexts on one token would log each other out on close.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include "kakuin/metrics.h"
#include "kakuin/signer.h"
#include "kakuin/util.h"

struct kk_signer {
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;      /* the token's slot, in slots */
	pthread_mutex_t lock;   /* token management, the key cache; not signatures */
	unsigned refs;          /* under open_lock */
	char module[512];
	char conf[512];
	char label[33];
	unsigned char pin_hash[SHA256_DIGEST_LENGTH];
	/* the private keys signed with so far, by label (under lock): building an EVP_PKEY
	 * from a token object (and OpenSSL 3 exporting it to its provider) cost more than
	 * the signature itself */
	struct {
		char label[64];
		EVP_PKEY *pk;
	} keys[8];
	size_t nkeys;
};

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static kk_signer *shared; /* the open signer, under open_lock */

static const char *
module_path(const kk_signer_cfg *cfg)
{
	return cfg->module != NULL ? cfg->module : KAKUIN_SOFTHSM_MODULE;
}

/* Loads the module with SOFTHSM2_CONF pointing at cfg->softhsm_conf and lists its
 * slots. On success the caller owns *ctx and *slots (unload_module). */
static int
load_module(const kk_signer_cfg *cfg, PKCS11_CTX **ctx, PKCS11_SLOT **slots, unsigned int *n,
    kk_err *err)
{
	PKCS11_CTX *c = NULL;

	/* SoftHSM reads its configuration once, in C_Initialize */
	if (cfg->softhsm_conf != NULL && setenv("SOFTHSM2_CONF", cfg->softhsm_conf, 1) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "setenv SOFTHSM2_CONF failed");
	if ((c = PKCS11_CTX_new()) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "PKCS11_CTX_new failed");
	/* PKCS11_CTX_load also runs C_Initialize: SoftHSM fails there when the token
	 * directory its configuration names is missing or unreadable */
	if (PKCS11_CTX_load(c, module_path(cfg)) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot load or initialise PKCS#11 module %s "
		    "(is the token store present? SoftHSM: the tokendir named in %s)",
		    module_path(cfg), cfg->softhsm_conf != NULL ? cfg->softhsm_conf :
		    "$SOFTHSM2_CONF");
		kk_err_append_openssl(err);
		PKCS11_CTX_free(c);
		return -1;
	}
	if (PKCS11_enumerate_slots(c, slots, n) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot list PKCS#11 slots");
		kk_err_append_openssl(err);
		PKCS11_CTX_unload(c);
		PKCS11_CTX_free(c);
		return -1;
	}
	*ctx = c;
	return 0;
}

/* Releases the slots and unloads the module (C_Finalize). Accepts NULL ctx. */
static void
unload_module(PKCS11_CTX *ctx, PKCS11_SLOT *slots, unsigned int n)
{
	if (ctx == NULL)
		return;
	if (slots != NULL)
		PKCS11_release_all_slots(ctx, slots, n);
	PKCS11_CTX_unload(ctx);
	PKCS11_CTX_free(ctx);
}

/* Slot holding the initialised token with this label, or NULL. Borrowed from slots. */
static PKCS11_SLOT *
find_token(PKCS11_SLOT *slots, unsigned int n, const char *label)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (slots[i].token != NULL && slots[i].token->initialized &&
		    strcmp(slots[i].token->label, label) == 0)
			return &slots[i];
	return NULL;
}

/* First slot with an uninitialised token (SoftHSM always keeps one free), or NULL. */
static PKCS11_SLOT *
find_free_slot(PKCS11_SLOT *slots, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (slots[i].token != NULL && !slots[i].token->initialized)
			return &slots[i];
	return NULL;
}

/* 1 if s was opened for the same module, configuration and token as cfg. */
static int
same_token(const kk_signer *s, const kk_signer_cfg *cfg)
{
	return strcmp(s->module, module_path(cfg)) == 0 &&
	    strcmp(s->conf, cfg->softhsm_conf != NULL ? cfg->softhsm_conf : "") == 0 &&
	    strcmp(s->label, cfg->token_label) == 0;
}

/* C_InitToken on a free slot, then the user PIN set by the SO (PKCS#11 4.6). */
static int
init_new_token(const kk_signer_cfg *cfg, kk_err *err)
{
	PKCS11_CTX *ctx = NULL;
	PKCS11_SLOT *slots = NULL, *slot;
	char label[33];
	unsigned int n = 0;
	int rc = -1;

	/* C_InitToken reads exactly 32 blank-padded octets (PKCS#11 CK_TOKEN_INFO.label) */
	if (strlen(cfg->token_label) > 32)
		return kk_err_set(err, KK_ERR_INTERNAL, "token label longer than 32 octets");
	snprintf(label, sizeof(label), "%-32s", cfg->token_label);
	if (load_module(cfg, &ctx, &slots, &n, err) != 0)
		return -1;
	if (find_token(slots, n, cfg->token_label) != NULL) {
		rc = 0;
		goto out;
	}
	if ((slot = find_free_slot(slots, n)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "no free PKCS#11 slot for token %s", cfg->token_label);
		goto out;
	}
	if (PKCS11_init_token(slot->token, cfg->so_pin, label) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot initialise token %s", cfg->token_label);
		goto out;
	}
	/* The slot list changed (SoftHSM adds a new free slot): list it again */
	PKCS11_release_all_slots(ctx, slots, n);
	slots = NULL;
	if (PKCS11_enumerate_slots(ctx, &slots, &n) != 0 ||
	    (slot = find_token(slots, n, cfg->token_label)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "token %s vanished after initialisation",
		    cfg->token_label);
		goto out;
	}
	if (PKCS11_open_session(slot, 1) != 0 || PKCS11_login(slot, 1, cfg->so_pin) != 0 ||
	    PKCS11_init_pin(slot->token, cfg->user_pin) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot set the user PIN of token %s",
		    cfg->token_label);
		goto out;
	}
	PKCS11_logout(slot);
	kk_log("info", "signer", "initialised token %s", cfg->token_label);
	rc = 0;
out:
	if (rc != 0)
		kk_err_append_openssl(err);
	unload_module(ctx, slots, n);
	return rc;
}

int
kk_signer_init_token(const kk_signer_cfg *cfg, kk_err *err)
{
	int rc;

	pthread_mutex_lock(&open_lock);
	if (shared != NULL) {
		/* The token is open in this process, so it exists */
		rc = same_token(shared, cfg) ? 0 :
		    kk_err_set(err, KK_ERR_INTERNAL, "another PKCS#11 token is open in this process");
	} else
		rc = init_new_token(cfg, err);
	pthread_mutex_unlock(&open_lock);
	return rc;
}

static void
pin_hash(const char *pin, unsigned char out[SHA256_DIGEST_LENGTH])
{
	SHA256((const unsigned char *)(pin != NULL ? pin : ""), pin != NULL ? strlen(pin) : 0, out);
}

/* Opens a fresh signer: module, token, user login. Caller owns *out. */
static int
open_new(kk_signer **out, const kk_signer_cfg *cfg, kk_err *err)
{
	kk_signer *s = NULL;

	if ((s = kk_calloc(1, sizeof(*s))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->module, sizeof(s->module), "%s", module_path(cfg));
	snprintf(s->conf, sizeof(s->conf), "%s", cfg->softhsm_conf != NULL ? cfg->softhsm_conf : "");
	snprintf(s->label, sizeof(s->label), "%s", cfg->token_label);
	pin_hash(cfg->user_pin, s->pin_hash);
	if (load_module(cfg, &s->ctx, &s->slots, &s->nslots, err) != 0)
		goto fail;
	if ((s->slot = find_token(s->slots, s->nslots, cfg->token_label)) == NULL) {
		kk_err_set(err, KK_ERR_NOT_FOUND, "no PKCS#11 token labelled %s (run kakuin init)",
		    cfg->token_label);
		goto fail;
	}
	/* read/write: key generation creates token objects */
	if (PKCS11_open_session(s->slot, 1) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot open a session on token %s", s->label);
		goto fail;
	}
	if (PKCS11_login(s->slot, 0, cfg->user_pin) != 0) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "login to token %s failed (wrong PIN?)", s->label);
		goto fail;
	}
	s->refs = 1;
	*out = s;
	return 0;
fail:
	ERR_clear_error();
	unload_module(s->ctx, s->slots, s->nslots);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return -1;
}

int
kk_signer_open(kk_signer **out, const kk_signer_cfg *cfg, kk_err *err)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	int rc = -1;

	pthread_mutex_lock(&open_lock);
	if (shared == NULL) {
		if ((rc = open_new(&shared, cfg, err)) == 0)
			*out = shared;
		goto out;
	}
	if (!same_token(shared, cfg)) {
		kk_err_set(err, KK_ERR_INTERNAL, "another PKCS#11 token is open in this process");
		goto out;
	}
	/* libp11 skips C_Login once logged in, so check the PIN here */
	pin_hash(cfg->user_pin, h);
	if (CRYPTO_memcmp(h, shared->pin_hash, sizeof(h)) != 0) {
		kk_err_set(err, KK_ERR_UNAUTHORIZED, "login to token %s failed (wrong PIN?)",
		    shared->label);
		goto out;
	}
	shared->refs++;
	*out = shared;
	rc = 0;
out:
	pthread_mutex_unlock(&open_lock);
	return rc;
}

/* Drops the cached signing keys; call with s->lock held (or when closing). */
static void
forget_keys(kk_signer *s)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		EVP_PKEY_free(s->keys[i].pk);
	s->nkeys = 0;
}

void
kk_signer_close(kk_signer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&open_lock);
	if (--s->refs == 0) {
		forget_keys(s);
		PKCS11_logout(s->slot);
		unload_module(s->ctx, s->slots, s->nslots);
		pthread_mutex_destroy(&s->lock);
		free(s);
		shared = NULL;
	}
	pthread_mutex_unlock(&open_lock);
}

/* The private key object under label. Borrowed from the token's key list, valid until
 * the next enumeration; call with s->lock held. */
static int
find_key(kk_signer *s, const char *label, PKCS11_KEY **out, kk_err *err)
{
	PKCS11_KEY *keys = NULL;
	unsigned int i, n = 0;

	if (PKCS11_enumerate_keys(s->slot->token, &keys, &n) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot list keys on token %s", s->label);
		kk_err_append_openssl(err);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (keys[i].label != NULL && strcmp(keys[i].label, label) == 0) {
			*out = &keys[i];
			return 0;
		}
	return kk_err_set(err, KK_ERR_NOT_FOUND, "no key labelled %s on token %s", label, s->label);
}

/* The private key under label as an EVP_PKEY that signs through the token, cached
 * (borrowed; valid until forget_keys). Call with s->lock held. */
static EVP_PKEY *
signing_key(kk_signer *s, const char *label, kk_err *err)
{
	PKCS11_KEY *key = NULL;
	EVP_PKEY *pk = NULL;
	size_t i;

	if (strlen(label) >= sizeof(s->keys[0].label)) {
		kk_err_set(err, KK_ERR_INTERNAL, "key label %.80s is too long", label);
		return NULL;
	}
	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].label, label) == 0)
			return s->keys[i].pk;
	if (find_key(s, label, &key, err) != 0)
		return NULL;
	if ((pk = PKCS11_get_private_key(key)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot use the private key %s", label);
		kk_err_append_openssl(err);
		return NULL;
	}
	if (s->nkeys == sizeof(s->keys) / sizeof(s->keys[0]))
		forget_keys(s);
	snprintf(s->keys[s->nkeys].label, sizeof(s->keys[0].label), "%s", label);
	s->keys[s->nkeys++].pk = pk;
	return pk;
}

/* A plain OpenSSL copy of the key's public half (no libp11 method attached), so callers
 * can use it after the signer is closed. Taken from the private key object, which
 * carries only CKA_MODULUS and CKA_PUBLIC_EXPONENT: libp11 0.4.12 leaks the object
 * behind PKCS11_get_public_key. Call with s->lock held. Caller frees *out. */
static int
public_key_locked(kk_signer *s, const char *label, EVP_PKEY **out, kk_err *err)
{
	PKCS11_KEY *key = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len, rc = -1;

	if (find_key(s, label, &key, err) != 0)
		return -1;
	if ((pk = PKCS11_get_private_key(key)) == NULL ||
	    (len = i2d_PUBKEY(pk, &der)) <= 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot read the public key %s", label);
		kk_err_append_openssl(err);
		goto out;
	}
	p = der;
	if ((*out = d2i_PUBKEY(NULL, &p, len)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot decode the public key %s", label);
		kk_err_append_openssl(err);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return rc;
}

int
kk_signer_public_key(kk_signer *s, const char *label, EVP_PKEY **pub_out, kk_err *err)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = public_key_locked(s, label, pub_out, err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/*
 * C_GenerateKeyPair inside the token. libp11 0.4.12 marks the private key CKA_TOKEN,
 * CKA_PRIVATE and CKA_SENSITIVE but does not pass CKA_EXTRACTABLE; SoftHSMv2 then
 * defaults it to false, so the key can neither be read nor wrapped out. Call with
 * s->lock held.
 */
static int
generate_locked(kk_signer *s, const char *label, unsigned bits, kk_err *err)
{
	unsigned char id[16];
	int rc;

	if (kk_random(id, sizeof(id)) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "no randomness for a key id");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	/* libp11 0.4.12 has no replacement yet (PKCS11_keygen comes in 0.4.13) */
	rc = PKCS11_generate_key(s->slot->token, EVP_PKEY_RSA, bits, (char *)label, id, sizeof(id));
#pragma GCC diagnostic pop
	if (rc != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot generate RSA-%u key %s in the token", bits,
		    label);
		kk_err_append_openssl(err);
		return -1;
	}
	kk_log("info", "signer", "generated RSA-%u key %s in token %s", bits, label, s->label);
	return 0;
}

int
kk_signer_ensure_rsa_key(kk_signer *s, const char *label, unsigned bits, EVP_PKEY **pub_out,
    kk_err *err)
{
	PKCS11_KEY *key = NULL;
	kk_err ferr;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	if (find_key(s, label, &key, &ferr) != 0) {
		if (ferr.kind != KK_ERR_NOT_FOUND) {
			if (err != NULL)
				*err = ferr;
			goto out;
		}
		if (generate_locked(s, label, bits, err) != 0)
			goto out;
	}
	rc = public_key_locked(s, label, pub_out, err);
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/*
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 8.2). The EVP_PKEY libp11 hands out holds
 * only the modulus and public exponent plus libp11's RSA_METHOD, whose private
 * operation is C_Sign(CKM_RSA_PKCS) in the token: OpenSSL hashes and builds the
 * DigestInfo, the token applies the key. The key is a reference taken under the lock;
 * the signature runs without it, so threads sign in parallel (libp11 gives each its
 * own session from its pool).
 */
/* kk_signer_fault: attempts left before the injected failures, and how many. */
static atomic_long fault_after = -1, fault_count;

void
kk_signer_fault(long after, long count)
{
	atomic_store(&fault_count, count);
	atomic_store(&fault_after, count > 0 ? after : -1);
}

/* 1 if this attempt is to fail (the seam). */
static int
fault_now(void)
{
	if (!kk_countdown_hit(&fault_after))
		return 0;
	/* this one fails; so do the next count - 1 */
	if (atomic_fetch_sub(&fault_count, 1) > 1)
		atomic_store(&fault_after, 0);
	return 1;
}

static int
sign_with(kk_signer *s, const char *label, const unsigned char *data, size_t len,
    unsigned char **sig, size_t *siglen, kk_err *err)
{
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	if (fault_now())
		return kk_err_set(err, KK_ERR_INTERNAL, "token failed to sign with %s: "
		    "CKR_TOKEN_NOT_PRESENT (injected)", label);
	pthread_mutex_lock(&s->lock);
	if ((pk = signing_key(s, label, err)) != NULL && EVP_PKEY_up_ref(pk) != 1)
		pk = NULL;
	pthread_mutex_unlock(&s->lock);
	if (pk == NULL)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, NULL, &n, data, len) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot start signing with %s", label);
		goto out;
	}
	if ((buf = kk_malloc(n)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(md, buf, &n, data, len) != 1) {
		kk_err_set(err, KK_ERR_INTERNAL, "token failed to sign with %s", label);
		goto out;
	}
	*sig = buf;
	*siglen = n;
	buf = NULL;
	rc = 0;
out:
	if (rc != 0)
		kk_err_append_openssl(err);
	free(buf);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return rc;
}

int
kk_signer_sign(kk_signer *s, const char *label, const unsigned char *data, size_t len,
    unsigned char **sig, size_t *siglen, kk_err *err)
{
	int rc;

	/* a failure may come from a stale key object (the token was reset): once more
	 * with the key looked up afresh */
	if ((rc = sign_with(s, label, data, len, sig, siglen, err)) != 0) {
		pthread_mutex_lock(&s->lock);
		forget_keys(s);
		pthread_mutex_unlock(&s->lock);
		kk_err_clear(err);
		ERR_clear_error();
		rc = sign_with(s, label, data, len, sig, siglen, err);
	}
	/* a token that cannot sign now may again later (re-inserted, logged in again):
	 * transient for the callers, logged and counted for the operator */
	if (rc != 0) {
		kk_metric_inc(KK_M_SIGNER_ERRORS);
		kk_log("error", "signer", "%s", err->detail);
		if (err->kind == KK_ERR_INTERNAL)
			err->kind = KK_ERR_UNAVAILABLE;
	}
	return rc;
}
