/*
 * discover.c: which stores a run on Windows manages. Edge and Chrome read
 * the Windows stores, and Firefox 120+ imports their roots; so an elevated
 * run (a package manager runs as SYSTEM) manages LocalMachine. The user's
 * own stores are used only when asked for (--browser system without
 * administrator rights): adding to CurrentUser\Root shows a confirmation
 * dialog that no program can suppress. In user scope, each Firefox profile
 * of %APPDATA%\Mozilla\Firefox\profiles.ini gets its exception file
 * (cert_override.txt), for what no root can fix in Firefox.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/ffprofiles.h"
#include "../common/store_vec.h"
#include "log.h"
#include "win.h"

/* A growing list of stores (a profile count is not known in advance). */
struct wdisc {
	struct uct_store_vec stores;
	struct uct_strv groups; /* Firefox group names in use */
};

static int wdisc_push(struct wdisc *d, struct uct_store *store, struct uct_err *err)
{
	return uct_store_vec_push(&d->stores, store, err);
}

static int wdisc_is_dir(const char *path)
{
	wchar_t *wpath = uct_win_wide(path);
	DWORD attr = wpath != NULL ? GetFileAttributesW(wpath) : INVALID_FILE_ATTRIBUTES;

	free(wpath);
	return attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY);
}

/* An absolute Windows path: "C:\..." or "\\server\...". */
static int wdisc_absolute(const char *path)
{
	return (path[0] != '\0' && path[1] == ':') || (path[0] == '\\' && path[1] == '\\');
}

/* The profile's directory, with '\\' for '/'; NULL when out of memory. */
static char *wdisc_profile_dir(const char *root, const struct uct_ff_profile *p)
{
	int relative = p->is_relative >= 0 ? p->is_relative : !wdisc_absolute(p->path);
	char *dir = relative ? uct_asprintf("%s\\%s", root, p->path) : uct_strdup(p->path);

	for (char *c = dir; c != NULL && *c; c++)
		if (*c == '/')
			*c = '\\';
	return dir;
}

/* The exception file of one profile, when its directory exists. */
static int wdisc_profile(struct wdisc *d, const char *root, const char *file,
			 const struct uct_ff_profile *p, struct uct_err *err)
{
	struct uct_err e = {0};
	struct uct_store *store;
	char *dir, *group;

	if (p->path == NULL || p->path[0] == '\0') {
		uct_log(UCT_LOG_INFO, "%s: [%s] has no Path, skipped", file, p->section);
		return 0;
	}
	dir = wdisc_profile_dir(root, p);
	if (dir == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (!wdisc_is_dir(dir)) {
		uct_log(UCT_LOG_INFO, "Firefox profile %s: %s does not exist, skipped",
			p->name ? p->name : p->section, dir);
		free(dir);
		return 0;
	}
	group = uct_ff_group(&d->groups, p->name, dir, '\\');
	store = group != NULL ? uct_store_override_new(dir, group, &e) : NULL;
	free(group);
	free(dir);
	if (store == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	return wdisc_push(d, store, err);
}

/* The exception file of every profile of this user's profiles.ini. Firefox
 * writes relative paths with '/' ("Profiles/abcd.default-release"). */
static int wdisc_firefox(struct wdisc *d, struct uct_err *err)
{
	struct uct_ff_profiles ini = {0};
	char *appdata = uct_win_getenv("APPDATA"), *root = NULL, *file = NULL;
	int rc = -1;

	if (appdata == NULL) {
		uct_log(UCT_LOG_INFO, "APPDATA is not set: no Firefox profiles to look for");
		return 0;
	}
	root = uct_asprintf("%s\\Mozilla\\Firefox", appdata);
	file = root != NULL ? uct_asprintf("%s\\profiles.ini", root) : NULL;
	if (file == NULL) {
		uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
		goto out;
	}
	if (uct_ff_profiles_read(file, &ini, err) != 0)
		goto out;
	for (size_t i = 0; i < ini.n; i++)
		if (wdisc_profile(d, root, file, &ini.v[i], err) != 0)
			goto out;
	rc = 0;
out:
	uct_ff_profiles_clear(&ini);
	free(file);
	free(root);
	free(appdata);
	return rc;
}

int uct_stores_discover(const struct uct_discover_opts *opts, struct uct_store ***out, size_t *n,
			struct uct_err *err)
{
	struct wdisc d = {0};
	struct uct_store *store = NULL;
	unsigned mask = opts->browsers;

	*out = NULL;
	*n = 0;
	if (opts->nss_dbs != NULL && opts->nss_dbs->n > 0)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "--nss-db is for Linux: on Windows the browsers use the Windows "
				   "certificate stores");
	if (mask == 0 || (mask & (UCT_BROWSER_SYSTEM | UCT_BROWSER_CHROMIUM))) {
		if (uct_is_privileged()) {
			store = uct_store_capi_new(1, err);
		} else if ((mask & UCT_BROWSER_SYSTEM) && opts->quiet) {
			return uct_err_set(
				err, UCT_E_USAGE, 0,
				"--quiet cannot use this user's certificate stores: Windows "
				"asks the user to confirm each root added there. Run elevated "
				"(the machine's stores), or without --quiet");
		} else if (mask & UCT_BROWSER_SYSTEM) {
			store = uct_store_capi_new(0, err);
		} else {
			uct_log(UCT_LOG_WARN,
				"not running as administrator: the machine's certificate stores "
				"cannot be changed (run elevated, or pass --browser system to use "
				"this user's stores, which asks the user to confirm)");
		}
		if (store == NULL && err != NULL && err->code != UCT_E_NONE)
			return -1;
		if (store != NULL && wdisc_push(&d, store, err) != 0)
			goto err;
	}
	/* A profile is a file in the user's own folder: user scope only, as
	 * on Linux (an elevated or SYSTEM run never writes there). */
	if (opts->scope == UCT_STORES_USER && (mask == 0 || (mask & UCT_BROWSER_FIREFOX)) &&
	    wdisc_firefox(&d, err) != 0)
		goto err;
	uct_strv_clear(&d.groups);
	if (d.stores.v == NULL && (d.stores.v = calloc(1, sizeof(*d.stores.v))) == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	*out = d.stores.v;
	*n = d.stores.n;
	return 0;
err:
	uct_strv_clear(&d.groups);
	uct_stores_free(d.stores.v, d.stores.n);
	return -1;
}

void uct_stores_free(struct uct_store **stores, size_t n)
{
	size_t i;

	for (i = 0; stores != NULL && i < n; i++)
		if (stores[i] != NULL)
			stores[i]->ops->destroy(stores[i]);
	free(stores);
}

/* NSS databases are a Linux matter: the Windows browsers use the Windows
 * stores. Kept so that the interface is the same on both platforms. */
struct uct_store *uct_store_nss_new(const char *dir, const char *group, enum uct_browser browser,
				    struct uct_err *err)
{
	(void)group;
	(void)browser;
	uct_err_set(err, UCT_E_USAGE, 0, "%s: NSS databases are not managed on Windows", dir);
	return NULL;
}
