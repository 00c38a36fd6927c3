/*
 * The one wall clock of the bench tools that link kakuin_core (populate.c,
 * signbench.c, crlbench.c): monotonic seconds for timing a step. The load generator
 * has its own (lg_now, bench/lg.h), as it is built without kakuin.
 */
#ifndef KAKUIN_BENCH_CLOCK_H
#define KAKUIN_BENCH_CLOCK_H

#include <time.h>

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
