// Built by bindings-c/tests/cmake/CMakeLists.txt against an installed fastprom: one counter,
// encoded and checked. Exits non-zero if the exposition is not the expected one.
#include <fastprom.hpp>

#include <cstdio>
#include <string>

int main(int, char **argv) {
    fastprom::Registry registry;
    registry.set_created(false);
    registry.counter("cmake_checks", "Checks run.").labels({}).inc();
    const std::string text = registry.encode_text();
    const bool ok = text.find("\ncmake_checks_total 1.0\n") != std::string::npos;
    std::printf("%s: %s\n", argv[0], ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
