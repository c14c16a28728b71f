/*
 * The monotonic clock, in one unit: nanoseconds since an arbitrary start
 * (CLOCK_MONOTONIC, never stepped by settimeofday or NTP). For durations,
 * deadlines and heartbeats; callers divide for the unit they need.
 */
#ifndef SYMSRVD_UTIL_CLOCK_H
#define SYMSRVD_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_MS 1000000ull
#define CLOCK_NS_PER_S 1000000000ull

static inline uint64_t
clock_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * CLOCK_NS_PER_S + (uint64_t)ts.tv_nsec;
}

#endif
