/*
 * ffprofiles.h: Firefox's profiles.ini as both platforms' discovery reads
 * it, and the group names of the profiles found. Private to platform/.
 */
#ifndef UCT_FFPROFILES_H
#define UCT_FFPROFILES_H

#include "platform.h"

/* One [ProfileN] section. */
struct uct_ff_profile {
	char *section;
	char *name;
	char *path;
	int is_relative; /* 1, 0, or -1 when the key is absent */
};

struct uct_ff_profiles {
	struct uct_ff_profile *v;
	size_t n;
};

/* Read the [ProfileN] sections of the profiles.ini at path ([General],
 * [InstallHASH] and the rest are ignored) into out (cleared on entry). A
 * missing file gives none; a line that does not parse is logged and skipped. Fails (UCT_E_NOMEM) only when out of memory. */
int uct_ff_profiles_read(const char *path, struct uct_ff_profiles *out, struct uct_err *err);
void uct_ff_profiles_clear(struct uct_ff_profiles *profiles); /* NULL-safe */

/* The group of a profile: "firefox:<name>", unless another profile (the
 * snap's and the deb's are both "default-release") took it; then the
 * directory's last component (after sep), then the whole directory. The
 * name is recorded in taken. Returns a new string, or NULL. */
char *uct_ff_group(struct uct_strv *taken, const char *name, const char *dir, char sep);

#endif
