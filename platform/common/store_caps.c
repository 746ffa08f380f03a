/*
 * store_caps.c: the one question the run asks a store about what it is.
 * A store declares its capabilities (struct uct_store_ops.caps, plus what
 * one store adds, such as the machine's NSS database); no code outside a
 * store compares its name.
 */
#include "platform.h"

int uct_store_supports(const struct uct_store *store, unsigned int caps)
{
	return ((store->ops->caps | store->caps) & caps) == caps;
}

int uct_entry_call(uct_entry_cb cb, const struct uct_store_entry *entry, void *ctx,
		   struct uct_err *err)
{
	int rc;

	rc = cb(entry, ctx, err);
	if (rc == 0 || rc == UCT_LIST_STOP)
		return rc;
	if (err->code == 0)
		uct_err_set(err, UCT_E_SYSTEM, 0,
			    "listing the agent's certificates stopped on an error (%d) that "
			    "gave no reason: report this as a bug",
			    rc);
	return -1;
}
