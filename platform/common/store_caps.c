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
