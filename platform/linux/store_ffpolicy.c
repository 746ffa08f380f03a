/*
 * store_ffpolicy.c: Firefox's machine-wide policies.json as a trust store:
 * each certificate is a tagged PEM file in a world-readable directory whose
 * path is listed in policies.Certificates.Install. Every other policy of
 * the file is kept as it was; a file that does not parse is never touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"
#include "safepath.h"
#include "stale.h"
#include "../common/store_vec.h"
#include "store_machine.h"

struct ffpolicy_impl {
	char *cert_dir;
};

static const char *ffp_cert_dir(const struct uct_store *store)
{
	return ((const struct ffpolicy_impl *)store->impl)->cert_dir;
}

/* What ffp_member finds. */
enum ffp_found { FFP_OK = 0, FFP_NOMEM, FFP_SHAPE };

/* parent's member key (*out, borrowed; NULL when absent and not create),
 * which must be an object, or an array when is_array. */
static enum ffp_found ffp_member(json_t *parent, const char *key, int create, int is_array,
				 json_t **out)
{
	*out = json_object_get(parent, key);
	if (*out == NULL && create) {
		*out = is_array ? json_array() : json_object();
		if (json_object_set_new(parent, key, *out) < 0) {
			*out = NULL;
			return FFP_NOMEM;
		}
	}
	if (*out != NULL && (is_array ? !json_is_array(*out) : !json_is_object(*out)))
		return FFP_SHAPE;
	return FFP_OK;
}

/* The file as JSON, or a new empty document when there is no file. */
static int ffp_parse(const struct uct_store *store, json_t **doc, struct uct_err *err)
{
	json_error_t jerr;

	*doc = json_load_file(store->path, 0, &jerr);
	if (*doc != NULL)
		return 0;
	if (access(store->path, F_OK) == 0 || errno != ENOENT)
		return uct_err_set(err, UCT_E_PARSE, 0,
				   "%s: not valid JSON (line %d: %s): fix or remove it; "
				   "uccx-trust does not rewrite it",
				   store->path, jerr.line, jerr.text);
	*doc = json_object();
	return *doc != NULL ? 0 : uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
}

/* Load the policy file: a missing file is an empty document; one that does
 * not parse, or whose policies / Certificates / Install have another type
 * than Firefox expects, is an error (an administrator's file, never ours to
 * rewrite). *install is borrowed from *doc, created when absent and create. */
static int ffp_load(const struct uct_store *store, int create, json_t **doc, json_t **install,
		    struct uct_err *err)
{
	json_t *policies = NULL, *certs = NULL;
	enum ffp_found found = FFP_SHAPE;

	*install = NULL;
	if (ffp_parse(store, doc, err) < 0)
		return -1;
	if (json_is_object(*doc))
		found = ffp_member(*doc, "policies", create, 0, &policies);
	if (found == FFP_OK && policies != NULL)
		found = ffp_member(policies, "Certificates", create, 0, &certs);
	if (found == FFP_OK && certs != NULL)
		found = ffp_member(certs, "Install", create, 1, install);
	if (found == FFP_OK)
		return 0;
	json_decref(*doc);
	*doc = NULL;
	*install = NULL;
	if (found == FFP_NOMEM)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return uct_err_set(err, UCT_E_PARSE, 0,
			   "%s: policies, Certificates or Install is not what Firefox expects; "
			   "uccx-trust does not rewrite it",
			   store->path);
}

/* Drop the Install list, then Certificates, then the file itself when our
 * removal left them empty: an uninstall leaves no trace of ours. */
static int ffp_save(const struct uct_store *store, json_t *doc, struct uct_err *err)
{
	json_t *policies = json_object_get(doc, "policies");
	json_t *certs = json_object_get(policies, "Certificates");
	const char *slash;
	char *text, *dir;
	int rc;

	if (json_array_size(json_object_get(certs, "Install")) == 0)
		json_object_del(certs, "Install");
	if (certs != NULL && json_object_size(certs) == 0)
		json_object_del(policies, "Certificates");
	if (policies != NULL && json_object_size(policies) == 0 && json_object_size(doc) == 1) {
		if (unlink(store->path) < 0 && errno != ENOENT)
			return uct_err_set(err, UCT_E_IO, errno, "cannot remove %s: %s",
					   store->path, strerror(errno));
		/* Upstream's /etc/firefox/policies, when we created it and it is
		 * now empty (rmdir leaves anything non-empty alone). */
		slash = strrchr(store->path, '/');
		dir = slash ? uct_asprintf("%.*s", (int)(slash - store->path), store->path) : NULL;
		if (dir != NULL && strcmp(dir, "/etc/firefox/policies") == 0 && rmdir(dir) == 0)
			rmdir("/etc/firefox");
		free(dir);
		return 0;
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	rc = uct_file_write_atomic(store->path, text, strlen(text), 0644, err);
	if (rc == 0) {
		/* The atomic write creates missing parents 0700; Firefox runs as
		 * the user and must be able to read the file. */
		slash = strrchr(store->path, '/');
		dir = slash ? uct_asprintf("%.*s", (int)(slash - store->path), store->path) : NULL;
		if (dir != NULL && strcmp(dir, "/etc/firefox/policies") == 0) {
			chmod("/etc/firefox", 0755);
			chmod(dir, 0755);
		}
		free(dir);
	}
	free(text);
	return rc;
}

/* 1 when install lists path. */
static int ffp_listed(json_t *install, const char *path)
{
	json_t *item;
	size_t i;

	json_array_foreach(install, i,
			   item) if (json_is_string(item) &&
				     strcmp(json_string_value(item), path) == 0) return 1;
	return 0;
}

/*
 * Our certificate files that the policy does not list: a remove takes the
 * entry out of the policy first and then the file (so that no listed file
 * is ever missing), and one stopped in between leaves the file, which
 * nothing would take out. Only names of ours, in the directory reached by
 * the safe walk, never through a link; with a policy that does not parse,
 * nothing is touched. Errors are only logged: a leftover grants nothing,
 * as Firefox reads only what is listed.
 */
static void ffp_clean(struct uct_store *store)
{
	const char *cert_dir = ffp_cert_dir(store);
	unsigned char sha[UCT_SHA256_LEN];
	struct uct_strv unused = {0};
	struct uct_err e = {0};
	json_t *doc, *install;
	struct dirent *de;
	struct stat st;
	char *path;
	DIR *dir;
	int dfd;

	if (ffp_load(store, 0, &doc, &install, &e) < 0)
		return;
	dfd = uct_safe_dir_open(cert_dir, 0, &e);
	dir = dfd >= 0 ? fdopendir(dup(dfd)) : NULL;
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		if (uct_machine_parse_name(de->d_name, ".pem", sha) < 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			continue;
		path = uct_asprintf("%s/%s", cert_dir, de->d_name);
		if (path != NULL && !ffp_listed(install, path))
			uct_strv_push(&unused, de->d_name);
		free(path);
	}
	if (dir != NULL)
		closedir(dir);
	for (size_t i = 0; i < unused.n; i++) {
		if (unlinkat(dfd, unused.v[i], 0) == 0)
			uct_log(UCT_LOG_WARN,
				"%s/%s: removed, %s no longer lists it (an earlier "
				"run stopped while removing it)",
				cert_dir, unused.v[i], store->path);
		else
			uct_log(UCT_LOG_WARN, "cannot remove %s/%s: %s", cert_dir, unused.v[i],
				strerror(errno));
	}
	if (dfd >= 0) {
		/* Temporary files of a PEM write killed before its rename. */
		uct_stale_clean_at(dfd, cert_dir, ".", ".tmp.", 0);
		close(dfd);
	}
	if (unused.n > 0)
		rmdir(cert_dir);
	uct_strv_clear(&unused);
	json_decref(doc);
}

/* Opening finishes what a stopped run left: see ffp_clean. A policy in
 * order (every file of ours listed) is only read. */
static int ffp_open(struct uct_store *store, int rw, struct uct_err *err)
{
	(void)rw;
	(void)err;
	ffp_clean(store);
	return 0;
}

/* The fingerprint of an Install entry that is ours: a path in our
 * directory with our tag. */
static int ffp_entry_sha(const struct uct_store *store, const char *entry,
			 unsigned char sha[UCT_SHA256_LEN])
{
	const char *dir = ffp_cert_dir(store);
	size_t n = strlen(dir);

	if (strncmp(entry, dir, n) != 0 || entry[n] != '/')
		return -1;
	return uct_machine_parse_name(entry + n + 1, ".pem", sha);
}

static int ffp_list(struct uct_store *store, uct_entry_cb cb, void *ctx, struct uct_err *err)
{
	struct uct_store_entry entry;
	struct uct_chain chain = {0};
	struct uct_err rerr;
	json_t *doc, *install, *item;
	size_t i;
	int rc = 0;

	if (ffp_load(store, 0, &doc, &install, err) < 0)
		return -1;
	json_array_foreach(install, i, item)
	{
		const char *path = json_string_value(item);

		memset(&entry, 0, sizeof(entry));
		if (path == NULL || ffp_entry_sha(store, path, entry.sha256) < 0)
			continue;
		uct_err_clear(&rerr);
		if (uct_cert_read_file(path, &chain, &rerr) == 0 && chain.n == 1 &&
		    memcmp(chain.certs[0]->sha256, entry.sha256, UCT_SHA256_LEN) == 0)
			entry.trust = uct_cert_ca_claim(chain.certs[0]) == UCT_CLAIM_CA
					      ? UCT_TRUST_ROOT
					      : UCT_TRUST_PEER;
		uct_chain_clear(&chain);
		entry.label = path;
		if ((rc = uct_entry_call(cb, &entry, ctx, err)) != 0)
			break;
	}
	json_decref(doc);
	return rc < 0 ? -1 : 0;
}

/* Firefox imports a policy certificate as a trusted CA, so the same rule
 * as the system anchors holds: an approved root, or a self-signed
 * certificate that says CA:FALSE and so can sign nothing else. */
static int ffp_add(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	const struct uct_cert *cert;
	json_t *doc = NULL, *install, *item;
	char *path;
	size_t i;
	int rc = -1;

	if (uct_anchor_check(anchor, store->id, err) < 0)
		return -1;
	cert = anchor->cert;
	if (!uct_trust_lets_sign(anchor->trust) ||
	    (anchor->trust == UCT_TRUST_PEER && !cert->self_signed))
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "%s: Firefox's policy installs CAs: only an approved root or a "
				   "self-signed certificate that says CA:FALSE goes there",
				   store->id);
	path = uct_machine_file(ffp_cert_dir(store), cert->sha256, ".pem");
	if (path == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	/* Load first: a file we must not touch stops before any PEM is written. */
	if (ffp_load(store, 1, &doc, &install, err) < 0)
		goto out;
	if (uct_machine_write_pem(ffp_cert_dir(store), path, cert, err) < 0)
		goto out;
	json_array_foreach(install, i, item) if (json_is_string(item) &&
						 strcmp(json_string_value(item), path) == 0) break;
	if (i == json_array_size(install) &&
	    json_array_append_new(install, json_string(path)) < 0) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	rc = ffp_save(store, doc, err);
out:
	json_decref(doc);
	free(path);
	return rc;
}

static int ffp_remove(struct uct_store *store, const struct uct_anchor *anchor, struct uct_err *err)
{
	json_t *doc = NULL, *install, *item;
	char *path;
	size_t i;
	int rc = -1, changed = 0;

	path = uct_machine_file(ffp_cert_dir(store), anchor->cert->sha256, ".pem");
	if (path == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (ffp_load(store, 0, &doc, &install, err) < 0)
		goto out;
	for (i = json_array_size(install); i-- > 0;) {
		item = json_array_get(install, i);
		if (json_is_string(item) && strcmp(json_string_value(item), path) == 0) {
			json_array_remove(install, i);
			changed = 1;
		}
	}
	if (changed && ffp_save(store, doc, err) < 0)
		goto out;
	if (unlink(path) < 0 && errno != ENOENT) {
		uct_err_set(err, UCT_E_IO, errno, "cannot remove %s: %s", path, strerror(errno));
		goto out;
	}
	rmdir(ffp_cert_dir(store));
	rc = 0;
out:
	json_decref(doc);
	free(path);
	return rc;
}

/* What Firefox will trust at its next start: a listed certificate of ours
 * that is in the chain, or that signed its top certificate, and a leaf
 * that names the host. Firefox's own rules (no CA:TRUE leaf, no SAN-less
 * certificate) are applied by the run, as for a profile's database. */
static int ffp_verify(struct uct_store *store, const struct uct_chain *chain, const char *host,
		      int port, struct uct_verify_result *out, struct uct_err *err)
{
	struct uct_chain have = {0};
	struct uct_err rerr;
	json_t *doc, *install, *item;
	size_t i, c;

	(void)port;
	memset(out, 0, sizeof(*out));
	if (chain->n == 0)
		return 0;
	if (ffp_load(store, 0, &doc, &install, err) < 0)
		return -1;
	json_array_foreach(install, i, item)
	{
		const char *path = json_string_value(item);
		unsigned char sha[UCT_SHA256_LEN];

		if (path == NULL || ffp_entry_sha(store, path, sha) < 0)
			continue;
		uct_err_clear(&rerr);
		if (uct_cert_read_file(path, &have, &rerr) < 0)
			continue;
		for (c = 0; c < chain->n && !out->trusted; c++)
			if (memcmp(chain->certs[c]->sha256, have.certs[have.n - 1]->sha256,
				   UCT_SHA256_LEN) == 0)
				out->trusted = 1;
		if (!out->trusted &&
		    uct_cert_signed_by(chain->certs[chain->n - 1], have.certs[have.n - 1]))
			out->trusted = 1;
	}
	uct_chain_clear(&have);
	json_decref(doc);
	if (out->trusted && !uct_cert_matches_host(chain->certs[0], host)) {
		out->trusted = 0;
		snprintf(out->code, sizeof(out->code), "SSL_ERROR_BAD_CERT_DOMAIN");
	} else if (!out->trusted) {
		snprintf(out->code, sizeof(out->code), "SEC_ERROR_UNKNOWN_ISSUER");
		snprintf(out->detail, sizeof(out->detail), "not in %s", store->path);
	}
	return 0;
}

static void ffp_close(struct uct_store *store)
{
	(void)store;
}

static void ffp_destroy(struct uct_store *store)
{
	if (store == NULL)
		return;
	if (store->impl != NULL)
		free(((struct ffpolicy_impl *)store->impl)->cert_dir);
	uct_store_free_base(store);
}

static const struct uct_store_ops ffpolicy_ops = {
	.name = "ff-policy",
	.caps = UCT_STORE_MACHINE,
	.open = ffp_open,
	.list = ffp_list,
	.add = ffp_add,
	.remove = ffp_remove,
	.verify = ffp_verify,
	.close = ffp_close,
	.destroy = ffp_destroy,
};

struct uct_store *uct_store_ffpolicy_new(const char *policy_file, const char *cert_dir,
					 struct uct_err *err)
{
	struct uct_store *store = calloc(1, sizeof(*store));
	struct ffpolicy_impl *impl = calloc(1, sizeof(*impl));

	if (store == NULL || impl == NULL) {
		free(store);
		free(impl);
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return NULL;
	}
	store->ops = &ffpolicy_ops;
	store->impl = impl;
	store->browser = UCT_BROWSER_FIREFOX;
	store->path = uct_strdup(policy_file);
	store->id = uct_asprintf("ff-policy:%s", policy_file);
	store->group = uct_strdup("firefox-policy");
	store->label = "Firefox's machine policy";
	impl->cert_dir = uct_strdup(cert_dir);
	if (store->path == NULL || store->id == NULL || store->group == NULL ||
	    impl->cert_dir == NULL) {
		ffp_destroy(store);
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		return NULL;
	}
	return store;
}
