/*
 * The identifier index's size and build time for a store (docs/store.md,
 * "Memory"): builds the index of ROOT once, as symsrvd does at start-up,
 * and prints the records, the bytes the index allocated and the time the
 * scan took. With gen_ids_store.py, which writes a synthetic store.
 *
 *   bench_index ROOT
 */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "store/debuginfod.h"

int
main(int argc, char **argv)
{
    char err[512];
    struct timespec t0, t1;
    struct debuginfod *d;
    size_t n, bytes = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_index ROOT\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* No budget limit: the scan's whole time is what is measured. */
    d = debuginfod_new(argv[1], UINT_MAX, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (d == NULL) {
        fprintf(stderr, "bench_index: %s\n", err);
        return 1;
    }
    n = debuginfod_index_size(d, &bytes);
    printf("records %zu bytes %zu per-record %.1f scan %.3f s\n", n, bytes,
           n > 0 ? (double)bytes / (double)n : 0.0,
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    debuginfod_free(d);
    return 0;
}
