// Part 1 of the tutorial in C++17, on fastprom.hpp: the same application as app.c, with
// the handles owned by objects and a scoped timer in place of the Python decorator.
//
// Usage: app_cpp HOST PORT [SECONDS [SCALE]]
//   PORT 0 picks a free port; the line "listening on HOST:PORT" says which.
//   SECONDS is how long to run (0, the default: until SIGINT or SIGTERM); each simulated
//   request takes a random 0 to 1 second times SCALE (default 1).

#include <fastprom.hpp>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

// SIGINT and SIGTERM, blocked in the thread that builds this object and every thread
// started after it (fastprom's exposer threads too), and taken by wait() alone: no
// handler runs, and a stop request never lands on a library thread.
class StopSignals {
public:
    StopSignals() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        if (int err = pthread_sigmask(SIG_BLOCK, &set_, nullptr); err != 0)
            throw std::runtime_error("cannot block SIGINT and SIGTERM");
    }

    // Waits until `until` (forever when empty); true when a stop signal came first.
    bool wait(std::optional<Clock::time_point> until) const {
        for (;;) {
            int sig;
            if (!until) {
                sig = sigwaitinfo(&set_, nullptr);
            } else {
                auto left = *until - Clock::now();
                if (left <= Clock::duration::zero()) return false;
                auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
                auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs);
                timespec ts{static_cast<time_t>(secs.count()), static_cast<long>(nanos.count())};
                sig = sigtimedwait(&set_, nullptr, &ts);
            }
            if (sig > 0) {
                std::cout << "got " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping" << std::endl;
                return true;
            }
            if (errno != EAGAIN && errno != EINTR) throw std::runtime_error("sigtimedwait failed");
        }
    }

private:
    sigset_t set_;
};

// Observes in a summary the seconds between its construction and its destruction, however
// the scope is left: what `@REQUEST_TIME.time()` does for a Python function.
class ScopedTimer {
public:
    explicit ScopedTimer(const fastprom::Summary &summary) : summary_(summary), start_(Clock::now()) {}
    ScopedTimer(const ScopedTimer &) = delete;
    ScopedTimer &operator=(const ScopedTimer &) = delete;
    ~ScopedTimer() {
        std::chrono::duration<double> took = Clock::now() - start_;
        try {
            summary_.observe(took.count());
        } catch (const fastprom::Error &e) {  // a destructor must not throw
            std::cerr << "observe failed: " << e.what() << '\n';
        }
    }

private:
    const fastprom::Summary &summary_;
    Clock::time_point start_;
};

struct Args {
    std::string host;
    std::uint16_t port = 0;
    double seconds = 0;
    double scale = 1;
};

// Reads a finite number >= 0 (> 0 when `positive`), or nothing.
std::optional<double> number(const char *text, bool positive) {
    char *end = nullptr;
    errno = 0;
    double v = std::strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !std::isfinite(v) || v < 0 || (positive && v == 0))
        return std::nullopt;
    return v;
}

std::optional<Args> parse(int argc, char **argv) {
    if (argc < 3 || argc > 5) return std::nullopt;
    Args args;
    args.host = argv[1];
    auto port = number(argv[2], false);
    if (!port || *port > 65535 || *port != static_cast<std::uint16_t>(*port)) return std::nullopt;
    args.port = static_cast<std::uint16_t>(*port);
    std::optional<double> seconds = argc > 3 ? number(argv[3], false) : 0.0;
    std::optional<double> scale = argc > 4 ? number(argv[4], true) : 1.0;
    if (!seconds || !scale) return std::nullopt;
    args.seconds = *seconds;
    args.scale = *scale;
    return args;
}

}  // namespace

int main(int argc, char **argv) {
    std::optional<Args> args = parse(argc, argv);
    if (!args) {
        std::cerr << "usage: " << argv[0] << " HOST PORT [SECONDS [SCALE]]\n";
        return 2;
    }
    try {
        StopSignals stop;  // before fastprom starts any thread
        fastprom::Registry registry;
        fastprom::SummaryFamily family =
            registry.summary("request_processing_seconds", "Time spent processing request");
        fastprom::Summary request_time = family.labels({});
        registry.add_process_collector();
        fastprom::Exposer exposer(registry, args->host, args->port);
        std::cout << "listening on " << args->host << ':' << exposer.port() << std::endl;

        std::optional<Clock::time_point> deadline;
        if (args->seconds > 0) deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                             std::chrono::duration<double>(args->seconds));
        std::mt19937_64 random(std::random_device{}());
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        unsigned long handled = 0;
        for (bool stopped = false; !stopped; handled++) {
            // One request: its work is a sleep, cut short by a stop signal or the deadline.
            ScopedTimer timer(request_time);
            auto work = std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(args->scale * uniform(random)));
            auto until = Clock::now() + work;
            bool last = deadline && *deadline <= until;
            stopped = stop.wait(last ? *deadline : until) || last;
        }
        std::cout << "handled " << handled << " requests" << std::endl;
        // The objects go in reverse order: the exposer first, so no scrape outlives them.
    } catch (const std::exception &e) {
        std::cerr << argv[0] << ": " << e.what() << '\n';
        return 1;
    }
    return 0;
}
