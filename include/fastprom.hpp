// fastprom.hpp: a header-only C++17 layer over fastprom.h.
//
// It adds nothing the C API lacks; it only changes how that API is held and called:
//
// * Ownership: each class below owns exactly one C handle and frees it in its destructor.
//   Objects can be moved (the source is left empty) but never copied. An empty (moved-from)
//   object may be destroyed or assigned to; calling anything else on it throws Error with
//   FASTPROM_NULL_ARGUMENT. As in C, handles do not depend on each other's lifetime: a
//   child may outlive its family, a family its Registry (it is then no longer exposed), and
//   an Exposer keeps its registry alive by itself.
// * Thread-safety: every member function (creating families and encoding included) may be
//   called from many threads at once on the same object. Only destroying, moving or
//   assigning an object must not race with any other use of that same object.
// * Strings: names, help texts and label values are taken as std::string_view and copied
//   into NUL-terminated temporaries for the call (a view containing a NUL byte is rejected
//   with FASTPROM_INVALID_ARGUMENT). Nothing keeps a reference to them after the call.
// * Errors: a failed call throws fastprom::Error, holding the fastprom_status and the
//   message fastprom_last_error() gave for it. A failed call changes nothing.
//
// Link with -lfastprom (or libfastprom.a plus -lpthread -ldl -lm).

#ifndef FASTPROM_HPP
#define FASTPROM_HPP

#include "fastprom.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fastprom {

// What every wrapper call throws on failure: status() is the C API's code, what() its
// message (from fastprom_last_error(), copied when the call failed).
class Error : public std::runtime_error {
public:
    Error(fastprom_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    fastprom_status status() const noexcept { return status_; }

private:
    fastprom_status status_;
};

namespace detail {

inline void check(fastprom_status status) {
    if (status != FASTPROM_OK) throw Error(status, fastprom_last_error());
}

// Calls a C function whose last parameter is an out-pointer and returns what it wrote.
template <class V, class F, class... A>
V out(F fn, A... args) {
    V v{};
    check(fn(args..., &v));
    return v;
}

inline std::string to_c(std::string_view s) {
    if (s.find('\0') != std::string_view::npos)
        throw Error(FASTPROM_INVALID_ARGUMENT, "fastprom: a string contains a NUL byte");
    return std::string(s);
}

// Owns one C handle, freed with Free (every fastprom *_free accepts NULL). Every wrapper
// class below derives from one of these, which makes it move-only.
template <class T, void (*Free)(T *)>
class Owner {
public:
    Owner() noexcept = default;
    explicit Owner(T *raw) noexcept : raw_(raw) {}
    Owner(const Owner &) = delete;
    Owner &operator=(const Owner &) = delete;
    Owner(Owner &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Owner &operator=(Owner &&other) noexcept {
        if (this != &other) Free(std::exchange(raw_, std::exchange(other.raw_, nullptr)));
        return *this;
    }
    ~Owner() { Free(raw_); }
    // The C handle, still owned by this object (NULL once moved from).
    T *native() const noexcept { return raw_; }

private:
    T *raw_ = nullptr;
};

}  // namespace detail

// A list of strings for one call (label names, label values, states, info keys), built from
// a braced list such as {"GET", "200"} or from any container of string-like elements. It
// holds NUL-terminated copies and the `const char *const *` array the C API takes.
class Strings {
public:
    Strings() = default;
    Strings(std::initializer_list<std::string_view> items) { fill(items.begin(), items.end()); }
    template <class C, class = std::enable_if_t<std::is_convertible_v<
                           decltype(*std::begin(std::declval<const C &>())), std::string_view>>>
    Strings(const C &items) {
        fill(std::begin(items), std::end(items));
    }
    // Not copyable: the pointer array points into this object's own strings.
    Strings(const Strings &) = delete;
    Strings &operator=(const Strings &) = delete;

    const char *const *data() const noexcept { return ptrs_.empty() ? nullptr : ptrs_.data(); }
    std::size_t size() const noexcept { return ptrs_.size(); }

private:
    template <class It>
    void fill(It first, It last) {
        for (; first != last; ++first) owned_.push_back(detail::to_c(std::string_view(*first)));
        ptrs_.reserve(owned_.size());
        for (const std::string &s : owned_) ptrs_.push_back(s.c_str());
    }
    std::vector<std::string> owned_;
    std::vector<const char *> ptrs_;
};

namespace detail {
inline void same_size(const Strings &a, const Strings &b) {
    if (a.size() != b.size())
        throw Error(FASTPROM_INVALID_ARGUMENT, "fastprom: names and values differ in number");
}
}  // namespace detail

// The optional parts around a family's name (namespace_subsystem_name_unit); empty parts
// are left out. Counters, gauges, histograms and summaries take all three; infos and enums
// take no unit.
struct FamilyOpts {
    std::string_view metric_namespace;
    std::string_view subsystem;
    std::string_view unit;
    // Labels every series of the family carries, with these values (name, value).
    std::vector<std::pair<std::string_view, std::string_view>> const_labels = {};
};

// A histogram's or summary's running totals.
struct Totals {
    double sum = 0;
    std::uint64_t count = 0;
};

// An exposition with the Content-Type to send it with (see Registry::encode).
struct Exposition {
    std::string body;
    std::string content_type;
};

#define FASTPROM_HPP_OWNER(Class, raw) \
    class Class : public detail::Owner<fastprom_##raw, fastprom_##raw##_free>

// One counter (a family's child for one set of label values), kept for fast updates.
FASTPROM_HPP_OWNER(Counter, counter) {
public:
    using Owner::Owner;
    void inc() const { detail::check(fastprom_counter_inc(native())); }
    // A negative amount throws FASTPROM_NEGATIVE_INCREMENT.
    void add(double amount) const { detail::check(fastprom_counter_add(native(), amount)); }
    double value() const { return detail::out<double>(fastprom_counter_get, native()); }
};

// One gauge of a family, kept for fast updates.
FASTPROM_HPP_OWNER(Gauge, gauge) {
public:
    using Owner::Owner;
    void set(double value) const { detail::check(fastprom_gauge_set(native(), value)); }
    void add(double amount) const { detail::check(fastprom_gauge_add(native(), amount)); }
    void sub(double amount) const { detail::check(fastprom_gauge_sub(native(), amount)); }
    double value() const { return detail::out<double>(fastprom_gauge_get, native()); }
};

// One histogram of a family, kept for fast observations.
FASTPROM_HPP_OWNER(Histogram, histogram) {
public:
    using Owner::Owner;
    void observe(double value) const { detail::check(fastprom_histogram_observe(native(), value)); }
    Totals totals() const {
        Totals t;
        detail::check(fastprom_histogram_get(native(), &t.sum, &t.count));
        return t;
    }
};

// One summary (count and sum of observations) of a family, kept for fast observations.
FASTPROM_HPP_OWNER(Summary, summary) {
public:
    using Owner::Owner;
    void observe(double value) const { detail::check(fastprom_summary_observe(native(), value)); }
    Totals totals() const {
        Totals t;
        detail::check(fastprom_summary_get(native(), &t.sum, &t.count));
        return t;
    }
};

// One info of a family: key/value pairs exposed as labels of a sample with the value 1.
FASTPROM_HPP_OWNER(Info, info) {
public:
    using Owner::Owner;
    // Replaces the pairs with keys[i] = values[i]; the two lists must be the same length.
    void set(const Strings &keys, const Strings &values) const {
        detail::same_size(keys, values);
        detail::check(fastprom_info_set(native(), keys.data(), values.data(), keys.size()));
    }
};

// One enum of a family: in exactly one of the family's states at a time.
FASTPROM_HPP_OWNER(Enum, enum) {
public:
    using Owner::Owner;
    // A state the family does not declare throws FASTPROM_INVALID_ARGUMENT.
    void state(std::string_view state) const {
        detail::check(fastprom_enum_state(native(), detail::to_c(state).c_str()));
    }
    // The position of the current state in the family's list of states.
    std::size_t index() const { return detail::out<std::size_t>(fastprom_enum_get, native()); }
};

#undef FASTPROM_HPP_OWNER

// What every family class has: children by label values (in the order of the family's
// label names), removal and clearing. Destroying a family object frees only the handle:
// the family stays registered and exposed.
template <class Raw, void (*Free)(Raw *), class Child, class RawChild,
          fastprom_status (*Labels)(const Raw *, const char *const *, std::size_t, RawChild **),
          fastprom_status (*Remove)(const Raw *, const char *const *, std::size_t, bool *),
          fastprom_status (*Clear)(const Raw *)>
class FamilyBase : public detail::Owner<Raw, Free> {
public:
    using detail::Owner<Raw, Free>::Owner;
    using detail::Owner<Raw, Free>::native;
    // The child for these label values, created if new. It owns its own handle and may
    // outlive this family object.
    Child labels(const Strings &values) const {
        return Child(detail::out<RawChild *>(Labels, native(), values.data(), values.size()));
    }
    // Removes the child for these label values; true if it existed. Kept child objects stay
    // usable but are no longer exposed.
    bool remove(const Strings &values) const {
        return detail::out<bool>(Remove, native(), values.data(), values.size());
    }
    void clear() const { detail::check(Clear(native())); }
};

// The lookup by name/value lists, which four kinds have.
template <class Base, class Child, class RawChild, class Raw,
          fastprom_status (*ByName)(const Raw *, const char *const *, const char *const *,
                                    std::size_t, RawChild **)>
class NamedFamily : public Base {
public:
    using Base::Base;
    // The child whose labels are names[i] = values[i], in any order, created if new.
    Child labels_by_name(const Strings &names, const Strings &values) const {
        detail::same_size(names, values);
        return Child(detail::out<RawChild *>(ByName, this->native(), names.data(), values.data(),
                                             names.size()));
    }
};

#define FASTPROM_HPP_BASE(kind, Child)                                                      \
    FamilyBase<fastprom_##kind##_family, fastprom_##kind##_family_free, Child,               \
               fastprom_##kind, fastprom_##kind##_family_labels,                              \
               fastprom_##kind##_family_remove, fastprom_##kind##_family_clear>
#define FASTPROM_HPP_NAMED(kind, Child)                                                     \
    NamedFamily<FASTPROM_HPP_BASE(kind, Child), Child, fastprom_##kind,                      \
                fastprom_##kind##_family, fastprom_##kind##_family_labels_by_name>

// The family-level updates: the child for `values` (created if new) without keeping it.
#define FASTPROM_HPP_UPDATE(method, fn)                                                     \
    void method(const Strings &values, double x) const {                                    \
        detail::check(fn(native(), values.data(), values.size(), x));                       \
    }

// A family of counters (exposed as name_total). Made by Registry::counter.
class CounterFamily : public FASTPROM_HPP_NAMED(counter, Counter) {
public:
    using NamedFamily::NamedFamily;
    FASTPROM_HPP_UPDATE(add, fastprom_counter_family_add)
};

// A family of gauges. Made by Registry::gauge.
class GaugeFamily : public FASTPROM_HPP_NAMED(gauge, Gauge) {
public:
    using NamedFamily::NamedFamily;
    FASTPROM_HPP_UPDATE(set, fastprom_gauge_family_set)
    FASTPROM_HPP_UPDATE(add, fastprom_gauge_family_add)
};

// A family of histograms sharing one set of buckets. Made by Registry::histogram.
class HistogramFamily : public FASTPROM_HPP_NAMED(histogram, Histogram) {
public:
    using NamedFamily::NamedFamily;
    FASTPROM_HPP_UPDATE(observe, fastprom_histogram_family_observe)
};

// A family of summaries. Made by Registry::summary.
class SummaryFamily : public FASTPROM_HPP_NAMED(summary, Summary) {
public:
    using NamedFamily::NamedFamily;
    FASTPROM_HPP_UPDATE(observe, fastprom_summary_family_observe)
};

// A family of infos (exposed as name_info). Made by Registry::info.
class InfoFamily : public FASTPROM_HPP_BASE(info, Info) {
public:
    using FamilyBase::FamilyBase;
};

// A family of enums. Made by Registry::enumeration.
class EnumFamily : public FASTPROM_HPP_BASE(enum, Enum) {
public:
    using FamilyBase::FamilyBase;
    // Puts the child for these label values (created if new) in `state`.
    void state(const Strings &values, std::string_view state) const {
        detail::check(fastprom_enum_family_state(native(), values.data(), values.size(),
                                                 detail::to_c(state).c_str()));
    }
};

#undef FASTPROM_HPP_UPDATE
#undef FASTPROM_HPP_NAMED
#undef FASTPROM_HPP_BASE

// What a collector callback (Registry::add_collector) fills at each scrape: start a
// family, then add its samples. Valid only during the callback.
class Collection {
public:
    explicit Collection(fastprom_collection *raw) noexcept : raw_(raw) {}
    // Starts a family; the samples added next belong to it. A counter's name loses a
    // trailing "_total"; the unit (if any) is appended unless already there.
    Collection &family(std::string_view name, std::string_view help, fastprom_metric_type type,
                       std::string_view unit = {}) {
        std::string n = detail::to_c(name), h = detail::to_c(help), u = detail::to_c(unit);
        detail::check(fastprom_collection_family(raw_, n.c_str(), h.c_str(), type,
                                                 u.empty() ? nullptr : u.c_str()));
        return *this;
    }
    // Adds a sample named after the family plus `suffix` ("_total", "_bucket", "" ...),
    // with labels names[i]=values[i]; a negative timestamp_ms means none.
    Collection &sample(std::string_view suffix, const Strings &names, const Strings &values,
                       double value, std::int64_t timestamp_ms = -1) {
        detail::same_size(names, values);
        std::string sfx = detail::to_c(suffix);
        detail::check(fastprom_collection_sample(raw_, sfx.c_str(), names.data(), values.data(),
                                                 names.size(), value, timestamp_ms));
        return *this;
    }

private:
    fastprom_collection *raw_;
};

// Where fastprom_push sends to, and how (see fastprom_push_opts): a grouping key besides
// the job, HTTP Basic credentials (empty username: none), gzip, and a timeout (0: 30 s).
struct PushOpts {
    std::vector<std::pair<std::string_view, std::string_view>> grouping_key;
    std::string_view username;
    std::string_view password;
    std::uint32_t timeout_ms = 0;
    bool gzip = false;
};

// A registry: the families one exposition shows. The constructor makes an empty one.
// Families may be added and expositions encoded from many threads at once.
class Registry : public detail::Owner<fastprom_registry, fastprom_registry_free> {
public:
    Registry() : Owner(detail::out<fastprom_registry *>(fastprom_registry_new)) {}

    // A handle to the process's default registry, shared by every caller (as
    // prometheus_client's REGISTRY); destroying the handle leaves the registry in place.
    static Registry default_registry() {
        return Registry(detail::out<fastprom_registry *>(fastprom_registry_default));
    }

    // A callable filling a Collection at scrape time. It runs on the scraping thread,
    // possibly for several scrapes at once; it may use any family, of this registry too.
    // An exception it throws fails that scrape, with its what() in the message.
    using Collect = std::function<void(Collection &)>;

    // Registers `collect` as a custom collector; returns its id for unregister().
    std::uint64_t add_collector(Collect collect) {
        auto *owned = new Collect(std::move(collect));
        std::uint64_t id = 0;
        // The C API frees `owned` (through release) on failure too.
        detail::check(fastprom_registry_register_collector(native(), &Registry::trampoline, owned,
                                                           &Registry::release, &id));
        return id;
    }
    // Registers the process collector (CPU, memory, fds, start time); returns its id.
    std::uint64_t add_process_collector(std::string_view metric_namespace = {}) {
        std::string ns = detail::to_c(metric_namespace);
        std::uint64_t id = 0;
        detail::check(fastprom_registry_register_process_collector(
            native(), ns.empty() ? nullptr : ns.c_str(), &id));
        return id;
    }
    // Removes a collector added by add_collector or add_process_collector.
    void unregister(std::uint64_t id) { detail::check(fastprom_registry_unregister(native(), id)); }

    // Each factory registers a new family and returns the caller's handle to it; a name in
    // use throws FASTPROM_DUPLICATE. On any failure nothing is registered.
    CounterFamily counter(std::string_view name, std::string_view help,
                          const Strings &label_names = {}, const FamilyOpts &opts = {}) {
        return CounterFamily(make<fastprom_counter_family>(fastprom_counter_family_new_with,
                                                           name, help, label_names, opts));
    }
    GaugeFamily gauge(std::string_view name, std::string_view help,
                      const Strings &label_names = {}, const FamilyOpts &opts = {}) {
        return GaugeFamily(make<fastprom_gauge_family>(fastprom_gauge_family_new_with, name,
                                                       help, label_names, opts));
    }
    // Empty `buckets` means the default ones; +Inf is added when missing.
    HistogramFamily histogram(std::string_view name, std::string_view help,
                              const Strings &label_names = {},
                              const std::vector<double> &buckets = {},
                              const FamilyOpts &opts = {}) {
        return HistogramFamily(make<fastprom_histogram_family>(
            fastprom_histogram_family_new_with, name, help, label_names, opts,
            buckets.empty() ? nullptr : buckets.data(), buckets.size()));
    }
    SummaryFamily summary(std::string_view name, std::string_view help,
                          const Strings &label_names = {}, const FamilyOpts &opts = {}) {
        return SummaryFamily(make<fastprom_summary_family>(fastprom_summary_family_new_with,
                                                           name, help, label_names, opts));
    }
    // Infos take no unit.
    InfoFamily info(std::string_view name, std::string_view help,
                    const Strings &label_names = {}, const FamilyOpts &opts = {}) {
        return InfoFamily(make<fastprom_info_family>(fastprom_info_family_new, name, help,
                                                     label_names, opts));
    }
    // `states` needs at least one entry; new children start in the first. No unit.
    EnumFamily enumeration(std::string_view name, std::string_view help, const Strings &states,
                           const Strings &label_names = {}, const FamilyOpts &opts = {}) {
        return EnumFamily(make<fastprom_enum_family>(fastprom_enum_family_new, name, help,
                                                     label_names, opts, states.data(),
                                                     states.size()));
    }

    // Turns the _created samples on (the default) or off for every later exposition.
    void set_created(bool on) { detail::check(fastprom_registry_set_created(native(), on)); }

    // The Prometheus text format 0.0.4.
    std::string encode_text() const { return take(fastprom_registry_encode_text); }
    // OpenMetrics 1.0.0, ending in "# EOF".
    std::string encode_openmetrics() const { return take(fastprom_registry_encode_openmetrics); }
    // The families as JSON data (see fastprom_registry_encode_json).
    std::string encode_json() const { return take(fastprom_registry_encode_json); }
    // The format an HTTP Accept header asks for (empty: no header), with its Content-Type.
    Exposition encode(std::string_view accept) const {
        std::string a = detail::to_c(accept);
        char *buf = nullptr, *type = nullptr;
        std::size_t len = 0;
        detail::check(fastprom_registry_encode(native(), a.empty() ? nullptr : a.c_str(), &buf,
                                               &len, &type));
        Buffer b{buf, len};
        String t{type};
        return Exposition{std::string(buf, len), std::string(type)};
    }

private:
    explicit Registry(fastprom_registry *raw) noexcept : Owner(raw) {}

    // The C callback: no exception may unwind into the library, so each becomes a status.
    static fastprom_status trampoline(void *data, fastprom_collection *raw) noexcept {
        try {
            Collection c(raw);
            (*static_cast<Collect *>(data))(c);
            return FASTPROM_OK;
        } catch (const std::exception &e) {
            fastprom_collection_fail(raw, e.what());
        } catch (...) {
            fastprom_collection_fail(raw, "a collector threw a non-standard exception");
        }
        return FASTPROM_ERROR;
    }
    static void release(void *data) noexcept { delete static_cast<Collect *>(data); }

    // Free what the C API handed over, even when copying it into a std::string throws.
    struct Buffer {
        char *p;
        std::size_t n;
        ~Buffer() { fastprom_buffer_free(p, n); }
    };
    struct String {
        char *p;
        ~String() { fastprom_string_free(p); }
    };

    // Calls a *_family_new(_with) function: the arguments in `extra` go between the label
    // names and the options, as in the C signatures.
    template <class Raw, class F, class... Extra>
    Raw *make(F fn, std::string_view name, std::string_view help, const Strings &label_names,
              const FamilyOpts &opts, Extra... extra) {
        std::string n = detail::to_c(name), h = detail::to_c(help);
        std::string ns = detail::to_c(opts.metric_namespace), sub = detail::to_c(opts.subsystem),
                    unit = detail::to_c(opts.unit);
        std::vector<std::string_view> const_names, const_values;
        for (const auto &[k, v] : opts.const_labels) {
            const_names.push_back(k);
            const_values.push_back(v);
        }
        Strings cn(const_names), cv(const_values);
        fastprom_family_opts o{ns.c_str(), sub.c_str(), unit.c_str(), cn.data(), cv.data(), cn.size()};
        return detail::out<Raw *>(fn, native(), n.c_str(), h.c_str(), label_names.data(),
                                  label_names.size(), extra..., &o);
    }

    std::string take(fastprom_status (*fn)(const fastprom_registry *, char **, std::size_t *)) const {
        char *buf = nullptr;
        std::size_t len = 0;
        detail::check(fn(native(), &buf, &len));
        Buffer b{buf, len};
        return std::string(buf, len);
    }
};

// An HTTP server answering /metrics with a registry's exposition, on its own threads. It
// keeps the registry alive, so the Registry object may be destroyed first; destroying the
// Exposer stops the server and frees the port.
class Exposer : public detail::Owner<fastprom_exposer, fastprom_exposer_free> {
public:
    Exposer() noexcept = default;
    // Binds host:port (port 0 picks a free one) before returning; a port in use throws
    // FASTPROM_IO.
    Exposer(const Registry &registry, std::string_view host, std::uint16_t port)
        : Owner(detail::out<fastprom_exposer *>(fastprom_exposer_start, registry.native(),
                                                detail::to_c(host).c_str(), port)) {}
    // The port listened on (the one picked when 0 was asked for).
    std::uint16_t port() const {
        return detail::out<std::uint16_t>(fastprom_exposer_port, native());
    }
};

namespace detail {
inline void push(fastprom_push_method method, const fastprom_registry *registry,
                 std::string_view gateway, std::string_view job, const PushOpts &opts) {
    std::string g = to_c(gateway), j = to_c(job), user = to_c(opts.username),
                pass = to_c(opts.password);
    std::vector<std::string_view> names, values;
    for (const auto &[k, v] : opts.grouping_key) {
        names.push_back(k);
        values.push_back(v);
    }
    Strings n(names), v(values);
    fastprom_push_opts o{n.data(), v.data(), n.size(), user.empty() ? nullptr : user.c_str(),
                         pass.c_str(), opts.timeout_ms, opts.gzip};
    check(fastprom_push(method, registry, g.c_str(), j.c_str(), &o));
}
}  // namespace detail

// Replaces the group job/grouping key on the Pushgateway at `gateway` with the registry's
// metrics (PUT), as prometheus_client's push_to_gateway. Throws on any failure, with
// FASTPROM_IO, FASTPROM_TIMEOUT or FASTPROM_HTTP_STATUS for the network's.
inline void push_to_gateway(std::string_view gateway, std::string_view job,
                            const Registry &registry, const PushOpts &opts = {}) {
    detail::push(FASTPROM_PUSH_PUT, registry.native(), gateway, job, opts);
}
// Replaces only the metrics with the pushed names (POST), as pushadd_to_gateway.
inline void pushadd_to_gateway(std::string_view gateway, std::string_view job,
                               const Registry &registry, const PushOpts &opts = {}) {
    detail::push(FASTPROM_PUSH_POST, registry.native(), gateway, job, opts);
}
// Deletes the group (DELETE), as delete_from_gateway.
inline void delete_from_gateway(std::string_view gateway, std::string_view job,
                                const PushOpts &opts = {}) {
    detail::push(FASTPROM_PUSH_DELETE, nullptr, gateway, job, opts);
}

}  // namespace fastprom

#endif  // FASTPROM_HPP
