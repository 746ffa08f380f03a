/*
 * discover.c: which stores a run on Windows manages. Edge and Chrome read
 * the Windows stores, and Firefox 120+ imports their roots; so an elevated
 * run (a package manager runs as SYSTEM) manages LocalMachine. The user's
 * own stores are used only when asked for (--browser system without
 * administrator rights): adding to CurrentUser\Root shows a confirmation
 * dialog that no program can suppress.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "win.h"

int uct_stores_discover(const struct uct_discover_opts *opts, struct uct_store ***out, size_t *n,
			struct uct_err *err)
{
	struct uct_store **stores;
	unsigned mask = opts->browsers;

	*out = NULL;
	*n = 0;
	if (opts->nss_dbs != NULL && opts->nss_dbs->n > 0)
		return uct_err_set(err, UCT_E_USAGE, 0,
				   "--nss-db is for Linux: on Windows the browsers use the Windows "
				   "certificate stores");
	stores = calloc(2, sizeof(*stores));
	if (stores == NULL)
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	if (mask == 0 || (mask & (UCT_BROWSER_SYSTEM | UCT_BROWSER_CHROMIUM))) {
		if (uct_is_privileged()) {
			stores[*n] = uct_store_capi_new(1, err);
		} else if ((mask & UCT_BROWSER_SYSTEM) && opts->quiet) {
			free(stores);
			return uct_err_set(err, UCT_E_USAGE, 0,
					   "--quiet cannot use this user's certificate stores: Windows "
					   "asks the user to confirm each root added there. Run elevated "
					   "(the machine's stores), or without --quiet");
		} else if (mask & UCT_BROWSER_SYSTEM) {
			stores[*n] = uct_store_capi_new(0, err);
		} else {
			uct_log(UCT_LOG_WARN,
				"not running as administrator: the machine's certificate stores "
				"cannot be changed (run elevated, or pass --browser system to use "
				"this user's stores, which asks the user to confirm)");
			stores[*n] = (struct uct_store *)NULL;
		}
		if (stores[*n] != NULL)
			(*n)++;
		else if (err != NULL && err->code != UCT_E_NONE) {
			free(stores);
			*n = 0;
			return -1;
		}
	}
	*out = stores;
	return 0;
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

struct uct_store *uct_store_override_new(const char *profile_dir, const char *group,
					 struct uct_err *err)
{
	(void)group;
	uct_err_set(err, UCT_E_USAGE, 0, "%s: Firefox exceptions are not yet managed on Windows",
		    profile_dir);
	return NULL;
}
