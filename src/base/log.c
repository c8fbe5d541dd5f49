/* base/log.c: leveled diagnostics on stderr. */
#include "config.h"

#include "base/log.h"

#include <stdio.h>

static enum ml_log_level log_level = ML_LOG_INFO;

void
ml_log_set_level(enum ml_log_level level)
{
	log_level = level;
}

enum ml_log_level
ml_log_get_level(void)
{
	return log_level;
}

void
ml_log(enum ml_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[ML_LOG_ERROR] = "error: ",
		[ML_LOG_WARN] = "warning: ",
		[ML_LOG_INFO] = "",
		[ML_LOG_DEBUG] = "debug: ",
	};
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "minilaunch: %s", prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
