/* Reviewers, their passwords and web sessions (include/kakuin/review.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include "kakuin/clock.h"
#include "kakuin/store_review.h"
#include "kakuin/util.h"
#include "review_internal.h"

/* scrypt N=2^15 r=8 p=1 (review.h) needs 128*r*N = 32 MiB; stored hashes with other
 * parameters are accepted up to these bounds, so a stored row cannot make a login cost
 * more than that. */
#define SCRYPT_N 32768
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SCRYPT_MAXMEM (64UL * 1024 * 1024)
#define SALT_LEN 16
#define HASH_LEN 32
#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024
#define HASH_TEXT 160

/* An encoded hash no password matches: an unknown name costs one scrypt like a known
 * one, so timing does not tell which names exist. */
static const char dummy_hash[] = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static int
scrypt(const char *pw, const unsigned char *salt, size_t salt_len, uint64_t n, uint64_t r,
    uint64_t p, unsigned char out[HASH_LEN])
{
	return EVP_PBE_scrypt(pw, strlen(pw), salt, salt_len, n, r, p, SCRYPT_MAXMEM, out,
	    HASH_LEN) == 1 ? 0 : -1;
}

/* "scrypt$N$r$p$salt_b64$hash_b64" (schema 3) into out[HASH_TEXT]. */
static int
password_hash(const char *pw, char out[HASH_TEXT], kk_err *err)
{
	unsigned char salt[SALT_LEN], h[HASH_LEN];
	char *salt_b64 = NULL, *h_b64 = NULL;
	int rc = -1;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    scrypt(pw, salt, sizeof(salt), SCRYPT_N, SCRYPT_R, SCRYPT_P, h) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "scrypt failed");
		kk_err_append_openssl(err);
		goto out;
	}
	if (kk_b64url_encode(salt, sizeof(salt), &salt_b64) != 0 ||
	    kk_b64url_encode(h, sizeof(h), &h_b64) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(out, HASH_TEXT, "scrypt$%d$%d$%d$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P,
	    salt_b64, h_b64);
	rc = 0;
out:
	OPENSSL_cleanse(h, sizeof(h));
	free(salt_b64);
	free(h_b64);
	return rc;
}

/* 1 when pw matches the encoded hash, 0 when not (or the encoding is bad). */
static int
password_check(const char *encoded, const char *pw)
{
	unsigned long long n, r, p;
	unsigned char h[HASH_LEN], *salt = NULL, *want = NULL;
	size_t salt_len = 0, want_len = 0;
	char salt_b64[64], h_b64[64];
	int ok = 0;

	if (sscanf(encoded, "scrypt$%llu$%llu$%llu$%63[A-Za-z0-9_-]$%63[A-Za-z0-9_-]", &n, &r,
	    &p, salt_b64, h_b64) != 5)
		return 0;
	if (n < 2 || n > (1ULL << 20) || (n & (n - 1)) != 0 || r < 1 || r > 32 || p < 1 ||
	    p > 16 || 128 * r * n > SCRYPT_MAXMEM / 2)
		return 0;
	if (kk_b64url_decode(salt_b64, strlen(salt_b64), &salt, &salt_len) != 0 ||
	    kk_b64url_decode(h_b64, strlen(h_b64), &want, &want_len) != 0)
		goto out;
	if (scrypt(pw, salt, salt_len, n, r, p, h) == 0 && want_len == HASH_LEN)
		ok = CRYPTO_memcmp(h, want, HASH_LEN) == 0;
out:
	OPENSSL_cleanse(h, sizeof(h));
	free(salt);
	free(want);
	return ok;
}

/* Names: 1..63 of [a-z0-9._-] (review.h). */
static int
check_name(const char *name, kk_err *err)
{
	size_t len = name != NULL ? strnlen(name, 64) : 0;

	if (len == 0 || len > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return kk_err_set(err, KK_ERR_MALFORMED, "reviewer names are 1..63 characters of "
		    "a-z 0-9 . _ -");
	return 0;
}

static int
check_password(const char *pw, kk_err *err)
{
	size_t len = pw != NULL ? strnlen(pw, PASSWORD_MAX + 1) : 0;

	if (len < PASSWORD_MIN)
		return kk_err_set(err, KK_ERR_MALFORMED, "passwords need at least %d bytes",
		    PASSWORD_MIN);
	if (len > PASSWORD_MAX)
		return kk_err_set(err, KK_ERR_MALFORMED, "passwords are at most %d bytes",
		    PASSWORD_MAX);
	return 0;
}

/* The operator (actor 0) or an admin; the operator creating the first admin is the
 * bootstrap. */
int
kk_review_user_add(kk_review *rv, int64_t actor, const char *name, kk_role role,
    const char *password, int64_t *id, kk_err *err)
{
	char who[64], hash[HASH_TEXT], obj[80], detail[64];
	kk_auditrec a;

	if (review_actor(rv, actor, 1, KK_ROLE_ADMIN, who, err) != 0 ||
	    check_name(name, err) != 0 || check_password(password, err) != 0)
		return -1;
	if (role < KK_ROLE_REVIEWER || role > KK_ROLE_ADMIN)
		return kk_err_set(err, KK_ERR_MALFORMED, "unknown role");
	if (password_hash(password, hash, err) != 0)
		return -1;
	snprintf(obj, sizeof(obj), "user %s", name);
	snprintf(detail, sizeof(detail), "role %s", kk_role_name(role));
	a = (kk_auditrec){ kk_now(), who, "user.add", obj, detail };
	return kk_store_reviewer_add(rv->st, name, kk_role_name(role), hash, &a, id, err);
}

/* Password change (hash non-NULL) or disable, by the operator or an admin. */
static int
user_update(kk_review *rv, int64_t actor, const char *name, const char *hash,
    const char *action, kk_err *err)
{
	char who[64], obj[80];
	kk_auditrec a;

	if (review_actor(rv, actor, 1, KK_ROLE_ADMIN, who, err) != 0 ||
	    check_name(name, err) != 0)
		return -1;
	snprintf(obj, sizeof(obj), "user %s", name);
	a = (kk_auditrec){ kk_now(), who, action, obj, NULL };
	return kk_store_reviewer_update(rv->st, name, hash, hash == NULL, &a, err);
}

int
kk_review_user_password(kk_review *rv, int64_t actor, const char *name,
    const char *password, kk_err *err)
{
	char hash[HASH_TEXT];

	if (check_password(password, err) != 0 || password_hash(password, hash, err) != 0)
		return -1;
	return user_update(rv, actor, name, hash, "user.passwd", err);
}

/* Also ends the reviewer's sessions. */
int
kk_review_user_disable(kk_review *rv, int64_t actor, const char *name, kk_err *err)
{
	return user_update(rv, actor, name, NULL, "user.disable", err);
}

/* Caller frees *out. */
int
kk_review_user_list(kk_review *rv, kk_reviewer **out, size_t *n, kk_err *err)
{
	return kk_store_reviewer_list(rv->st, out, n, err);
}

int
kk_review_login(kk_review *rv, const char *name, const char *password, kk_reviewer *out,
    kk_err *err)
{
	char hash[HASH_TEXT];
	kk_reviewer r;
	int found, ok;
	kk_err e;

	if (name == NULL || password == NULL)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "invalid name or password");
	found = kk_store_reviewer_get(rv->st, 0, name, &r, hash, sizeof(hash), &e) == 0;
	if (!found && e.kind != KK_ERR_NOT_FOUND) {
		*err = e;
		return -1;
	}
	ok = password_check(found ? hash : dummy_hash, password);
	if (!found || !ok || r.disabled)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "invalid name or password");
	*out = r;
	return 0;
}

/* ---- sessions ---- */

static int
random_hex(char out[65], kk_err *err)
{
	unsigned char b[32];

	if (kk_random(b, sizeof(b)) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "no randomness");
	kk_hex(b, sizeof(b), out);
	return 0;
}

/* SHA-256 hex of a cookie token (64 hex characters, else KK_ERR_UNAUTHORIZED). */
static int
token_hash(const char *token, char out[65], kk_err *err)
{
	unsigned char h[SHA256_DIGEST_LENGTH];

	if (token == NULL || strnlen(token, 65) != 64 ||
	    strspn(token, "0123456789abcdef") != 64)
		return kk_err_set(err, KK_ERR_UNAUTHORIZED, "session unknown or expired");
	SHA256((const unsigned char *)token, 64, h);
	kk_hex(h, sizeof(h), out);
	return 0;
}

int
kk_review_session_new(kk_review *rv, int64_t reviewer_id, char token[65], char csrf[65],
    kk_err *err)
{
	char who[64], th[65], t[65], c[65];
	time_t now = kk_now();

	if (review_actor(rv, reviewer_id, 0, KK_ROLE_REVIEWER, who, err) != 0 ||
	    random_hex(t, err) != 0 || random_hex(c, err) != 0 || token_hash(t, th, err) != 0)
		return -1;
	if (kk_store_session_add(rv->st, th, reviewer_id, c, now,
	    now + (time_t)rv->pol->session_minutes * 60, err) != 0)
		return -1;
	memcpy(token, t, 65);
	memcpy(csrf, c, 65);
	return 0;
}

int
kk_review_session_get(kk_review *rv, const char *token, kk_reviewer *out, char csrf[65],
    kk_err *err)
{
	char th[65], c[65];
	int64_t rid;
	kk_reviewer r;
	kk_err e;

	if (token_hash(token, th, err) != 0)
		return -1;
	if (kk_store_session_get(rv->st, th, kk_now(), &rid, c, &e) != 0 ||
	    kk_store_reviewer_get(rv->st, rid, NULL, &r, NULL, 0, &e) != 0) {
		if (e.kind == KK_ERR_NOT_FOUND)
			return kk_err_set(err, KK_ERR_UNAUTHORIZED, "session unknown or expired");
		*err = e;
		return -1;
	}
	*out = r;
	memcpy(csrf, c, 65);
	return 0;
}

int
kk_review_session_end(kk_review *rv, const char *token, kk_err *err)
{
	char th[65];

	if (token_hash(token, th, err) != 0)
		return -1;
	return kk_store_session_delete(rv->st, th, err);
}
