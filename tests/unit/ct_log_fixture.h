/*
 * RFC 6962 test logs (tests/ct/ct_test_log.py) for the unit tests: start one on
 * 127.0.0.1 (a free port, a fresh ECDSA P-256 key, a record file of its submissions),
 * switch its fault mode, add it to a kk_ct_policy. Shared by test_ct.c and test_ra_ct.c.
 */
#ifndef KK_CT_LOG_FIXTURE_H
#define KK_CT_LOG_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "kakuin/policy.h"

#define CT_DIR	KAKUIN_SOURCE_DIR "/tests/ct/"

/* One running test log. */
typedef struct test_log {
	pid_t pid;
	int port;
	char key_b64[700];
	unsigned char key[512];
	size_t key_len;
	char record[300];
} test_log;

static __attribute__((unused)) long
ct_file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = 0;
	int c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static __attribute__((unused)) int
ct_log_start(test_log *l, const char *dir, const char *name)
{
	char line[2048], errlog[300];
	json_t *j = NULL;
	FILE *f;
	int fds[2], n;

	snprintf(l->record, sizeof(l->record), "%s/%s.rec", dir, name);
	snprintf(errlog, sizeof(errlog), "%s/%s.err", dir, name);
	if (pipe(fds) != 0 || (l->pid = fork()) < 0)
		return -1;
	if (l->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (freopen(errlog, "w", stderr) == NULL)
			_exit(126);
		execl("/usr/bin/python3", "python3", CT_DIR "ct_test_log.py", "--record", l->record,
		    "--slow-seconds", "5", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (f == NULL || fgets(line, sizeof(line), f) == NULL ||
	    (j = json_loads(line, 0, NULL)) == NULL)
		return -1;
	fclose(f);
	l->port = (int)json_integer_value(json_object_get(j, "port"));
	snprintf(l->key_b64, sizeof(l->key_b64), "%s", json_string_value(json_object_get(j,
	    "key")));
	json_decref(j);
	n = EVP_DecodeBlock(l->key, (const unsigned char *)l->key_b64, (int)strlen(l->key_b64));
	l->key_len = (size_t)n - (strstr(l->key_b64, "==") ? 2 : strchr(l->key_b64, '=') ? 1 : 0);
	return l->port > 0 && n > 0 ? 0 : -1;
}

static size_t
ct_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static __attribute__((unused)) void
ct_log_mode(const test_log *l, const char *mode)
{
	CURL *h = curl_easy_init();
	char url[64], body[64];
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/control", l->port);
	snprintf(body, sizeof(body), "{\"mode\": \"%s\"}", mode);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ct_discard);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	curl_easy_cleanup(h);
}

static __attribute__((unused)) void
ct_pol_add(kk_ct_policy *ct, const test_log *l, int port, const char *name, const char *op,
    time_t start, time_t end)
{
	kk_ct_log *g = &ct->logs[ct->n_logs++];

	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->operator_name, sizeof(g->operator_name), "%s", op);
	snprintf(g->url, sizeof(g->url), "http://127.0.0.1:%d/", port);
	memcpy(g->key, l->key, l->key_len);
	g->key_len = l->key_len;
	assert_int_equal(EVP_Digest(g->key, g->key_len, g->log_id, NULL, EVP_sha256(), NULL),
	    1);
	g->not_after_start = start;
	g->not_after_end = end;
}

static __attribute__((unused)) void
ct_log_stop(test_log *l)
{
	if (l->pid > 0) {
		kill(l->pid, SIGTERM);
		waitpid(l->pid, NULL, 0);
		l->pid = 0;
	}
}

#endif
