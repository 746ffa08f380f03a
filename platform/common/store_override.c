/*
 * store_override.c: the "ff-override" trust store, one Firefox profile's
 * cert_override.txt, on every platform: parsing, formatting and merging the
 * lines here; reading, writing and the profile lock are the system's
 * (override_os.h, implemented in platform/linux and platform/win32).
 * Firefox refuses every NSS trust flag for a CA:TRUE self-signed server
 * certificate (MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY) and for a
 * certificate without SAN; an exception line here is the only fix.
 *
 * The line Firefox 153 accepts (DESIGN.md, measured), tabs shown as \t:
 *     host:port:\tOID.2.16.840.1.101.3.4.2.1\tAA:BB:...:FF\t
 * The first field is host:port: followed by an originAttributes suffix that
 * is empty for the default container; the fingerprint is the SHA-256 of the
 * leaf's DER, uppercase and colon-separated; the trailing tab (an empty
 * database key) is required.
 *
 * The file has no room for a tag, so list() reports every override line of
 * the default container and the agent decides which lines are its own with
 * its state file. Lines with a container suffix (^userContextId=...) are the
 * user's: they are neither reported, replaced nor removed. Every line this
 * store does not own is written back byte for byte.
 *
 * Firefox keys an exception by the URL's host as typed, trailing dot and
 * all: the line for host:port does not apply to https://host.:port/, which
 * names the same server (measured with Firefox ESR 153: each URL loads only
 * with its own line). So for each exception for a name without a trailing
 * dot this store writes a companion line for "host.:port:" with the same
 * fingerprint, takes both out together, and lists the pair as one record.
 *
 * Firefox reads the file only at start and rewrites it from memory at exit, so
 * a line written while Firefox runs on the profile is lost: add() and remove()
 * refuse with UCT_E_LOCKED instead, and the agent defers the action.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "override_os.h"
#include "platform.h"
#include "store_vec.h"

#define OVR_FILE "cert_override.txt"
#define OVR_OID_SHA256 "OID.2.16.840.1.101.3.4.2.1"
#define OVR_HEADER                                   \
	"# PSM Certificate Override Settings file\n" \
	"# This is a generated file!  Do not edit.\n"
#ifdef _WIN32
#define OVR_SEP "\\"
#else
#define OVR_SEP "/"
#endif
#define OVR_HOST_MAX 255

struct ovr_impl {
	char *profile_dir;
};

/* One line of the file, as far as this store understands it. */
struct ovr_line {
	char host[OVR_HOST_MAX + 1];
	int port;
	int has_fp; /* the SHA-256 OID with a well-formed fingerprint */
	unsigned char sha256[UCT_SHA256_LEN];
};

/* A growable byte buffer for the rewritten file. */
struct ovr_buf {
	char *p;
	size_t len;
	size_t cap;
};

static int ovr_buf_add(struct ovr_buf *b, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->p, cap);
		if (grown == NULL)
			return -1;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* ---- profile lock: is Firefox running on this profile? ---------------- */

static int ovr_busy_error(struct uct_store *store, struct uct_err *err)
{
	struct ovr_impl *impl = store->impl;

	return uct_err_set(err, UCT_E_LOCKED, 0,
			   "Firefox is running with profile %s: close Firefox, then run again",
			   impl->profile_dir);
}

/* ---- parsing the file -------------------------------------------------- */

/* Length of the line at p (without its '\n') and the offset of the next. */
static size_t ovr_line_len(const char *p, const char *end, size_t *next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (nl == NULL) {
		*next = (size_t)(end - p);
		return *next;
	}
	*next = (size_t)(nl - p) + 1;
	return (size_t)(nl - p);
}

/* The key before tab: "host:port:" with an empty originAttributes. Fills
 * out's host and port; returns 0 when the key is not of that form. */
static int ovr_parse_key(const char *line, const char *tab, struct ovr_line *out)
{
	const char *colon, *port_s;
	size_t host_len;
	long port = 0;

	if (tab - line < 4 || tab[-1] != ':')
		return 0;
	colon = tab - 1;
	port_s = colon;
	while (port_s > line && isdigit((unsigned char)port_s[-1]))
		port_s--;
	if (port_s == colon || port_s == line || port_s[-1] != ':' || colon - port_s > 5)
		return 0;
	for (const char *d = port_s; d < colon; d++)
		port = port * 10 + (*d - '0');
	host_len = (size_t)(port_s - 1 - line);
	if (host_len == 0 || host_len > OVR_HOST_MAX || port < 1 || port > 65535)
		return 0;
	memcpy(out->host, line, host_len);
	out->port = (int)port;
	return 1;
}

/* The SHA-256 fingerprint after the key's tab, when the line has one. */
static void ovr_parse_fp(const char *line, size_t len, const char *tab, struct ovr_line *out)
{
	const char *oid = tab + 1, *fp, *fp_end;
	char fp_text[UCT_FP_STRLEN + 8];

	fp = memchr(oid, '\t', len - (size_t)(oid - line));
	if (fp == NULL || (size_t)(fp - oid) != strlen(OVR_OID_SHA256) ||
	    memcmp(oid, OVR_OID_SHA256, strlen(OVR_OID_SHA256)) != 0)
		return; /* an override, but not one we can read */
	fp++;
	fp_end = memchr(fp, '\t', len - (size_t)(fp - line));
	if (fp_end == NULL)
		fp_end = line + len;
	if ((size_t)(fp_end - fp) >= sizeof(fp_text))
		return;
	memcpy(fp_text, fp, (size_t)(fp_end - fp));
	fp_text[fp_end - fp] = '\0';
	out->has_fp = uct_fp_parse(fp_text, out->sha256) == 0;
}

/*
 * Parse one line (without '\n'). Returns 1 when it is an override for the
 * default container ("host:port:" then a tab), 0 for anything else (comments,
 * container-scoped lines, garbage), which the store leaves alone.
 */
static int ovr_parse_line(const char *line, size_t len, struct ovr_line *out)
{
	const char *tab;

	memset(out, 0, sizeof(*out));
	if (len == 0 || line[0] == '#')
		return 0;
	/* Firefox keys the whole text: with a NUL inside, the host or the
	 * fingerprint read here would be a shorter, different one. */
	if (memchr(line, '\0', len) != NULL)
		return 0;
	tab = memchr(line, '\t', len);
	if (tab == NULL || !ovr_parse_key(line, tab, out))
		return 0;
	ovr_parse_fp(line, len, tab, out);
	return 1;
}

/* Hosts in URLs reach Firefox lowercased, and the override lookup compares
 * the key as a string, so keys are compared without regard to case. */
static int ovr_line_is_for(const struct ovr_line *ln, const char *host, int port)
{
	return ln->port == port && strcasecmp(ln->host, host) == 0;
}

/* ---- writing ----------------------------------------------------------- */

/* Re-check the lock just before writing, then write. */
static int ovr_commit(struct uct_store *store, const struct ovr_buf *b, struct uct_err *err)
{
	struct ovr_impl *impl = store->impl;

	store->busy = uct_ovr_os_busy(impl->profile_dir);
	if (store->busy)
		return ovr_busy_error(store, err);
	return uct_ovr_os_write(store->path, b->p ? b->p : "", b->len, err);
}

/* ---- the operations ---------------------------------------------------- */

/* The host goes verbatim into a tab-separated line: allow only the characters
 * of DNS names and IPv4 literals, so a hostile name cannot add lines. IPv6
 * literals are refused: their key form in this file has not been measured. */
static int ovr_host_ok(const char *host)
{
	size_t n = 0;

	for (const char *c = host; *c; c++, n++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return 0;
	return n > 0 && n <= OVR_HOST_MAX;
}

/* Our line for host:port and a fingerprint, without the newline. Firefox
 * builds the lookup key from the URL's lowercased host. */
static int ovr_format_line(const char *host, int port, const unsigned char sha256[UCT_SHA256_LEN],
			   char *buf, size_t size)
{
	char fp[UCT_FP_STRLEN];
	char lower[OVR_HOST_MAX + 1];
	size_t i;

	for (i = 0; host[i] && i < OVR_HOST_MAX; i++)
		lower[i] = (char)tolower((unsigned char)host[i]);
	lower[i] = '\0';
	uct_fp_format(sha256, fp);
	return snprintf(buf, size, "%s:%d:\t%s\t%s\t", lower, port, OVR_OID_SHA256, fp) < (int)size
		       ? 0
		       : -1;
}

static int ovr_check_anchor(const struct uct_anchor *anchor, struct uct_err *err)
{
	if (anchor == NULL || anchor->cert == NULL || anchor->host == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "override needs a certificate and a host");
	if (anchor->port < 1 || anchor->port > 65535)
		return uct_err_set(err, UCT_E_USAGE, 0, "override for %s needs a port, not %d",
				   anchor->host, anchor->port);
	if (!ovr_host_ok(anchor->host))
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "cannot write a Firefox override for host \"%s\"", anchor->host);
	return 0;
}

/* Nothing to hold open: the file is read on each call, so another Firefox
 * run or the user's edits are always seen. Refreshes the busy flag. */
static int ovr_open(struct uct_store *store, int rw, struct uct_err *err)
{
	struct ovr_impl *impl = store->impl;

	(void)rw;
	(void)err;
	store->busy = uct_ovr_os_busy(impl->profile_dir);
	return 0;
}

/*
 * Whether ln (for "host.:port") is the companion of a line for host:port
 * with the same fingerprint elsewhere in data: then the pair is one record.
 */
static int ovr_is_companion(const char *data, size_t len, const struct ovr_line *ln)
{
	struct ovr_line other;
	char host[OVR_HOST_MAX + 1];
	size_t n = strlen(ln->host), off = 0, next, l;

	if (n < 2 || ln->host[n - 1] != '.' || ln->host[n - 2] == '.')
		return 0;
	memcpy(host, ln->host, n - 1);
	host[n - 1] = '\0';
	while (off < len) {
		l = ovr_line_len(data + off, data + len, &next);
		if (ovr_parse_line(data + off, l, &other) && other.has_fp &&
		    ovr_line_is_for(&other, host, ln->port) &&
		    memcmp(other.sha256, ln->sha256, UCT_SHA256_LEN) == 0)
			return 1;
		off += next;
	}
	return 0;
}

static int ovr_list(struct uct_store *store, uct_entry_cb cb, void *ctx, struct uct_err *err)
{
	struct uct_store_entry entry;
	struct ovr_line ln;
	char label[OVR_HOST_MAX + 32];
	char *data;
	size_t len, off = 0, next, n;
	int rc = 0;

	if (uct_ovr_os_read(store->path, &data, &len, err) != 0)
		return -1;
	while (data != NULL && off < len && rc == 0) {
		n = ovr_line_len(data + off, data + len, &next);
		if (ovr_parse_line(data + off, n, &ln) && ln.has_fp &&
		    !ovr_is_companion(data, len, &ln)) {
			snprintf(label, sizeof(label), "override %s:%d", ln.host, ln.port);
			memset(&entry, 0, sizeof(entry));
			memcpy(entry.sha256, ln.sha256, UCT_SHA256_LEN);
			entry.trust = UCT_TRUST_OVERRIDE;
			entry.label = label;
			entry.host = ln.host;
			entry.port = ln.port;
			rc = uct_entry_call(cb, &entry, ctx, err);
		}
		off += next;
	}
	free(data);
	return rc < 0 ? -1 : 0;
}

/*
 * Copy data into out with our line in place of the first line for host:port
 * (a renewed certificate replaces the old one) and without any further lines
 * for it; append when there was none. *changed says whether out differs.
 */
static int ovr_rewrite_add(const char *data, size_t len, const char *host, int port,
			   const char *mine, struct ovr_buf *out, int *changed)
{
	struct ovr_line ln;
	size_t off = 0, next, n;
	int placed = 0;

	*changed = 0;
	if (len == 0) {
		*changed = 1;
		if (ovr_buf_add(out, OVR_HEADER, strlen(OVR_HEADER)) != 0)
			return -1;
	}
	while (off < len) {
		n = ovr_line_len(data + off, data + len, &next);
		if (!ovr_parse_line(data + off, n, &ln) || !ovr_line_is_for(&ln, host, port)) {
			if (ovr_buf_add(out, data + off, next) != 0)
				return -1;
		} else if (!placed) {
			placed = 1;
			if (n != strlen(mine) || memcmp(data + off, mine, n) != 0)
				*changed = 1;
			if (ovr_buf_add(out, mine, strlen(mine)) != 0 ||
			    ovr_buf_add(out, "\n", 1) != 0)
				return -1;
		} else {
			*changed = 1; /* a stale duplicate for the same host:port */
		}
		off += next;
	}
	if (placed)
		return 0;
	*changed = 1;
	if (out->len > 0 && out->p[out->len - 1] != '\n' && ovr_buf_add(out, "\n", 1) != 0)
		return -1;
	if (ovr_buf_add(out, mine, strlen(mine)) != 0 || ovr_buf_add(out, "\n", 1) != 0)
		return -1;
	return 0;
}

/* "host." for a host without a trailing dot, in buf; 0, or -1 when host
 * already ends with a dot or the name would be too long. */
static int ovr_dotted(const char *host, char *buf, size_t size)
{
	size_t n = strlen(host);

	if (n == 0 || host[n - 1] == '.' || n + 1 > OVR_HOST_MAX || n + 2 > size)
		return -1;
	memcpy(buf, host, n);
	buf[n] = '.';
	buf[n + 1] = '\0';
	return 0;
}

/*
 * data with our line for host:port in place (ovr_rewrite_add) and, for a
 * host without a trailing dot, the companion line for host.:port after it
 * (see the top of this file). *out is the result; *changed as there.
 */
static int ovr_rewrite_pair(const char *data, size_t len, const struct uct_anchor *anchor,
			    const char *mine, struct ovr_buf *out, int *changed)
{
	char dotted[OVR_HOST_MAX + 1];
	char companion[OVR_HOST_MAX + UCT_FP_STRLEN + 64];
	struct ovr_buf first = {0};
	int c1, c2, rc;

	if (ovr_dotted(anchor->host, dotted, sizeof(dotted)) != 0 ||
	    ovr_format_line(dotted, anchor->port, anchor->cert->sha256, companion,
			    sizeof(companion)) != 0)
		return ovr_rewrite_add(data, len, anchor->host, anchor->port, mine, out, changed);
	if (ovr_rewrite_add(data, len, anchor->host, anchor->port, mine, &first, &c1) != 0) {
		free(first.p);
		return -1;
	}
	rc = ovr_rewrite_add(first.p ? first.p : "", first.len, dotted, anchor->port, companion,
			     out, &c2);
	free(first.p);
	*changed = c1 || c2;
	return rc;
}

static int ovr_add(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	struct ovr_buf out = {0};
	char mine[OVR_HOST_MAX + UCT_FP_STRLEN + 64];
	char *data = NULL;
	size_t len;
	int changed, rc = -1;

	if (ovr_check_anchor(anchor, err) != 0)
		return -1;
	if (anchor->trust != UCT_TRUST_OVERRIDE)
		return uct_err_set(err, UCT_E_USAGE, 0, "%s holds only overrides, not %s trust",
				   store->id, uct_trust_name(anchor->trust));
	if (ovr_format_line(anchor->host, anchor->port, anchor->cert->sha256, mine, sizeof(mine)) !=
	    0)
		return uct_err_set(err, UCT_E_USAGE, 0, "host name too long: %s", anchor->host);
	if (uct_ovr_os_read(store->path, &data, &len, err) != 0)
		return -1;
	if (ovr_rewrite_pair(data ? data : "", len, anchor, mine, &out, &changed) != 0) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory editing %s", store->path);
		goto out;
	}
	/* Already there, exactly: nothing to write, nothing Firefox could lose. */
	rc = changed ? ovr_commit(store, &out, err) : 0;
	if (rc == 0 && changed)
		uct_log(UCT_LOG_INFO, "%s: override for %s:%d written", store->path, anchor->host,
			anchor->port);
out:
	free(data);
	free(out.p);
	return rc;
}

static int ovr_remove(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	struct ovr_buf out = {0};
	struct ovr_line ln;
	char dotted[OVR_HOST_MAX + 1];
	char *data = NULL;
	size_t len, off = 0, next, n;
	int changed = 0, rc = -1, mine, has_dotted;

	if (ovr_check_anchor(anchor, err) != 0)
		return -1;
	has_dotted = ovr_dotted(anchor->host, dotted, sizeof(dotted)) == 0;
	if (uct_ovr_os_read(store->path, &data, &len, err) != 0)
		return -1;
	if (data == NULL)
		return 0; /* no file: nothing to remove */
	while (off < len) {
		n = ovr_line_len(data + off, data + len, &next);
		/* Our line and its companion, with our fingerprint only. */
		mine = ovr_parse_line(data + off, n, &ln) && ln.has_fp &&
		       (ovr_line_is_for(&ln, anchor->host, anchor->port) ||
			(has_dotted && ovr_line_is_for(&ln, dotted, anchor->port))) &&
		       memcmp(ln.sha256, anchor->cert->sha256, UCT_SHA256_LEN) == 0;
		if (mine)
			changed = 1;
		else if (ovr_buf_add(&out, data + off, next) != 0) {
			uct_err_set(err, UCT_E_NOMEM, 0, "out of memory editing %s", store->path);
			goto out;
		}
		off += next;
	}
	rc = changed ? ovr_commit(store, &out, err) : 0;
out:
	free(data);
	free(out.p);
	return rc;
}

static int ovr_verify(struct uct_store *store, const struct uct_chain *chain, const char *host,
		      int port, struct uct_verify_result *out, struct uct_err *err)
{
	struct uct_verify_result sys;
	struct ovr_line ln;
	char *data;
	size_t len, off = 0, next, n;
	int other = 0;

	memset(out, 0, sizeof(*out));
	if (chain == NULL || chain->n == 0 || host == NULL)
		return uct_err_set(err, UCT_E_USAGE, 0, "verify needs a chain and a host");
	if (uct_ovr_os_read(store->path, &data, &len, err) != 0)
		return -1;
	while (data != NULL && off < len && !out->trusted) {
		n = ovr_line_len(data + off, data + len, &next);
		if (ovr_parse_line(data + off, n, &ln) && ovr_line_is_for(&ln, host, port)) {
			if (ln.has_fp &&
			    memcmp(ln.sha256, chain->certs[0]->sha256, UCT_SHA256_LEN) == 0)
				out->trusted = 1;
			else
				other = 1;
		}
		off += next;
	}
	free(data);
	if (out->trusted)
		return 0;
	/* Firefox looks for an exception only when its own verification fails. */
	memset(&sys, 0, sizeof(sys));
	if (uct_ovr_os_verify(chain, host, &sys, err) != 0)
		return -1;
	if (sys.trusted || (!other && sys.code[0] != '\0')) {
		*out = sys;
		return 0;
	}
	snprintf(out->code, sizeof(out->code), "OVERRIDE_MISSING");
	snprintf(out->detail, sizeof(out->detail),
		 other ? "the Firefox exception for %s:%d is for another certificate"
		       : "no Firefox exception for %s:%d",
		 host, port);
	return 0;
}

static void ovr_close(struct uct_store *store)
{
	(void)store; /* nothing is held between calls */
}

static void ovr_destroy(struct uct_store *store)
{
	struct ovr_impl *impl;

	if (store == NULL)
		return;
	ovr_close(store);
	impl = store->impl;
	if (impl != NULL)
		free(impl->profile_dir);
	uct_store_free_base(store);
}

static void ovr_tidy(struct uct_store *store)
{
	uct_ovr_os_tidy(store->path);
}

static const struct uct_store_ops ovr_ops = {
	.name = "ff-override",
	.caps = UCT_STORE_BY_HOST | UCT_STORE_UNTAGGED | UCT_STORE_DEFER_BUSY,
	.open = ovr_open,
	.list = ovr_list,
	.add = ovr_add,
	.remove = ovr_remove,
	.verify = ovr_verify,
	.tidy = ovr_tidy,
	.close = ovr_close,
	.destroy = ovr_destroy,
};

/*
 * A store for profile_dir/cert_override.txt. The file need not exist (add
 * creates it with Firefox's header). store->busy is set when Firefox runs on
 * the profile now; add and remove check again when they write. Returns a new
 * store owned by the caller (free with ops->destroy), or NULL with err set.
 */
struct uct_store *uct_store_override_new(const char *profile_dir, const char *group,
					 struct uct_err *err)
{
	struct uct_store *store;
	struct ovr_impl *impl;

	if (profile_dir == NULL || profile_dir[0] == '\0') {
		uct_err_set(err, UCT_E_USAGE, 0, "override store needs a profile directory");
		return NULL;
	}
	store = calloc(1, sizeof(*store));
	impl = calloc(1, sizeof(*impl));
	if (store == NULL || impl == NULL) {
		free(store);
		free(impl);
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return NULL;
	}
	store->ops = &ovr_ops;
	store->impl = impl;
	store->browser = UCT_BROWSER_FIREFOX;
	impl->profile_dir = uct_strdup(profile_dir);
	store->id = uct_asprintf("ff-override:%s", profile_dir);
	store->path = uct_asprintf("%s" OVR_SEP "%s", profile_dir, OVR_FILE);
	store->group = uct_strdup(group ? group : "firefox");
	if (impl->profile_dir == NULL || store->id == NULL || store->path == NULL ||
	    store->group == NULL) {
		ovr_destroy(store);
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return NULL;
	}
	store->busy = uct_ovr_os_busy(profile_dir);
	return store;
}
