/*
 * discover.c: finds the trust stores on Linux. User scope: Chromium's NSS
 * databases (~/.pki/nssdb, the snap's) and, for every Firefox profile listed
 * in a profiles.ini (deb, snap, Flatpak, XDG layouts), its NSS database and
 * its cert_override.txt; each directory yields its stores once. Machine
 * scope: the system anchors, Firefox's policies.json, /etc/pki/nssdb.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/ffprofiles.h"
#include "../common/store_vec.h"
#include "log.h"
#include "platform.h"
#include "safepath.h"
#include "store_nss.h"

struct disc {
	const struct uct_discover_opts *opts;
	char *home; /* absolute */
	struct uct_store_vec stores;
	struct uct_strv seen;   /* realpaths of directories already given stores */
	struct uct_strv groups; /* Firefox group names in use */
	struct uct_err *err;
};

static int disc_exists(const char *dir, const char *file, mode_t type)
{
	struct stat st;
	char *path = file ? uct_asprintf("%s/%s", dir, file) : uct_strdup(dir);
	int ok;

	ok = path != NULL && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
	free(path);
	return ok;
}

/* Add store to the result, taking it; on failure the store is destroyed. */
static int disc_push(struct disc *d, struct uct_store *store)
{
	return uct_store_vec_push(&d->stores, store, d->err);
}

/* 1 when dir (by its real path) already has stores, else records it and
 * returns 0; -1 on allocation failure. A directory that does not exist yet
 * is recorded by the name given. */
static int disc_seen(struct disc *d, const char *dir)
{
	char *real = realpath(dir, NULL);
	const char *key = real ? real : dir;
	int rc = 0;

	if (uct_strv_contains(&d->seen, key)) {
		uct_log(UCT_LOG_DEBUG, "%s: already found by another path", dir);
		rc = 1;
	} else if (uct_strv_push(&d->seen, key) != 0) {
		rc = uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	}
	free(real);
	return rc;
}

/* A store constructor failed: out of memory stops discovery, anything else
 * only skips that store. */
static int disc_store_failed(struct disc *d, const char *dir, const struct uct_err *e)
{
	if (e->code == UCT_E_NOMEM)
		return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	uct_log(UCT_LOG_WARN, "%s: skipped: %s", dir, e->msg);
	return 0;
}

/* The files a browser's NSS library opens in place in its directory, and
 * the one the agent replaces there. */
static const char *const disc_nss_files[] = {"cert9.db", "key4.db", "pkcs11.txt", NULL};
static const char *const disc_profile_files[] = {"cert9.db", "key4.db", "pkcs11.txt",
						 "cert_override.txt", NULL};
static const char *const disc_ini_files[] = {"profiles.ini", NULL};

/* 1 when dir is the home or lies under it (explicit databases have no
 * home). */
static int disc_under_home(const struct disc *d, const char *dir)
{
	size_t n;

	if (d->home == NULL)
		return 0;
	n = strlen(d->home);
	return strncmp(dir, d->home, n) == 0 && (dir[n] == '/' || dir[n] == '\0');
}

/*
 * 0 when the agent may write in dir (safepath.c: no directory or link of
 * another user on the way, no link or foreign file among files), else 1:
 * the store is skipped, with the reason in the log and among the run's
 * problems, so that the report says which profile was left alone; -1 when
 * out of memory.
 */
static int disc_unsafe(struct disc *d, const char *what, const char *dir, const char *const *files)
{
	struct uct_err e = {0};
	char *line;

	if (uct_safe_db_dir_check(dir, disc_under_home(d, dir) ? d->home : NULL, files, &e) == 0)
		return 0;
	if (e.code == UCT_E_NOMEM)
		return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	line = uct_asprintf("%s %s was left alone: %s", what, dir, e.msg);
	if (line == NULL)
		return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	uct_log(UCT_LOG_WARN, "%s", line);
	if (d->opts->problems != NULL && uct_strv_push(d->opts->problems, line) != 0) {
		free(line);
		return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	}
	free(line);
	return 1;
}

/* A database under the home is held to the home's rules (store_nss.h):
 * NSS opens it by name, so no one else may write on the way to it. */
static int disc_nss_home(struct disc *d, const char *dir, struct uct_store *store,
			 struct uct_err *e)
{
	if (!disc_under_home(d, dir))
		return 0;
	if (uct_store_nss_set_home(store, d->home, e) == 0)
		return 0;
	store->ops->destroy(store);
	return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
}

/* 0 when dir is new and the agent may write in it; 1 when it is skipped
 * (it already has stores, or disc_unsafe says why not); -1 when out of
 * memory. */
static int disc_skip(struct disc *d, const char *what, const char *dir, const char *const *files)
{
	int seen = disc_seen(d, dir);

	return seen != 0 ? seen : disc_unsafe(d, what, dir, files);
}

/* The NSS store of dir; created (when not -1) overrides the store's own
 * view of whether its database is yet to be made. A store that cannot be
 * made is skipped with the reason. */
static int disc_add_nss(struct disc *d, const char *dir, const char *group,
			enum uct_browser browser, int created)
{
	struct uct_err e = {0};
	struct uct_store *store = uct_store_nss_new(dir, group, browser, &e);

	if (store == NULL)
		return disc_store_failed(d, dir, &e);
	if (disc_nss_home(d, dir, store, &e) < 0)
		return -1;
	if (created >= 0)
		store->created = created;
	return disc_push(d, store);
}

/* An NSS database for Chromium or an explicit --nssdb. A missing database is
 * kept only when create is set, marked as created on first write. */
static int disc_nss(struct disc *d, const char *dir, const char *group, int create)
{
	int present = disc_exists(dir, "cert9.db", S_IFREG), skip;

	if (!present && !create) {
		uct_log(UCT_LOG_INFO, "%s: no NSS database (cert9.db), skipped", dir);
		return 0;
	}
	skip = disc_skip(d, "The NSS database", dir, disc_nss_files);
	if (skip != 0)
		return skip < 0 ? -1 : 0;
	return disc_add_nss(d, dir, group, UCT_BROWSER_CHROMIUM, !present);
}

static int disc_chromium(struct disc *d)
{
	char *dir = NULL, *snap = NULL;
	int rc = -1;

	dir = uct_asprintf("%s/.pki/nssdb", d->home);
	snap = uct_asprintf("%s/snap/chromium", d->home);
	if (dir == NULL || snap == NULL) {
		uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	if (disc_nss(d, dir, "chromium", d->opts->create_chromium_db) != 0)
		goto out;
	if (disc_exists(snap, NULL, S_IFDIR)) {
		free(dir);
		/* Keep "current", not its resolution: a snap refresh changes the
		 * revision directory, and the store id must stay stable. */
		dir = uct_asprintf("%s/current/.pki/nssdb", snap);
		if (dir == NULL) {
			uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
			goto out;
		}
		if (disc_nss(d, dir, "chromium-snap", d->opts->create_chromium_db) != 0)
			goto out;
	}
	rc = 0;
out:
	free(dir);
	free(snap);
	return rc;
}

/* ---- Firefox ----------------------------------------------------------- */

/* Both stores of one profile directory: its NSS database (when cert9.db is
 * there) and its override file. */
static int disc_profile_dir(struct disc *d, const char *dir, const char *name)
{
	struct uct_err e = {0};
	struct uct_store *store;
	char *group;
	int skip, rc = -1;

	if (!disc_exists(dir, NULL, S_IFDIR)) {
		uct_log(UCT_LOG_INFO, "Firefox profile %s: %s does not exist, skipped",
			name ? name : "?", dir);
		return 0;
	}
	if (!disc_exists(dir, "cert9.db", S_IFREG) && disc_exists(dir, "cert8.db", S_IFREG)) {
		uct_log(UCT_LOG_WARN,
			"Firefox profile %s has only a legacy cert8.db (Firefox older than 58), skipped",
			dir);
		return 0;
	}
	skip = disc_skip(d, "The Firefox profile", dir, disc_profile_files);
	if (skip != 0)
		return skip < 0 ? -1 : 0;
	group = uct_ff_group(&d->groups, name, dir, '/');
	if (group == NULL)
		return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	if (disc_exists(dir, "cert9.db", S_IFREG) &&
	    disc_add_nss(d, dir, group, UCT_BROWSER_FIREFOX, -1) != 0)
		goto out;
	uct_err_clear(&e);
	store = uct_store_override_new(dir, group, &e);
	if (store == NULL && disc_store_failed(d, dir, &e) != 0)
		goto out;
	if (store != NULL && disc_push(d, store) != 0)
		goto out;
	rc = 0;
out:
	free(group);
	return rc;
}

/* Every profile listed in root/profiles.ini. Paths are relative to root
 * (IsRelative=1) or absolute; without IsRelative, the path's form decides. */
static int disc_firefox_root(struct disc *d, const char *root)
{
	struct uct_ff_profiles ini = {0};
	char *file = uct_asprintf("%s/profiles.ini", root), *dir;
	int rc = -1, relative;

	if (file == NULL)
		return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	if (!disc_exists(file, NULL, S_IFREG)) {
		uct_log(UCT_LOG_DEBUG, "%s: none", file);
		free(file);
		return 0;
	}
	/* A list another user can write could name any directory root owns
	 * (/etc/pki/nssdb) as a profile: not read at all. */
	rc = disc_unsafe(d, "The Firefox profile list of", root, disc_ini_files);
	if (rc != 0) {
		free(file);
		return rc < 0 ? -1 : 0;
	}
	rc = -1;
	if (uct_ff_profiles_read(file, &ini, d->err) != 0)
		goto out;
	for (size_t i = 0; i < ini.n; i++) {
		const struct uct_ff_profile *p = &ini.v[i];

		if (p->path == NULL || p->path[0] == '\0') {
			uct_log(UCT_LOG_INFO, "%s: [%s] has no Path, skipped", file, p->section);
			continue;
		}
		relative = p->is_relative >= 0 ? p->is_relative : p->path[0] != '/';
		dir = relative ? uct_asprintf("%s/%s", root, p->path) : uct_strdup(p->path);
		if (dir == NULL) {
			uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
			goto out;
		}
		rc = disc_profile_dir(d, dir, p->name);
		free(dir);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	uct_ff_profiles_clear(&ini);
	free(file);
	return rc;
}

/* The places Firefox keeps profiles.ini: the deb/tarball layout, the snap,
 * the Flatpak, and the XDG layout of newer releases. */
static int disc_firefox(struct disc *d)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *roots[4];
	int rc = 0;

	roots[0] = uct_asprintf("%s/.mozilla/firefox", d->home);
	roots[1] = uct_asprintf("%s/snap/firefox/common/.mozilla/firefox", d->home);
	roots[2] = uct_asprintf("%s/.var/app/org.mozilla.firefox/.mozilla/firefox", d->home);
	/* The XDG spec says a relative XDG_CONFIG_HOME is invalid: ignore it. */
	roots[3] = xdg && xdg[0] == '/' ? uct_asprintf("%s/mozilla/firefox", xdg)
					: uct_asprintf("%s/.config/mozilla/firefox", d->home);
	for (size_t i = 0; i < 4 && rc == 0; i++)
		rc = roots[i] ? disc_firefox_root(d, roots[i])
			      : uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
	for (size_t i = 0; i < 4; i++)
		free(roots[i]);
	return rc;
}

/* ---- machine scope ----------------------------------------------------- */

/* Where Debian's firefox-esr and upstream's Firefox read policies.json
 * (measured with Firefox ESR 153, tests/package/test_packages.sh and a probe of all three places):
 * /etc/firefox/policies/policies.json when it exists, and then only it;
 * otherwise distribution/policies.json in the installation directory
 * (/etc/firefox-esr/policies is not read). */
#define DISC_FF_ETC_POLICY "/etc/firefox/policies/policies.json"
#define DISC_FF_CERT_DIR "/usr/local/share/uccx-trust/certs"

static const char *const disc_ff_install_dirs[] = {
	"/usr/lib/firefox-esr",
	"/usr/lib/firefox",
	"/usr/lib64/firefox",
	"/opt/firefox",
};

/*
 * The one policy file to manage: the /etc one when it exists; otherwise an
 * installation's distribution/policies.json that already exists (creating
 * the /etc one would silently disable it); otherwise a new /etc one, which
 * every Firefox build on Linux reads. NULL when no Firefox is installed.
 */
static char *disc_ff_policy_file(void)
{
	size_t n = sizeof(disc_ff_install_dirs) / sizeof(disc_ff_install_dirs[0]);
	int any = 0;
	char *file;

	if (disc_exists(DISC_FF_ETC_POLICY, NULL, S_IFREG))
		return uct_strdup(DISC_FF_ETC_POLICY);
	for (size_t i = 0; i < n; i++) {
		if (!disc_exists(disc_ff_install_dirs[i], NULL, S_IFDIR))
			continue;
		any = 1;
		file = uct_asprintf("%s/distribution/policies.json", disc_ff_install_dirs[i]);
		if (file == NULL || disc_exists(file, NULL, S_IFREG))
			return file;
		free(file);
	}
	return any ? uct_strdup(DISC_FF_ETC_POLICY) : uct_strdup("");
}

static int disc_executable(const char *name, const char **path)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
	static char found[64];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(found, sizeof(found), "%s/%s", dirs[i], name);
		if (access(found, X_OK) == 0) {
			*path = found;
			return 1;
		}
	}
	return 0;
}

/* The system anchors of a Debian-like, else of a Red Hat-like system. */
static int disc_system_anchors(struct disc *d)
{
	struct uct_err e = {0};
	struct uct_store *store = NULL;
	const char *cmd;

	if (disc_exists("/usr/local/share/ca-certificates", NULL, S_IFDIR) &&
	    disc_executable("update-ca-certificates", &cmd)) {
		const char *argv[] = {cmd, NULL};
		store = uct_store_system_new("/usr/local/share/ca-certificates/uccx-trust",
					     "/etc/ssl/certs", argv, &e);
	} else if (disc_exists("/etc/pki/ca-trust/source/anchors", NULL, S_IFDIR) &&
		   disc_executable("update-ca-trust", &cmd)) {
		const char *argv[] = {cmd, "extract", NULL};
		store = uct_store_system_new("/etc/pki/ca-trust/source/anchors", NULL, argv, &e);
	} else {
		uct_log(UCT_LOG_INFO, "no update-ca-certificates or update-ca-trust: "
				      "system anchors skipped");
		return 0;
	}
	if (store == NULL)
		return disc_store_failed(d, "system anchors", &e);
	return disc_push(d, store);
}

static int disc_machine(struct disc *d, unsigned mask)
{
	struct uct_err e = {0};
	struct uct_store *store;
	char *policy;

	if ((mask & UCT_BROWSER_SYSTEM) && disc_system_anchors(d) != 0)
		return -1;
	if ((mask & UCT_BROWSER_FIREFOX)) {
		policy = disc_ff_policy_file();
		if (policy == NULL)
			return uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
		store = policy[0] ? uct_store_ffpolicy_new(policy, DISC_FF_CERT_DIR, &e) : NULL;
		if (policy[0] && store == NULL && disc_store_failed(d, policy, &e) != 0) {
			free(policy);
			return -1;
		}
		free(policy);
		if (store != NULL && disc_push(d, store) != 0)
			return -1;
	}
	/* Red Hat's shared NSS database, read by programs that use NSS without
	 * a profile of their own. */
	if ((mask & UCT_BROWSER_SYSTEM) && disc_exists("/etc/pki/nssdb", "cert9.db", S_IFREG)) {
		uct_err_clear(&e);
		store = uct_store_nss_new("/etc/pki/nssdb", "system-nss", UCT_BROWSER_SYSTEM, &e);
		if (store == NULL)
			return disc_store_failed(d, "/etc/pki/nssdb", &e);
		return disc_push(d, store);
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------ */

/* The home to manage, absolute. A relative --home is taken from the working
 * directory, as certutil takes -d: falling back to the user's own home
 * would write into a home the caller did not name. Newly allocated, or NULL
 * when there is none. */
static char *disc_home(const struct uct_discover_opts *opts)
{
	const struct passwd *pw;
	const char *home = opts->home ? opts->home : getenv("HOME");
	char *cwd, *abs;

	if (opts->home != NULL && opts->home[0] != '\0' && opts->home[0] != '/') {
		cwd = getcwd(NULL, 0);
		abs = cwd ? uct_asprintf("%s/%s", cwd, opts->home) : NULL;
		free(cwd);
		return abs;
	}
	if (home != NULL && home[0] == '/')
		return uct_strdup(home);
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? uct_strdup(pw->pw_dir) : NULL;
}

/* An explicit database as the user may write it for certutil: "sql:DIR" or
 * DIR, relative to the working directory or absolute. Newly allocated, or
 * NULL (logged) when it names a legacy dbm: database. */
static char *disc_explicit_dir(const char *spec)
{
	char *cwd, *dir;

	if (strncmp(spec, "dbm:", 4) == 0) {
		uct_log(UCT_LOG_WARN, "%s: legacy dbm databases are not supported, skipped", spec);
		return NULL;
	}
	if (strncmp(spec, "sql:", 4) == 0)
		spec += 4;
	if (spec[0] == '/')
		return uct_strdup(spec);
	cwd = getcwd(NULL, 0);
	dir = cwd ? uct_asprintf("%s/%s", cwd, spec) : NULL;
	free(cwd);
	return dir;
}

/* Explicit databases (--nssdb): only these, whatever the browser mask. */
static int disc_explicit(struct disc *d)
{
	const struct uct_strv *dbs = d->opts->nss_dbs;
	char *dir, *group;
	int rc = 0;

	for (size_t i = 0; i < dbs->n && rc == 0; i++) {
		dir = disc_explicit_dir(dbs->v[i]);
		if (dir == NULL && strncmp(dbs->v[i], "dbm:", 4) == 0)
			continue;
		group = dir ? uct_asprintf("nssdb:%s", dir) : NULL;
		if (group == NULL)
			rc = uct_err_set(d->err, UCT_E_NOMEM, 0, "out of memory");
		else
			rc = disc_nss(d, dir, group, 1);
		free(group);
		free(dir);
	}
	return rc;
}

/*
 * Files written as root into another user's home would belong to root, and
 * that user's browser could no longer update its own databases. A user's
 * stores are managed by a run as that user (the login script); root only
 * manages a home it owns.
 */
static int disc_check_owner(const char *home, struct uct_err *err)
{
	struct stat sb;

	if (stat(home, &sb) != 0)
		return uct_err_set(err, UCT_E_IO, errno, "cannot read the home directory %s: %s",
				   home, strerror(errno));
	if (sb.st_uid != geteuid())
		return uct_err_set(
			err, UCT_E_USAGE, 0,
			"%s belongs to another user (uid %u): run uccx-trust as that user "
			"(for example from the login script) so that their browser "
			"databases stay theirs",
			home, (unsigned)sb.st_uid);
	return 0;
}

int uct_stores_discover(const struct uct_discover_opts *opts, struct uct_store ***out, size_t *n,
			struct uct_err *err)
{
	struct disc d = {0};
	unsigned mask;
	int rc = -1;

	*out = NULL;
	*n = 0;
	d.opts = opts;
	d.err = err;
	mask = opts->browsers ? opts->browsers : ~0u;
	if (opts->scope == UCT_STORES_MACHINE) {
		rc = disc_machine(&d, mask);
		goto out;
	}
	if (opts->nss_dbs != NULL && opts->nss_dbs->n > 0) {
		rc = disc_explicit(&d);
		goto out;
	}
	d.home = disc_home(opts);
	if (d.home == NULL) {
		uct_err_set(err, UCT_E_SYSTEM, 0, "no home directory: set HOME");
		goto out;
	}
	if (disc_check_owner(d.home, err) != 0)
		goto out;
	if ((mask & UCT_BROWSER_CHROMIUM) && disc_chromium(&d) != 0)
		goto out;
	if ((mask & UCT_BROWSER_FIREFOX) && disc_firefox(&d) != 0)
		goto out;
	rc = 0;
out:
	free(d.home);
	uct_strv_clear(&d.seen);
	uct_strv_clear(&d.groups);
	if (rc != 0) {
		uct_stores_free(d.stores.v, d.stores.n);
		return -1;
	}
	*out = d.stores.v;
	*n = d.stores.n;
	return 0;
}

/* Destroy each store, then the array. NULL-safe. */
void uct_stores_free(struct uct_store **stores, size_t n)
{
	if (stores == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (stores[i] != NULL && stores[i]->ops->destroy != NULL)
			stores[i]->ops->destroy(stores[i]);
	free(stores);
}
