# fastprom: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
DURATION ?= 0
# Extra cargo flags for test-rust (before its `--`), e.g. CARGO_TEST_FLAGS=-p fastprom.
CARGO_TEST_FLAGS ?=
# The suites `make test` runs, in this order.
SUITES := test-rust test-c test-loom test-miri test-wasm test-wasm-js test-vectors test-py test-python

.PHONY: help setup demo dist test test-rust test-c install test-loom test-miri test-wasm test-wasm-js test-vectors test-py python test-python bench bench-side bench-c fuzz clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

setup: ## Install what is missing (Debian packages, wasm target, .venv with test deps)
	@tools/setup.sh

demo: setup python ## The tutorial's Python scripts on fastprom vs real Prometheus + Pushgateway (DURATION=s stops it)
	$(PY) tools/demo.py --duration $(DURATION)

# Setup first (a failed setup stops here), then every suite even when an earlier one fails;
# any non-zero exit, pytest's 5 (no tests collected) included, counts as a failure.
test: setup ## Run every suite, then one line of which passed and failed (non-zero if any failed)
	@passed=(); failed=(); \
	for suite in $(SUITES); do \
	  echo "=== make $$suite"; \
	  if $(MAKE) --no-print-directory $$suite; then passed+=($$suite); else failed+=($$suite); fi; \
	done; \
	echo "make test: passed: $${passed[*]:-none}; failed: $${failed[*]:-none}"; \
	[ $${#failed[@]} -eq 0 ]

test-rust: setup ## Rust tests, including the #[ignore]d ones that need .venv or Debian packages
	cargo test --workspace --no-fail-fast $(CARGO_TEST_FLAGS) -- --include-ignored

# The C library: the static one under valgrind, the shared one under ASan + UBSan.
C_OUT := target/c
C_LIB := target/release
C_FLAGS := -std=c11 -Wall -Wextra -Werror -Iinclude
C_TESTS := test_basic test_exposer test_collect
CXX_C := c++ -std=c++17 -Wall -Wextra -Werror -Iinclude
# The shared library's SONAME (bindings-c/build.rs): libfastprom.so.0.<minor> before 1.0.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SONAME := libfastprom.so.$(shell echo $(VERSION) | awk -F. '$$1 == 0 {print "0." $$2; next} {print $$1}')
test-c: ## C library: header == cbindgen output, C tests under valgrind and ASan, header and fastprom.hpp as C++17
	cargo build -p fastprom-c --release
	@# Programs linked with -lfastprom_c look for the SONAME at run time.
	ln -sf libfastprom_c.so $(C_LIB)/$(SONAME)
	@test "$$(readelf -d $(C_LIB)/libfastprom_c.so | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" = "$(SONAME)" || { echo "libfastprom_c.so: SONAME is not $(SONAME)"; exit 1; }
	cargo test -p fastprom-c
	@mkdir -p $(C_OUT)
	@for t in $(C_TESTS); do \
	  echo "== $$t: static, under valgrind"; \
	  cc $(C_FLAGS) bindings-c/tests/c/$$t.c $(C_LIB)/libfastprom_c.a -lpthread -ldl -lm -o $(C_OUT)/$$t && \
	  valgrind -q --error-exitcode=1 --leak-check=full --suppressions=bindings-c/tests/c/valgrind.supp $(C_OUT)/$$t && \
	  echo "== $$t: shared, under ASan + UBSan" && \
	  cc $(C_FLAGS) -g -fsanitize=address,undefined bindings-c/tests/c/$$t.c -L$(C_LIB) -lfastprom_c -lpthread -lm -o $(C_OUT)/$${t}_asan && \
	  LD_LIBRARY_PATH=$(C_LIB) $(C_OUT)/$${t}_asan || exit 1; \
	done
	c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -Iinclude bindings-c/tests/c/test_cpp.cpp
	c++ -std=c++17 -Wall -Wextra -Werror -Iinclude bindings-c/tests/c/test_cpp.cpp $(C_LIB)/libfastprom_c.a -lpthread -ldl -lm -o $(C_OUT)/test_cpp && $(C_OUT)/test_cpp
	@echo "== test_hpp (fastprom.hpp): static, under valgrind"
	$(CXX_C) bindings-c/tests/c/test_hpp.cpp $(C_LIB)/libfastprom_c.a -lpthread -ldl -lm -o $(C_OUT)/test_hpp
	valgrind -q --error-exitcode=1 --leak-check=full --suppressions=bindings-c/tests/c/valgrind.supp $(C_OUT)/test_hpp
	@echo "== test_hpp (fastprom.hpp): shared, under ASan + UBSan"
	$(CXX_C) -g -fsanitize=address,undefined bindings-c/tests/c/test_hpp.cpp -L$(C_LIB) -lfastprom_c -lpthread -lm -o $(C_OUT)/test_hpp_asan
	LD_LIBRARY_PATH=$(C_LIB) $(C_OUT)/test_hpp_asan
	@rm -rf $(C_OUT)/prefix && $(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(C_OUT)/prefix
	cc $(filter-out -Iinclude,$(C_FLAGS)) bindings-c/tests/c/test_basic.c $$(PKG_CONFIG_PATH=$(C_OUT)/prefix/lib/pkgconfig pkg-config --cflags --libs fastprom) -lpthread -o $(C_OUT)/test_installed
	LD_LIBRARY_PATH=$(C_OUT)/prefix/lib $(C_OUT)/test_installed
	readelf -d $(C_OUT)/test_installed | grep -q 'NEEDED.*\[$(SONAME)\]' || { echo "test_installed does not load $(SONAME)"; exit 1; }
	$(filter-out -Iinclude,$(CXX_C)) bindings-c/tests/cmake/main.cpp $$(PKG_CONFIG_PATH=$(C_OUT)/prefix/lib/pkgconfig pkg-config --cflags --libs fastprom) -lpthread -o $(C_OUT)/test_installed_hpp
	LD_LIBRARY_PATH=$(C_OUT)/prefix/lib $(C_OUT)/test_installed_hpp
	@if command -v cmake >/dev/null; then \
	  echo "== find_package(fastprom) from the installed prefix (bindings-c/tests/cmake)"; \
	  rm -rf $(C_OUT)/cmake && \
	  cmake -S bindings-c/tests/cmake -B $(C_OUT)/cmake -DCMAKE_PREFIX_PATH=$(CURDIR)/$(C_OUT)/prefix && \
	  cmake --build $(C_OUT)/cmake && \
	  LD_LIBRARY_PATH=$(C_OUT)/prefix/lib $(C_OUT)/cmake/use_shared && $(C_OUT)/cmake/use_static || exit 1; \
	else \
	  echo "== cmake not installed: skipping the find_package(fastprom) check"; \
	fi

# The C library as C and C++ users expect it: libfastprom.{so,a}, the C header and the C++
# wrapper, a pkg-config file, and a CMake package (fastprom::fastprom, fastprom::static).
PREFIX ?= /usr/local
CMAKE_DIR := lib/cmake/fastprom
install: ## Install the C library (libfastprom.so and .a), fastprom.h, fastprom.hpp, fastprom.pc and a CMake package under PREFIX
	cargo build -p fastprom-c --release
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/$(CMAKE_DIR)
	install -m 644 include/fastprom.h include/fastprom.hpp $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(C_LIB)/libfastprom_c.so $(DESTDIR)$(PREFIX)/lib/libfastprom.so.$(VERSION)
	ln -sf libfastprom.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libfastprom.so
	install -m 644 $(C_LIB)/libfastprom_c.a $(DESTDIR)$(PREFIX)/lib/libfastprom.a
	@version=$(VERSION); \
	for f in lib/pkgconfig/fastprom.pc $(CMAKE_DIR)/fastpromConfig.cmake $(CMAKE_DIR)/fastpromConfigVersion.cmake; do \
	  echo "sed bindings-c/$$(basename $$f).in > $(DESTDIR)$(PREFIX)/$$f"; \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e "s|@VERSION@|$$version|g" -e 's|@SONAME@|$(SONAME)|g' bindings-c/$$(basename $$f).in > $(DESTDIR)$(PREFIX)/$$f || exit 1; \
	done

test-loom: setup ## Loom models of core::sync (every interleaving of the shard protocol, on the real code)
	RUSTFLAGS="--cfg loom" cargo test -p fastprom --lib --release --target-dir target/loom -- sync::

# The unsafe code's tests under miri: the sync module and the family's scrape/removal race.
MIRI_TESTS := sync:: metrics::family::
test-miri: setup ## core::sync and the family's unsafe paths under miri (nightly)
	MIRIFLAGS="-Zmiri-permissive-provenance" cargo +nightly miri test -p fastprom --lib -- $(MIRI_TESTS)

test-wasm: setup ## The core builds for wasm32-unknown-unknown
	cargo build -p fastprom --target wasm32-unknown-unknown

.PHONY: test-wasm-js
test-wasm-js: setup ## Build the JS package (bindings-wasm/pkg) and run its node --test suite, real Pushgateway included
	bindings-wasm/build.sh
	node --test bindings-wasm/tests/

test-vectors: setup ## Regenerate every prometheus_client-derived test vector and diff with the committed ones
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(PY) tools/gen_float_vectors.py > $$tmp/floats.txt && \
	$(PY) tools/gen_name_vectors.py > $$tmp/names.txt && \
	$(PY) tools/gen_negotiate_vectors.py > $$tmp/negotiate.txt && \
	$(PY) tools/gen_push_vectors.py > $$tmp/push.txt && \
	for f in floats names negotiate push; do cmp $$tmp/$$f.txt core/src/testdata/$$f.txt || { echo "core/src/testdata/$$f.txt differs from prometheus_client's output"; exit 1; }; done && \
	$(PY) tools/gen_golden.py --out $$tmp/golden && diff -r $$tmp/golden core/tests/golden && \
	echo "test-vectors: all vectors equal prometheus_client 0.26.0's output"

test-py: python ## pytest: promtool / OpenMetrics-parser checks of fastprom's output, end-to-end demo
	$(PY) -m pytest -q core/tests/py examples/tests

python: setup ## Build the Python package (fastprom, with its Rust extension) into .venv
	VIRTUAL_ENV=$(CURDIR)/.venv .venv/bin/maturin develop --release -q -m bindings-python/Cargo.toml

test-python: python ## pytest: the Python binding against prometheus_client 0.26, servers, push, frameworks, tutorial, wheel
	$(PY) -m pytest -q bindings-python/tests

WHEELS := target/wheels
dist: setup ## Build an sdist and a manylinux2014 x86_64 wheel (maturin --zig) into target/wheels
	rm -f $(WHEELS)/fastprom-*
	PATH=$(CURDIR)/.venv/bin:$$PATH .venv/bin/maturin build --release --zig --compatibility manylinux2014 \
		-m bindings-python/Cargo.toml -i $(PY) --out $(WHEELS)
	.venv/bin/maturin sdist -m bindings-python/Cargo.toml --out $(WHEELS)
	@ls -1 $(WHEELS)/fastprom-*

bench: ## Criterion benchmarks side by side with the prometheus and prometheus-client crates
	CRITERION_HOME=$(CURDIR)/target/criterion cargo bench -p fastprom --bench metrics --bench parse
	@python3 tools/bench_table.py
	@$(PY) tools/bench_parse.py

bench-side: ## fastprom and the peer crates interleaved in one process, medians of ROUNDS rounds (the BENCHMARKS.md tables)
	cargo bench -p fastprom --bench side_by_side

# prometheus-cpp comes from Debian (prometheus-cpp-dev, 1.0.1 on bookworm), linked shared.
bench-c: ## fastprom's C API vs prometheus-cpp in one process, interleaved, medians of ROUNDS rounds (default 7)
	dpkg -s prometheus-cpp-dev >/dev/null 2>&1 || (apt-get update && apt-get install -y prometheus-cpp-dev)
	cargo build -p fastprom-c --release
	@mkdir -p $(C_OUT)
	c++ -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude bindings-c/bench/bench_cpp.cpp $(C_LIB)/libfastprom_c.a \
		$$(pkg-config --libs prometheus-cpp-core) -lpthread -ldl -lm -o $(C_OUT)/bench_cpp
	@echo "prometheus-cpp $$(pkg-config --modversion prometheus-cpp-core); load:$$(uptime)"
	$(C_OUT)/bench_cpp

FUZZ_SECONDS ?= 60
fuzz: ## Fuzz both parsers with cargo fuzz on nightly (FUZZ_SECONDS per target)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in text openmetrics; do cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

clean: ## Remove build output
	cargo clean
