/*
 * Anti-replay nonces (acme/nonce.h, RFC 8555 6.5).
 *
 * A nonce is base64url(counter || HMAC-SHA256(key, counter)[0..16)): 8 + 16 octets,
 * 32 characters. The MAC proves we issued it, so nothing is stored per nonce; the
 * bitmap `used` covers the newest NONCE_WINDOW counters, bit (c % NONCE_WINDOW)
 * standing for counter c, and a counter is accepted once, only while inside that
 * window. Issuing counter c reuses the bit of c - NONCE_WINDOW, which has just left
 * the window, so the bit is cleared then. The counter is not secret: it reveals only
 * how many nonces this process has handed out.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "kakuin/util.h"
#include "nonce.h"

#define NONCE_CTR_LEN 8
#define NONCE_MAC_LEN 16        /* HMAC-SHA256 truncated to 128 bits */
#define NONCE_RAW_LEN (NONCE_CTR_LEN + NONCE_MAC_LEN)
#define NONCE_B64_LEN 32        /* base64url of NONCE_RAW_LEN octets */
#define NONCE_WINDOW 8192       /* how many of the newest nonces stay acceptable */

/* Everything below is guarded by nonce_lock. */
static pthread_mutex_t nonce_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char nonce_key[32];
static int nonce_ready;
static uint64_t nonce_next;     /* counter of the next nonce to issue */
static uint64_t nonce_used[NONCE_WINDOW / 64];

/* mac = truncated HMAC of the counter octets. Called with nonce_lock held. */
static int
nonce_mac(const unsigned char *ctr, unsigned char mac[NONCE_MAC_LEN])
{
	unsigned char full[EVP_MAX_MD_SIZE];
	unsigned int fulllen = 0;

	if (HMAC(EVP_sha256(), nonce_key, sizeof(nonce_key), ctr, NONCE_CTR_LEN, full,
	    &fulllen) == NULL)
		return -1;
	memcpy(mac, full, NONCE_MAC_LEN);
	return 0;
}

/* A fresh key forgets every earlier nonce: they fail the MAC and clients retry. */
int
kk_nonce_init(void)
{
	unsigned char key[sizeof(nonce_key)];

	if (kk_random(key, sizeof(key)) != 0)
		return -1;
	pthread_mutex_lock(&nonce_lock);
	memcpy(nonce_key, key, sizeof(key));
	memset(nonce_used, 0, sizeof(nonce_used));
	nonce_next = 0;
	nonce_ready = 1;
	pthread_mutex_unlock(&nonce_lock);
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

int
kk_nonce_new(char out[KK_NONCE_LEN])
{
	unsigned char raw[NONCE_RAW_LEN];
	uint64_t c;
	char *b64 = NULL;
	int i, rc = -1;

	pthread_mutex_lock(&nonce_lock);
	if (!nonce_ready || nonce_next == UINT64_MAX) {
		pthread_mutex_unlock(&nonce_lock);
		return -1;
	}
	c = nonce_next++;
	nonce_used[c % NONCE_WINDOW / 64] &= ~(UINT64_C(1) << (c % 64));
	for (i = 0; i < NONCE_CTR_LEN; i++)
		raw[i] = (unsigned char)(c >> (56 - 8 * i));
	rc = nonce_mac(raw, raw + NONCE_CTR_LEN);
	pthread_mutex_unlock(&nonce_lock);
	if (rc != 0 || kk_b64url_encode(raw, sizeof(raw), &b64) != 0)
		return -1;
	memcpy(out, b64, NONCE_B64_LEN + 1);
	free(b64);
	return 0;
}

int
kk_nonce_consume(const char *nonce)
{
	unsigned char *raw = NULL, mac[NONCE_MAC_LEN];
	size_t rawlen = 0;
	uint64_t c = 0, bit;
	int i, ok = 0;

	if (nonce == NULL || strnlen(nonce, NONCE_B64_LEN + 1) != NONCE_B64_LEN ||
	    kk_b64url_decode(nonce, NONCE_B64_LEN, &raw, &rawlen) != 0)
		return 0;
	if (rawlen != NONCE_RAW_LEN)
		goto out;
	for (i = 0; i < NONCE_CTR_LEN; i++)
		c = c << 8 | raw[i];
	pthread_mutex_lock(&nonce_lock);
	if (nonce_ready && nonce_mac(raw, mac) == 0 &&
	    CRYPTO_memcmp(mac, raw + NONCE_CTR_LEN, NONCE_MAC_LEN) == 0 &&
	    c < nonce_next && nonce_next - c <= NONCE_WINDOW) {
		bit = UINT64_C(1) << (c % 64);
		if ((nonce_used[c % NONCE_WINDOW / 64] & bit) == 0) {
			nonce_used[c % NONCE_WINDOW / 64] |= bit;
			ok = 1;
		}
	}
	pthread_mutex_unlock(&nonce_lock);
out:
	free(raw);
	return ok;
}
