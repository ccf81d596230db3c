/* SPDX-License-Identifier: MIT */
/*
 * /healthz and /metrics over HTTP with libmicrohttpd: one internal polling
 * thread, GET only, bodies built by the caller's function per request.
 */
#include "cluster.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct hl_http {
	struct MHD_Daemon *d;
	hl_http_fn fn;
	void *user;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	struct hl_http *h = cls;
	struct MHD_Response *r;
	char *body = NULL;
	int code;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("method not allowed\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else {
		code = h->fn(url, &body, h->user);
	}
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				strcmp(url, "/metrics") ? "text/plain; charset=utf-8" :
							  "text/plain; version=0.0.4");
	ret = MHD_queue_response(conn, (unsigned)code, r);
	MHD_destroy_response(r);
	return ret;
}

struct hl_http *hl_http_start(const char *addr, int port, hl_http_fn fn, void *user)
{
	struct hl_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	if (!h)
		return NULL;
	if (inet_pton(AF_INET, addr && *addr ? addr : "127.0.0.1", &sa.sin_addr) != 1) {
		free(h);
		return NULL;
	}
	h->fn = fn;
	h->user = user;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
				NULL, NULL, answer, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_END);
	if (!h->d) {
		free(h);
		return NULL;
	}
	return h;
}

void hl_http_stop(struct hl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
