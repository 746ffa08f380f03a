/*
 * uccx-lab.c: a simulated Cisco UCCX deployment on loopback (two UCCX nodes
 * and SocialMiner, 11 TLS listeners) for tests, demos and benchmarks:
 * command line, listeners, the HTTPS responder and SIGUSR1's regeneration;
 * the process side (daemon mode, --stop) is in lab_proc.c.
 */
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LAB_MAX_LISTENERS 16
#define LAB_MAX_CONNS 256
#define LAB_READ_TIMEOUT_S 10
#define LAB_STALL_S 60

static const int lab_uccx_ports[] = {443, 7443, 8445, 8444, 12015};
static const char *const lab_real_ips[LAB_NHOSTS] = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};

struct lab_listener {
	const struct lab_host *host;
	const struct lab_identity *id;
	SSL_CTX *ctx;
	int port;       /* the port the real server uses */
	int bound_port; /* where the lab listens (or a closed port for --down) */
	int fd;         /* -1 when the host is down */
};

struct lab_options {
	struct lab_certopts cert;
	const char *addr_base;
	const char *stall[LAB_NHOSTS + 1], *down[LAB_NHOSTS + 1], *no_http[LAB_NHOSTS + 1];
	int nstall, ndown, nno_http;
	bool real_ports, daemon, stop;
};

static struct lab_host lab_hosts[LAB_NHOSTS];
static struct lab_ca lab_ca;
static struct lab_listener lab_listeners[LAB_MAX_LISTENERS];
static int lab_nlisteners;
static atomic_int lab_live_conns;
static int lab_signal_pipe[2] = {-1, -1};
static const struct lab_certopts *lab_certopts; /* for SIGUSR1 */
static unsigned lab_regenerated;

static void lab_usage(FILE *f)
{
	fprintf(f,
		"usage: uccx-lab --out DIR [options]      start the lab\n"
		"       uccx-lab --stop --out DIR         stop the lab whose pid is in DIR/lab.pid\n"
		"\n"
		"A simulated Cisco UCCX deployment on loopback: uccx1.DOMAIN and uccx2.DOMAIN\n"
		"(ports 443, 7443, 8445, 8444, 12015) and socialminer.DOMAIN (443). Every listener\n"
		"speaks TLS 1.2/1.3 and answers any HTTP request with a 200 page whose body holds\n"
		"'UCCX-LAB-OK host=H port=P role=R path=/...' (title 'uccx-lab'). Ports 443, 8445,\n"
		"8444, 12015 of a node share the Tomcat certificate; 7443 has its own key and cert.\n"
		"\n"
		"options:\n"
		"  --out DIR          output directory (required), created if missing. It receives:\n"
		"                     connect-to.txt (HOST:PORT:IP:LABPORT lines, for curl --connect-to),\n"
		"                     hosts.txt (IP NAME), HOST-PORT.pem (chain as sent), ca.pem (private\n"
		"                     root, CA scenarios), issuing-ca.pem, fingerprints.txt\n"
		"                     (host:port SHA-256 of the leaf), keys/ (0700, keys 0600),\n"
		"                     lab.pid, lab.log (daemon), and 'ready' once all listeners are up\n"
		"  --scenario NAME    certificates for every host (default selfsigned):\n"
		"                       selfsigned         self-signed, CA:FALSE, SAN = host\n"
		"                       selfsigned-ca      self-signed, CA:TRUE (the appliance style)\n"
		"                       private-ca         root -> issuing CA -> leaf; sends all three\n"
		"                       private-ca-noroot  the same; sends leaf + issuing CA\n"
		"                       nosan              self-signed, CN = host, no SAN\n"
		"                       expired            self-signed, expired 30 days ago\n"
		"                       wrongname          self-signed for wrong.DOMAIN\n"
		"                       rsa1024            selfsigned with RSA-1024 keys\n"
		"                       nobc               self-signed v3, SAN, no basicConstraints\n"
		"                       v1                 self-signed X.509 v1 (no extensions)\n"
		"                       private-ca-nobc    private-ca with a leaf like nobc\n"
		"                       ecdsa              selfsigned with ECDSA P-256 keys\n"
		"                       mixed              uccx1 selfsigned, uccx2 private-ca,\n"
		"                                          socialminer selfsigned-ca\n"
		"  --domain D         host domain (default lab.example)\n"
		"  --real-ports       listen on the real ports: uccx1 on 127.0.0.11, uccx2 on\n"
		"                     127.0.0.12, socialminer on 127.0.0.13 (443 needs root)\n"
		"  --addr-base IP     like --real-ports, with uccx1 on IP, uccx2 on IP+1, socialminer\n"
		"                     on IP+2\n"
		"  --keep-keys        reuse the keys in DIR/keys and, when DIR holds the chains of\n"
		"                     the same scenario, serve those very certificates again\n"
		"  --renew            reuse the keys (and the private CA), issue new leaves:\n"
		"                     new serial, validity from now\n"
		"  --days-left N      new leaves expire N days from now (default 365)\n"
		"  --stall HOST       HOST (full or short name, repeatable) accepts TCP but never\n"
		"                     answers the TLS handshake; connections closed after %d s\n"
		"  --down HOST        HOST's listeners are not opened (connection refused); its\n"
		"                     connect-to lines still point at a closed port\n"
		"  --no-http HOST     HOST (repeatable) completes every TLS handshake, then never\n"
		"                     answers HTTP (reads and discards the request); connections\n"
		"                     closed after %d s\n"
		"  --foreground       serve in this process (default)\n"
		"  --daemon           fork, return once the lab is ready (the pid is in DIR/lab.pid)\n"
		"  --stop             stop the lab of DIR (SIGTERM, bounded wait)\n"
		"  -h, --help         this text\n\n"
		"SIGTERM or SIGINT stop the lab: 'ready' and lab.pid are removed, exit status 0.\n"
		"SIGUSR1 regenerates uccx1's Tomcat certificate, then counts it in DIR/regenerated.\n"
		"Connections: at most %d at once, %d s read timeout each.\n",
		LAB_STALL_S, LAB_STALL_S, LAB_MAX_CONNS, LAB_READ_TIMEOUT_S);
}

static bool lab_host_listed(const struct lab_host *host, const char *const *names, int n)
{
	size_t len;

	for (int i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (strcmp(host->name, names[i]) == 0 ||
		    (strncmp(host->name, names[i], len) == 0 && host->name[len] == '.'))
			return true;
	}
	return false;
}

static int lab_parse_args(int argc, char **argv, struct lab_options *o)
{
	enum {
		O_SCEN = 256,
		O_DOMAIN,
		O_REAL,
		O_BASE,
		O_KEEP,
		O_RENEW,
		O_DAYS,
		O_STALL,
		O_DOWN,
		O_NOHTTP,
		O_FG,
		O_DAEMON,
		O_STOP,
		O_OUT
	};
	static const struct option longopts[] = {
		{"out", required_argument, NULL, O_OUT},
		{"scenario", required_argument, NULL, O_SCEN},
		{"domain", required_argument, NULL, O_DOMAIN},
		{"real-ports", no_argument, NULL, O_REAL},
		{"addr-base", required_argument, NULL, O_BASE},
		{"keep-keys", no_argument, NULL, O_KEEP},
		{"renew", no_argument, NULL, O_RENEW},
		{"days-left", required_argument, NULL, O_DAYS},
		{"stall", required_argument, NULL, O_STALL},
		{"down", required_argument, NULL, O_DOWN},
		{"no-http", required_argument, NULL, O_NOHTTP},
		{"foreground", no_argument, NULL, O_FG},
		{"daemon", no_argument, NULL, O_DAEMON},
		{"stop", no_argument, NULL, O_STOP},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	o->cert.scenario = "selfsigned";
	o->cert.domain = "lab.example";
	o->cert.days_left = -1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_OUT: o->cert.out = optarg; break;
		case O_SCEN: o->cert.scenario = optarg; break;
		case O_DOMAIN: o->cert.domain = optarg; break;
		case O_REAL: o->real_ports = true; break;
		case O_BASE:
			o->addr_base = optarg;
			o->real_ports = true;
			break;
		case O_KEEP: o->cert.keep_keys = true; break;
		case O_RENEW: o->cert.renew = true; break;
		case O_FG: o->daemon = false; break;
		case O_DAEMON: o->daemon = true; break;
		case O_STOP: o->stop = true; break;
		case O_DAYS:
			errno = 0;
			o->cert.days_left = (int)strtol(optarg, &end, 10);
			if (errno || *end || o->cert.days_left < 0 || o->cert.days_left > 36500) {
				fprintf(stderr, "uccx-lab: --days-left wants 0..36500\n");
				return -1;
			}
			break;
		case O_STALL:
		case O_DOWN:
			if ((c == O_STALL ? o->nstall : o->ndown) >= LAB_NHOSTS) {
				fprintf(stderr, "uccx-lab: too many --stall/--down\n");
				return -1;
			}
			if (c == O_STALL)
				o->stall[o->nstall++] = optarg;
			else
				o->down[o->ndown++] = optarg;
			break;
		case O_NOHTTP:
			if (o->nno_http >= LAB_NHOSTS) {
				fprintf(stderr, "uccx-lab: too many --no-http\n");
				return -1;
			}
			o->no_http[o->nno_http++] = optarg;
			break;
		case 'h': lab_usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind < argc || !o->cert.out || !*o->cert.out) {
		fprintf(stderr, "uccx-lab: %s\n",
			optind < argc ? "unexpected argument" : "--out DIR is required");
		return -1;
	}
	if (strlen(o->cert.domain) > 200 || strlen(o->cert.out) > 3000) {
		fprintf(stderr, "uccx-lab: --domain or --out too long\n");
		return -1;
	}
	return 0;
}

/* ---- set-up ----------------------------------------------------------- */

static int lab_hosts_setup(const struct lab_options *o)
{
	struct in_addr base;

	if (lab_scenario_apply(o->cert.scenario, o->cert.domain, lab_hosts) != 0) {
		fprintf(stderr, "uccx-lab: unknown scenario '%s' (one of: %s)\n", o->cert.scenario,
			lab_scenario_names());
		return -1;
	}
	if (o->addr_base && inet_pton(AF_INET, o->addr_base, &base) != 1) {
		fprintf(stderr, "uccx-lab: --addr-base wants an IPv4 address\n");
		return -1;
	}
	for (int h = 0; h < LAB_NHOSTS; h++) {
		struct lab_host *host = &lab_hosts[h];

		host->stall = lab_host_listed(host, o->stall, o->nstall);
		host->down = lab_host_listed(host, o->down, o->ndown);
		host->no_http = lab_host_listed(host, o->no_http, o->nno_http);
		if (!o->real_ports) {
			snprintf(host->ip, sizeof(host->ip), "127.0.0.1");
		} else if (o->addr_base) {
			struct in_addr a = {.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)h)};

			inet_ntop(AF_INET, &a, host->ip, sizeof(host->ip));
		} else {
			snprintf(host->ip, sizeof(host->ip), "%s", lab_real_ips[h]);
		}
	}
	for (int i = 0; i < o->nstall + o->ndown + o->nno_http; i++) {
		const char *name = i < o->nstall ? o->stall[i]
				   : i < o->nstall + o->ndown
					   ? o->down[i - o->nstall]
					   : o->no_http[i - o->nstall - o->ndown];
		bool found = false;

		for (int h = 0; h < LAB_NHOSTS; h++)
			found = found || lab_host_listed(&lab_hosts[h], &name, 1);
		if (!found) {
			fprintf(stderr, "uccx-lab: no lab host called '%s'\n", name);
			return -1;
		}
	}
	return 0;
}

/* Opens one listening socket; port 0 picks an ephemeral port. For a host
 * that is down, the socket is bound but never listens, then closed: the
 * port it got is one that refuses connections. */
static int lab_listen(const char *ip, int port, bool listening, int *bound_port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (listening && listen(fd, 128) != 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		goto err;
	*bound_port = ntohs(sa.sin_port);
	if (!listening) {
		close(fd);
		return -1;
	}
	return fd;
err:
	fprintf(stderr, "uccx-lab: cannot listen on %s:%d: %s\n", ip, port, strerror(errno));
	if (fd >= 0)
		close(fd);
	*bound_port = -1;
	return -1;
}

static int lab_listeners_open(const struct lab_options *o)
{
	for (int h = 0; h < LAB_NHOSTS; h++) {
		struct lab_host *host = &lab_hosts[h];
		int nports = h < 2 ? 5 : 1;
		SSL_CTX *ctx[LAB_MAX_IDS] = {NULL, NULL};

		for (int k = 0; k < host->nids && !host->down && !host->stall; k++)
			if (!(ctx[k] = lab_identity_ctx(&host->ids[k])))
				return -1;
		for (int p = 0; p < nports; p++) {
			struct lab_listener *l = &lab_listeners[lab_nlisteners++];
			int k = lab_uccx_ports[p] == 7443 ? 1 : 0;

			l->host = host;
			l->id = &host->ids[k];
			l->ctx = ctx[k];
			l->port = lab_uccx_ports[p];
			if (o->real_ports && host->down) {
				l->fd = -1;
				l->bound_port = l->port;
				continue;
			}
			l->fd = lab_listen(host->ip, o->real_ports ? l->port : 0, !host->down,
					   &l->bound_port);
			if (l->bound_port < 0)
				return -1;
		}
	}
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
lab_append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	int n;
	char *grown;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || !(grown = realloc(*buf, *len + (size_t)n + 1)))
		return -1;
	memcpy(grown + *len, line, (size_t)n + 1);
	*buf = grown;
	*len += (size_t)n;
	return 0;
}

/* Writes connect-to.txt, hosts.txt, fingerprints.txt and the chains as sent. */
static int lab_outputs_write(const char *dir, char **connect_to)
{
	char *hosts = NULL, *fps = NULL, path[4096], fp[100];
	size_t clen = 0, hlen = 0, flen = 0;
	int rc = -1;

	*connect_to = NULL;
	for (int i = 0; i < lab_nlisteners; i++) {
		const struct lab_listener *l = &lab_listeners[i];

		if (lab_append(connect_to, &clen, "%s:%d:%s:%d\n", l->host->name, l->port,
			       l->host->ip, l->bound_port) != 0)
			goto out;
		if (l->fd < 0 || l->host->stall) {
			/* It serves no certificate: drop one left by an earlier run. */
			snprintf(path, sizeof(path), "%s/%s-%d.pem", dir, l->host->name, l->port);
			unlink(path);
			continue;
		}
		lab_fingerprint(l->id->leaf, fp, sizeof(fp));
		if (lab_append(&fps, &flen, "%s:%d %s\n", l->host->name, l->port, fp) != 0 ||
		    lab_chain_write(dir, l->host->name, l->port, l->id) != 0)
			goto out;
	}
	for (int h = 0; h < LAB_NHOSTS; h++)
		if (lab_append(&hosts, &hlen, "%s %s\n", lab_hosts[h].ip, lab_hosts[h].name) != 0)
			goto out;
	snprintf(path, sizeof(path), "%s/connect-to.txt", dir);
	if (lab_write_file(path, *connect_to, clen, 0644) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/hosts.txt", dir);
	if (lab_write_file(path, hosts, hlen, 0644) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/fingerprints.txt", dir);
	rc = lab_write_file(path, fps ? fps : "", flen, 0644);
out:
	if (rc != 0)
		fprintf(stderr, "uccx-lab: cannot write the lab's files in %s\n", dir);
	free(hosts);
	free(fps);
	return rc;
}

/* ---- serving ---------------------------------------------------------- */

struct lab_conn {
	int fd;
	const struct lab_listener *listener;
};

/* --stall: take the ClientHello and never answer, until the client gives
 * up or LAB_STALL_S passes. --no-http: the same after the handshake, so the
 * request is read (still encrypted) and never answered. */
static void lab_conn_stall(int fd)
{
	long deadline = lab_now_ms() + LAB_STALL_S * 1000L;
	char sink[4096];

	for (long left; (left = deadline - lab_now_ms()) > 0;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int n = poll(&pfd, 1, (int)left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || recv(fd, sink, sizeof(sink), 0) <= 0)
			return;
	}
}

/* Copies the request path into out, HTML-escaped, at most about outlen. */
static void lab_path_escape(const char *path, size_t plen, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < plen && o + 7 < outlen; i++) {
		unsigned char c = (unsigned char)path[i];
		const char *ent = c == '&'    ? "&amp;"
				  : c == '<'  ? "&lt;"
				  : c == '>'  ? "&gt;"
				  : c == '"'  ? "&quot;"
				  : c == '\'' ? "&#39;"
					      : NULL;

		if (ent) {
			memcpy(out + o, ent, strlen(ent));
			o += strlen(ent);
		} else {
			out[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	out[o] = '\0';
}

static int lab_ssl_write_all(SSL *ssl, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		int n = SSL_write(ssl, buf + done, (int)(len - done));

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Reads one request head (bounded in size and time) and answers it. */
static void lab_conn_answer(SSL *ssl, const struct lab_listener *l)
{
	char req[8192], path[1100], body[2048], head[512];
	size_t got = 0;
	long deadline = lab_now_ms() + LAB_READ_TIMEOUT_S * 1000L;
	const char *sp1, *sp2;
	bool head_only;
	int blen, hlen;

	while (got < sizeof(req) - 1 && lab_now_ms() < deadline) {
		int n = SSL_read(ssl, req + got, (int)(sizeof(req) - 1 - got));

		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	sp1 = strchr(req, ' ');
	sp2 = sp1 ? strpbrk(sp1 + 1, " \r\n") : NULL;
	if (!sp1 || !sp2 || sp1 == req || sp1[1] != '/') {
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
					  "Connection: close\r\n\r\n";

		if (got > 0)
			lab_ssl_write_all(ssl, bad, sizeof(bad) - 1);
		return;
	}
	head_only = sp1 - req == 4 && memcmp(req, "HEAD", 4) == 0;
	lab_path_escape(sp1 + 1, (size_t)(sp2 - sp1 - 1), path, sizeof(path));
	blen = snprintf(
		body, sizeof(body),
		"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>uccx-lab</title></head>\n"
		"<body><h1>UCCX lab</h1>\n<p id=\"marker\">UCCX-LAB-OK host=%s port=%d role=%s path=%s</p>\n"
		"</body></html>\n",
		l->host->name, l->port, l->port == 7443 ? "notification" : "tomcat", path);
	hlen = snprintf(
		head, sizeof(head),
		"HTTP/1.1 200 OK\r\nServer: uccx-lab\r\nContent-Type: text/html; charset=utf-8\r\n"
		"Content-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
		blen);
	if (lab_ssl_write_all(ssl, head, (size_t)hlen) == 0 && !head_only)
		lab_ssl_write_all(ssl, body, (size_t)blen);
}

static void *lab_conn_run(void *arg)
{
	struct lab_conn *conn = arg;
	struct timeval tv = {.tv_sec = LAB_READ_TIMEOUT_S};
	SSL *ssl = NULL;

	setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (conn->listener->host->stall) {
		lab_conn_stall(conn->fd);
		goto out;
	}
	ssl = SSL_new(__atomic_load_n(&conn->listener->ctx, __ATOMIC_ACQUIRE));
	if (!ssl || !SSL_set_fd(ssl, conn->fd) || SSL_accept(ssl) != 1)
		goto out;
	if (conn->listener->host->no_http) {
		lab_conn_stall(conn->fd);
		goto out;
	}
	lab_conn_answer(ssl, conn->listener);
	SSL_shutdown(ssl);
out:
	/* Garbage, resets and timeouts all end here; nothing is fatal. */
	ERR_clear_error();
	SSL_free(ssl);
	close(conn->fd);
	free(conn);
	atomic_fetch_sub(&lab_live_conns, 1);
	return NULL;
}

static void lab_accept_all(const struct lab_listener *l, pthread_attr_t *attr)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		struct lab_conn *conn;
		pthread_t thread;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
				struct timespec pause = {.tv_nsec = 50 * 1000000L};

				nanosleep(&pause, NULL); /* do not spin while out of resources */
			}
			return;
		}
		if (atomic_fetch_add(&lab_live_conns, 1) >= LAB_MAX_CONNS) {
			atomic_fetch_sub(&lab_live_conns, 1);
			close(fd);
			continue;
		}
		conn = malloc(sizeof(*conn));
		if (conn) {
			conn->fd = fd;
			conn->listener = l;
		}
		if (!conn || pthread_create(&thread, attr, lab_conn_run, conn) != 0) {
			free(conn);
			close(fd);
			atomic_fetch_sub(&lab_live_conns, 1);
		}
	}
}

static void lab_on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (write(lab_signal_pipe[1], &b, 1) < 0) {
		/* The pipe is full: a stop is already pending. */
	}
	errno = saved;
}

static int lab_outputs_write(const char *dir, char **connect_to);

/*
 * SIGUSR1: uccx1's Tomcat certificate is regenerated (new key, new leaf),
 * served from the next connection on; the files of DIR are rewritten and
 * DIR/regenerated counts the regenerations, written last so that a test
 * waiting for it finds the new fingerprints. A context in use by a
 * connection is never freed: each regeneration leaves one behind.
 */
static void lab_regenerate(void)
{
	struct lab_identity *id = &lab_hosts[0].ids[0];
	char *connect_to = NULL, count[32], path[4096];
	SSL_CTX *ctx;

	if (lab_identity_regenerate(lab_certopts, id, &lab_ca, 0) != 0 ||
	    (ctx = lab_identity_ctx(id)) == NULL)
		return;
	for (int i = 0; i < lab_nlisteners; i++)
		if (lab_listeners[i].id == id)
			__atomic_store_n(&lab_listeners[i].ctx, ctx, __ATOMIC_RELEASE);
	if (lab_outputs_write(lab_certopts->out, &connect_to) != 0)
		return;
	free(connect_to);
	snprintf(count, sizeof(count), "%u\n", ++lab_regenerated);
	snprintf(path, sizeof(path), "%s/regenerated", lab_certopts->out);
	if (lab_write_file(path, count, strlen(count), 0644) == 0)
		printf("uccx-lab: %s's certificate regenerated (%u)\n", lab_hosts[0].name,
		       lab_regenerated);
	fflush(stdout);
}

/* Serves until SIGTERM or SIGINT; SIGUSR1 regenerates uccx1's certificate. */
static void lab_serve(void)
{
	struct pollfd pfds[LAB_MAX_LISTENERS + 1];
	const struct lab_listener *owner[LAB_MAX_LISTENERS + 1];
	pthread_attr_t attr;
	int n = 0;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pfds[n++] = (struct pollfd){.fd = lab_signal_pipe[0], .events = POLLIN};
	for (int i = 0; i < lab_nlisteners; i++) {
		if (lab_listeners[i].fd < 0)
			continue;
		owner[n] = &lab_listeners[i];
		pfds[n++] = (struct pollfd){.fd = lab_listeners[i].fd, .events = POLLIN};
	}
	for (;;) {
		if (poll(pfds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "uccx-lab: poll: %s\n", strerror(errno));
			return;
		}
		if (pfds[0].revents) {
			unsigned char sig = SIGUSR1;

			while (read(lab_signal_pipe[0], &sig, 1) == 1 && sig == SIGUSR1)
				lab_regenerate();
			if (sig != SIGUSR1)
				return;
			continue;
		}
		for (int i = 1; i < n; i++)
			if (pfds[i].revents & POLLIN)
				lab_accept_all(owner[i], &attr);
	}
}

static int lab_signals_init(void)
{
	struct sigaction sa = {.sa_handler = lab_on_signal};

	/* A client that resets mid-write must not kill the lab. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(lab_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGUSR1, &sa, NULL) != 0)
		return -1;
	return 0;
}

static int lab_start(const struct lab_options *o, char **connect_to)
{
	const char *dir = o->cert.out;
	pid_t running = lab_pid_read(dir);

	if ((mkdir(dir, 0755) != 0 && errno != EEXIST)) {
		fprintf(stderr, "uccx-lab: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (lab_pid_is_lab(running)) {
		fprintf(stderr, "uccx-lab: a lab (pid %ld) already serves %s; stop it first\n",
			(long)running, dir);
		return -1;
	}
	lab_files_remove(dir);
	lab_certopts = &o->cert;
	if (lab_signals_init() != 0 || lab_hosts_setup(o) != 0 ||
	    lab_certs_make(&o->cert, lab_hosts, &lab_ca) != 0 || lab_listeners_open(o) != 0 ||
	    lab_outputs_write(dir, connect_to) != 0)
		return -1;
	return 0;
}

static void lab_report(const struct lab_options *o, const char *argv0, const char *connect_to,
		       int opened, long elapsed_ms)
{
	printf("%s", connect_to);
	printf("lab ready: scenario %s, %d listeners (started in %ld ms); stop with: "
	       "%s --stop --out %s\n",
	       o->cert.scenario, opened, elapsed_ms, argv0, o->cert.out);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct lab_options o = {0};
	char *connect_to = NULL;
	long t0 = lab_now_ms();
	int opened = 0;

	if (lab_parse_args(argc, argv, &o) != 0) {
		fprintf(stderr, "uccx-lab: try --help\n");
		return 2;
	}
	if (o.stop)
		return lab_stop(o.cert.out) == 0 ? 0 : 1;
	if (lab_start(&o, &connect_to) != 0)
		return 1;
	for (int i = 0; i < lab_nlisteners; i++)
		opened += lab_listeners[i].fd >= 0;
	fflush(NULL);
	if (o.daemon) {
		pid_t child = fork();

		if (child < 0) {
			perror("uccx-lab: fork");
			return 1;
		}
		if (child > 0) {
			if (lab_daemon_wait(o.cert.out, child) != 0)
				return 1;
			lab_report(&o, argv[0], connect_to, opened, lab_now_ms() - t0);
			return 0;
		}
		if (lab_daemon_detach(o.cert.out) != 0)
			_exit(1);
	}
	if (lab_mark(o.cert.out, "lab.pid") != 0 || lab_mark(o.cert.out, "ready") != 0)
		_exit(1);
	if (!o.daemon)
		lab_report(&o, argv[0], connect_to, opened, lab_now_ms() - t0);
	lab_serve();
	lab_files_remove(o.cert.out);
	for (int i = 0; i < lab_nlisteners; i++)
		if (lab_listeners[i].fd >= 0)
			close(lab_listeners[i].fd);
	fflush(NULL);
	/* _exit: connection threads may still hold OpenSSL objects, which
	 * exit()'s OpenSSL clean-up would pull from under them. */
	_exit(0);
}
