/*
 * fuzz_util.c: the per-process temporary directory of the fuzz targets
 * (fuzz_util.h). It lives under $TMPDIR, which tests/fuzz/run.sh points at
 * its work directory, so a killed run leaves nothing outside it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"

#define FUZZ_NAMES 8

static char fuzz_dir[PATH_MAX];
static struct {
	char name[64];
	char path[PATH_MAX];
} fuzz_paths[FUZZ_NAMES];

/* Remove the directory and what the targets left in it (one level). */
static void fuzz_cleanup(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(fuzz_dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(fuzz_dir);
}

const char *uct_fuzz_dir(void)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/uct-fuzz.XXXXXX",
		 base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror("uct-fuzz: cannot create a temporary directory");
		abort();
	}
	atexit(fuzz_cleanup);
	return fuzz_dir;
}

const char *uct_fuzz_path(const char *name)
{
	size_t i;

	for (i = 0; i < FUZZ_NAMES && fuzz_paths[i].name[0] != '\0'; i++)
		if (strcmp(fuzz_paths[i].name, name) == 0)
			return fuzz_paths[i].path;
	if (i == FUZZ_NAMES || strlen(name) >= sizeof(fuzz_paths[i].name)) {
		fprintf(stderr, "uct-fuzz: too many file names (%s)\n", name);
		abort();
	}
	snprintf(fuzz_paths[i].name, sizeof(fuzz_paths[i].name), "%s", name);
	snprintf(fuzz_paths[i].path, sizeof(fuzz_paths[i].path), "%s/%s", uct_fuzz_dir(), name);
	return fuzz_paths[i].path;
}

const char *uct_fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	const char *path = uct_fuzz_path(name);
	size_t done = 0;
	ssize_t n;
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	while (fd >= 0 && done < size) {
		n = write(fd, data + done, size - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (fd < 0 || done < size || close(fd) != 0) {
		perror(path);
		abort();
	}
	return path;
}

void uct_fuzz_unlink(const char *name)
{
	unlink(uct_fuzz_path(name));
}

void uct_fuzz_fail(const char *file, int line, const char *cond, const char *what)
{
	fprintf(stderr, "uct-fuzz: %s:%d: property broken: %s (%s)\n", file, line, what, cond);
	abort();
}
