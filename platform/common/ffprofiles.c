/*
 * ffprofiles.c: reading Firefox's profiles.ini with the project's INI
 * reader (no line-length limit: an absolute profile path can be long) and
 * naming each profile's group, for the discovery of every platform.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ffprofiles.h"
#include "log.h"

static struct uct_ff_profile *ff_section(struct uct_ff_profiles *all, const char *section)
{
	struct uct_ff_profile *grown;

	for (size_t i = 0; i < all->n; i++)
		if (strcmp(all->v[i].section, section) == 0)
			return &all->v[i];
	grown = realloc(all->v, (all->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	all->v = grown;
	memset(&all->v[all->n], 0, sizeof(all->v[0]));
	all->v[all->n].is_relative = -1;
	all->v[all->n].section = uct_strdup(section);
	if (all->v[all->n].section == NULL)
		return NULL;
	return &all->v[all->n++];
}

/* uct_ini_parse handler: non-zero (out of memory) stops the parse. */
static int ff_handler(void *ctx, const char *section, const char *key, const char *value, int line)
{
	struct uct_ff_profile *p;
	char **slot = NULL;

	(void)line;
	if (strncasecmp(section, "Profile", 7) != 0)
		return 0;
	p = ff_section(ctx, section);
	if (p == NULL)
		return -1;
	if (strcasecmp(key, "Name") == 0)
		slot = &p->name;
	else if (strcasecmp(key, "Path") == 0)
		slot = &p->path;
	else if (strcasecmp(key, "IsRelative") == 0)
		p->is_relative = strcmp(value, "1") == 0;
	if (slot != NULL) {
		free(*slot);
		if ((*slot = uct_strdup(value)) == NULL)
			return -1;
	}
	return 0;
}

int uct_ff_profiles_read(const char *path, struct uct_ff_profiles *out, struct uct_err *err)
{
	struct uct_err e = {0};

	memset(out, 0, sizeof(*out));
	if (uct_ini_parse_lenient(path, ff_handler, out, &e) == 0)
		return 0;
	/* The handler stops the parse only when out of memory. */
	if (e.code == UCT_E_NOMEM || e.code == UCT_E_NONE) {
		uct_ff_profiles_clear(out);
		return uct_err_set(err, UCT_E_NOMEM, 0, "out of memory");
	}
	if (e.native == ENOENT)
		uct_log(UCT_LOG_DEBUG, "%s: none", path);
	else
		uct_log(UCT_LOG_WARN, "%s (using what was read)", e.msg);
	return 0;
}

void uct_ff_profiles_clear(struct uct_ff_profiles *profiles)
{
	if (profiles == NULL)
		return;
	for (size_t i = 0; i < profiles->n; i++) {
		free(profiles->v[i].section);
		free(profiles->v[i].name);
		free(profiles->v[i].path);
	}
	free(profiles->v);
	memset(profiles, 0, sizeof(*profiles));
}

char *uct_ff_group(struct uct_strv *taken, const char *name, const char *dir, char sep)
{
	const char *base = strrchr(dir, sep) ? strrchr(dir, sep) + 1 : dir;
	const char *tries[] = {name && name[0] ? name : base, base, dir};
	char *group = NULL;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		free(group);
		group = uct_asprintf("firefox:%s", tries[i]);
		if (group == NULL || !uct_strv_contains(taken, group))
			break;
	}
	if (group != NULL && uct_strv_push(taken, group) != 0) {
		free(group);
		group = NULL;
	}
	return group;
}
