/*
 * libmicrohttpd adapter: collects a request (refusing bodies over the listener's limit
 * before parsing anything), hands it to the listener's handler (the WFE, or the reviewer
 * web UI), and sends the response.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "kakuin/util.h"
#include "server.h"

struct kk_server {
	struct MHD_Daemon *d;
	kk_http_handler fn;
	void *ctx;
	size_t max_body;
	char *cert, *key;
};

typedef struct conn_ctx {
	char *query;   /* raw query string, or NULL */
	char *body;
	size_t len;
	int started;   /* the first call for this request (headers only) has been seen */
	int too_large;
	int responded; /* a response is queued; discard whatever upload still arrives */
} conn_ctx;

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
		*upload_size = 0;
		if (!cc->too_large)
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
	s->fn(s->ctx, &req, &resp);
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

	(void)cls;
	(void)conn;
	(void)toe;
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
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
	    MHD_OPTION_URI_LOG_CALLBACK, uri_seen, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		kk_err_set(err, KK_ERR_INTERNAL, "cannot listen on %s (address in use, or bad TLS "
		    "certificate/key %s, %s)", listen, cert_path ? cert_path : "-",
		    key_path ? key_path : "-");
		goto fail;
	}
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
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	free(s->cert);
	free(s->key);
	free(s);
}
