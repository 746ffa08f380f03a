/*
 * http.c: the collector's HTTP API over libmicrohttpd (a thread per
 * connection, so a request can sleep until its report is committed): report
 * ingestion, the fleet queries, Prometheus metrics and the dashboard page,
 * and the deadlines that keep slow clients from holding the connections.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "col.h"

/*
 * Where a connection is in its current request. libmicrohttpd's timeout is
 * an idle timeout, restarted by every byte: a client sending one header
 * line every few seconds would hold its connection (and one of the
 * --max-connections) for as long as it likes, without any token. So each
 * connection also has a deadline for the whole of its request headers and
 * one for the whole of its body; the reaper thread closes a connection that
 * misses one.
 *
 * Deadlines alone do not stop a flood: clients from many addresses (each
 * within --max-connections-per-address) that open a new connection as soon
 * as one is closed take every free slot before a genuine agent does, and
 * libmicrohttpd turns away what comes past --max-connections. So the
 * collector keeps a reserve: once more than seven eighths of
 * --max-connections are open (the high-water mark), each new connection
 * evicts the connection that has waited longest for its request headers.
 * A genuine agent sends its headers at once and then has its request
 * handled, so it is never the one waiting longest; a flooder is. The slots
 * above the mark absorb the connections accepted while evicted ones are
 * still closing (each has a thread that must wake up to close it).
 *
 * And the collector accepts connections itself (http_acceptor) instead of
 * letting libmicrohttpd do it: libmicrohttpd, with a thread per connection,
 * accepts and closes at once what comes past its limit, so a genuine agent
 * arriving while the evicted ones are still closing would be turned away.
 * At the limit the acceptor waits for a slot and leaves new connections in
 * the kernel's listen queue, where they keep their order: an agent's
 * connection is taken within a few evictions, never refused.
 *
 * libmicrohttpd reports a connection closed just before it closes the
 * socket, so a slot is freed only once the socket is really gone: the
 * closed connection waits on a list until its descriptor no longer names
 * the same socket (fstat's inode). Then --max-connections bounds the open
 * sockets themselves, not only the connections being served.
 */
enum http_phase {
	HTTP_PHASE_HEADERS,  /* from accept or the end of the last request */
	HTTP_PHASE_BODY,     /* a report's body is being received */
	HTTP_PHASE_HANDLING, /* all received: no deadline (the idle timeout stays) */
};

struct http_conn {
	struct http_conn *prev, *next;
	MHD_socket fd;
	ino_t ino; /* the socket's inode, to see it closed (see above) */
	enum http_phase phase;
	int64_t deadline_ms; /* monotonic; 0: none */
	int cut;
};

struct col_server {
	struct MHD_Daemon *daemon;
	struct col_db *db;
	struct col_writer *writer;
	const struct col_tokens *agent, *admin;
	const struct col_trust_key *trust_key;
	unsigned trust_validity_days;
	size_t max_body;
	unsigned header_timeout_ms, body_timeout_ms;
	atomic_uint_fast64_t received, duplicates, rejected[COL_REJ_COUNT], db_errors;
	atomic_uint_fast64_t cut_headers, cut_body, evicted;
	atomic_int in_flight;
	/* The connections and their deadlines, under conns_lock. */
	pthread_mutex_t conns_lock;
	pthread_cond_t reaper_wake;
	pthread_t reaper;
	int reaper_started, stopping;
	struct http_conn *conns;
	struct http_conn *closing; /* reported closed, socket maybe still open */
	unsigned admitted;         /* accepted and its socket not closed yet */
	unsigned open;             /* connections in conns not yet cut */
	unsigned high_water;       /* past it, a new connection evicts (see above) */
	unsigned max_connections;
	/* The acceptor: it waits on slot_free (under conns_lock) at the limit. */
	int listen_fd;
	pthread_t acceptor;
	pthread_cond_t slot_free;
	int acceptor_started, accepting_stopped;
};

/* One request's state, from its first callback to the completion notice. */
struct http_req {
	char *body;
	size_t len, cap;
	int too_large;
};

#define API "/api/v1"

static enum MHD_Result http_send(struct MHD_Connection *c, unsigned status, const char *type,
				 char *text, size_t len, int must_free)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(len, text,
					       must_free ? MHD_RESPMEM_MUST_FREE
							 : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		if (must_free)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"uccx-trust-collector\"");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result http_json(struct MHD_Connection *c, unsigned status, char *json)
{
	if (json == NULL)
		return MHD_NO;
	return http_send(c, status, "application/json", json, strlen(json), 1);
}

/*
 * {"error": message}, in ASCII (jansson writes \uXXXX). A message may quote
 * the rejected document (jansson's own messages do), which need not be
 * UTF-8: jansson refuses such a string, and it is then sent with every byte
 * outside ASCII shown as '?'.
 */
static enum MHD_Result http_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	json_t *doc = json_pack("{s:s}", "error", msg);
	char *ascii, *p;

	if (doc == NULL) {
		if ((ascii = strdup(msg)) == NULL)
			return MHD_NO;
		for (p = ascii; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		doc = json_pack("{s:s}", "error", ascii);
		free(ascii);
	}
	if (doc == NULL)
		return MHD_NO;
	p = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(doc);
	return http_json(c, status, p);
}

static enum MHD_Result http_reject(struct col_server *s, struct MHD_Connection *c,
				   enum col_reject why, unsigned status, const char *msg)
{
	atomic_fetch_add(&s->rejected[why], 1);
	if (why == COL_REJ_STORAGE)
		atomic_fetch_add(&s->db_errors, 1);
	return http_error(c, status, msg);
}

/* The request's bearer token, or NULL. */
static const char *http_bearer(struct MHD_Connection *c)
{
	const char *h =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

static int http_authorized(struct MHD_Connection *c, const struct col_tokens *tokens)
{
	return col_tokens_match(tokens, http_bearer(c));
}

/* ---- deadlines ---- */

static int64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Moves the connection of c to phase, with that phase's deadline. */
static void http_phase(struct col_server *s, struct MHD_Connection *c, enum http_phase phase)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_conn *hc = ci != NULL ? ci->socket_context : NULL;

	if (hc == NULL)
		return;
	pthread_mutex_lock(&s->conns_lock);
	hc->phase = phase;
	hc->deadline_ms = phase == HTTP_PHASE_HEADERS ? http_now_ms() + s->header_timeout_ms
			  : phase == HTTP_PHASE_BODY  ? http_now_ms() + s->body_timeout_ms
						      : 0;
	pthread_mutex_unlock(&s->conns_lock);
}

/* Closes hc's connection (under conns_lock): see http_reaper. */
static void http_cut(struct col_server *s, struct http_conn *hc)
{
	shutdown(hc->fd, SHUT_RDWR);
	hc->cut = 1;
	s->open--;
}

/*
 * Past the high-water mark, evicts the connections that have waited longest
 * for their request headers (the earliest header deadline), never fresh,
 * until the mark is met again; under conns_lock. A connection whose request
 * is being received or handled is never evicted: when every other one is,
 * the acceptor waits at --max-connections for one to finish.
 */
static void http_evict(struct col_server *s, const struct http_conn *fresh)
{
	struct http_conn *hc, *oldest;

	while (s->open > s->high_water) {
		oldest = NULL;
		for (hc = s->conns; hc != NULL; hc = hc->next)
			if (hc != fresh && !hc->cut && hc->phase == HTTP_PHASE_HEADERS &&
			    (oldest == NULL || hc->deadline_ms < oldest->deadline_ms))
				oldest = hc;
		if (oldest == NULL)
			return;
		http_cut(s, oldest);
		atomic_fetch_add(&s->evicted, 1);
	}
}

/* Set by the notice that a connection started, in the acceptor's thread. */
static __thread int http_started_here;

/* The inode of the socket fd; 0 when it cannot be read. */
static ino_t http_inode(MHD_socket fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/*
 * Frees the slots of the closed connections whose sockets are gone (under
 * conns_lock). A descriptor that no longer opens, or now opens another
 * socket, was closed.
 */
static void http_release_closed(struct col_server *s)
{
	struct http_conn **at = &s->closing, *hc;

	while ((hc = *at) != NULL) {
		if (hc->ino != 0 && http_inode(hc->fd) == hc->ino) {
			at = &hc->next;
			continue;
		}
		*at = hc->next;
		free(hc);
		s->admitted--;
		pthread_cond_signal(&s->slot_free);
	}
}

static void http_conn_started(struct col_server *s, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci;
	struct http_conn *hc;

	http_started_here = 1;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || (hc = calloc(1, sizeof(*hc))) == NULL)
		return; /* untracked: the idle timeout still applies */
	hc->fd = ci->connect_fd;
	hc->ino = http_inode(hc->fd);
	hc->phase = HTTP_PHASE_HEADERS;
	hc->deadline_ms = http_now_ms() + s->header_timeout_ms;
	pthread_mutex_lock(&s->conns_lock);
	hc->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = hc;
	s->conns = hc;
	s->open++;
	http_evict(s, hc);
	pthread_mutex_unlock(&s->conns_lock);
	*socket_context = hc;
}

/*
 * Tracks every connection from accept to close. libmicrohttpd reports the
 * close before it closes the socket, and the reaper only touches a socket
 * under the same lock and while its connection is in conns, so it never
 * shuts down a descriptor that has been closed and reused meanwhile. The
 * slot is freed once the socket is gone (http_release_closed).
 */
static void http_notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct col_server *s = cls;
	struct http_conn *hc = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		http_conn_started(s, c, socket_context);
		return;
	}
	pthread_mutex_lock(&s->conns_lock);
	if (hc == NULL) { /* untracked: its slot is freed at once */
		s->admitted--;
		pthread_cond_signal(&s->slot_free);
		pthread_mutex_unlock(&s->conns_lock);
		return;
	}
	if (hc->prev != NULL)
		hc->prev->next = hc->next;
	else
		s->conns = hc->next;
	if (hc->next != NULL)
		hc->next->prev = hc->prev;
	if (!hc->cut)
		s->open--;
	hc->prev = NULL;
	hc->next = s->closing;
	s->closing = hc;
	pthread_cond_signal(&s->slot_free); /* the acceptor watches it close */
	pthread_mutex_unlock(&s->conns_lock);
	*socket_context = NULL;
}

/* Waits on cond (lock held) until it is signalled or ms (under 1000) pass. */
static void http_wait_ms(pthread_cond_t *cond, pthread_mutex_t *lock, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, lock, &ts);
}

/*
 * Closes the connections past their deadline. Shutting the socket down
 * makes the connection's own thread see the end of the stream and close it
 * the usual way (the completion callbacks run, the slot is freed).
 */
static void *http_reaper(void *arg)
{
	struct col_server *s = arg;
	struct http_conn *hc;
	int64_t now;

	pthread_mutex_lock(&s->conns_lock);
	while (!s->stopping) {
		now = http_now_ms();
		for (hc = s->conns; hc != NULL; hc = hc->next) {
			if (hc->cut || hc->deadline_ms == 0 || now < hc->deadline_ms)
				continue;
			http_cut(s, hc);
			atomic_fetch_add(hc->phase == HTTP_PHASE_BODY ? &s->cut_body
								      : &s->cut_headers,
					 1);
		}
		http_release_closed(s);
		/* A deadline is met within a fifth of a second. */
		http_wait_ms(&s->reaper_wake, &s->conns_lock, 200);
	}
	pthread_mutex_unlock(&s->conns_lock);
	return NULL;
}

/* ---- accepting ---- */

/*
 * Waits until fewer than --max-connections sockets are open, then counts one
 * more; returns 0 (counting nothing) once the server stops accepting. While
 * a closed connection's socket is still open, it looks again every 5 ms.
 */
static int http_admit(struct col_server *s)
{
	int go;

	pthread_mutex_lock(&s->conns_lock);
	for (;;) {
		http_release_closed(s);
		if (s->accepting_stopped || s->admitted < s->max_connections)
			break;
		if (s->closing == NULL) {
			pthread_cond_wait(&s->slot_free, &s->conns_lock);
			continue;
		}
		http_wait_ms(&s->slot_free, &s->conns_lock, 5);
	}
	go = !s->accepting_stopped;
	if (go)
		s->admitted++;
	pthread_mutex_unlock(&s->conns_lock);
	return go;
}

static void http_unadmit(struct col_server *s)
{
	pthread_mutex_lock(&s->conns_lock);
	s->admitted--;
	pthread_cond_signal(&s->slot_free);
	pthread_mutex_unlock(&s->conns_lock);
}

/* Accepts connections and hands them to libmicrohttpd, one slot at a time. */
static void *http_acceptor(void *arg)
{
	struct col_server *s = arg;
	struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
	struct sockaddr_storage addr;
	socklen_t len;
	int fd;

	while (http_admit(s)) {
		if (poll(&pfd, 1, 200) <= 0) {
			http_unadmit(s);
			continue;
		}
		len = sizeof(addr);
		fd = accept4(s->listen_fd, (struct sockaddr *)&addr, &len,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			http_unadmit(s);
			/* Out of descriptors: the connections queue meanwhile. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				usleep(100 * 1000);
			continue;
		}
		/* It closes fd itself when it refuses it (the per-address limit).
		 * One that it started is counted off when it is reported closed,
		 * even when it is refused afterwards. */
		http_started_here = 0;
		if (MHD_add_connection(s->daemon, fd, (struct sockaddr *)&addr, len) != MHD_YES &&
		    !http_started_here)
			http_unadmit(s);
	}
	return NULL;
}

/* Stops the acceptor and closes the listening socket; idempotent. */
static void http_stop_accepting(struct col_server *s)
{
	pthread_mutex_lock(&s->conns_lock);
	s->accepting_stopped = 1;
	pthread_cond_signal(&s->slot_free);
	pthread_mutex_unlock(&s->conns_lock);
	if (s->acceptor_started) {
		pthread_join(s->acceptor, NULL);
		s->acceptor_started = 0;
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
	}
}

/* The listening socket on ss; its port in *port. */
static int http_listen(struct col_server *s, const struct sockaddr_storage *ss, unsigned len,
		       unsigned *port, struct col_err *err)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int one = 1;

	s->listen_fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto err;
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(s->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->listen_fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(s->listen_fd, 512) < 0 ||
	    getsockname(s->listen_fd, (struct sockaddr *)&bound, &blen) < 0)
		goto err;
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return 0;
err:
	col_err_set(err, COL_REJ_CONFIG,
		    "cannot listen: %s; choose a free address and port "
		    "with --listen",
		    strerror(errno));
	return -1;
}

/* ---- POST /api/v1/reports ---- */

/*
 * The body's declared length: -1 past the limit, so that it is refused
 * before any of it is read; otherwise 0, with one allocation of the
 * declared size instead of doubling as it comes.
 */
static int http_body_begin(struct col_server *s, struct MHD_Connection *c, struct http_req *rq)
{
	const char *cl =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;

	if (cl == NULL || sscanf(cl, "%llu", &n) != 1)
		return 0;
	if (n > s->max_body)
		return -1;
	if (n > 0 && (rq->body = malloc((size_t)n + 1)) != NULL)
		rq->cap = (size_t)n + 1;
	return 0;
}

static enum MHD_Result http_report_begin(struct col_server *s, struct MHD_Connection *c,
					 struct http_req *rq)
{
	if (!http_authorized(c, s->agent))
		return http_reject(s, c, COL_REJ_UNAUTHORIZED, MHD_HTTP_UNAUTHORIZED,
				   "a valid agent token is required");
	if (http_body_begin(s, c, rq) < 0)
		return http_reject(s, c, COL_REJ_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the report is larger than the collector accepts");
	return MHD_YES;
}

static void http_report_chunk(struct col_server *s, struct http_req *rq, const char *data,
			      size_t size)
{
	/* Chunked bodies have no declared length: past the limit the rest is
	 * read and dropped, never buffered. */
	if (rq->too_large || rq->len + size > s->max_body) {
		rq->too_large = 1;
		return;
	}
	if (rq->len + size + 1 > rq->cap) {
		size_t cap = rq->cap ? rq->cap : 16384;
		char *p;
		while (cap < rq->len + size + 1)
			cap *= 2;
		if ((p = realloc(rq->body, cap)) == NULL) {
			rq->too_large = 1;
			return;
		}
		rq->body = p;
		rq->cap = cap;
	}
	memcpy(rq->body + rq->len, data, size);
	rq->len += size;
}

static enum MHD_Result http_report_end(struct col_server *s, struct MHD_Connection *c,
				       struct http_req *rq)
{
	struct col_report *r = NULL;
	struct col_err err = {0};
	char out[96];
	int dup;

	if (rq->too_large)
		return http_reject(s, c, COL_REJ_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the report is larger than the collector accepts");
	if (col_report_parse(rq->body ? rq->body : "", rq->len, &r, &err) < 0) {
		unsigned status = err.reason == COL_REJ_STORAGE ? MHD_HTTP_SERVICE_UNAVAILABLE
								: MHD_HTTP_BAD_REQUEST;
		return http_reject(s, c, err.reason, status, err.msg);
	}
	if (col_writer_submit(s->writer, r, &dup, &err) < 0) {
		col_log("error", "storing report %s from %s: %s", r->report_id, r->host_name,
			err.msg);
		col_report_free(r);
		return http_reject(s, c, COL_REJ_STORAGE, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "the report could not be stored; send it again later");
	}
	atomic_fetch_add(dup ? &s->duplicates : &s->received, 1);
	snprintf(out, sizeof(out), "{\"id\":\"%s\",\"duplicate\":%s}", r->report_id,
		 dup ? "true" : "false");
	col_report_free(r);
	return http_json(c, MHD_HTTP_ACCEPTED, strdup(out));
}

/* ---- GET ---- */

static int http_arg_uint(struct MHD_Connection *c, const char *key, unsigned long max,
			 unsigned long *out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
	char *end;

	if (v == NULL)
		return 0;
	*out = strtoul(v, &end, 10);
	if (end == v || *end != '\0' || *out > max || v[0] == '-')
		return -1;
	return 1;
}

/*
 * The link to the next page: path and the request's own filters (kv: key,
 * value pairs, NULL values skipped, ended by a NULL key), escaped; the
 * store appends the cursor. 0, or -1 when it does not fit in buf.
 */
static int http_link(char *buf, size_t len, const char *path, const char *const *kv)
{
	size_t n;

	snprintf(buf, len, "%s", path);
	for (; kv[0] != NULL; kv += 2) {
		if (kv[1] == NULL)
			continue;
		n = strlen(buf);
		if (snprintf(buf + n, len - n, "%s%s=", strchr(buf, '?') ? "&" : "?", kv[0]) >=
			    (int)(len - n) ||
		    col_url_append_escaped(buf, len, kv[1]) < 0)
			return -1;
	}
	return 0;
}

static enum MHD_Result http_hosts(struct col_server *s, struct MHD_Connection *c)
{
	struct col_host_query q = {.limit = 100};
	struct col_err err = {0};
	unsigned long v;
	const char *order;
	char *out, lim[24], link[8192];
	int64_t now = (int64_t)time(NULL);
	int rc;

	q.state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	if (q.state != NULL && strcmp(q.state, "trusted") != 0 && strcmp(q.state, "problem") != 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "state: trusted or problem");
	q.endpoint = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "endpoint");
	q.after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	if ((rc = http_arg_uint(c, "expiring_within", 36500, &v)) < 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "expiring_within: a number of days");
	if (rc > 0)
		q.expiring_before = now + (int64_t)v * 86400;
	if ((rc = http_arg_uint(c, "limit", 1000, &v)) < 0 || (rc > 0 && v == 0))
		return http_error(c, MHD_HTTP_BAD_REQUEST, "limit: 1 to 1000");
	if (rc > 0)
		q.limit = v;
	if ((rc = http_arg_uint(c, "offset", 100000000, &v)) < 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "offset: a number");
	q.offset = rc > 0 ? v : 0;
	order = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "order");
	if (order != NULL && strcmp(order, "problems") != 0 && strcmp(order, "name") != 0)
		return http_error(c, MHD_HTTP_BAD_REQUEST, "order: name or problems");
	q.problems_first = order != NULL && strcmp(order, "problems") == 0;
	snprintf(lim, sizeof(lim), "%zu", q.limit);
	{
		const char *kv[] = {
			"state",
			q.state,
			"endpoint",
			q.endpoint,
			"expiring_within",
			MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "expiring_within"),
			"order",
			order,
			"limit",
			lim,
			NULL};
		q.link = http_link(link, sizeof(link), API "/hosts", kv) == 0 ? link : NULL;
	}
	if (col_db_hosts_json(s->db, &q, now, &out, &err) < 0)
		return http_reject(s, c, COL_REJ_STORAGE, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
	return http_json(c, MHD_HTTP_OK, out);
}

static enum MHD_Result http_host(struct col_server *s, struct MHD_Connection *c, const char *name)
{
	struct col_err err = {0};
	char *out;

	if (col_db_host_json(s->db, name, &out, &err) < 0)
		return http_reject(s, c, COL_REJ_STORAGE, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
	if (out == NULL)
		return http_error(c, MHD_HTTP_NOT_FOUND, "no report from this host");
	return http_json(c, MHD_HTTP_OK, out);
}

static enum MHD_Result http_endpoints(struct col_server *s, struct MHD_Connection *c)
{
	struct col_endpoint_query q = {.limit = COL_ENDPOINTS_LIMIT};
	struct col_err err = {0};
	unsigned long v;
	char *out, lim[24], link[256];
	int rc;

	if ((rc = http_arg_uint(c, "limit", COL_ENDPOINTS_LIMIT_MAX, &v)) < 0 || (rc > 0 && v == 0))
		return http_error(c, MHD_HTTP_BAD_REQUEST,
				  "limit: 1 to " COL_STR(COL_ENDPOINTS_LIMIT_MAX));
	if (rc > 0)
		q.limit = v;
	q.after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	snprintf(lim, sizeof(lim), "%zu", q.limit);
	{
		const char *kv[] = {"limit", lim, NULL};
		q.link = http_link(link, sizeof(link), API "/endpoints", kv) == 0 ? link : NULL;
	}
	if (col_db_endpoints_json(s->db, &q, &out, &err) < 0)
		return http_reject(s, c, COL_REJ_STORAGE, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
	return http_json(c, MHD_HTTP_OK, out);
}

static void metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
		(unsigned long long)v);
}

static enum MHD_Result http_metrics(struct col_server *s, struct MHD_Connection *c)
{
	struct col_db_stats st;
	struct col_err err = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r, have_stats;

	have_stats = col_db_stats(s->db, &st, &err) == 0;
	if (!have_stats)
		atomic_fetch_add(&s->db_errors, 1);
	f = open_memstream(&text, &len);
	if (f == NULL)
		return MHD_NO;
	metric(f, "uccx_collector_reports_received_total", "counter",
	       "Reports accepted and stored since start.", atomic_load(&s->received));
	metric(f, "uccx_collector_reports_duplicate_total", "counter",
	       "Reports accepted whose report_id was already stored.", atomic_load(&s->duplicates));
	fputs("# HELP uccx_collector_reports_rejected_total Requests to the report endpoint turned "
	      "away, by reason.\n# TYPE uccx_collector_reports_rejected_total counter\n",
	      f);
	for (r = COL_REJ_UNAUTHORIZED; r < COL_REJ_CONFIG; r++)
		fprintf(f, "uccx_collector_reports_rejected_total{reason=\"%s\"} %llu\n",
			col_reject_name((enum col_reject)r),
			(unsigned long long)atomic_load(&s->rejected[r]));
	metric(f, "uccx_collector_db_errors_total", "counter", "Failed database operations.",
	       atomic_load(&s->db_errors));
	fprintf(f,
		"# HELP uccx_collector_connections_cut_total Connections closed because their "
		"request headers or body missed the deadline.\n"
		"# TYPE uccx_collector_connections_cut_total counter\n"
		"uccx_collector_connections_cut_total{phase=\"headers\"} %llu\n"
		"uccx_collector_connections_cut_total{phase=\"body\"} %llu\n",
		(unsigned long long)atomic_load(&s->cut_headers),
		(unsigned long long)atomic_load(&s->cut_body));
	metric(f, "uccx_collector_connections_evicted_total", "counter",
	       "Connections closed before their request headers were complete, to keep a "
	       "free slot while past seven eighths of --max-connections.",
	       atomic_load(&s->evicted));
	metric(f, "uccx_collector_commit_batches_total", "counter",
	       "Write transactions (each commits a group of reports).",
	       col_writer_batches(s->writer));
	if (have_stats) {
		metric(f, "uccx_collector_reports_stored", "gauge", "Reports in the database.",
		       (uint64_t)st.reports);
		metric(f, "uccx_collector_hosts", "gauge", "Hosts that have reported.",
		       (uint64_t)st.hosts);
		metric(f, "uccx_collector_hosts_with_problems", "gauge",
		       "Hosts whose latest report has an endpoint not trusted or a problem.",
		       (uint64_t)st.problem_hosts);
		metric(f, "uccx_collector_endpoints", "gauge", "Distinct endpoint URLs reported.",
		       (uint64_t)st.endpoints);
		metric(f, "uccx_collector_endpoints_several_fingerprints", "gauge",
		       "Endpoints for which hosts see more than one certificate.",
		       (uint64_t)st.multi_fp_endpoints);
	}
	fclose(f);
	return http_send(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len, 1);
}

static enum MHD_Result http_dashboard(struct MHD_Connection *c)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(col_dashboard_html_len, (void *)col_dashboard_html,
					       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	/* Everything is inline and only our own API is fetched. */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; script-src 'unsafe-inline'; "
				"style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
				"frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ---- approvals and the trust document ---- */

/*
 * Who is asking on an admin route (every route but the report, the trust
 * document and the page): the admin token's label, or NULL after answering
 * 401 (no token, or one the collector does not know) or 403 (an agent's
 * token: known, but not allowed).
 */
static const char *http_admin(struct col_server *s, struct MHD_Connection *c,
			      enum MHD_Result *answered)
{
	const char *label = col_tokens_label(s->admin, http_bearer(c));

	if (label != NULL)
		return label;
	if (http_authorized(c, s->agent))
		*answered = http_error(c, MHD_HTTP_FORBIDDEN,
				       "this needs an admin token; the agent token only "
				       "sends reports and reads /api/v1/trust");
	else
		*answered = http_error(c, MHD_HTTP_UNAUTHORIZED, "a valid admin token is required");
	return NULL;
}

static const char *http_arg(struct MHD_Connection *c, const char *key)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

#define API_APPROVALS API "/approvals"
#define API_APPROVAL_ID API_APPROVALS "/"

/* GET /api/v1/approvals, /api/v1/audit and /api/v1/trust; 0 when url is none of them. */
static int http_trust_get(struct col_server *s, struct MHD_Connection *c, const char *url,
			  enum MHD_Result *answered)
{
	struct col_err err = {0};
	char *out = NULL;
	unsigned status;

	if (strcmp(url, API "/trust") == 0) {
		if (!http_authorized(c, s->agent) && !http_authorized(c, s->admin)) {
			*answered = http_error(c, MHD_HTTP_UNAUTHORIZED,
					       "an agent or admin token is required");
			return 1;
		}
		status = col_api_trust(s->db, s->trust_key, s->trust_validity_days,
				       (int64_t)time(NULL), &out);
		*answered = http_json(c, status, out);
		return 1;
	}
	if (strcmp(url, API_APPROVALS) != 0 && strcmp(url, API "/audit") != 0)
		return 0;
	if (http_admin(s, c, answered) == NULL)
		return 1;
	if (strcmp(url, API "/audit") == 0) {
		status = col_api_audit(s->db, http_arg(c, "after"), http_arg(c, "limit"), &out);
		*answered = http_json(c, status, out);
	} else if (col_db_approvals_json(s->db, &out, &err) == 0)
		*answered = http_json(c, MHD_HTTP_OK, out);
	else
		*answered =
			http_reject(s, c, COL_REJ_STORAGE, MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
	return 1;
}

/*
 * The role is checked as soon as the headers are in, as for a report: a
 * client without the admin token cannot make the collector wait for, or
 * buffer, a body.
 */
static enum MHD_Result http_approval_begin(struct col_server *s, struct MHD_Connection *c,
					   struct http_req *rq)
{
	enum MHD_Result answered = MHD_NO;

	if (http_admin(s, c, &answered) == NULL)
		return answered;
	if (http_body_begin(s, c, rq) < 0)
		return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				  "the approval is larger than the collector accepts");
	return MHD_YES;
}

static enum MHD_Result http_approval_post(struct col_server *s, struct MHD_Connection *c,
					  struct http_req *rq)
{
	enum MHD_Result answered = MHD_NO;
	const char *who = http_admin(s, c, &answered);
	char *out = NULL;
	unsigned status;

	if (who == NULL)
		return answered;
	if (rq->too_large)
		return http_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
				  "the approval is larger than the collector accepts");
	status = col_api_approval_post(s->db, rq->body ? rq->body : "", rq->len, who,
				       (int64_t)time(NULL), &out);
	return http_json(c, status, out);
}

static enum MHD_Result http_approval_delete(struct col_server *s, struct MHD_Connection *c,
					    const char *url)
{
	enum MHD_Result answered = MHD_NO;
	const char *who;
	char *out = NULL;
	unsigned status;

	if (strncmp(url, API_APPROVAL_ID, sizeof(API_APPROVAL_ID) - 1) != 0)
		return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if ((who = http_admin(s, c, &answered)) == NULL)
		return answered;
	status = col_api_approval_delete(s->db, url + sizeof(API_APPROVAL_ID) - 1, who,
					 (int64_t)time(NULL), &out);
	return http_json(c, status, out);
}

static enum MHD_Result http_get(struct col_server *s, struct MHD_Connection *c, const char *url)
{
	enum MHD_Result answered;

	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return http_dashboard(c);
	if (http_trust_get(s, c, url, &answered))
		return answered;
	/* Every other route, known or not, is the admin's. */
	if (http_admin(s, c, &answered) == NULL)
		return answered;
	if (strcmp(url, API "/hosts") == 0)
		return http_hosts(s, c);
	if (strncmp(url, API "/hosts/", sizeof(API "/hosts/") - 1) == 0 &&
	    url[sizeof(API "/hosts/") - 1] != '\0')
		return http_host(s, c, url + sizeof(API "/hosts/") - 1);
	if (strcmp(url, API "/endpoints") == 0)
		return http_endpoints(s, c);
	if (strcmp(url, "/metrics") == 0)
		return http_metrics(s, c);
	return http_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	struct col_server *s = cls;
	struct http_req *rq = *con_cls;
	int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	int is_report = is_post && strcmp(url, API "/reports") == 0;
	int is_approval = is_post && strcmp(url, API_APPROVALS) == 0;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		atomic_fetch_add(&s->in_flight, 1);
		/* The headers are in: the body, if any, has its own deadline.
		 * That holds for every request, since a body is read (and
		 * dropped) on a GET as well, token or not. */
		http_phase(s, c, HTTP_PHASE_BODY);
		if (is_report)
			return http_report_begin(s, c, rq);
		if (is_approval)
			return http_approval_begin(s, c, rq);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* An approval's body is bounded like a report's (a CA is a few KiB). */
		if (is_report || is_approval)
			http_report_chunk(s, rq, upload, *upload_size);
		/* a body on another request is ignored */
		*upload_size = 0;
		return MHD_YES;
	}
	/* All received: only the idle timeout applies to the answer. */
	http_phase(s, c, HTTP_PHASE_HANDLING);
	if (is_report)
		return http_report_end(s, c, rq);
	if (is_approval)
		return http_approval_post(s, c, rq);
	if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
		return http_approval_delete(s, c, url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return http_get(s, c, url);
	return http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
}

static void http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct col_server *s = cls;
	struct http_req *rq = *con_cls;

	(void)toe;
	if (rq == NULL)
		return;
	/* On a kept-alive connection the next request's headers start now. */
	http_phase(s, c, HTTP_PHASE_HEADERS);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

/*
 * libmicrohttpd logs one line per refused or broken connection: hundreds a
 * second when a client floods. Each distinct message is logged once per
 * window, then how many more there were.
 */
#define HTTP_LOG_SLOTS 8
#define HTTP_LOG_WINDOW_S 10

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		char msg[160];
		time_t since;
		unsigned long more;
	} seen[HTTP_LOG_SLOTS];
	static unsigned next;
	char msg[512];
	size_t n, i;
	time_t now = time(NULL);
	unsigned long more = 0;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pthread_mutex_lock(&lock);
	for (i = 0; i < HTTP_LOG_SLOTS; i++)
		if (strncmp(seen[i].msg, msg, sizeof(seen[i].msg) - 1) == 0)
			break;
	if (i < HTTP_LOG_SLOTS && now - seen[i].since < HTTP_LOG_WINDOW_S) {
		seen[i].more++;
		pthread_mutex_unlock(&lock);
		return;
	}
	if (i == HTTP_LOG_SLOTS) {
		i = next++ % HTTP_LOG_SLOTS;
		snprintf(seen[i].msg, sizeof(seen[i].msg), "%.159s", msg);
	}
	more = seen[i].more;
	seen[i].since = now;
	seen[i].more = 0;
	pthread_mutex_unlock(&lock);
	if (more > 0)
		col_log("http", "%s (and %lu more like it in the %d s before)", msg, more,
			HTTP_LOG_WINDOW_S);
	else
		col_log("http", "%s", msg);
}

/* libmicrohttpd without its own listening socket (see http_acceptor). */
static struct MHD_Daemon *http_daemon_start(struct col_server *s, const struct col_server_opts *o)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;

	if (o->tls_cert_pem != NULL)
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(flags, 0, NULL, NULL, http_access, s, MHD_OPTION_EXTERNAL_LOGGER,
				http_mhd_log, NULL,
				/* The acceptor keeps to --max-connections; libmicrohttpd counts a
		 * closed connection until its thread is joined, so its own limit
		 * leaves room for those, never to turn an admitted one away. */
				MHD_OPTION_CONNECTION_LIMIT, 2 * o->cfg->max_connections,
				/* One address cannot take every connection (0: no limit). */
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->cfg->max_per_address,
				MHD_OPTION_CONNECTION_TIMEOUT, o->cfg->timeout_s,
				MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, http_notify_conn, s,
				o->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
				o->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY, o->tls_key_pem,
				MHD_OPTION_END);
}

/* The server's state from its options, its locks ready; NULL when out of memory. */
static struct col_server *http_server_new(const struct col_server_opts *o)
{
	struct col_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->db = o->db;
	s->writer = o->writer;
	s->agent = o->agent;
	s->admin = o->admin;
	s->trust_key = o->trust_key;
	s->trust_validity_days = o->cfg->trust_validity_days;
	s->max_body = o->cfg->max_body;
	s->header_timeout_ms = o->cfg->header_timeout_s * 1000;
	s->body_timeout_ms = o->cfg->body_timeout_s * 1000;
	s->max_connections = o->cfg->max_connections;
	/* An eighth of the slots, rounded up, is the reserve. */
	s->high_water = s->max_connections - (s->max_connections + 7) / 8;
	s->listen_fd = -1;
	pthread_mutex_init(&s->conns_lock, NULL);
	pthread_cond_init(&s->reaper_wake, NULL);
	pthread_cond_init(&s->slot_free, NULL);
	return s;
}

int col_server_start(const struct col_server_opts *o, struct col_server **out, unsigned *port,
		     struct col_err *err)
{
	struct sockaddr_storage ss;
	unsigned len;
	int loopback;
	struct col_server *s;

	*out = NULL;
	if (col_parse_listen(o->cfg->listen, &ss, &len, &loopback, err) < 0)
		return -1;
	/* Without TLS, tokens and reports would cross the network in clear. */
	if (o->tls_cert_pem == NULL && !loopback) {
		col_err_set(err, COL_REJ_CONFIG,
			    "plain HTTP only listens on loopback; give --tls-cert and --tls-key to "
			    "listen on %s",
			    o->cfg->listen);
		return -1;
	}
	if ((s = http_server_new(o)) == NULL) {
		col_err_set(err, COL_REJ_CONFIG, "out of memory starting the server");
		return -1;
	}
	if (pthread_create(&s->reaper, NULL, http_reaper, s) != 0) {
		col_err_set(err, COL_REJ_CONFIG, "cannot start the connection deadline thread");
		goto err;
	}
	s->reaper_started = 1;
	if (http_listen(s, &ss, len, port, err) < 0)
		goto err;
	if ((s->daemon = http_daemon_start(s, o)) == NULL) {
		col_err_set(err, COL_REJ_CONFIG,
			    "cannot serve on %s (TLS files that do not load, "
			    "or out of memory)",
			    o->cfg->listen);
		goto err;
	}
	if (pthread_create(&s->acceptor, NULL, http_acceptor, s) != 0) {
		col_err_set(err, COL_REJ_CONFIG, "cannot start the thread accepting connections");
		goto err;
	}
	s->acceptor_started = 1;
	*out = s;
	return 0;
err:
	col_server_stop(s);
	return -1;
}

void col_server_drain(struct col_server *s, unsigned timeout_ms)
{
	unsigned waited = 0;

	if (s == NULL || s->daemon == NULL)
		return;
	http_stop_accepting(s);
	while (atomic_load(&s->in_flight) > 0 && waited < timeout_ms) {
		usleep(10000);
		waited += 10;
	}
}

void col_server_stop(struct col_server *s)
{
	struct http_conn *hc;

	if (s == NULL)
		return;
	/* No new connection, then the daemon: it closes the connections,
	 * which leave the list. */
	http_stop_accepting(s);
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	if (s->reaper_started) {
		pthread_mutex_lock(&s->conns_lock);
		s->stopping = 1;
		pthread_cond_signal(&s->reaper_wake);
		pthread_mutex_unlock(&s->conns_lock);
		pthread_join(s->reaper, NULL);
	}
	while ((hc = s->closing) != NULL) {
		s->closing = hc->next;
		free(hc);
	}
	pthread_cond_destroy(&s->reaper_wake);
	pthread_cond_destroy(&s->slot_free);
	pthread_mutex_destroy(&s->conns_lock);
	free(s);
}
