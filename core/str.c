/*
 * str.c: owned strings and growable arrays of them (struct uct_strv), the
 * small allocation helpers every module uses. Portable C, no platform.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uct.h"

char *uct_strdup(const char *s)
{
	char *copy;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strlen(s) + 1;
	copy = malloc(len);
	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

char *uct_asprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *buf;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	buf = malloc((size_t)len + 1);
	if (buf == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return buf;
}

int uct_strv_push(struct uct_strv *sv, const char *s)
{
	char **grown;
	char *copy;

	copy = uct_strdup(s);
	if (copy == NULL)
		return -1;
	grown = realloc(sv->v, (sv->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return -1;
	}
	sv->v = grown;
	sv->v[sv->n++] = copy;
	return 0;
}

int uct_strv_contains(const struct uct_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return 1;
	return 0;
}

void uct_strv_clear(struct uct_strv *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}
