/*
 * trustsrc.h: the collector trust mode's source of approvals: the
 * collector's signed trust document, fetched on a thread of its own while
 * the servers' handshakes run, checked, and kept in the state directory
 * for the runs that cannot reach the collector.
 */
#ifndef UCT_TRUSTSRC_H
#define UCT_TRUSTSRC_H

#include "config.h"
#include "platform.h"
#include "run.h"

/* The files next to the state: the last document accepted, byte for byte
 * as the collector sent it, and the highest serial accepted. */
#define UCT_TRUSTDOC_FILE "trustdoc.json"
#define UCT_TRUSTDOC_SERIAL_FILE "trustdoc.serial"
/* A document (with its CA certificates) is far smaller than this. */
#define UCT_TRUSTDOC_MAX (4u << 20)

struct uct_trustsrc;

/*
 * Start fetching cfg->trust_url (the report token, CA, pin, --connect-to
 * and proxy; the network timeouts) on a thread, in cfg's state directory
 * (as the run picks it: --state-dir, the --home's, or the default). cfg
 * must be in collector mode with its key read (uct_config_load does). The
 * source copies what it needs from cfg. NULL with err set when it cannot
 * start (the token file unreadable, out of memory, no thread); otherwise
 * the caller must call uct_trustsrc_wait or uct_trustsrc_free, before
 * uct_net_release.
 */
struct uct_trustsrc *uct_trustsrc_start(const struct uct_config *cfg, struct uct_err *err);

/*
 * Wait for the fetch and decide which document holds: the fetched one when
 * the collector answered 200 and it passes uct_trustdoc_check (against the
 * highest serial accepted before); it is then kept (trustdoc.json, then
 * trustdoc.serial, each written atomically) and *kept is 0. When the
 * collector could not be reached or answered another status, the kept
 * document is checked again and used while it is valid: *kept is 1 and
 * uct_trustsrc_problem says why the collector was not used. A fetched
 * document that fails its check is refused, never replaced by the kept one.
 *
 * 0 with *doc borrowed from src (valid until uct_trustsrc_free) and *fault
 * UCT_TRUSTDOC_OK; -1 with *doc NULL, *fault the reason (UCT_TRUSTDOC_NONE
 * when there is no document at all) and err a message naming the cause.
 * A second call returns the first call's outcome.
 */
int uct_trustsrc_wait(struct uct_trustsrc *src, const struct uct_trustdoc **doc, int *kept,
		      enum uct_trustdoc_fault *fault, struct uct_err *err);

/* Why the collector's answer was not used when the kept document was
 * (unreachable, or the HTTP status); "" otherwise. Borrowed from src. */
const char *uct_trustsrc_problem(const struct uct_trustsrc *src);

/*
 * For a run of cfg: in collector mode, for check and install (the doctor's
 * check too), start the source now, so that the document travels while the
 * servers are asked, and make it the run's trust input (in->trust and
 * in->trust_ctx, the source: free it with uct_trustsrc_free once the run is
 * freed, since the run borrows its document). Nothing in other modes and
 * commands. -1 with err when the source cannot start.
 */
int uct_trustsrc_attach(const struct uct_config *cfg, struct uct_run_inputs *in,
			struct uct_err *err);

/* Join the fetch if it still runs, and free src with its document.
 * NULL-safe. */
void uct_trustsrc_free(struct uct_trustsrc *src);

#endif
