/* Part 1 of the tutorial, in C: an application that times the requests it handles and
 * serves the timings on /metrics for Prometheus to scrape.
 *
 * A summary `request_processing_seconds` counts the requests and sums their durations
 * (the Python script's `@REQUEST_TIME.time()` decorator); each simulated request sleeps a
 * random 0 to 1 second, multiplied by SCALE (default 1; tests pass a small one to get many
 * requests quickly). The process collector adds the process_* metrics (CPU time, memory,
 * open files, start time), read from /proc at each scrape.
 *
 * Usage: app HOST PORT [SECONDS [SCALE]]
 *   PORT 0 picks a free port; the line "listening on HOST:PORT" says which.
 *   SECONDS is how long to run (0, the default: until SIGINT or SIGTERM).
 * Either way it stops cleanly, frees everything, and prints how many requests it handled. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Handles one request: its work is a sleep of `seconds`, which a stop signal cuts short.
 * Returns false when the application should stop. */
static bool process_request(double seconds, double deadline) {
    return serve_wait(seconds, deadline);
}

/* Runs the request loop until the deadline or a stop signal; returns the number of
 * requests handled. Each request's wall time is observed in `request_time`, as the
 * decorator does, also for the last one a signal interrupted. */
static unsigned long handle_requests(const fastprom_summary *request_time, double scale, double deadline) {
    unsigned long handled = 0;
    for (bool more = true; more; handled++) {
        double work = scale * ((double)rand() / ((double)RAND_MAX + 1.0));
        double start = serve_now();
        more = process_request(work, deadline);
        if (fastprom_summary_observe(request_time, serve_now() - start) != FASTPROM_OK)
            fprintf(stderr, "observe failed: %s\n", fastprom_last_error());
    }
    return handled;
}

int main(int argc, char **argv) {
    struct serve_args args;
    double scale = 1.0;
    if (!serve_parse(argc, argv, 1, 1, "HOST PORT [SECONDS [SCALE]]", &args)) return 2;
    if (argc > 4 && (!serve_parse_number(argv[4], &scale) || scale <= 0)) {
        fprintf(stderr, "%s: SCALE must be a number > 0: %s\n", argv[0], argv[4]);
        return 2;
    }
    if (!serve_block_signals()) return 1;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    int rc = 1;
    fastprom_registry *registry = NULL;
    fastprom_summary_family *family = NULL;
    fastprom_summary *request_time = NULL;
    fastprom_exposer *exposer = NULL;
    /* The summary has no labels: its one child is reached with no label values, and kept
     * so that each observation is a plain update. */
    if (fastprom_registry_new(&registry) != FASTPROM_OK ||
        fastprom_summary_family_new(registry, "request_processing_seconds", "Time spent processing request", NULL,
                                    0, &family) != FASTPROM_OK ||
        fastprom_summary_family_labels(family, NULL, 0, &request_time) != FASTPROM_OK ||
        fastprom_registry_register_process_collector(registry, NULL, NULL) != FASTPROM_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], fastprom_last_error());
        goto out;
    }
    if (serve_start(registry, &args, &exposer) != FASTPROM_OK) goto out;

    double deadline = args.seconds > 0 ? serve_now() + args.seconds : 0;
    unsigned long handled = handle_requests(request_time, scale, deadline);
    printf("handled %lu requests\n", handled);
    rc = 0;
out:
    /* The exposer first: once it is freed no scrape runs, and the port is free again. */
    fastprom_exposer_free(exposer);
    fastprom_summary_free(request_time);
    fastprom_summary_family_free(family);
    fastprom_registry_free(registry);
    return rc;
}
