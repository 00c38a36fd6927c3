/*
 * OCSP request decoding (src/status.c kk_status_http, src/ocsp.c status_ocsp_answer,
 * RFC 6960 4.1 and A.1, RFC 5019): the input is one DER OCSPRequest, sent the three
 * ways the responder accepts: POST /ocsp as the body; GET /ocsp/<path> with the input
 * itself as the path (percent-escapes and base64 as relying parties send them); and GET
 * with the input base64-encoded (with '+', '/' and '=' percent-escaped as RFC 6960 A.1
 * asks), so that mutated DER also reaches the decoder through GET. A fourth POST sends
 * the request with every CertID's issuer hashes replaced by the fixture's issuing CA's
 * (same hash algorithm), so that mutated serials, request counts and extensions also
 * reach the status lookup and the signed answer.
 */
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include "fuzz.h"
#include "fuzz_ra.h"
#include "wfe.h"

static kk_status *st;
static X509 *issuer;	/* borrowed from the fixture's CA */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_ra_open();
	if ((st = kk_ra_status(fuzz_ra)) == NULL)
		fuzz_die("kk_ra_status", NULL);
	if ((issuer = (X509 *)kk_ca_issuing_cert(kk_ra_ca(fuzz_ra))) == NULL)
		fuzz_die("kk_ca_issuing_cert", NULL);
	return 0;
}

static void
serve(const char *method, const char *path, const char *body, size_t len)
{
	kk_http_req req;
	kk_http_resp resp;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = len;
	req.content_type = body != NULL ? "application/ocsp-request" : NULL;
	kk_status_http(st, &req, &resp);
	if (resp.status == 0 || resp.status == 500)
		fuzz_die("kk_status_http", path);
	kk_http_resp_clear(&resp);
}

/* "/ocsp/" + percent-escaped base64 of data. Caller frees. */
static char *
get_path(const uint8_t *data, size_t size)
{
	unsigned char *b64;
	char *path, *o;
	int n, i;

	if ((b64 = malloc(4 * (size / 3 + 1) + 1)) == NULL ||
	    (path = malloc(6 + 3 * 4 * (size / 3 + 1) + 1)) == NULL)
		fuzz_die("malloc", NULL);
	n = EVP_EncodeBlock(b64, data, (int)size);
	o = path + sprintf(path, "/ocsp/");
	for (i = 0; i < n; i++)
		if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=')
			o += sprintf(o, "%%%02X", b64[i]);
		else
			*o++ = (char)b64[i];
	*o = '\0';
	free(b64);
	return path;
}

/* The request in data with our issuer's name and key hashes in every CertID whose hash
 * algorithm is SHA-1 or SHA-256, re-encoded, POSTed. */
static void
ours(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	unsigned char *der = NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id, *want = NULL;
	ASN1_OCTET_STRING *nh, *kh, *wnh, *wkh;
	ASN1_OBJECT *alg;
	int i, n, nid;

	if ((req = d2i_OCSP_REQUEST(NULL, &p, (long)size)) == NULL)
		goto out;
	for (i = 0; i < OCSP_request_onereq_count(req); i++) {
		id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		if (OCSP_id_get0_info(&nh, &alg, &kh, NULL, id) != 1)
			continue;
		nid = OBJ_obj2nid(alg);
		if (nid != NID_sha1 && nid != NID_sha256)
			continue;
		OCSP_CERTID_free(want);
		if ((want = OCSP_cert_id_new(EVP_get_digestbynid(nid), X509_get_subject_name(issuer),
		    X509_get0_pubkey_bitstr(issuer), NULL)) == NULL ||
		    OCSP_id_get0_info(&wnh, NULL, &wkh, NULL, want) != 1 ||
		    ASN1_STRING_copy(nh, wnh) != 1 || ASN1_STRING_copy(kh, wkh) != 1)
			fuzz_die("OCSP_cert_id_new", NULL);
	}
	if ((n = i2d_OCSP_REQUEST(req, &der)) > 0)
		serve("POST", "/ocsp", (const char *)der, (size_t)n);
out:
	OPENSSL_free(der);
	OCSP_CERTID_free(want);
	OCSP_REQUEST_free(req);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body, *raw, *path;

	/* the body in a buffer of exactly its size */
	if ((body = malloc(size > 0 ? size : 1)) == NULL)
		fuzz_die("malloc", NULL);
	memcpy(body, data, size);
	serve("POST", "/ocsp", body, size);
	free(body);
	raw = fuzz_str(data, size);
	if ((path = malloc(strlen(raw) + 7)) == NULL)
		fuzz_die("malloc", NULL);
	sprintf(path, "/ocsp/%s", raw);
	serve("GET", path, NULL, 0);
	free(path);
	free(raw);
	path = get_path(data, size);
	serve("GET", path, NULL, 0);
	free(path);
	ours(data, size);
	return 0;
}
