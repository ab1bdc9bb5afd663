# Makefile — the front door of kiln's build, on top of CMake.
#
#   make          configure and build optimized into build/ (build/kiln, build/libkiln.a,
#                 build/libkiln.so, build/kiln.pc); installs nothing
#   make deps     install missing Debian packages (scripts/install-deps.sh; a no-op when present)
#   make test     deps, then build and run every test optimized (build/) and under ASan+UBSan
#                 (build-asan/); the last line is "N passed, M failed", non-zero exit on failure
#   make demo     deps, build, run the sample batch job (examples/demo.sh)
#   make install  install the built tree under PREFIX (default /usr/local)
#   make soak     build, then the long differential run against DuckDB: 100,000 random
#                 queries over 10 seeds (tests/diff/soak.sh; ctest runs the short one, diff.duckdb)
#   make clean    remove the build directories
# Every step uses all cores.

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
PREFIX    ?= /usr/local
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE     ?= cmake

.PHONY: all build deps test test-release test-asan demo install clean soak

all: build

build:
	@$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DKILN_SANITIZE=OFF >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

test: deps
	@BUILD_DIR=$(BUILD_DIR) ASAN_DIR=$(ASAN_DIR) bash scripts/test-all.sh release asan

test-release: deps
	@BUILD_DIR=$(BUILD_DIR) ASAN_DIR=$(ASAN_DIR) bash scripts/test-all.sh release

test-asan: deps
	@BUILD_DIR=$(BUILD_DIR) ASAN_DIR=$(ASAN_DIR) bash scripts/test-all.sh asan

demo: deps build
	@if [ -f examples/demo.sh ]; then \
		KILN=$(BUILD_DIR)/kiln bash examples/demo.sh; \
	else \
		$(BUILD_DIR)/kiln --format table -c "SELECT 'kiln' AS engine, 42 AS answer"; \
	fi

soak: build
	@JOBS=$(JOBS) bash tests/diff/soak.sh $(BUILD_DIR)/kiln_json

install:
	@$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DKILN_SANITIZE=OFF \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@$(CMAKE) --install $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
