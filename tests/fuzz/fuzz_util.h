/*
 * fuzz_util.h: what the libFuzzer targets share: a private temporary
 * directory per process, so that loaders which take a path read the input
 * from a real file, and a check that ends the run with a readable reason.
 */
#ifndef UCT_FUZZ_UTIL_H
#define UCT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Write size bytes of data to NAME in this process's temporary directory
 * (created on first use, removed at exit) and return its path, borrowed
 * until the next call with the same name. Aborts when the file cannot be
 * written: a fuzzer that cannot write its input tests nothing. */
const char *uct_fuzz_file(const char *name, const uint8_t *data, size_t size);
/* This process's temporary directory (created on first use). */
const char *uct_fuzz_dir(void);
/* The path of NAME in that directory (the file need not exist). */
const char *uct_fuzz_path(const char *name);
/* Remove NAME from that directory, if there. */
void uct_fuzz_unlink(const char *name);

/* A property the code must hold: print what broke, then abort so that
 * libFuzzer keeps the input as a crash. */
#define UCT_FUZZ_CHECK(cond, what)                                        \
	do {                                                              \
		if (!(cond))                                              \
			uct_fuzz_fail(__FILE__, __LINE__, #cond, (what)); \
	} while (0)
void uct_fuzz_fail(const char *file, int line, const char *cond, const char *what)
	__attribute__((noreturn));

#endif
