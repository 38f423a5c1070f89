# fastprom: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
DURATION ?= 0
# Extra cargo flags for test-rust (before its `--`), e.g. CARGO_TEST_FLAGS=-p fastprom.
CARGO_TEST_FLAGS ?=
# The suites `make test` runs, in this order.
SUITES := test-rust test-c test-loom test-miri test-wasm test-wasm-js test-vectors test-py test-python test-wheels

.PHONY: help setup demo dist test test-rust test-c install test-loom test-miri test-wasm test-wasm-js test-vectors test-py python test-python test-wheels bench bench-side bench-c fuzz clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

setup: ## Install what is missing (Debian packages, wasm target, .venv with test deps)
	@tools/setup.sh

demo: setup python demo-faces ## The tutorial's three parts on fastprom vs real Prometheus, Pushgateway and MariaDB (DURATION=s stops it)
	$(PY) tools/demo.py --duration $(DURATION) $(DEMO_FACES)

# The C app and push job (examples/c, built against the library installed into a prefix
# under target/, as a user would build them) and the JS package (for examples/wasm/node.mjs's push).
DEMO_PREFIX := $(CURDIR)/target/demo/prefix
DEMO_FACES = --c-app $(CURDIR)/target/demo/c/app --c-push $(CURDIR)/target/demo/c/push --c-lib $(DEMO_PREFIX)/lib \
	--node-push $(CURDIR)/examples/wasm/node.mjs
.PHONY: demo-faces
demo-faces: setup
	$(MAKE) --no-print-directory install PREFIX=$(DEMO_PREFIX)
	$(MAKE) --no-print-directory -C examples/c OUT=$(CURDIR)/target/demo/c PKG_CONFIG_PATH=$(DEMO_PREFIX)/lib/pkgconfig \
		$(CURDIR)/target/demo/c/app $(CURDIR)/target/demo/c/push
	bindings-wasm/build.sh

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
C_TESTS := test_basic test_exposer test_collect test_remote_write
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
test-wasm-js: setup ## Build the JS package (bindings-wasm/pkg), run its node --test suite: Node, Deno, workerd, Chromium, real Pushgateway
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

test-py: python demo-faces ## pytest: promtool / OpenMetrics-parser checks of fastprom's output, end-to-end demo
	FASTPROM_DEMO_FACES="$(DEMO_FACES)" $(PY) -m pytest -q core/tests/py examples/tests

python: setup ## Build the Python package (fastprom, with its Rust extension) into .venv
	VIRTUAL_ENV=$(CURDIR)/.venv .venv/bin/maturin develop --release -q -m bindings-python/Cargo.toml

test-python: python ## pytest: the Python binding against prometheus_client 0.26, servers, push, frameworks, tutorial, wheel
	$(PY) -m pytest -q bindings-python/tests

# Wheels: one per CPython (the extension is not abi3, see bindings-python/Cargo.toml),
# manylinux2014 x86_64, linked by Zig (the `ziglang` package in .venv) against glibc 2.17.
WHEELS := target/wheels
DIST_VERSIONS := 3.9 3.10 3.11 3.12 3.13
# Their own cargo target dir: each interpreter switch rebuilds the pyo3 layer, which must not
# throw away the build `make python` keeps in target/.
DIST_TARGET := target/dist
# $(call build_wheels,INTERPRETERS,OUT): shell code building one wheel per interpreter into OUT
# with one maturin run. maturin packs every file it finds under python/fastprom, bytecode caches
# included (it reads no .gitignore above bindings-python/), so the caches that running the tests
# from the source tree leaves there are removed first. Cargo locks its target dir, but maturin
# then moves the library out of it: a lock keeps two builds there (dist, test-wheels) apart.
build_wheels = find bindings-python/python -name __pycache__ -type d -prune -exec rm -rf {} + && \
	rm -f $(2)/fastprom-*.whl && mkdir -p $(DIST_TARGET) && \
	echo "CARGO_TARGET_DIR=$(DIST_TARGET) maturin build --release --zig --compatibility manylinux2014 -m bindings-python/Cargo.toml$$(printf ' -i %s' $(1)) --out $(2)" && \
	CARGO_TARGET_DIR=$(DIST_TARGET) PATH=$(CURDIR)/.venv/bin:$$PATH flock $(DIST_TARGET)/.fastprom-build.lock \
	  .venv/bin/maturin build --release --zig --compatibility manylinux2014 -m bindings-python/Cargo.toml \
	  $$(printf ' -i %s' $(1)) --out $(2)
# $(call find_python,3.X): the newest $PYENV_ROOT/versions/3.X*/bin/python3.X, else python3.X on
# PATH; only one that runs and is CPython 3.X with the GIL (pyenv's shim of a version that is
# not selected does not run). Empty when there is none.
find_python = $(shell for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(1)*/bin/python$(1) 2>/dev/null | sort -rV) \
	$$(command -v python$(1)); do \
	  "$$p" -c 'import sys, sysconfig; sys.exit(not (sys.implementation.name == "cpython" and \
	    "%d.%d" % sys.version_info[:2] == "$(1)" and not sysconfig.get_config_var("Py_GIL_DISABLED")))' 2>/dev/null \
	  && { echo "$$p"; break; }; \
	done)
# The interpreters `make dist` builds for, oldest first; `make dist DIST_PYTHONS="..."` overrides.
DIST_PYTHONS ?= $(foreach v,$(DIST_VERSIONS),$(call find_python,$(v)))
# $(call need_pythons,INTERPRETERS,VERSIONS): shell code that fails, naming each missing
# version, unless INTERPRETERS hold a CPython of every one of VERSIONS.
need_pythons = have=$$(for p in $(1); do "$$p" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; done); \
	missing=$$(for v in $(2); do grep -qxF "$$v" <<<"$$have" || echo -n " $$v"; done); \
	if [ -n "$$missing" ]; then \
	  echo "make $@: no CPython$$missing: found none at $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.X*/bin/python3.X nor python3.X on PATH (have: $$(echo $(1)))" >&2; \
	  exit 1; \
	fi
dist: setup ## Build an sdist and manylinux2014 x86_64 wheels for CPython 3.9 to 3.13 (maturin --zig) into target/wheels
	@pythons="$(DIST_PYTHONS)"; $(call need_pythons,$$pythons,$(DIST_VERSIONS)); \
	rm -f $(WHEELS)/fastprom-*; \
	$(call build_wheels,$$pythons,$(WHEELS))
	.venv/bin/maturin sdist -m bindings-python/Cargo.toml --out $(WHEELS)
	@ls -1 $(WHEELS)/fastprom-*

# test-wheels: the wheels of the oldest and the newest CPython, built like dist's (same
# target dir) into target/dist/wheels. Each is smoke-tested in a venv holding only it, and
# the whole pytest suite runs on the newest in a venv with the test dependencies and that
# wheel (not an editable build). The venvs stay under target/wheel-venvs and are made
# afresh only when their interpreter or requirements change; the wheel is reinstalled.
WHEEL_TEST_VERSIONS := $(firstword $(DIST_VERSIONS)) $(lastword $(DIST_VERSIONS))
WHEEL_VENVS := target/wheel-venvs
# $(call wheel_venv,DIR,PYTHON,REQUIREMENTS): shell code that keeps the venv DIR if PYTHON (same
# path and version) made it with REQUIREMENTS (a pip -r file, or none) installed, else makes it.
wheel_venv = stamp="$$("$(2)" -c 'import sys; print(sys.executable, sys.version)') $(if $(3),$$(sha256sum <$(3)))"; \
	if [ "$$(cat $(1)/.fastprom-stamp 2>/dev/null)" != "$$stamp" ]; then \
	  echo "test-wheels: making the venv $(1)"; \
	  rm -rf $(1) && "$(2)" -m venv $(1) && \
	  $(if $(3),$(1)/bin/pip install -q --disable-pip-version-check -r $(3) &&) \
	  echo "$$stamp" >$(1)/.fastprom-stamp || exit 1; \
	fi
test-wheels: setup ## Wheels for CPython 3.9 and 3.13: a smoke test in a bare venv each, the pytest suite on 3.13's
	@pythons="$(foreach v,$(WHEEL_TEST_VERSIONS),$(call find_python,$(v)))"; \
	$(call need_pythons,$$pythons,$(WHEEL_TEST_VERSIONS)); \
	$(call build_wheels,$$pythons,$(DIST_TARGET)/wheels) || exit 1; \
	for py in $$pythons; do \
	  v=$$("$$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); tag=cp$${v/./}; \
	  wheel=$$(ls $(DIST_TARGET)/wheels/fastprom-*-$$tag-$$tag-*.whl) || exit 1; \
	  venv=$(WHEEL_VENVS)/$$v; \
	  $(call wheel_venv,$$venv,$$py,); \
	  echo "== CPython $$v: $$wheel in $$venv (nothing else installed)"; \
	  $$venv/bin/pip install -q --disable-pip-version-check --no-index --force-reinstall --no-deps "$$wheel" && \
	  (cd $$venv && bin/python -I $(CURDIR)/bindings-python/tests/smoke_wheel.py) || exit 1; \
	  newest=$$py; newest_v=$$v; newest_wheel=$$wheel; \
	done; \
	venv=$(WHEEL_VENVS)/$$newest_v-tests; \
	$(call wheel_venv,$$venv,$$newest,tools/requirements-dev.txt); \
	echo "== CPython $$newest_v: pytest bindings-python/tests on $$newest_wheel in $$venv"; \
	$$venv/bin/pip install -q --disable-pip-version-check --no-index --force-reinstall --no-deps "$$newest_wheel" && \
	$$venv/bin/python -I -c 'import sys, fastprom; assert fastprom.__file__.startswith(sys.prefix), fastprom.__file__' && \
	$$venv/bin/pytest -q bindings-python/tests --ignore=bindings-python/tests/test_packaging.py

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

.PHONY: bench-wasm
bench-wasm: setup ## The JS package vs prom-client 15.1.3 in one Node process, interleaved, medians of ROUNDS rounds (default 7)
	bindings-wasm/build.sh
	node --expose-gc bindings-wasm/bench/bench.mjs
	@uptime

.PHONY: bench-server
bench-server: python ## start_http_server vs prometheus_client 0.26 under wrk, 10,000 series: req/s at 10 connections, p99 during a slowloris; medians of ROUNDS rounds (default 3)
	$(PY) bindings-python/bench/server.py $(if $(ROUNDS),--rounds $(ROUNDS))
	@uptime

.PHONY: bench-remote-write
bench-remote-write: python ## Remote write from Python: building 10,000 series, and a background sender's CPU at 15 s and 1 s intervals
	$(PY) bindings-python/bench/remote_write.py
	@uptime

.PHONY: bench-mp
bench-mp: python ## Multiprocess mode vs prometheus_client 0.26: scrape, updates, compaction; medians of ROUNDS rounds (default 5), QUICK=1 for a smoke run
	$(PY) bindings-python/bench/multiprocess.py $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(QUICK),--quick)
	@uptime

FUZZ_SECONDS ?= 60
fuzz: ## Fuzz both parsers with cargo fuzz on nightly (FUZZ_SECONDS per target)
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in text openmetrics; do cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

clean: ## Remove build output
	cargo clean
