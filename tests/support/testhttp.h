/*
 * testhttp.h: a tiny HTTP server on 127.0.0.1 for the tests of the agent's
 * GET: it answers every request with one canned response (or with nothing,
 * to make the client time out) and keeps the last request's head.
 */
#ifndef UCT_TESTHTTP_H
#define UCT_TESTHTTP_H

#include <stddef.h>

struct uct_testhttp;

/* Listen on a free port of 127.0.0.1 and serve from a thread. response is
 * copied and sent whole for each request; NULL: read the request and send
 * nothing until stopped. The test fails when it cannot start. */
struct uct_testhttp *uct_testhttp_start(const char *response, size_t len);
int uct_testhttp_port(const struct uct_testhttp *srv);
/* The head of the last request (request line and headers), "" before any;
 * borrowed until the next request or the stop. Call only once the
 * client's request is done. */
const char *uct_testhttp_request(const struct uct_testhttp *srv);
/* A response "HTTP/1.1 STATUS Reason" with body, as a new string. */
char *uct_testhttp_response(int status, const char *body);
/* Stop the thread, close the socket and free srv. NULL-safe. */
void uct_testhttp_stop(struct uct_testhttp *srv);

#endif
