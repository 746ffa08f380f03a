/*
 * test_fetch_curl.c: the libcurl fetch (platform/linux/fetch_curl.c) against
 * real servers on 127.0.0.1 run by this test: a TLS server that records SNI,
 * a listener that never handshakes, a plain-TCP one that answers garbage and
 * a small HTTP server for AIA downloads. Every wait is bounded.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check_main.h"
#include "linux/cert_ossl.h"
#include "platform.h"
#include "testcert.h"

/* Made once in main(), before Check forks each test. */
static struct uct_testcert *root, *mid, *leaf, *leaf_ec;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- loopback servers ---------------------------------------------------- */

struct server {
	int fd, port;
	int stop[2];
	pthread_t thread;
	SSL_CTX *ctx;         /* TLS server when set */
	const char *response; /* plain server: sent after the first read */
	size_t response_len;
	/* written by the server thread, read after server_stop() */
	char sni[256];
	int handshakes, accepted;
};

static int listen_loopback(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port on which nothing listens. */
static int closed_port(void)
{
	int port, fd = listen_loopback(&port);

	close(fd);
	return port;
}

static int sni_record(SSL *ssl, int *alert, void *arg)
{
	struct server *srv = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)alert;
	snprintf(srv->sni, sizeof(srv->sni), "%s", name ? name : "");
	return SSL_TLSEXT_ERR_OK;
}

static void serve_tls(struct server *srv, int conn)
{
	SSL *ssl = SSL_new(srv->ctx);

	SSL_set_fd(ssl, conn);
	if (SSL_accept(ssl) == 1) {
		srv->handshakes++;
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	ERR_clear_error();
}

static void serve_plain(struct server *srv, int conn)
{
	struct pollfd p = {.fd = conn, .events = POLLIN};
	char buf[4096];
	int i;

	/* Read the request (or a ClientHello), answer, then drain to EOF. */
	if (poll(&p, 1, 1000) == 1 && recv(conn, buf, sizeof(buf), 0) > 0)
		send(conn, srv->response, srv->response_len, MSG_NOSIGNAL);
	shutdown(conn, SHUT_WR);
	for (i = 0; i < 10 && poll(&p, 1, 100) == 1; i++)
		if (recv(conn, buf, sizeof(buf), 0) <= 0)
			break;
}

static void *server_main(void *arg)
{
	struct server *srv = arg;
	struct pollfd p[2] = {{.fd = srv->fd, .events = POLLIN},
			      {.fd = srv->stop[0], .events = POLLIN}};
	struct timeval tv = {.tv_sec = 2};
	int64_t end = now_ms() + 30000;
	int conn;

	while (now_ms() < end && poll(p, 2, 100) >= 0 && !(p[1].revents & POLLIN)) {
		if (!(p[0].revents & POLLIN))
			continue;
		conn = accept(srv->fd, NULL, NULL);
		if (conn < 0)
			continue;
		srv->accepted++;
		setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (srv->ctx != NULL)
			serve_tls(srv, conn);
		else
			serve_plain(srv, conn);
		close(conn);
	}
	return NULL;
}

static void server_start(struct server *srv)
{
	srv->fd = listen_loopback(&srv->port);
	ck_assert_int_eq(pipe(srv->stop), 0);
	ck_assert_int_eq(pthread_create(&srv->thread, NULL, server_main, srv), 0);
}

/* A TLS server sending cert and, when given, one intermediate. */
static void tls_server_start(struct server *srv, const struct uct_testcert *cert,
			     const struct uct_testcert *chain)
{
	memset(srv, 0, sizeof(*srv));
	srv->ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(srv->ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate(srv->ctx, cert->x509), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(srv->ctx, cert->key), 1);
	if (chain != NULL)
		ck_assert_int_eq(SSL_CTX_add1_chain_cert(srv->ctx, chain->x509), 1);
	SSL_CTX_set_tlsext_servername_callback(srv->ctx, sni_record);
	SSL_CTX_set_tlsext_servername_arg(srv->ctx, srv);
	server_start(srv);
}

static void plain_server_start(struct server *srv, const char *response, size_t len)
{
	memset(srv, 0, sizeof(*srv));
	srv->response = response;
	srv->response_len = len;
	server_start(srv);
}

static void server_stop(struct server *srv)
{
	ck_assert_int_eq(write(srv->stop[1], "x", 1), 1);
	pthread_join(srv->thread, NULL);
	close(srv->fd);
	close(srv->stop[0]);
	close(srv->stop[1]);
	SSL_CTX_free(srv->ctx);
}

/* ---- helpers -------------------------------------------------------------- */

static struct uct_strv connect_to;

static void map(const char *host, int port, int to_port)
{
	char line[256];

	snprintf(line, sizeof(line), "%s:%d:127.0.0.1:%d", host, port, to_port);
	ck_assert_int_eq(uct_strv_push(&connect_to, line), 0);
}

static struct uct_net_opts net_opts(long connect_ms, long total_ms)
{
	return (struct uct_net_opts){.connect_timeout_ms = connect_ms,
				     .total_timeout_ms = total_ms,
				     .connect_to = &connect_to};
}

static void targets_clear(struct uct_fetch_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		uct_chain_clear(&t[i].chain);
	uct_strv_clear(&connect_to);
}

/* ---- chains ---------------------------------------------------------------- */

START_TEST(test_chain_as_sent)
{
	struct server a, b;
	struct uct_fetch_target t[3] = {
		{.host = "uccx1.lab.example", .port = 8445, .path = "/"},
		{.host = "uccx1.lab.example", .port = 8444, .path = "/cuic"},
		{.host = "UCCX1.lab.example", .port = 8445, .path = "/cfadmin"},
	};
	struct uct_net_opts opts;
	struct uct_err err = {0};
	int64_t start;

	tls_server_start(&a, leaf, mid);
	tls_server_start(&b, leaf_ec, NULL);
	map("uccx1.lab.example", 8445, a.port);
	map("uccx1.lab.example", 8444, b.port);
	opts = net_opts(2000, 5000);
	start = now_ms();
	ck_assert_int_eq(uct_fetch_chains(t, 3, &opts, &err), 0);
	printf("fetch: two servers, three targets: %ld ms (8445 %ld ms, 8444 %ld ms)\n",
	       (long)(now_ms() - start), t[0].elapsed_ms, t[1].elapsed_ms);
	server_stop(&a);
	server_stop(&b);

	ck_assert_msg(t[0].status == UCT_FETCH_OK, "%s", t[0].detail);
	ck_assert_uint_eq(t[0].chain.n, 2);
	ck_assert_mem_eq(t[0].chain.certs[0]->der, leaf->der, leaf->der_len);
	ck_assert_mem_eq(t[0].chain.certs[1]->der, mid->der, mid->der_len);
	ck_assert_int_lt(t[0].elapsed_ms, 2000);
	/* SNI is the configured FQDN, not the address connect-to leads to. */
	ck_assert_str_eq(a.sni, "uccx1.lab.example");
	ck_assert_str_eq(b.sni, "uccx1.lab.example");

	ck_assert_msg(t[1].status == UCT_FETCH_OK, "%s", t[1].detail);
	ck_assert_uint_eq(t[1].chain.n, 1);
	ck_assert_mem_eq(t[1].chain.certs[0]->der, leaf_ec->der, leaf_ec->der_len);

	/* Same host (any case) and port: one handshake, the same result. */
	ck_assert_int_eq(t[2].status, UCT_FETCH_OK);
	ck_assert_uint_eq(t[2].chain.n, 2);
	ck_assert_mem_eq(t[2].chain.certs[1]->der, mid->der, mid->der_len);
	ck_assert_int_eq(a.handshakes, 1);
	ck_assert_int_eq(b.handshakes, 1);
	targets_clear(t, 3);
}
END_TEST

/*
 * Two ports of one node send the same issuing CA, and a third target shares
 * a port: each chain gets its own copy of every certificate (filled once,
 * holding the parser's X509), and clearing one chain leaves the others whole.
 */
START_TEST(test_shared_certs)
{
	struct uct_testcert *leaf2 = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "uccx1.lab.example", .issuer = mid, .key_slot = 3});
	struct server a, b;
	struct uct_fetch_target t[3] = {
		{.host = "uccx1.lab.example", .port = 8445},
		{.host = "uccx1.lab.example", .port = 8444},
		{.host = "uccx1.lab.example", .port = 8445},
	};
	struct uct_net_opts opts;
	struct uct_err err = {0};
	const struct uct_cert *m1, *m2, *m3;
	size_t i;

	ck_assert_ptr_nonnull(leaf2);
	tls_server_start(&a, leaf, mid);
	tls_server_start(&b, leaf2, mid);
	map("uccx1.lab.example", 8445, a.port);
	map("uccx1.lab.example", 8444, b.port);
	opts = net_opts(2000, 5000);
	ck_assert_int_eq(uct_fetch_chains(t, 3, &opts, &err), 0);
	server_stop(&a);
	server_stop(&b);
	for (i = 0; i < 3; i++) {
		ck_assert_msg(t[i].status == UCT_FETCH_OK, "%s", t[i].detail);
		ck_assert_uint_eq(t[i].chain.n, 2);
		ck_assert_ptr_nonnull(t[i].chain.certs[0]->native);
		ck_assert_ptr_nonnull(t[i].chain.certs[1]->native);
	}
	ck_assert_mem_eq(t[1].chain.certs[0]->der, leaf2->der, leaf2->der_len);
	m1 = t[0].chain.certs[1];
	m2 = t[1].chain.certs[1];
	m3 = t[2].chain.certs[1];
	ck_assert_ptr_ne(m1, m2);
	ck_assert_ptr_ne(m1, m3);
	ck_assert_ptr_ne(m1->subject, m2->subject);
	ck_assert_ptr_ne(m1->der, m3->der);
	ck_assert_str_eq(m2->subject, m1->subject);
	ck_assert_mem_eq(m2->sha256, m1->sha256, UCT_SHA256_LEN);
	ck_assert_int_eq(m2->is_ca, 1);
	/* Each handshake decodes its own X509; sharing the first one's shows
	 * that the second handshake's copy was not filled again. */
	ck_assert_ptr_eq(m2->native, m1->native);
	ck_assert_ptr_eq(m3->native, m1->native);
	ck_assert_ptr_ne(t[1].chain.certs[0]->native, t[0].chain.certs[0]->native);

	uct_chain_clear(&t[0].chain);
	uct_ossl_signed_forget();
	ck_assert_int_eq(uct_cert_signed_by(t[1].chain.certs[0], m2), 1);
	ck_assert_int_eq(uct_cert_signed_by(t[2].chain.certs[0], m3), 1);
	ck_assert_str_eq(m2->subject, "CN=Lab Intermediate CA");
	ck_assert_str_eq(m3->subject, "CN=Lab Intermediate CA");
	ck_assert_mem_eq(m3->der, mid->der, mid->der_len);
	targets_clear(t, 3);
	uct_testcert_free(leaf2);
}
END_TEST

START_TEST(test_refused)
{
	struct uct_fetch_target t = {.host = "uccx2.lab.example", .port = 8445};
	struct uct_net_opts opts;
	struct uct_err err = {0};

	map("uccx2.lab.example", 8445, closed_port());
	opts = net_opts(2000, 5000);
	ck_assert_int_eq(uct_fetch_chains(&t, 1, &opts, &err), 0);
	printf("fetch: refused in %ld ms\n", t.elapsed_ms);
	ck_assert_int_eq(t.status, UCT_FETCH_REFUSED);
	ck_assert_str_eq(t.detail, "connection refused by uccx2.lab.example:8445: is the service "
				   "running? is a firewall in the way?");
	ck_assert_int_lt(t.elapsed_ms, 500);
	ck_assert_uint_eq(t.chain.n, 0);
	targets_clear(&t, 1);
}
END_TEST

/* Bad targets are per-target errors, not a failed run; NULL options work. */
START_TEST(test_invalid_target)
{
	struct uct_fetch_target t[2] = {{.host = NULL, .port = 443},
					{.host = "uccx1.lab.example", .port = 0}};
	struct uct_err err = {0};

	ck_assert_int_eq(uct_fetch_chains(t, 2, NULL, &err), 0);
	ck_assert_int_eq(t[0].status, UCT_FETCH_ERROR);
	ck_assert_str_eq(t[0].detail, "not a host and port: (none):443");
	ck_assert_int_eq(t[1].status, UCT_FETCH_ERROR);
	ck_assert_int_eq(err.code, UCT_E_NONE);
	ck_assert_int_eq(uct_fetch_chains(NULL, 0, NULL, &err), 0);
	targets_clear(t, 2);
}
END_TEST

/* A listener whose backlog completes TCP but that never reads: a handshake
 * that never finishes, as behind a broken load balancer. */
START_TEST(test_timeout_handshake)
{
	struct uct_fetch_target t = {.host = "stall.lab.example", .port = 8445};
	struct uct_net_opts opts;
	struct uct_err err = {0};
	int port, fd = listen_loopback(&port);

	map("stall.lab.example", 8445, port);
	opts = net_opts(800, 5000);
	ck_assert_int_eq(uct_fetch_chains(&t, 1, &opts, &err), 0);
	printf("fetch: stalled handshake gave up after %ld ms (connect timeout 800)\n",
	       t.elapsed_ms);
	close(fd);
	ck_assert_int_eq(t.status, UCT_FETCH_TIMEOUT);
	ck_assert_int_ge(t.elapsed_ms, 560);
	ck_assert_int_le(t.elapsed_ms, 1600);
	ck_assert_msg(strstr(t.detail, "TLS handshake did not finish") != NULL, "%s", t.detail);
	targets_clear(&t, 1);
}
END_TEST

START_TEST(test_parallel)
{
	struct uct_fetch_target t[4] = {
		{.host = "stall1.lab.example", .port = 8445},
		{.host = "stall2.lab.example", .port = 8445},
		{.host = "stall3.lab.example", .port = 8445},
		{.host = "good.lab.example", .port = 8445},
	};
	struct uct_net_opts opts;
	struct uct_err err = {0};
	struct server good;
	int port, fd = listen_loopback(&port);
	int64_t start, wall;

	tls_server_start(&good, leaf, mid);
	map("stall1.lab.example", 8445, port);
	map("stall2.lab.example", 8445, port);
	map("stall3.lab.example", 8445, port);
	map("good.lab.example", 8445, good.port);
	opts = net_opts(800, 5000);
	start = now_ms();
	ck_assert_int_eq(uct_fetch_chains(t, 4, &opts, &err), 0);
	wall = now_ms() - start;
	printf("fetch: 3 stalled + 1 good target: %ld ms in all (good one %ld ms)\n", (long)wall,
	       t[3].elapsed_ms);
	close(fd);
	server_stop(&good);
	ck_assert_int_eq(t[0].status, UCT_FETCH_TIMEOUT);
	ck_assert_int_eq(t[1].status, UCT_FETCH_TIMEOUT);
	ck_assert_int_eq(t[2].status, UCT_FETCH_TIMEOUT);
	ck_assert_msg(t[3].status == UCT_FETCH_OK, "%s", t[3].detail);
	ck_assert_int_lt(t[3].elapsed_ms, 500);
	/* In parallel: about one connect timeout, not three. */
	ck_assert_int_ge(wall, 560);
	ck_assert_int_le(wall, 1600);
	targets_clear(t, 4);
}
END_TEST

START_TEST(test_dns)
{
	struct uct_fetch_target t = {.host = "nonexistent.invalid", .port = 443};
	struct uct_net_opts opts = net_opts(2000, 3000);
	struct addrinfo *ai = NULL;
	struct uct_err err = {0};
	int64_t start = now_ms();
	int rc = getaddrinfo("nonexistent.invalid", "443", NULL, &ai);

	if (ai != NULL)
		freeaddrinfo(ai);
	/* Only meaningful where the resolver answers NXDOMAIN quickly. */
	if (rc != EAI_NONAME || now_ms() - start > 500) {
		printf("fetch: dns case skipped (resolver: %s, %ld ms)\n", gai_strerror(rc),
		       (long)(now_ms() - start));
		return;
	}
	ck_assert_int_eq(uct_fetch_chains(&t, 1, &opts, &err), 0);
	printf("fetch: NXDOMAIN in %ld ms\n", t.elapsed_ms);
	ck_assert_int_eq(t.status, UCT_FETCH_DNS);
	ck_assert_str_eq(t.detail, "the name nonexistent.invalid does not resolve: check DNS or "
				   "the FQDN in the configuration");
	targets_clear(&t, 1);
}
END_TEST

static const char http_403[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";

START_TEST(test_tls_garbage)
{
	struct uct_fetch_target t = {.host = "plain.lab.example", .port = 8445};
	struct uct_net_opts opts;
	struct uct_err err = {0};
	struct server srv;

	plain_server_start(&srv, http_403, sizeof(http_403) - 1);
	map("plain.lab.example", 8445, srv.port);
	opts = net_opts(2000, 5000);
	ck_assert_int_eq(uct_fetch_chains(&t, 1, &opts, &err), 0);
	server_stop(&srv);
	printf("fetch: plain-TCP listener: %s in %ld ms: %s\n", uct_fetch_status_name(t.status),
	       t.elapsed_ms, t.detail);
	ck_assert_int_eq(srv.accepted, 1);
	ck_assert_int_eq(t.status, UCT_FETCH_TLS);
	ck_assert_msg(strstr(t.detail, "TLS handshake with plain.lab.example:8445 failed") != NULL,
		      "%s", t.detail);
	targets_clear(&t, 1);
}
END_TEST

START_TEST(test_proxy)
{
	struct uct_fetch_target t[1] = {{.host = "uccx1.lab.example", .port = 8445}};
	struct uct_net_opts opts = net_opts(2000, 5000);
	struct uct_err err = {0};
	struct server proxy;
	char url[64];

	/* A proxy that refuses the CONNECT. */
	plain_server_start(&proxy, http_403, sizeof(http_403) - 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", proxy.port);
	opts.proxy = url;
	ck_assert_int_eq(uct_fetch_chains(t, 1, &opts, &err), 0);
	server_stop(&proxy);
	ck_assert_int_eq(t[0].status, UCT_FETCH_PROXY);
	ck_assert_str_eq(t[0].detail, "the proxy refused to connect to uccx1.lab.example:8445 "
				      "(HTTP 403)");

	/* A proxy that is not there. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	ck_assert_int_eq(uct_fetch_chains(t, 1, &opts, &err), 0);
	ck_assert_int_eq(t[0].status, UCT_FETCH_PROXY);
	targets_clear(t, 1);
}
END_TEST

/* ---- AIA issuer download ------------------------------------------------ */

/* An HTTP/1.1 response carrying body (newly allocated). */
static char *http_response(const char *status, const void *body, size_t len, size_t *out_len)
{
	char head[256];
	char *resp;
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: application/pkix-cert\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, len);

	resp = malloc((size_t)n + len);
	ck_assert_ptr_nonnull(resp);
	memcpy(resp, head, (size_t)n);
	if (len > 0)
		memcpy(resp + n, body, len);
	*out_len = (size_t)n + len;
	return resp;
}

/* Serve one response and download http://pki.lab.example/ca.crt from it. */
static int issuer_from(const char *resp, size_t len, struct uct_cert **out, struct uct_err *err)
{
	struct uct_net_opts opts = net_opts(2000, 5000);
	struct server srv;
	int rc;

	plain_server_start(&srv, resp, len);
	map("pki.lab.example", 80, srv.port);
	rc = uct_fetch_issuer("http://pki.lab.example/ca.crt", &opts, out, err);
	server_stop(&srv);
	uct_strv_clear(&connect_to);
	return rc;
}

START_TEST(test_issuer_der_and_pem)
{
	struct uct_cert *cert = NULL;
	struct uct_err err = {0};
	char pem_path[] = "/tmp/uct-fetch-XXXXXX";
	char pem[4096], *resp;
	size_t len, pem_len;
	FILE *fp;
	int fd;

	resp = http_response("200 OK", mid->der, mid->der_len, &len);
	ck_assert_msg(issuer_from(resp, len, &cert, &err) == 0, "%s", err.msg);
	free(resp);
	ck_assert_mem_eq(cert->der, mid->der, mid->der_len);
	ck_assert_str_eq(cert->subject, "CN=Lab Intermediate CA");
	ck_assert_int_eq(cert->is_ca, 1);
	uct_cert_free(cert);

	fd = mkstemp(pem_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(uct_testcert_write_pem(root, pem_path), 0);
	fp = fopen(pem_path, "r");
	pem_len = fread(pem, 1, sizeof(pem), fp);
	fclose(fp);
	unlink(pem_path);
	resp = http_response("200 OK", pem, pem_len, &len);
	ck_assert_msg(issuer_from(resp, len, &cert, &err) == 0, "%s", err.msg);
	free(resp);
	ck_assert_mem_eq(cert->der, root->der, root->der_len);
	uct_cert_free(cert);
}
END_TEST

START_TEST(test_issuer_errors)
{
	struct uct_cert *cert = (struct uct_cert *)1;
	struct uct_err err = {0};
	size_t len, big_len = 70 * 1024;
	char *big = calloc(1, big_len), *resp;

	/* Too large to be a certificate: refused before it is all read. */
	resp = http_response("200 OK", big, big_len, &len);
	ck_assert_int_eq(issuer_from(resp, len, &cert, &err), -1);
	ck_assert_ptr_null(cert);
	ck_assert_int_eq(err.code, UCT_E_NET);
	ck_assert_msg(strstr(err.msg, "larger than 65536 bytes") != NULL, "%s", err.msg);
	free(resp);

	uct_err_clear(&err);
	resp = http_response("404 Not Found", "nope", 4, &len);
	ck_assert_int_eq(issuer_from(resp, len, &cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_NET);
	ck_assert_msg(strstr(err.msg, "404") != NULL, "%s", err.msg);
	free(resp);

	uct_err_clear(&err);
	resp = http_response("200 OK", "<html>portal</html>", 19, &len);
	ck_assert_int_eq(issuer_from(resp, len, &cert, &err), -1);
	ck_assert_int_eq(err.code, UCT_E_PARSE);
	ck_assert_str_eq(err.msg, "http://pki.lab.example/ca.crt: no certificate found "
				  "(expected PEM 'BEGIN CERTIFICATE' or DER)");
	free(resp);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch_curl");
	TCase *tc = tcase_create("fetch");
	int rc;

	/* Tests only ever talk to loopback: no proxy from the environment. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	signal(SIGPIPE, SIG_IGN);
	root = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "Lab Root CA", .is_ca = 1, .no_san = 1});
	mid = uct_testcert_make(&(struct uct_testcert_spec){.cn = "Lab Intermediate CA",
							    .is_ca = 1,
							    .no_san = 1,
							    .issuer = root,
							    .key_slot = 1});
	leaf = uct_testcert_make(&(struct uct_testcert_spec){
		.cn = "uccx1.lab.example",
		.issuer = mid,
		.key_slot = 2,
		.aia_url = "http://pki.lab.example/ca.crt"});
	leaf_ec = uct_testcert_make(&(struct uct_testcert_spec){.cn = "uccx1.lab.example",
								.key_type = UCT_TESTCERT_EC});
	if (root == NULL || mid == NULL || leaf == NULL || leaf_ec == NULL)
		return EXIT_FAILURE;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_chain_as_sent);
	tcase_add_test(tc, test_shared_certs);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_invalid_target);
	tcase_add_test(tc, test_timeout_handshake);
	tcase_add_test(tc, test_parallel);
	tcase_add_test(tc, test_dns);
	tcase_add_test(tc, test_tls_garbage);
	tcase_add_test(tc, test_proxy);
	tcase_add_test(tc, test_issuer_der_and_pem);
	tcase_add_test(tc, test_issuer_errors);
	suite_add_tcase(s, tc);
	rc = uct_check_run(s);
	uct_testcert_free(leaf_ec);
	uct_testcert_free(leaf);
	uct_testcert_free(mid);
	uct_testcert_free(root);
	uct_testcert_cleanup();
	return rc;
}
