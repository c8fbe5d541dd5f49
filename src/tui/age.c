/*
 * tui/age.c: the dashboard's time cells (see age.h).
 */
#include "config.h"

#include "tui/age.h"

#include <stdio.h>
#include <string.h>

char *
ml_tui_age_format(long long s, char *buf, size_t size)
{
	long long m = s / 60, h = s / 3600, d = h / 24;

	if (s < -1)
		snprintf(buf, size, "<invalid>");
	else if (s < 0)
		snprintf(buf, size, "0s");
	else if (s < 120)
		snprintf(buf, size, "%llds", s);
	else if (m < 10 && s % 60)
		snprintf(buf, size, "%lldm%llds", m, s % 60);
	else if (m < 180)
		snprintf(buf, size, "%lldm", m);
	else if (h < 8 && m % 60)
		snprintf(buf, size, "%lldh%lldm", h, m % 60);
	else if (h < 48)
		snprintf(buf, size, "%lldh", h);
	else if (h < 24 * 8 && h % 24)
		snprintf(buf, size, "%lldd%lldh", d, h % 24);
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%lldd", d);
	else if (h < 24 * 365 * 8 && d % 365)
		snprintf(buf, size, "%lldy%lldd", d / 365, d % 365);
	else
		snprintf(buf, size, "%lldy", d / 365);
	return buf;
}

long long
ml_tui_age_next_change(long long s)
{
	long long unit;

	if (s < 600)
		unit = 1;
	else if (s < 8 * 3600)
		unit = 60;
	else if (s < 8 * 86400)
		unit = 3600;
	else
		unit = 86400;
	if (s < 0)
		return -s;
	return unit - s % unit;
}

time_t
ml_tui_time_parse(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return end && *end == 'Z' && !end[1] ? timegm(&tm) : 0;
}
