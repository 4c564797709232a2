// CLOCK_MONOTONIC in microseconds, for the measuring lin build (probe/clock).
#include "xsmc.h"
#include <time.h>

void xs_probe_microseconds(xsMachine *the)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	xsmcSetNumber(xsResult, (double)ts.tv_sec * 1000000.0 + (double)ts.tv_nsec / 1000.0);
}
