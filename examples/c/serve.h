/* What app.c and exporter.c share: reading HOST PORT [SECONDS] from the command line,
 * starting the exposer with its "listening on" line, and waiting that stops early on
 * SIGINT or SIGTERM.
 *
 * Stop signals are blocked in every thread (serve_block_signals, called first in main,
 * before fastprom starts any thread, so the exposer's threads inherit the mask) and taken
 * only by serve_wait in the main thread. No signal handler runs, so nothing has to be
 * async-signal-safe, and a signal never lands on one of fastprom's threads. */
#ifndef FASTPROM_EXAMPLES_SERVE_H
#define FASTPROM_EXAMPLES_SERVE_H

#include "fastprom.h"

#include <stdbool.h>
#include <stdint.h>

/* The command line's common part. */
struct serve_args {
    const char *host;
    uint16_t port;  /* 0: the exposer picks a free one */
    double seconds; /* how long to run; 0: until SIGINT or SIGTERM */
};

/* Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts later.
 * Returns false (after printing why) if that fails. */
bool serve_block_signals(void);

/* Reads HOST PORT [SECONDS] from argv[first..]; `extra` more optional arguments may follow
 * (the caller reads them). Prints `usage` and returns false when they do not fit. */
bool serve_parse(int argc, char **argv, int first, int extra, const char *usage, struct serve_args *out);

/* Reads a finite number >= 0; false if `text` is not one. */
bool serve_parse_number(const char *text, double *out);

/* Starts serving `registry` on the arguments' host and port, then prints
 * "listening on HOST:PORT" (the port picked, when 0 was asked for) and flushes stdout.
 * On failure prints fastprom's message and returns its status. */
fastprom_status serve_start(const fastprom_registry *registry, const struct serve_args *args,
                            fastprom_exposer **out);

/* Seconds on the monotonic clock. */
double serve_now(void);

/* Waits `seconds` (< 0: without end), cut short by the run's end (`deadline`, a
 * serve_now() time; 0 for none) or a stop signal. Returns true when the whole wait was
 * made and the run goes on, false when it is time to stop. */
bool serve_wait(double seconds, double deadline);

#endif
