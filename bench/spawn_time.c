/*
 * spawn_time: runs a command N times (stdout to /dev/null) and prints the
 * median, 90th percentile and minimum wall time in milliseconds, then the
 * median CPU time (user + system) of the child, which machine load barely
 * moves.
 *
 *   spawn_time N COMMAND [ARGS...]
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	double *ms, *cpu;

	if (n < 1) {
		fprintf(stderr, "usage: spawn_time N COMMAND [ARGS...]\n");
		return 64;
	}
	ms = calloc((size_t)n, sizeof(*ms));
	cpu = calloc((size_t)n, sizeof(*cpu));
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		struct rusage ru;
		int status;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		wait4(pid, &status, 0, &ru);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawn_time: '%s' failed\n", argv[2]);
			return 1;
		}
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		cpu[i] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
				 1e3 +
			 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
				 1e3;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	qsort(cpu, (size_t)n, sizeof(*cpu), cmp);
	printf("%.3f %.3f %.3f %.3f\n", ms[n / 2], ms[n * 9 / 10], ms[0],
	       cpu[n / 2]);
	free(ms);
	free(cpu);
	return 0;
}
