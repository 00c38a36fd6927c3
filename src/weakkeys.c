/*
 * Debian weak-key blocklists (include/kakuin/keycheck.h). CVE-2008-0166: Debian's
 * OpenSSL 0.9.8c-1 to 0.9.8g-8 seeded its generator with little but the process
 * ID, so every RSA key it made is one of a few hundred thousand, all known. BR
 * 6.1.1.3 requires refusing such keys and CP 4.9.1 revoking certificates that
 * carry them. The lists hold the openssl-blacklist fingerprint of each modulus
 * (tools/debian_weak regenerates them, docs/weak-keys.md); here they become one
 * sorted array of 80-bit values searched by bisection.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include "kakuin/keycheck.h"
#include "kakuin/util.h"

#define FPR_BYTES (KK_WEAKKEY_FPR_LEN / 2)
#define LIST_PREFIX "blacklist."
#define TMP_SUFFIX ".tmp"

struct fpr {
	unsigned char v[FPR_BYTES];     /* big endian, so memcmp orders them */
	uint32_t list;                  /* index into lists.names */
};

/* Every loaded list; written under the write lock, read under the read lock. */
static struct {
	struct fpr *v;
	size_t n;
	char **names;
	size_t nnames;
} lists;
static pthread_rwlock_t lists_lock = PTHREAD_RWLOCK_INITIALIZER;

static int
fpr_cmp(const void *a, const void *b)
{
	return memcmp(((const struct fpr *)a)->v, ((const struct fpr *)b)->v, FPR_BYTES);
}

/* One line without its newline: 0 with *f filled, 1 to skip, -1 malformed. */
static int
parse_line(const char *s, size_t len, struct fpr *f)
{
	size_t i;
	int hi, lo;

	if (len == 0 || s[0] == '#')
		return 1;
	if (len != KK_WEAKKEY_FPR_LEN)
		return -1;
	for (i = 0; i < FPR_BYTES; i++) {
		if ((hi = kk_hexval((unsigned char)s[2 * i])) < 0 ||
		    (lo = kk_hexval((unsigned char)s[2 * i + 1])) < 0)
			return -1;
		f->v[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Reads path into a fresh array (*out, caller frees) of *n fingerprints.
 * Returns 0 or -1 (a malformed line: file:line in err).
 */
static int
read_list(const char *path, struct fpr **out, size_t *n, kk_err *err)
{
	FILE *fp = NULL;
	char *line = NULL;
	struct fpr *v = NULL, *nv, f = { { 0 }, 0 };
	size_t cap = 0, cnt = 0, lineno = 0, sz = 0;
	ssize_t len;
	int r, rc = -1;

	if ((fp = fopen(path, "r")) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "weak keys: %s: %s", path,
		    strerror(errno));
	while ((len = getline(&line, &sz, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((r = parse_line(line, (size_t)len, &f)) > 0)
			continue;
		if (r < 0) {
			kk_err_set(err, KK_ERR_INTERNAL, "weak keys: %s:%zu: not a "
			    "%d-hex-digit fingerprint", path, lineno, KK_WEAKKEY_FPR_LEN);
			goto out;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nv = kk_realloc(v, cap * sizeof(*v))) == NULL) {
				kk_err_set(err, KK_ERR_INTERNAL, "weak keys: out of memory");
				goto out;
			}
			v = nv;
		}
		v[cnt++] = f;
	}
	if (ferror(fp)) {
		kk_err_set(err, KK_ERR_INTERNAL, "weak keys: %s: read error", path);
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	rc = 0;
out:
	free(line);
	free(v);
	fclose(fp);
	return rc;
}

int
kk_weakkeys_load_file(const char *path, kk_err *err)
{
	const char *base = strrchr(path, '/');
	struct fpr *add = NULL, *nv;
	char *name = NULL, **nn;
	size_t i, n = 0;
	int rc = -1;

	base = base != NULL ? base + 1 : path;
	/* parsed outside the lock: lookups go on while a list loads */
	if (read_list(path, &add, &n, err) != 0)
		return -1;
	if ((name = kk_strdup(base)) == NULL) {
		free(add);
		return kk_err_set(err, KK_ERR_INTERNAL, "weak keys: out of memory");
	}
	pthread_rwlock_wrlock(&lists_lock);
	if (lists.nnames >= UINT32_MAX) {
		kk_err_set(err, KK_ERR_INTERNAL, "weak keys: too many lists");
		goto out;
	}
	if ((nn = kk_realloc(lists.names, (lists.nnames + 1) * sizeof(*nn))) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "weak keys: out of memory");
		goto out;
	}
	lists.names = nn;
	if ((nv = kk_realloc(lists.v, (lists.n + n + 1) * sizeof(*nv))) == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "weak keys: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		add[i].list = (uint32_t)lists.nnames;
	memcpy(nv + lists.n, add, n * sizeof(*nv));
	lists.v = nv;
	lists.n += n;
	lists.names[lists.nnames++] = name;
	name = NULL;
	qsort(lists.v, lists.n, sizeof(*lists.v), fpr_cmp);
	rc = 0;
out:
	pthread_rwlock_unlock(&lists_lock);
	free(add);
	free(name);
	return rc;
}

/* A list file: "blacklist.*", not a generator's temporary. */
static int
is_list_name(const char *name)
{
	size_t len = strlen(name), sl = strlen(TMP_SUFFIX);

	return strncmp(name, LIST_PREFIX, strlen(LIST_PREFIX)) == 0 &&
	    !(len >= sl && strcmp(name + len - sl, TMP_SUFFIX) == 0);
}

/* 1 if a list of this base name is loaded. */
static int
loaded_already(const char *name)
{
	size_t i;
	int found = 0;

	pthread_rwlock_rdlock(&lists_lock);
	for (i = 0; i < lists.nnames && !found; i++)
		found = strcmp(lists.names[i], name) == 0;
	pthread_rwlock_unlock(&lists_lock);
	return found;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
kk_weakkeys_load_dir(const char *dir, size_t *n_loaded, kk_err *err)
{
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	char **names = NULL, **nn, *path = NULL;
	size_t i, n = 0, loaded = 0;
	int rc = -1;

	if (n_loaded != NULL)
		*n_loaded = 0;
	if ((d = opendir(dir)) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "weak keys: %s: %s", dir,
		    strerror(errno));
	/* sorted, so refusals and logs do not depend on directory order */
	while ((de = readdir(d)) != NULL) {
		if (!is_list_name(de->d_name))
			continue;
		if ((nn = kk_realloc(names, (n + 1) * sizeof(*nn))) == NULL ||
		    (names = nn, (names[n] = kk_strdup(de->d_name)) == NULL)) {
			kk_err_set(err, KK_ERR_INTERNAL, "weak keys: out of memory");
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		free(path);
		if ((path = kk_printf("%s/%s", dir, names[i])) == NULL) {
			kk_err_set(err, KK_ERR_INTERNAL, "weak keys: out of memory");
			goto out;
		}
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || loaded_already(names[i]))
			continue;
		if (kk_weakkeys_load_file(path, err) != 0)
			goto out;
		loaded++;
	}
	rc = 0;
out:
	if (n_loaded != NULL)
		*n_loaded = loaded;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	closedir(d);
	return rc;
}

size_t
kk_weakkeys_count(void)
{
	size_t n;

	pthread_rwlock_rdlock(&lists_lock);
	n = lists.n;
	pthread_rwlock_unlock(&lists_lock);
	return n;
}

void
kk_weakkeys_clear(void)
{
	size_t i;

	pthread_rwlock_wrlock(&lists_lock);
	for (i = 0; i < lists.nnames; i++)
		free(lists.names[i]);
	free(lists.names);
	free(lists.v);
	memset(&lists, 0, sizeof(lists));
	pthread_rwlock_unlock(&lists_lock);
}

int
kk_weakkeys_fingerprint(const BIGNUM *n, char out[KK_WEAKKEY_FPR_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *hex = NULL, *line = NULL;
	const char *h;
	int rc = -1;

	if ((hex = BN_bn2hex(n)) == NULL)
		goto out;
	/* BN_bn2hex pads to whole bytes; `openssl rsa -modulus` (BN_print) does not */
	for (h = hex; h[0] == '0' && h[1] != '\0'; h++)
		;
	if ((line = kk_printf("Modulus=%s\n", h)) == NULL ||
	    EVP_Digest(line, strlen(line), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen < FPR_BYTES)
		goto out;
	kk_hex(md + mdlen - FPR_BYTES, FPR_BYTES, out);
	rc = 0;
out:
	OPENSSL_free(hex);
	free(line);
	return rc;
}

int
kk_weakkeys_check(const BIGNUM *n, kk_err *err)
{
	char hex[KK_WEAKKEY_FPR_LEN + 1];
	struct fpr key;
	const struct fpr *hit;
	int rc = 0;

	if (kk_weakkeys_count() == 0)
		return 0;
	if (kk_weakkeys_fingerprint(n, hex) != 0 ||
	    parse_line(hex, KK_WEAKKEY_FPR_LEN, &key) != 0)
		return kk_err_set(err, KK_ERR_INTERNAL, "key check: weak-key fingerprint");
	pthread_rwlock_rdlock(&lists_lock);
	if ((hit = bsearch(&key, lists.v, lists.n, sizeof(key), fpr_cmp)) != NULL)
		rc = kk_err_set(err, KK_ERR_BAD_PUBLIC_KEY, "RSA key is a Debian weak key "
		    "(CVE-2008-0166, list %s): generate a new key (BR 6.1.1.3)",
		    lists.names[hit->list]);
	pthread_rwlock_unlock(&lists_lock);
	return rc;
}
