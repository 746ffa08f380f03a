/*
 * fuzz_ffprofiles.c: libFuzzer target for Firefox's profiles.ini as
 * discovery reads it (platform/common/ffprofiles.c): the reader, then the
 * group name of every profile found.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ffprofiles.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = uct_fuzz_file("profiles.ini", data, size);
	struct uct_ff_profiles all = {0};
	struct uct_strv taken = {0};
	struct uct_err err = {0};
	size_t i, j;
	char *group;

	/* Only running out of memory fails; a bad file gives what was read. */
	UCT_FUZZ_CHECK(uct_ff_profiles_read(path, &all, &err) == 0, "the reader failed");
	for (i = 0; i < all.n; i++) {
		const struct uct_ff_profile *p = &all.v[i];

		UCT_FUZZ_CHECK(p->section != NULL && strncasecmp(p->section, "Profile", 7) == 0,
			       "a section that is not a profile");
		UCT_FUZZ_CHECK(p->is_relative >= -1 && p->is_relative <= 1,
			       "IsRelative out of range");
		for (j = 0; j < i; j++)
			UCT_FUZZ_CHECK(strcmp(all.v[j].section, p->section) != 0,
				       "one section read as two profiles");
		if (p->path == NULL)
			continue;
		group = uct_ff_group(&taken, p->name, p->path, '/');
		UCT_FUZZ_CHECK(group != NULL && strncmp(group, "firefox:", 8) == 0,
			       "a group without the firefox: prefix");
		free(group);
	}
	uct_strv_clear(&taken);
	uct_ff_profiles_clear(&all);
	return 0;
}
