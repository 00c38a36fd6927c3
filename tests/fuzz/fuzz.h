/*
 * Shared by the libFuzzer targets in tests/fuzz/ (docs/testing.md "Fuzzing"): the entry
 * points and small helpers. Included by one fuzz_*.c each (static functions, marked
 * unused so each target may use any subset).
 */
#ifndef KK_FUZZ_H
#define KK_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Dies loudly: a harness that cannot set itself up must not report a clean run. */
static __attribute__((unused, noreturn)) void
fuzz_die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

/* data as a NUL-terminated string of exactly size bytes (stopping at an embedded NUL
 * for C-string parsers is the caller's choice). Caller frees. */
static __attribute__((unused)) char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		fuzz_die("malloc", NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An in-memory file (memfd) holding data, for parsers that read a path: "/proc/self/fd/N"
 * in path (size 64). Returns the fd; caller closes. */
static __attribute__((unused)) int
fuzz_memfile(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("kakuin-fuzz", 0);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		fuzz_die("memfd", NULL);
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}
#endif
