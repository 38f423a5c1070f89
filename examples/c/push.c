/* Part 2 of the tutorial, in C: a batch job reports to a Pushgateway when it last
 * succeeded. It sets a gauge `job_last_success_unixtime` to the current time in a registry
 * of its own and pushes it for job `batchA`, as the tutorial's pushgateway.py does.
 *
 * Usage: push [-m put|post|delete] [-g NAME=VALUE]... [-j JOB] [-t MILLISECONDS] GATEWAY
 *   GATEWAY  host:port or an http:// URL of the Pushgateway (such as 127.0.0.1:9091)
 *   -m       put (the default) replaces every metric of the group; post replaces only
 *            job_last_success_unixtime in it; delete removes the group
 *   -g       a grouping-key label besides the job, such as -g 'instance=worker 1' (a value
 *            with a space travels base64-encoded in the URL); may be repeated
 *   -j       the job (default batchA)
 *   -t       how long to wait for the gateway (default 30000 ms)
 * It prints the request line and what it did; on failure, fastprom's message, exiting 1. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_GROUPING 8

static const char usage[] =
    "usage: push [-m put|post|delete] [-g NAME=VALUE]... [-j JOB] [-t MILLISECONDS] GATEWAY\n";

/* What the command line asks for. The grouping strings point into argv, except the
 * names, which are copies cut at the '=' (freed by free_options). */
struct options {
    fastprom_push_method method;
    const char *gateway;
    const char *job;
    char *grouping_names[MAX_GROUPING];
    const char *grouping_values[MAX_GROUPING];
    size_t n_grouping;
    uint32_t timeout_ms;
};

static void free_options(struct options *o) {
    for (size_t i = 0; i < o->n_grouping; i++) free(o->grouping_names[i]);
    o->n_grouping = 0;
}

static bool parse_method(const char *text, fastprom_push_method *out) {
    static const struct {
        const char *name;
        fastprom_push_method method;
    } methods[] = {{"put", FASTPROM_PUSH_PUT}, {"post", FASTPROM_PUSH_POST}, {"delete", FASTPROM_PUSH_DELETE}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(text, methods[i].name) == 0) {
            *out = methods[i].method;
            return true;
        }
    }
    return false;
}

/* Adds NAME=VALUE to the grouping key; false (with a message) when it does not fit. */
static bool add_grouping(struct options *o, const char *pair) {
    const char *eq = strchr(pair, '=');
    if (!eq || eq == pair) {
        fprintf(stderr, "push: -g wants NAME=VALUE, got '%s'\n", pair);
        return false;
    }
    if (o->n_grouping == MAX_GROUPING) {
        fprintf(stderr, "push: at most %d grouping labels\n", MAX_GROUPING);
        return false;
    }
    char *name = malloc((size_t)(eq - pair) + 1);
    if (!name) return false;
    memcpy(name, pair, (size_t)(eq - pair));
    name[eq - pair] = '\0';
    o->grouping_names[o->n_grouping] = name;
    o->grouping_values[o->n_grouping] = eq + 1;
    o->n_grouping++;
    return true;
}

static bool parse_options(int argc, char **argv, struct options *o) {
    *o = (struct options){.method = FASTPROM_PUSH_PUT, .job = "batchA"};
    int c;
    while ((c = getopt(argc, argv, "m:g:j:t:")) != -1) {
        char *end = NULL;
        switch (c) {
        case 'm':
            if (!parse_method(optarg, &o->method)) {
                fprintf(stderr, "push: -m wants put, post or delete, got '%s'\n", optarg);
                return false;
            }
            break;
        case 'g':
            if (!add_grouping(o, optarg)) return false;
            break;
        case 'j':
            o->job = optarg;
            break;
        case 't': {
            errno = 0;
            unsigned long ms = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' || ms == 0 || ms > UINT32_MAX) {
                fprintf(stderr, "push: -t wants milliseconds > 0, got '%s'\n", optarg);
                return false;
            }
            o->timeout_ms = (uint32_t)ms;
            break;
        }
        default:
            return false;
        }
    }
    if (optind != argc - 1) return false;
    o->gateway = argv[optind];
    return true;
}

/* The current time in seconds since the epoch, with its fraction (time.time()). */
static double unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the request fastprom is about to send: the method and the URL, in which the
 * grouping key is already escaped. */
static fastprom_status print_request(const struct options *o, const fastprom_registry *registry,
                                     const fastprom_push_opts *opts) {
    fastprom_push_request *request = NULL;
    fastprom_status s = fastprom_push_request_new(o->method, registry, o->gateway, o->job, opts, &request);
    if (s != FASTPROM_OK) return s;
    printf("%s %s\n", request->method, request->url);
    fastprom_push_request_free(request);
    return FASTPROM_OK;
}

/* Builds the registry, then pushes it (or, for DELETE, deletes the group). */
static int run(const struct options *o) {
    fastprom_push_opts opts = {
        .grouping_names = (const char *const *)o->grouping_names,
        .grouping_values = o->grouping_values,
        .n_grouping = o->n_grouping,
        .timeout_ms = o->timeout_ms,
    };
    int rc = 1;
    fastprom_registry *registry = NULL;
    fastprom_gauge_family *last_success = NULL;
    double now = unix_now();
    /* A registry of the job's own, so only its metric goes to the gateway. DELETE sends no
     * metrics and needs none. */
    if (o->method != FASTPROM_PUSH_DELETE &&
        (fastprom_registry_new(&registry) != FASTPROM_OK ||
         fastprom_gauge_family_new(registry, "job_last_success_unixtime", "Last time a batch job successfully finished",
                                   NULL, 0, &last_success) != FASTPROM_OK ||
         fastprom_gauge_family_set(last_success, NULL, 0, now) != FASTPROM_OK)) {
        fprintf(stderr, "push: %s\n", fastprom_last_error());
        goto out;
    }
    if (print_request(o, registry, &opts) != FASTPROM_OK ||
        fastprom_push(o->method, registry, o->gateway, o->job, &opts) != FASTPROM_OK) {
        fprintf(stderr, "push: %s\n", fastprom_last_error());
        goto out;
    }
    if (o->method == FASTPROM_PUSH_DELETE)
        printf("deleted the group of job %s from %s\n", o->job, o->gateway);
    else
        printf("pushed job_last_success_unixtime %.3f for job %s to %s\n", now, o->job, o->gateway);
    rc = 0;
out:
    fastprom_gauge_family_free(last_success);
    fastprom_registry_free(registry);
    return rc;
}

int main(int argc, char **argv) {
    struct options o;
    if (!parse_options(argc, argv, &o)) {
        free_options(&o);
        fputs(usage, stderr);
        return 2;
    }
    int rc = run(&o);
    free_options(&o);
    return rc;
}
