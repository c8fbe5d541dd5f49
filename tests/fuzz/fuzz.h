/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share. Each target is
 * one LLVMFuzzerTestOneInput() over a reader of outside data; the readers
 * that take a file get the input written to a private scratch directory
 * made once per process (removed at exit).
 */
#ifndef ML_FUZZ_H
#define ML_FUZZ_H

#include "base/log.h"
#include "base/util.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The scratch directory's name, "" until made. */
static inline char *
fuzz_dir_buf(void)
{
	static char dir[64];

	return dir;
}

static inline void
fuzz_cleanup(void)
{
	char *fuzz_dir = fuzz_dir_buf();

	if (fuzz_dir[0]) {
		char *cmd = ml_xasprintf("rm -rf '%s'", fuzz_dir);

		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: could not remove %s\n",
				fuzz_dir);
		free(cmd);
	}
}

/* The scratch directory, made on first use. Borrowed. */
static inline const char *
fuzz_scratch(void)
{
	char *fuzz_dir = fuzz_dir_buf();

	if (!fuzz_dir[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(fuzz_dir, 64, "%.40s/ml-fuzz-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(fuzz_dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fuzz_cleanup);
	}
	return fuzz_dir;
}

/* Writes len bytes of data to path (replacing it); aborts on failure. */
static inline void
fuzz_write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) < 0) {
		perror(path);
		abort();
	}
}

/* Quiet: the readers' warnings would drown libFuzzer's own output. */
static inline void
fuzz_quiet(void)
{
	ml_log_set_level(ML_LOG_ERROR);
}

#endif
