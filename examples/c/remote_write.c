/* Remote write from C: a job that nothing could scrape sends its figures straight into
 * Prometheus (started with --web.enable-remote-write-receiver), Mimir, Thanos Receive or
 * VictoriaMetrics.
 *
 * It counts imaginary records by outcome and records how long it ran. By default it is a
 * batch job: it handles its records, then writes the registry once with
 * fastprom_remote_write. With -s it is a long-running job instead: a background sender
 * (fastprom_remote_write_sender_new) writes the registry every INTERVAL_MS while the job
 * imports a record every 50 ms for -d milliseconds; then it flushes and frees the sender,
 * which sends one last time. Either way every series is labelled with the job and
 * instance it was given.
 *
 * Usage: remote_write [-j JOB] [-i INSTANCE] [-t MILLISECONDS] [-c CA_FILE]
 *                     [-s INTERVAL_MS [-d MILLISECONDS]] URL
 *   URL  the receiver's write endpoint, such as http://127.0.0.1:9090/api/v1/write
 *   -j   the `job` label every series gets (default remote_write_example)
 *   -i   the `instance` label (default: this host's name)
 *   -t   how long to wait for the receiver, per request and to flush (default 30000 ms)
 *   -c   a PEM file of the CA(s) an https receiver's certificate must chain to
 *   -s   send in the background every INTERVAL_MS milliseconds
 *   -d   with -s, how long the job runs (default 3000 ms)
 * It prints how many series (batch) or records (background) went; on failure, fastprom's
 * message, exiting 1. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: remote_write [-j JOB] [-i INSTANCE] [-t MILLISECONDS] [-c CA_FILE] [-s INTERVAL_MS [-d MILLISECONDS]] "
    "URL\n";

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The long-running mode: a background sender writes `registry` every `interval_ms` while
 * the job imports a record every 50 ms for `duration_ms`; then a flush, and the free's
 * last collection. 0 on success. */
static int run_in_background(fastprom_registry *registry, fastprom_counter_family *records,
                             const fastprom_remote_write_opts *opts, const char *url, uint32_t interval_ms,
                             uint32_t duration_ms, uint32_t timeout_ms) {
    static const char *const imported[] = {"imported"};
    fastprom_remote_write_sender *sender = NULL;
    if (fastprom_remote_write_sender_new(registry, url, opts, interval_ms, 0, &sender) != FASTPROM_OK) {
        fprintf(stderr, "remote_write: %s\n", fastprom_last_error());
        return 1;
    }
    unsigned long count = 1200;
    for (uint32_t waited = 0; waited < duration_ms; waited += 50) {
        sleep_ms(50);
        fastprom_counter_family_add(records, imported, 1, 1);
        count++;
    }
    int rc = 0;
    /* Wait until what was collected so far is sent (or refused); then the free collects
     * once more and sends that within the same time. */
    if (fastprom_remote_write_sender_flush(sender, timeout_ms) != FASTPROM_OK) {
        fprintf(stderr, "remote_write: %s\n", fastprom_last_error());
        rc = 1;
    }
    char *last = NULL;
    if (fastprom_remote_write_sender_last_error(sender, &last) == FASTPROM_OK && last != NULL) {
        fprintf(stderr, "remote_write: the sender's last error: %s\n", last);
        fastprom_string_free(last);
    }
    fastprom_remote_write_sender_free(sender, timeout_ms);
    if (rc == 0)
        printf("sent every %u ms for %u ms to %s: %lu records imported\n", (unsigned)interval_ms,
               (unsigned)duration_ms, url, count);
    return rc;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *job = "remote_write_example";
    const char *instance = NULL;
    const char *ca_file = NULL;
    uint32_t timeout_ms = 30000, interval_ms = 0, duration_ms = 3000;
    int background = 0;
    char host[256] = "localhost";
    int opt;
    while ((opt = getopt(argc, argv, "j:i:t:c:s:d:")) != -1) {
        switch (opt) {
            case 'j': job = optarg; break;
            case 'i': instance = optarg; break;
            case 't': timeout_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
            case 'c': ca_file = optarg; break;
            case 's': background = 1; interval_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
            case 'd': duration_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
            default: fputs(usage, stderr); return 2;
        }
    }
    if (optind + 1 != argc || timeout_ms == 0 || (background && interval_ms == 0)) {
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
    opts.ca_file = ca_file; /* NULL: the usual CAs */
    if (background) {
        rc = run_in_background(registry, records, &opts, url, interval_ms, duration_ms, timeout_ms);
        goto out;
    }
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
