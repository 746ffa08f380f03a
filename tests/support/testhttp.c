/*
 * testhttp.c: the loopback HTTP server of testhttp.h: one thread, one
 * connection at a time, each answered with the same bytes and closed.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testhttp.h"

struct uct_testhttp {
	int fd, port;
	volatile int stop;
	char *response;
	size_t len;
	char request[8192];
	pthread_t thread;
};

/* Read the request's head (up to the blank line) into srv->request. */
static void testhttp_read_head(struct uct_testhttp *srv, int conn)
{
	size_t used = 0;
	ssize_t got;
	struct pollfd p = {.fd = conn, .events = POLLIN};

	srv->request[0] = '\0';
	while (used + 1 < sizeof(srv->request) && strstr(srv->request, "\r\n\r\n") == NULL) {
		if (poll(&p, 1, 100) <= 0) {
			if (srv->stop)
				return;
			continue;
		}
		got = read(conn, srv->request + used, sizeof(srv->request) - 1 - used);
		if (got <= 0)
			return;
		used += (size_t)got;
		srv->request[used] = '\0';
	}
}

static void *testhttp_serve(void *arg)
{
	struct uct_testhttp *srv = arg;
	struct pollfd p = {.fd = srv->fd, .events = POLLIN};
	int conn;

	while (!srv->stop) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		conn = accept(srv->fd, NULL, NULL);
		if (conn < 0)
			continue;
		testhttp_read_head(srv, conn);
		if (srv->response != NULL) {
			if (write(conn, srv->response, srv->len) < 0)
				srv->request[0] = '\0';
		} else {
			while (!srv->stop)
				usleep(10000);
		}
		close(conn);
	}
	return NULL;
}

struct uct_testhttp *uct_testhttp_start(const char *response, size_t len)
{
	struct uct_testhttp *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t alen = sizeof(addr);

	ck_assert_ptr_nonnull(srv);
	if (response != NULL) {
		srv->response = malloc(len);
		ck_assert_ptr_nonnull(srv->response);
		memcpy(srv->response, response, len);
		srv->len = len;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(srv->fd, 0);
	ck_assert_int_eq(bind(srv->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(srv->fd, 8), 0);
	ck_assert_int_eq(getsockname(srv->fd, (struct sockaddr *)&addr, &alen), 0);
	srv->port = ntohs(addr.sin_port);
	ck_assert_int_eq(pthread_create(&srv->thread, NULL, testhttp_serve, srv), 0);
	return srv;
}

int uct_testhttp_port(const struct uct_testhttp *srv)
{
	return srv->port;
}

const char *uct_testhttp_request(const struct uct_testhttp *srv)
{
	return srv->request;
}

char *uct_testhttp_response(int status, const char *body)
{
	size_t n = strlen(body) + 256;
	char *text = malloc(n);

	ck_assert_ptr_nonnull(text);
	snprintf(text, n,
		 "HTTP/1.1 %d Whatever\r\nContent-Type: application/json\r\nContent-Length: "
		 "%zu\r\nConnection: close\r\n\r\n%s",
		 status, strlen(body), body);
	return text;
}

void uct_testhttp_stop(struct uct_testhttp *srv)
{
	if (srv == NULL)
		return;
	srv->stop = 1;
	pthread_join(srv->thread, NULL);
	close(srv->fd);
	free(srv->response);
	free(srv);
}
