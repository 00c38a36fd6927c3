/* The one clock (include/kakuin/clock.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kakuin/clock.h"

static _Atomic long long pinned;     /* kk_clock_set() value, 0 = none */
static _Atomic long long env_offset; /* KAKUIN_FAKE_TIME - real time at first use */
static atomic_int env_read;

static void
read_env(void)
{
	const char *s;
	time_t t;

	if (atomic_exchange(&env_read, 1))
		return;
	s = getenv("KAKUIN_FAKE_TIME");
	if (s == NULL || *s == '\0')
		return;
	if (kk_time_parse(s, &t) != 0) {
		char *end;
		long long v = strtoll(s, &end, 10);
		if (*end != '\0' || v <= 0)
			return;
		t = (time_t)v;
	}
	env_offset = (long long)t - (long long)time(NULL);
}

time_t
kk_now(void)
{
	long long p = pinned;

	if (p != 0)
		return (time_t)p;
	read_env();
	return time(NULL) + (time_t)env_offset;
}

void
kk_clock_set(time_t t)
{
	pinned = (long long)t;
}

int
kk_time_parse(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	size_t len = strlen(s);

	if (len == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
			return -1;
	} else if (len == 20) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 ||
		    n != 20)
			return -1;
	} else
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = timegm(&tm);
	return 0;
}

void
kk_time_format(time_t t, char buf[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
