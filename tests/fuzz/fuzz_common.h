/* fuzz_common.h - what the libFuzzer harnesses of tests/fuzz share: a
 * private folder for the loaders that only read files, and the project's
 * own folders (profiles, regulation files) to point them at.
 *
 * Harnesses abort() on a broken promise (a contract of a header that the
 * result does not keep): libFuzzer reports an abort as a crash and keeps
 * the input, the same as a sanitizer report. */
#ifndef WWTP_FUZZ_COMMON_H
#define WWTP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Aborts with a message naming the broken promise. */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* The checkout the harness was built from ($WWTP_SRCDIR wins): the loaders
 * read the shipped profiles and regulation files from its config/. */
const char *fuzz_srcdir(void);

/* Writes data to NAME in the harness's private folder (made on first use
 * under $TMPDIR, removed at exit) and returns the file's path (a static
 * buffer, valid until the next call). Aborts when the file cannot be
 * written: a full disk must not pass for a clean run. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* 0 when the input holds an @include that could reach outside the private
 * folder: libconfig opens what it names, and a harness must not read
 * /dev/stdin or a device that never ends. Names of [A-Za-z0-9_.-] without
 * ".." pass; the folder holds only the input and what the harness put
 * there. The check is on the bytes, so it is stricter than libconfig. */
int fuzz_includes_ok(const uint8_t *data, size_t size);

/* 1 when $WWTP_FUZZ_VERBOSE is set: harnesses then print why an input was
 * refused (handy when writing seeds; far too slow for fuzzing). */
int fuzz_verbose(void);

/* A NUL-terminated copy of data[0..size) (malloc'd; aborts on no memory). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
