/* An exporter, as part 3 of the tutorial describes: it instruments nothing itself, but
 * reads another system's figures when Prometheus scrapes it and translates them into
 * metrics. The system here is the Linux kernel, read from /proc:
 *
 *   system_load_average{window="1m|5m|15m"}   gauge    /proc/loadavg
 *   system_tasks{state="runnable|total"}      gauge    /proc/loadavg
 *   system_memory_bytes{kind="total|..."}     gauge    /proc/meminfo (kB * 1024)
 *   system_cpu_seconds_total{mode="user|..."} counter  /proc/stat (ticks / _SC_CLK_TCK)
 *   system_context_switches_total             counter  /proc/stat
 *   system_forks_total                        counter  /proc/stat
 *   system_boot_time_seconds                  gauge    /proc/stat
 *
 * They come from a collector callback (fastprom_registry_register_collector), which runs
 * at every scrape, so the figures are as fresh as the scrape. Beside them the exporter
 * keeps ordinary families about itself, updated from inside that callback:
 * system_exporter_scrapes_total and system_exporter_read_errors_total{source} (a source
 * that cannot be read is left out of the scrape and counted there, rather than failing
 * the whole scrape). The registry reads these families before it runs the callback, so
 * each scrape shows the scrapes before it (0 in the first).
 *
 * Usage: exporter HOST PORT [SECONDS]   (as app: PORT 0 picks one, SECONDS 0 runs until
 * SIGINT or SIGTERM) */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The collector's state, owned by the registry from registration on and freed by
 * free_exporter when the registry lets the collector go. */
struct exporter {
    fastprom_counter *scrapes;            /* system_exporter_scrapes_total */
    fastprom_counter_family *read_errors; /* system_exporter_read_errors_total{source} */
    double ticks_per_second;              /* the unit of /proc/stat's CPU times */
};

static void free_exporter(void *user_data) {
    struct exporter *e = user_data;
    fastprom_counter_free(e->scrapes);
    fastprom_counter_family_free(e->read_errors);
    free(e);
}

/* One sample of a family with at most one label: its value for that label, if any. */
struct sample {
    const char *label_value;
    double value;
};

/* Adds a family and its samples to the scrape. A counter's samples get the `_total`
 * suffix. `label` is the label's name, or NULL for a family with one unlabelled sample. */
static fastprom_status emit(fastprom_collection *c, const char *name, const char *help, fastprom_metric_type type,
                            const char *unit, const char *label, const struct sample *samples, size_t n) {
    fastprom_status s = fastprom_collection_family(c, name, help, type, unit);
    const char *suffix = type == FASTPROM_TYPE_COUNTER ? "_total" : "";
    for (size_t i = 0; s == FASTPROM_OK && i < n; i++) {
        const char *values[1] = {samples[i].label_value};
        s = fastprom_collection_sample(c, suffix, label ? &label : NULL, label ? values : NULL, label ? 1 : 0,
                                       samples[i].value, -1);
    }
    return s;
}

/* /proc/loadavg: "0.52 0.58 0.59 2/345 12345" (load over 1, 5 and 15 minutes, runnable
 * and total scheduling entities, last PID). */
static bool read_loadavg(struct sample load[3], struct sample tasks[2]) {
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return false;
    double l1, l5, l15, runnable, total;
    bool ok = fscanf(f, "%lf %lf %lf %lf/%lf", &l1, &l5, &l15, &runnable, &total) == 5;
    fclose(f);
    if (!ok) return false;
    load[0] = (struct sample){"1m", l1};
    load[1] = (struct sample){"5m", l5};
    load[2] = (struct sample){"15m", l15};
    tasks[0] = (struct sample){"runnable", runnable};
    tasks[1] = (struct sample){"total", total};
    return true;
}

/* The /proc/meminfo fields exposed, and their `kind` label. */
static const struct {
    const char *field;
    const char *kind;
} meminfo_fields[] = {
    {"MemTotal", "total"},   {"MemFree", "free"},         {"MemAvailable", "available"}, {"Buffers", "buffers"},
    {"Cached", "cached"},    {"SwapTotal", "swap_total"}, {"SwapFree", "swap_free"},
};
#define N_MEMINFO (sizeof meminfo_fields / sizeof meminfo_fields[0])

/* /proc/meminfo: lines "MemTotal:       16314284 kB". Fills `out` in the table's order
 * with the fields found (older kernels lack some) and returns how many; 0 on failure. */
static size_t read_meminfo(struct sample out[N_MEMINFO]) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    double found[N_MEMINFO];
    bool seen[N_MEMINFO] = {false};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) != -1) {
        char field[64];
        double kb;
        if (sscanf(line, "%63[^:]: %lf", field, &kb) != 2) continue;
        for (size_t i = 0; i < N_MEMINFO; i++) {
            if (strcmp(field, meminfo_fields[i].field) == 0) {
                found[i] = kb * 1024;
                seen[i] = true;
            }
        }
    }
    free(line);
    fclose(f);
    size_t n = 0;
    for (size_t i = 0; i < N_MEMINFO; i++)
        if (seen[i]) out[n++] = (struct sample){meminfo_fields[i].kind, found[i]};
    return seen[0] ? n : 0; /* without MemTotal the file is not what we expect */
}

/* The CPU modes of /proc/stat's "cpu" line, in its order (guest time is already counted
 * in user and nice, so it is left out). */
static const char *const cpu_modes[] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
#define N_CPU_MODES (sizeof cpu_modes / sizeof cpu_modes[0])

/* What the exporter takes from /proc/stat. */
struct stat_figures {
    struct sample cpu[N_CPU_MODES];
    double context_switches, forks, boot_time;
};

/* /proc/stat: the "cpu" line (all CPUs, in clock ticks), "ctxt", "processes" (forks since
 * boot) and "btime" (boot time, seconds since the epoch). Its "intr" line can be very
 * long, hence getline. */
static bool read_stat(double ticks_per_second, struct stat_figures *out) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return false;
    int have = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) != -1) {
        double t[N_CPU_MODES];
        /* "cpu " with its space: the per-CPU lines "cpu0 ..." are not wanted. */
        if (strncmp(line, "cpu ", 4) == 0 && sscanf(line + 4, "%lf %lf %lf %lf %lf %lf %lf %lf", &t[0], &t[1], &t[2],
                                                    &t[3], &t[4], &t[5], &t[6], &t[7]) == (int)N_CPU_MODES) {
            for (size_t i = 0; i < N_CPU_MODES; i++)
                out->cpu[i] = (struct sample){cpu_modes[i], t[i] / ticks_per_second};
            have |= 1;
        } else if (sscanf(line, "ctxt %lf", &out->context_switches) == 1) {
            have |= 2;
        } else if (sscanf(line, "processes %lf", &out->forks) == 1) {
            have |= 4;
        } else if (sscanf(line, "btime %lf", &out->boot_time) == 1) {
            have |= 8;
        }
    }
    free(line);
    fclose(f);
    return have == 15;
}

/* Counts a source that could not be read. */
static void count_read_error(const struct exporter *e, const char *source) {
    const char *values[1] = {source};
    if (fastprom_counter_family_add(e->read_errors, values, 1, 1.0) != FASTPROM_OK)
        fprintf(stderr, "exporter: cannot count a read error: %s\n", fastprom_last_error());
}

/* Each source below adds its families to the scrape, or, when it cannot be read, counts
 * that and adds nothing. A failed collection call is a bug here: its status fails the
 * scrape, which makes it visible. */
static fastprom_status collect_loadavg(const struct exporter *e, fastprom_collection *c) {
    struct sample load[3], tasks[2];
    if (!read_loadavg(load, tasks)) {
        count_read_error(e, "/proc/loadavg");
        return FASTPROM_OK;
    }
    fastprom_status s = emit(c, "system_load_average", "System load average over the window (from /proc/loadavg)",
                             FASTPROM_TYPE_GAUGE, NULL, "window", load, 3);
    if (s != FASTPROM_OK) return s;
    return emit(c, "system_tasks", "Scheduling entities (processes and threads), runnable and in total",
                FASTPROM_TYPE_GAUGE, NULL, "state", tasks, 2);
}

static fastprom_status collect_meminfo(const struct exporter *e, fastprom_collection *c) {
    struct sample memory[N_MEMINFO];
    size_t n = read_meminfo(memory);
    if (n == 0) {
        count_read_error(e, "/proc/meminfo");
        return FASTPROM_OK;
    }
    return emit(c, "system_memory", "Memory figures of /proc/meminfo, by kind", FASTPROM_TYPE_GAUGE, "bytes", "kind",
                memory, n);
}

static fastprom_status collect_stat(const struct exporter *e, fastprom_collection *c) {
    struct stat_figures stat;
    if (!read_stat(e->ticks_per_second, &stat)) {
        count_read_error(e, "/proc/stat");
        return FASTPROM_OK;
    }
    struct sample ctxt = {NULL, stat.context_switches}, forks = {NULL, stat.forks}, boot = {NULL, stat.boot_time};
    fastprom_status s = emit(c, "system_cpu", "CPU time spent in each mode, all CPUs together", FASTPROM_TYPE_COUNTER,
                             "seconds", "mode", stat.cpu, N_CPU_MODES);
    if (s == FASTPROM_OK)
        s = emit(c, "system_context_switches", "Context switches since boot", FASTPROM_TYPE_COUNTER, NULL, NULL, &ctxt,
                 1);
    if (s == FASTPROM_OK)
        s = emit(c, "system_forks", "Processes and threads created since boot", FASTPROM_TYPE_COUNTER, NULL, NULL,
                 &forks, 1);
    if (s == FASTPROM_OK)
        s = emit(c, "system_boot_time_seconds", "When the system booted, in seconds since the epoch",
                 FASTPROM_TYPE_GAUGE, NULL, NULL, &boot, 1);
    return s;
}

/* The collector callback: runs at every scrape, on the exposer's thread (several scrapes
 * may run it at once; its only state is the thread-safe counters). */
static fastprom_status collect_system(void *user_data, fastprom_collection *c) {
    const struct exporter *e = user_data;
    fastprom_counter_inc(e->scrapes);
    fastprom_status s = collect_loadavg(e, c);
    if (s == FASTPROM_OK) s = collect_meminfo(e, c);
    if (s == FASTPROM_OK) s = collect_stat(e, c);
    return s;
}

/* Registers the exporter's own families and its collector in `registry`. */
static bool setup(fastprom_registry *registry) {
    struct exporter *e = calloc(1, sizeof *e);
    if (!e) {
        fputs("exporter: out of memory\n", stderr);
        return false;
    }
    long ticks = sysconf(_SC_CLK_TCK);
    e->ticks_per_second = ticks > 0 ? (double)ticks : 100.0;
    static const char *const source[] = {"source"};
    fastprom_counter_family *scrapes = NULL;
    bool ok = fastprom_counter_family_new(registry, "system_exporter_scrapes", "Scrapes the exporter has answered",
                                          NULL, 0, &scrapes) == FASTPROM_OK &&
              fastprom_counter_family_labels(scrapes, NULL, 0, &e->scrapes) == FASTPROM_OK &&
              fastprom_counter_family_new(registry, "system_exporter_read_errors",
                                          "Sources that could not be read during a scrape", source, 1,
                                          &e->read_errors) == FASTPROM_OK;
    if (!ok) fprintf(stderr, "exporter: %s\n", fastprom_last_error());
    /* The family stays registered; the collector keeps only its child. */
    fastprom_counter_family_free(scrapes);
    if (!ok) {
        free_exporter(e);
        return false;
    }
    /* From here on the registry owns `e`, even if this call fails. */
    ok = fastprom_registry_register_collector(registry, collect_system, e, free_exporter, NULL) == FASTPROM_OK;
    if (!ok) fprintf(stderr, "exporter: %s\n", fastprom_last_error());
    return ok;
}

int main(int argc, char **argv) {
    struct serve_args args;
    if (!serve_parse(argc, argv, 1, 0, "HOST PORT [SECONDS]", &args)) return 2;
    if (!serve_block_signals()) return 1;

    int rc = 1;
    fastprom_registry *registry = NULL;
    fastprom_exposer *exposer = NULL;
    if (fastprom_registry_new(&registry) != FASTPROM_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], fastprom_last_error());
        goto out;
    }
    if (!setup(registry)) goto out;
    if (serve_start(registry, &args, &exposer) != FASTPROM_OK) goto out;
    /* Nothing to do between scrapes: wait for the end of the run or a stop signal. */
    serve_wait(-1, args.seconds > 0 ? serve_now() + args.seconds : 0);
    rc = 0;
out:
    /* Freeing the exposer ends the scrapes; freeing the registry then lets the collector
     * go, which frees its state through free_exporter. */
    fastprom_exposer_free(exposer);
    fastprom_registry_free(registry);
    return rc;
}
