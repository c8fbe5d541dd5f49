/*
 * base/progress.h: what a long command shows while it works. One line per step
 * with its elapsed time; on a terminal the current step's line is redrawn
 * (at most every 250 ms) with the time so far and a detail, elsewhere only
 * the finished lines are printed. Everything goes to stderr.
 */
#ifndef ML_PROGRESS_H
#define ML_PROGRESS_H

#include "base/util.h"

/* Starts a step, e.g. "Booting the VM". */
void ml_progress_begin(const char *fmt, ...) ML_PRINTF(1, 2);
/* Updates the running step's detail (terminal only, throttled). */
void ml_progress_tick(const char *fmt, ...) ML_PRINTF(1, 2);
/* Ends the step: "ok" or the failure's short word, with elapsed time. */
void ml_progress_end(int r);
/* Seconds since the first step began. */
double ml_progress_total(void);

#endif
