/*
 * The one clock. Every date-dependent rule (BR schedules, token lifetimes, CRL/OCSP
 * timing) asks kk_now(). Tests set it with kk_clock_set(); integration tests set the
 * KAKUIN_FAKE_TIME environment variable (seconds since the epoch, or YYYY-MM-DD),
 * which is read once at start-up and then advances with real time.
 */
#ifndef KAKUIN_CLOCK_H
#define KAKUIN_CLOCK_H

#include <time.h>

time_t kk_now(void);
/* Pins the clock to t (t == 0 returns to real time). */
void kk_clock_set(time_t t);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC). Returns -1 on bad input. */
int kk_time_parse(const char *s, time_t *out);
/* Formats t as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 bytes). */
void kk_time_format(time_t t, char buf[21]);

#endif
