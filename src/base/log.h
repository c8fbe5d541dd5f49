/*
 * base/log.h: leveled diagnostics on stderr.
 *
 * Diagnostics never go to stdout, which carries only requested output.
 * Debug lines are shown with -v and start with the calling function's name.
 */
#ifndef ML_LOG_H
#define ML_LOG_H

#include "base/util.h"

enum ml_log_level {
	ML_LOG_ERROR,
	ML_LOG_WARN,
	ML_LOG_INFO,
	ML_LOG_DEBUG,
};

/* The one mutable global besides main()'s parsed flags. */
void ml_log_set_level(enum ml_log_level level);
enum ml_log_level ml_log_get_level(void);

void ml_log(enum ml_log_level level, const char *fmt, ...) ML_PRINTF(2, 3);

#define ml_log_warn(...) ml_log(ML_LOG_WARN, __VA_ARGS__)
#define ml_log_info(...) ml_log(ML_LOG_INFO, __VA_ARGS__)
#define ml_log_debug(fmt, ...) \
	ml_log(ML_LOG_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__)

#endif
