/*
 * tui/age.h: the dashboard's time cells, as kubectl prints them. Pure
 * functions, tested in tests/unit/test_tui_age.c.
 */
#ifndef ML_TUI_AGE_H
#define ML_TUI_AGE_H

#include <stddef.h>
#include <time.h>

/* Room for any age ml_tui_age_format() writes, with its NUL. */
#define ML_TUI_AGE_MAX 24

/*
 * Writes seconds as kubectl's HumanDuration does: "45s" under 2 minutes,
 * "3m20s" (or "3m") under 10, "45m" under 3 hours, "3h20m" under 8,
 * "30h" under 2 days, "2d3h" under 8, "45d" under 2 years, "2y45d" under
 * 8, then "9y"; "0s" for -1 (clocks a second apart), "<invalid>" below.
 * Returns buf.
 */
char *ml_tui_age_format(long long seconds, char *buf, size_t size);

/* Seconds from now until the text of an age of seconds changes. */
long long ml_tui_age_next_change(long long seconds);

/* An RFC 3339 UTC time as the API writes it ("2026-12-02T09:20:50Z"), or
 * 0 when s is not one. */
time_t ml_tui_time_parse(const char *s);

#endif
