/*
 * libmicrohttpd adapter: collects a request (refusing bodies over the listener's limit
 * before parsing anything), hands it to the listener's handler (the WFE, or the reviewer
 * web UI), and sends the response.
 *
 * Listener limits (docs/security.md): MHD bounds connections in all and per client
 * address, the memory of one connection (so the request line and headers: MHD answers
 * 431 past it) and idle time. Idle time alone does not stop a client that trickles a
 * header byte every few seconds (slowloris), so every connection is also tracked from
 * MHD's connection notifications with the time its current request began, and a sweep
 * thread shuts down the socket of any whose request (or response) has taken longer than
 * request_sec; MHD then sees the connection fail and closes it itself. MHD calls the
 * CLOSED notification before it closes the socket, and the tracker's mutex is held
 * across both the sweep and that notification, so the sweep never touches a reused
 * descriptor.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <microhttpd.h>
#include "kakuin/metrics.h"
#include "kakuin/util.h"
#include "server.h"

/* One open connection (MHD's socket context). */
typedef struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	long long start_ms;	/* CLOCK_MONOTONIC: when the current request began */
	int busy;		/* inside the handler: the server's own time is not counted */
	int cut;		/* shut down by the sweep */
} conn_track;

struct kk_server {
	struct MHD_Daemon *d;
	kk_http_handler fn;
	void *ctx;
	size_t max_body;
	char *cert, *key;
	kk_server_limits lim;
	pthread_mutex_t mu;	/* guards conns, stopping */
	pthread_cond_t cv;
	conn_track *conns;
	int stopping, sweeping;	/* sweeping: the sweep thread was started */
	pthread_t sweeper;
};

typedef struct conn_ctx {
	char *query;   /* raw query string, or NULL */
	char *body;
	size_t len;
	int started;   /* the first call for this request (headers only) has been seen */
	int too_large;
	int responded; /* a response is queued; discard whatever upload still arrives */
} conn_ctx;

static kk_server_limits server_limits = { KK_SERVER_MAX_CONNS, KK_SERVER_MAX_PER_IP,
    KK_SERVER_IDLE_SEC, KK_SERVER_REQUEST_SEC };

void
kk_server_set_limits(const kk_server_limits *lim)
{
	kk_server_limits d = { KK_SERVER_MAX_CONNS, KK_SERVER_MAX_PER_IP,
	    KK_SERVER_IDLE_SEC, KK_SERVER_REQUEST_SEC };

	if (lim != NULL) {
		d.max_conns = lim->max_conns > 0 ? lim->max_conns : d.max_conns;
		d.max_conns_per_ip = lim->max_conns_per_ip > 0 ? lim->max_conns_per_ip :
		    d.max_conns_per_ip;
		d.idle_sec = lim->idle_sec > 0 ? lim->idle_sec : d.idle_sec;
		d.request_sec = lim->request_sec > 0 ? lim->request_sec : d.request_sec;
	}
	server_limits = d;
}

static long long
server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The tracker of conn (NULL if it has none: only while MHD starts it). */
static conn_track *
conn_tracker(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* MHD_OPTION_NOTIFY_CONNECTION: tracks conn from accept to close. A connection that
 * cannot be tracked (out of memory) is shut down at once rather than left unbounded. */
static void
conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	kk_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	conn_track *t = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (t == NULL)
			return;
		pthread_mutex_lock(&s->mu);
		if (t->prev != NULL)
			t->prev->next = t->next;
		else
			s->conns = t->next;
		if (t->next != NULL)
			t->next->prev = t->prev;
		pthread_mutex_unlock(&s->mu);
		free(t);
		*socket_context = NULL;
		return;
	}
	if ((ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL)
		return;
	if ((t = kk_calloc(1, sizeof(*t))) == NULL) {
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	t->fd = ci->connect_fd;
	t->start_ms = server_now_ms();
	pthread_mutex_lock(&s->mu);
	t->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = t;
	s->conns = t;
	pthread_mutex_unlock(&s->mu);
	*socket_context = t;
}

/* Marks conn as inside the handler (busy 1), or out of it with its response's time
 * starting now (busy 0). */
static void
conn_busy(kk_server *s, struct MHD_Connection *conn, int busy)
{
	conn_track *t = conn_tracker(conn);

	if (t == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	t->busy = busy;
	t->start_ms = server_now_ms();
	pthread_mutex_unlock(&s->mu);
}

/* The sweep thread: every quarter of request_sec (at most 1 s) shuts down the sockets of
 * connections whose current request or response is older than request_sec. */
static void *
server_sweep(void *arg)
{
	kk_server *s = arg;
	long long period = s->lim.request_sec * 1000LL / 4, limit = s->lim.request_sec * 1000LL;
	long long now;
	struct timespec until;
	conn_track *t;
	int cut, counted;

	if (period > 1000)
		period = 1000;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(period / 1000);
		until.tv_nsec += (long)(period % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &until);
		now = server_now_ms();
		cut = counted = 0;
		for (t = s->conns; t != NULL; t = t->next) {
			if (t->busy || t->cut || now - t->start_ms <= limit)
				continue;
			shutdown(t->fd, SHUT_RDWR);
			t->cut = 1;
			cut++;
		}
		for (; cut > 0 && counted < cut; counted++)
			kk_metric_inc(KK_M_HTTP_SLOW_CUT);
		if (cut > 0)
			kk_log("warning", "http", "closed %d connection(s) whose request took "
			    "longer than %u s (slow client)", cut, s->lim.request_sec);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int
kk_parse_listen(const char *s, struct sockaddr_storage *ss, kk_err *err)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if ((colon = strrchr(s, ':')) == NULL)
		return kk_err_set(err, KK_ERR_MALFORMED, "listen address %s: want ADDR:PORT", s);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '\0')
		return kk_err_set(err, KK_ERR_MALFORMED, "listen address %s: bad port", s);
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return kk_err_set(err, KK_ERR_MALFORMED, "listen address too long");
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	} else
		return kk_err_set(err, KK_ERR_MALFORMED, "listen address %s: not a numeric IP", host);
	return 0;
}

static enum MHD_Result
send_resp(struct MHD_Connection *conn, kk_http_resp *r)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t i;

	mr = MHD_create_response_from_buffer(r->body_len, r->body ? r->body : "",
	    MHD_RESPMEM_MUST_COPY);
	if (mr == NULL)
		return MHD_NO;
	if (r->content_type != NULL)
		MHD_add_response_header(mr, "Content-Type", r->content_type);
	for (i = 0; i < r->n_hdr; i++)
		MHD_add_response_header(mr, r->hdr[i].name, r->hdr[i].value);
	ret = MHD_queue_response(conn, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the only place MHD shows the raw request target, so the
 * per-request context starts here with a copy of the query string. NULL (out of memory)
 * makes handle() drop the connection. */
static void *
uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
	conn_ctx *cc;
	const char *q = strchr(uri, '?');

	(void)cls;
	(void)conn;
	if ((cc = kk_calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	if (q != NULL && (cc->query = kk_strdup(q + 1)) == NULL) {
		free(cc);
		return NULL;
	}
	return cc;
}

static const char *
header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	kk_server *s = cls;
	conn_ctx *cc = *con_cls;
	kk_http_req req;
	kk_http_resp resp;
	enum MHD_Result ret;

	(void)version;
	if (cc == NULL)
		return MHD_NO;
	if (!cc->started) {
		const char *cl = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
		cc->started = 1;
		/* refuse an announced oversized body before reading it */
		if (cl != NULL && strtoull(cl, NULL, 10) > s->max_body)
			cc->too_large = 1;
		else
			return MHD_YES;
	}
	if (cc->responded) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!cc->too_large && cc->len + *upload_size <= s->max_body) {
			char *nb = realloc(cc->body, cc->len + *upload_size + 1);
			if (nb == NULL)
				return MHD_NO;
			cc->body = nb;
			memcpy(cc->body + cc->len, upload, *upload_size);
			cc->len += *upload_size;
			cc->body[cc->len] = '\0';
		} else
			cc->too_large = 1;
		/* an oversized body without an announced length is read and dropped to
		 * its end (bounded by request_sec): MHD takes no response mid-upload */
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = method;
	req.path = url;
	req.host = header(conn, MHD_HTTP_HEADER_HOST);
	req.content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.body = cc->body ? cc->body : "";
	req.body_len = cc->len;
	req.too_large = cc->too_large;
	req.query = cc->query;
	req.cookie = header(conn, MHD_HTTP_HEADER_COOKIE);
	req.origin = header(conn, "Origin");
	req.fetch_site = header(conn, "Sec-Fetch-Site");
	conn_busy(s, conn, 1);
	s->fn(s->ctx, &req, &resp);
	conn_busy(s, conn, 0);
	ret = send_resp(conn, &resp);
	cc->responded = 1;
	kk_http_resp_clear(&resp);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	conn_ctx *cc = *con_cls;

	kk_server *s = cls;
	conn_track *t = conn_tracker(conn);

	(void)toe;
	/* the next request on this connection gets its own request_sec */
	if (t != NULL) {
		pthread_mutex_lock(&s->mu);
		t->start_ms = server_now_ms();
		pthread_mutex_unlock(&s->mu);
	}
	if (cc != NULL) {
		free(cc->query);
		free(cc->body);
		free(cc);
		*con_cls = NULL;
	}
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	kk_log("warn", "http", "%s", msg);
}

int
kk_server_start_handler(kk_server **out, kk_http_handler fn, void *ctx, size_t max_body,
    const char *listen, const char *cert_path, const char *key_path, int threads,
    kk_err *err)
{
	struct MHD_OptionItem pool[2] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
	struct sockaddr_storage ss;
	kk_server *s = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
	/* cert_path NULL: plain HTTP (an empty HTTPS option array) */
	struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
	    {MHD_OPTION_END, 0, NULL}};

	if (kk_parse_listen(listen, &ss, err) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if ((s = kk_calloc(1, sizeof(*s))) == NULL)
		return kk_err_set(err, KK_ERR_INTERNAL, "out of memory");
	s->fn = fn;
	s->ctx = ctx;
	s->max_body = max_body;
	s->lim = server_limits;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return kk_err_set(err, KK_ERR_INTERNAL, "%s: mutex", listen);
	}
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		free(s);
		return kk_err_set(err, KK_ERR_INTERNAL, "%s: condition variable", listen);
	}
	if (cert_path != NULL) {
		if (kk_file_read(cert_path, 1 << 20, &s->cert, NULL, err) != 0 ||
		    kk_file_read(key_path, 1 << 20, &s->key, NULL, err) != 0)
			goto fail;
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert};
		tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->key};
	}
	/* threads == 1: the polling thread alone, no pool option at all (MHD warns about a
	 * pool of zero or one) */
	pool[0].option = threads == 1 ? MHD_OPTION_END : MHD_OPTION_THREAD_POOL_SIZE;
	pool[0].value = threads > 1 ? threads : 4;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_ARRAY, pool,
	    MHD_OPTION_CONNECTION_TIMEOUT, s->lim.idle_sec,
	    MHD_OPTION_CONNECTION_LIMIT, s->lim.max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->lim.max_conns_per_ip,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)KK_SERVER_CONN_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_seen, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot listen on %s (address in use, or bad TLS "
		    "certificate/key %s, %s)", listen, cert_path ? cert_path : "-",
		    key_path ? key_path : "-");
		goto fail;
	}
	if (pthread_create(&s->sweeper, NULL, server_sweep, s) != 0) {
		kk_err_set(err, KK_ERR_INTERNAL, "%s: cannot start the slow-client sweep",
		    listen);
		goto fail;
	}
	s->sweeping = 1;
	*out = s;
	return 0;
fail:
	kk_server_stop(s);
	return -1;
}

static void
wfe_handler(void *ctx, const kk_http_req *req, kk_http_resp *resp)
{
	kk_wfe_handle(ctx, req, resp);
}

int
kk_server_start(kk_server **out, kk_wfe *w, const char *listen, const char *cert_path,
    const char *key_path, int threads, kk_err *err)
{
	return kk_server_start_handler(out, wfe_handler, w, KK_MAX_BODY, listen, cert_path,
	    key_path, threads, err);
}

void
kk_server_stop(kk_server *s)
{
	if (s == NULL)
		return;
	if (s->sweeping) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->sweeper, NULL);
	}
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->cert);
	free(s->key);
	free(s);
}
