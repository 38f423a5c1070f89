/* The serving and waiting app.c and exporter.c share; see serve.h. */
#define _POSIX_C_SOURCE 200809L
#include "serve.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sigset_t stop_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

bool serve_block_signals(void) {
    sigset_t set = stop_signals();
    int err = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (err != 0) {
        fprintf(stderr, "cannot block SIGINT and SIGTERM: %s\n", strerror(err));
        return false;
    }
    return true;
}

bool serve_parse_number(const char *text, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < 0) return false;
    *out = v;
    return true;
}

static bool parse_port(const char *text, uint16_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > 65535) return false;
    *out = (uint16_t)v;
    return true;
}

bool serve_parse(int argc, char **argv, int first, int extra, const char *usage, struct serve_args *out) {
    int n = argc - first;
    struct serve_args args = {.seconds = 0};
    bool ok = n >= 2 && n <= 3 + extra;
    if (ok) {
        args.host = argv[first];
        ok = parse_port(argv[first + 1], &args.port);
        if (!ok) fprintf(stderr, "%s: not a port (0 to 65535): %s\n", argv[0], argv[first + 1]);
    }
    if (ok && n >= 3) {
        ok = serve_parse_number(argv[first + 2], &args.seconds);
        if (!ok) fprintf(stderr, "%s: not a number of seconds: %s\n", argv[0], argv[first + 2]);
    }
    if (!ok) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return false;
    }
    *out = args;
    return true;
}

fastprom_status serve_start(const fastprom_registry *registry, const struct serve_args *args,
                            fastprom_exposer **out) {
    fastprom_exposer *exposer = NULL;
    fastprom_status s = fastprom_exposer_start(registry, args->host, args->port, &exposer);
    uint16_t port = 0;
    if (s == FASTPROM_OK) s = fastprom_exposer_port(exposer, &port);
    if (s != FASTPROM_OK) {
        fprintf(stderr, "cannot serve on %s:%u: %s\n", args->host, (unsigned)args->port, fastprom_last_error());
        fastprom_exposer_free(exposer);
        return s;
    }
    printf("listening on %s:%u\n", args->host, (unsigned)port);
    fflush(stdout);
    *out = exposer;
    return FASTPROM_OK;
}

double serve_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec to_timespec(double seconds) {
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    return ts;
}

bool serve_wait(double seconds, double deadline) {
    sigset_t set = stop_signals();
    double until = seconds < 0 ? -1 : serve_now() + seconds;
    bool cut_by_deadline = deadline > 0 && (until < 0 || deadline < until);
    if (cut_by_deadline) until = deadline;
    for (;;) {
        int sig;
        if (until < 0) {
            sig = sigwaitinfo(&set, NULL);
        } else {
            double left = until - serve_now();
            if (left <= 0) return !cut_by_deadline;
            struct timespec ts = to_timespec(left);
            sig = sigtimedwait(&set, NULL, &ts);
        }
        if (sig > 0) {
            printf("got %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
            fflush(stdout);
            return false;
        }
        /* EAGAIN: the time is up (checked at the top); EINTR: another signal, wait on. */
        if (errno != EAGAIN && errno != EINTR) {
            perror("sigtimedwait");
            return false;
        }
    }
}
