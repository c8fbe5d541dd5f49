/* base/progress.c: step lines with elapsed time. */
#include "config.h"

#include "base/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char step[256];
static double step_t0, first_t0, last_tick;
static int tty = -1;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ml_progress_begin(const char *fmt, ...)
{
	va_list ap;

	if (tty < 0)
		tty = isatty(2);
	va_start(ap, fmt);
	vsnprintf(step, sizeof(step), fmt, ap);
	va_end(ap);
	step_t0 = now();
	if (first_t0 == 0)
		first_t0 = step_t0;
	last_tick = 0;
	if (tty)
		fprintf(stderr, "  %s ...", step);
}

void
ml_progress_tick(const char *fmt, ...)
{
	char detail[256];
	double t = now();
	va_list ap;

	if (tty <= 0 || t - last_tick < 0.25)
		return;
	last_tick = t;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\r\033[K  %s ... %.0fs %s", step, t - step_t0, detail);
}

void
ml_progress_end(int r)
{
	double t = now() - step_t0;

	if (tty > 0)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s %s (%.1fs)\n", r >= 0 ? "  ✓" : "  ✗", step, t);
}

double
ml_progress_total(void)
{
	return first_t0 == 0 ? 0 : now() - first_t0;
}
