/*
 * kakuin-loadgen HTTP: the libcurl side (one easy handle per client so its
 * connection is reused; answers with their Replay-Nonce, Location and
 * Retry-After) and the built-in http-01 responder (RFC 8555 8.3) that
 * answers the CA's validation requests from a shared token table.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "lg.h"

#define ACME_CHALLENGE_PATH "/.well-known/acme-challenge/"

/* An easy handle for o's server: loopback traffic only (no proxy), the CA
 * file of --cacert or no verification with --insecure. Caller cleans up. */
CURL *
lg_curl(const struct lg_opts *o)
{
	CURL *c = NULL;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kakuin-loadgen");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (o->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (o->cacert != NULL) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	}
	return c;
}

void
lg_resp_clear(struct lg_resp *r)
{
	free(r->body);
	free(r->location);
	free(r->nonce);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct lg_resp *r = arg;
	char *nb;

	if ((nb = realloc(r->body, r->len + size * n + 1)) == NULL)
		return 0;
	memcpy(nb + r->len, p, size * n);
	r->len += size * n;
	nb[r->len] = '\0';
	r->body = nb;
	return size * n;
}

/* The trimmed value of header line p (len n) if its name is name, else NULL.
 * Caller frees. */
static char *
header_value(const char *p, size_t n, const char *name)
{
	size_t nl = strlen(name), e;

	if (n <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return NULL;
	p += nl + 1;
	n -= nl + 1;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	for (e = n; e > 0 && isspace((unsigned char)p[e - 1]); e--)
		;
	return strndup(p, e);
}

/* RFC 9110 10.2.3: delay-seconds or an HTTP-date. */
static double
retry_after(const char *v)
{
	char *end;
	long s;
	time_t t;

	s = strtol(v, &end, 10);
	if (end != v && *end == '\0')
		return s < 0 ? 0 : (double)s;
	if ((t = curl_getdate(v, NULL)) < 0)
		return -1;
	return t > time(NULL) ? (double)(t - time(NULL)) : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct lg_resp *r = arg;
	char *v;

	n *= size;
	if ((v = header_value(p, n, "Replay-Nonce")) != NULL) {
		free(r->nonce);
		r->nonce = v;
	} else if ((v = header_value(p, n, "Location")) != NULL) {
		free(r->location);
		r->location = v;
	} else if ((v = header_value(p, n, "Retry-After")) != NULL) {
		r->retry_after = retry_after(v);
		free(v);
	}
	return n;
}

/* One request on c: HEAD when head, POST of body (a JWS, application/jose+json)
 * when body is set, GET otherwise. 0 with *r filled (any HTTP status), or -1
 * with *f set when no answer came. Caller clears *r either way. */
int
lg_request(CURL *c, const char *url, const char *body, const char *accept, int head,
    struct lg_resp *r, struct lg_fail *f)
{
	struct curl_slist *h = NULL;
	char acc[128];
	CURLcode cc;

	lg_resp_clear(r);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_NOBODY, head ? 1L : 0L);
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/jose+json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h = curl_slist_append(h, acc);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	cc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		lg_fail_set(f, "", "%s: %s", url, curl_easy_strerror(cc));
		snprintf(f->kind, sizeof(f->kind), "curl:%d", (int)cc);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

/* ---- http-01 responder ------------------------------------------------- */

struct lg_tok {
	struct lg_tok *next;
	char *token;
	char *keyauth;
};

struct lg_http01 {
	int fd;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int stop;               /* under mu */
	int active;             /* connection threads running, under mu */
	struct lg_tok *toks;    /* under mu */
};

struct lg_conn {
	struct lg_http01 *h;
	int fd;
};

/* The key authorization for token (RFC 8555 8.1), or NULL. Caller frees. */
static char *
lookup(struct lg_http01 *h, const char *token)
{
	struct lg_tok *t;
	char *v = NULL;

	pthread_mutex_lock(&h->mu);
	for (t = h->toks; t != NULL; t = t->next)
		if (strcmp(t->token, token) == 0) {
			v = strdup(t->keyauth);
			break;
		}
	pthread_mutex_unlock(&h->mu);
	return v;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* One HTTP/1.1 exchange: GET /.well-known/acme-challenge/<token> answers
 * the key authorization as text/plain (RFC 8555 8.3); anything else 404. */
static void
serve(struct lg_http01 *h, int fd)
{
	char req[4096], path[1024], hdr[256], *ka = NULL;
	struct timeval tv = { 5, 0 };
	size_t n = 0;
	ssize_t r;
	const char *tok;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1 && (r = recv(fd, req + n, sizeof(req) - 1 - n, 0)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	if (sscanf(req, "GET %1023s HTTP/1.", path) == 1 &&
	    strncmp(path, ACME_CHALLENGE_PATH, strlen(ACME_CHALLENGE_PATH)) == 0) {
		tok = path + strlen(ACME_CHALLENGE_PATH);
		ka = lookup(h, tok);
	}
	if (ka != NULL) {
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", strlen(ka));
		write_all(fd, hdr, strlen(hdr));
		write_all(fd, ka, strlen(ka));
	} else {
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		write_all(fd, hdr, strlen(hdr));
	}
	free(ka);
}

static void *
conn_main(void *arg)
{
	struct lg_conn *c = arg;
	struct lg_http01 *h = c->h;

	serve(h, c->fd);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&h->mu);
	if (--h->active == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Accepts until stopped; each connection gets its own detached thread so one
 * slow validation request does not hold up the others. */
static void *
accept_main(void *arg)
{
	struct lg_http01 *h = arg;
	struct pollfd p = { .fd = h->fd, .events = POLLIN };
	struct lg_conn *c;
	pthread_t th;
	int fd, stop;

	for (;;) {
		pthread_mutex_lock(&h->mu);
		stop = h->stop;
		pthread_mutex_unlock(&h->mu);
		if (stop)
			break;
		if (poll(&p, 1, 100) <= 0 || (fd = accept(h->fd, NULL, NULL)) < 0)
			continue;
		if ((c = malloc(sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->h = h;
		c->fd = fd;
		pthread_mutex_lock(&h->mu);
		h->active++;
		pthread_mutex_unlock(&h->mu);
		if (pthread_create(&th, NULL, conn_main, c) != 0) {
			free(c);
			close(fd);
			pthread_mutex_lock(&h->mu);
			h->active--;
			pthread_mutex_unlock(&h->mu);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

/* Listens on 127.0.0.1:port and serves in a thread. NULL if the port cannot
 * be bound. Stop and free with lg_http01_stop. */
struct lg_http01 *
lg_http01_start(int port)
{
	struct lg_http01 *h = NULL;
	struct sockaddr_in sa;
	int one = 1;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->idle, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(h->fd, 128) != 0) {
		fprintf(stderr, "kakuin-loadgen: http-01 port 127.0.0.1:%d: %s\n", port,
		    strerror(errno));
		goto fail;
	}
	if (pthread_create(&h->th, NULL, accept_main, h) != 0)
		goto fail;
	return h;
fail:
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->idle);
	free(h);
	return NULL;
}

/* Stops accepting, waits for the connection threads, frees h (NULL is fine). */
void
lg_http01_stop(struct lg_http01 *h)
{
	struct lg_tok *t;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	close(h->fd);
	pthread_mutex_lock(&h->mu);
	while (h->active > 0)
		pthread_cond_wait(&h->idle, &h->mu);
	pthread_mutex_unlock(&h->mu);
	while ((t = h->toks) != NULL) {
		h->toks = t->next;
		free(t->token);
		free(t->keyauth);
		free(t);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->idle);
	free(h);
}

/* Publishes keyauth for token (copies both) before the challenge is POSTed. */
int
lg_http01_put(struct lg_http01 *h, const char *token, const char *keyauth)
{
	struct lg_tok *t;

	if ((t = calloc(1, sizeof(*t))) == NULL || (t->token = strdup(token)) == NULL ||
	    (t->keyauth = strdup(keyauth)) == NULL) {
		if (t != NULL)
			free(t->token);
		free(t);
		return -1;
	}
	pthread_mutex_lock(&h->mu);
	t->next = h->toks;
	h->toks = t;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

/* Withdraws token once its authorization is final. */
void
lg_http01_del(struct lg_http01 *h, const char *token)
{
	struct lg_tok **pp, *t;

	pthread_mutex_lock(&h->mu);
	for (pp = &h->toks; (t = *pp) != NULL; pp = &t->next)
		if (strcmp(t->token, token) == 0) {
			*pp = t->next;
			free(t->token);
			free(t->keyauth);
			free(t);
			break;
		}
	pthread_mutex_unlock(&h->mu);
}
