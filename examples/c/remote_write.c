/* Remote write from C: a batch job that nothing could scrape sends its figures straight
 * into Prometheus (started with --web.enable-remote-write-receiver), Mimir, Thanos Receive
 * or VictoriaMetrics with fastprom_remote_write.
 *
 * It counts a few imaginary records by outcome and records how long it ran, then writes
 * the registry once, labelled with the job and instance it was given.
 *
 * Usage: remote_write [-j JOB] [-i INSTANCE] [-t MILLISECONDS] URL
 *   URL  the receiver's write endpoint, such as http://127.0.0.1:9090/api/v1/write
 *   -j   the `job` label every series gets (default remote_write_example)
 *   -i   the `instance` label (default: this host's name)
 *   -t   how long to wait for the receiver (default 30000 ms)
 * It prints how many series went; on failure, fastprom's message, exiting 1. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] = "usage: remote_write [-j JOB] [-i INSTANCE] [-t MILLISECONDS] URL\n";

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *job = "remote_write_example";
    const char *instance = NULL;
    uint32_t timeout_ms = 30000;
    char host[256] = "localhost";
    int opt;
    while ((opt = getopt(argc, argv, "j:i:t:")) != -1) {
        switch (opt) {
            case 'j': job = optarg; break;
            case 'i': instance = optarg; break;
            case 't': timeout_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
            default: fputs(usage, stderr); return 2;
        }
    }
    if (optind + 1 != argc || timeout_ms == 0) {
        fputs(usage, stderr);
        return 2;
    }
    const char *url = argv[optind];
    if (instance == NULL) {
        gethostname(host, sizeof host - 1);
        instance = host;
    }

    int rc = 1;
    double began = seconds_now();
    fastprom_registry *registry = NULL;
    fastprom_counter_family *records = NULL;
    fastprom_gauge_family *duration = NULL;
    static const char *const outcome[] = {"outcome"};
    static const char *const imported[] = {"imported"}, *const skipped[] = {"skipped"};
    if (fastprom_registry_new(&registry) != FASTPROM_OK ||
        fastprom_counter_family_new(registry, "records", "Records handled, by outcome.", outcome, 1, &records) !=
            FASTPROM_OK ||
        fastprom_gauge_family_new(registry, "job_duration_seconds", "How long the job ran.", NULL, 0, &duration) !=
            FASTPROM_OK ||
        fastprom_counter_family_add(records, imported, 1, 1200) != FASTPROM_OK ||
        fastprom_counter_family_add(records, skipped, 1, 3) != FASTPROM_OK ||
        fastprom_gauge_family_set(duration, NULL, 0, seconds_now() - began) != FASTPROM_OK) {
        fprintf(stderr, "remote_write: %s\n", fastprom_last_error());
        goto out;
    }
    /* Nothing scrapes this job, so it names itself: job and instance as external labels. */
    const char *names[] = {"job", "instance"};
    const char *values[] = {job, instance};
    fastprom_remote_write_opts opts = {0};
    opts.external_label_names = names;
    opts.external_label_values = values;
    opts.n_external_labels = 2;
    opts.timeout_ms = timeout_ms;
    opts.no_created = true;
    size_t series = 0;
    if (fastprom_remote_write(registry, url, &opts, &series) != FASTPROM_OK) {
        fprintf(stderr, "remote_write: %s\n", fastprom_last_error());
        goto out;
    }
    printf("wrote %zu series to %s as job %s, instance %s\n", series, url, job, instance);
    rc = 0;
out:
    fastprom_gauge_family_free(duration);
    fastprom_counter_family_free(records);
    fastprom_registry_free(registry);
    return rc;
}
