/* Shared helpers (include/kakuin/util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/rand.h>
#include "kakuin/clock.h"
#include "kakuin/util.h"

static _Atomic long alloc_budget = -1;

void
kk_alloc_fail_after(long n)
{
	alloc_budget = n;
}

/* 1 if this allocation must fail (test seam). */
static int
alloc_should_fail(void)
{
	long b = alloc_budget;

	while (b >= 0) {
		if (b == 0)
			return 1;
		if (atomic_compare_exchange_weak(&alloc_budget, &b, b - 1))
			return 0;
	}
	return 0;
}

int
kk_countdown_hit(_Atomic long *c)
{
	long n = atomic_load(c);

	while (n >= 0 && !atomic_compare_exchange_weak(c, &n, n - 1))
		;
	return n == 0;
}

void *
kk_malloc(size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *
kk_realloc(void *p, size_t n)
{
	if (alloc_should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void *
kk_calloc(size_t n, size_t m)
{
	if (alloc_should_fail())
		return NULL;
	if (n == 0 || m == 0)
		n = m = 1;
	return calloc(n, m);
}

char *
kk_strndup(const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = kk_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
kk_strdup(const char *s)
{
	return s == NULL ? NULL : kk_strndup(s, strlen(s));
}

char *
kk_printf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = kk_malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
kk_b64url_encode(const unsigned char *in, size_t len, char **out)
{
	size_t i, o = 0;
	char *p;

	if (len > (SIZE_MAX - 4) / 4 * 3)
		return -1;
	if ((p = kk_malloc(len / 3 * 4 + 5)) == NULL)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		p[o++] = b64url_alphabet[v >> 18 & 63];
		p[o++] = b64url_alphabet[v >> 12 & 63];
		p[o++] = b64url_alphabet[v >> 6 & 63];
		p[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		p[o++] = b64url_alphabet[v >> 18 & 63];
		p[o++] = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		p[o++] = b64url_alphabet[v >> 18 & 63];
		p[o++] = b64url_alphabet[v >> 12 & 63];
		p[o++] = b64url_alphabet[v >> 6 & 63];
	}
	p[o] = '\0';
	*out = p;
	return 0;
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
kk_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	unsigned char *p;

	if (len % 4 == 1)
		return -1;
	if ((p = kk_malloc(len / 4 * 3 + 4)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64url_value(in[i]);
		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	/* Non-canonical tails (leftover bits set) are refused: one encoding per value. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	p[o] = '\0';
	*out = p;
	*outlen = o;
	return 0;
bad:
	free(p);
	return -1;
}

int
kk_random(unsigned char *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

char *
kk_random_token(size_t nbytes)
{
	unsigned char buf[64];
	char *out = NULL;

	if (nbytes > sizeof(buf) || kk_random(buf, nbytes) != 0)
		return NULL;
	if (kk_b64url_encode(buf, nbytes, &out) != 0)
		return NULL;
	return out;
}

int
kk_file_read(const char *path, size_t max, char **out, size_t *len, kk_err *err)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0, cap = 4096;
	int rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		kk_err_set(err, errno == ENOENT ? KK_ERR_NOT_FOUND : KK_ERR_INTERNAL, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((buf = kk_malloc(cap + 1)) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "out of memory reading %s", path);
		goto out;
	}
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n > max) {
			kk_err_set(err, KK_ERR_TOO_LARGE, "%s: larger than %zu bytes", path, max);
			goto out;
		}
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL) {
				kk_err_set(err, KK_ERR_INTERNAL, "out of memory reading %s", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: read error", path);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = n;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

int
kk_file_write(const char *path, const void *data, size_t len, int mode, kk_err *err)
{
	char tmp[1024];
	int fd = -1, rc = -1;
	const char *p = data;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return kk_err_set(err, KK_ERR_INTERNAL, "path too long: %s", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		kk_err_set(err, KK_ERR_INTERNAL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
kk_mkdirs(const char *path, int mode, kk_err *err)
{
	char buf[1024];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return kk_err_set(err, KK_ERR_INTERNAL, "bad directory path");
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
			return kk_err_set(err, KK_ERR_INTERNAL, "mkdir %s: %s", buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

int
kk_file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

void
kk_str_lower(char *s)
{
	for (; s != NULL && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
kk_hexval(int c)
{
	/* digit values plus one (0: not a digit): a table, since the branches of a
	 * comparison chain were the CRL encoder's largest cost for a million serials */
	static const unsigned char hex1[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
		['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13,
		['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13,
		['D'] = 14, ['E'] = 15, ['F'] = 16
	};

	return c < 0 || c > 255 ? -1 : hex1[c] - 1;
}

void
kk_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
kk_log(const char *level, const char *module, const char *fmt, ...)
{
	char ts[21], msg[2048];
	va_list ap;

	kk_time_format(time(NULL), ts);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s: %s\n", ts, level, module, msg);
}

int
kk_der_tlv(const unsigned char **p, const unsigned char *end, int *tag, size_t *len)
{
	size_t n, k;

	if (end - *p < 2 || (**p & 0x1f) == 0x1f)
		return -1;
	*tag = *(*p)++;
	n = *(*p)++;
	if (n & 0x80) {
		k = n & 0x7f;
		/* DER (X.690 10.1): the shortest length form, no leading zero octet */
		if (k == 0 || k > 4 || (size_t)(end - *p) < k || **p == 0)
			return -1;
		for (n = 0; k > 0; k--)
			n = (n << 8) | *(*p)++;
		if (n < 0x80)
			return -1;
	}
	if ((size_t)(end - *p) < n)
		return -1;
	*len = n;
	return 0;
}
