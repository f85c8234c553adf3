# stackheap — the two set-up commands are `make demo` and `make test`.
BUILD   ?= build
JOBS    ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DSTACKHEAP_WERROR=ON
endif

.PHONY: all build demo test test-release test-checked test-asan bench deb clean

all: build

build:
	@scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/deps.sh demo
	@echo
	@$(BUILD)/examples/heap_map
	@scripts/lesson.sh $(BUILD)
	@scripts/lessons.sh $(BUILD)

# Every test: the release build, the checked build, and the sanitizer build.
test:
	@scripts/deps.sh test
	@scripts/deps.sh browser || echo "note: without Chromium and playwright-core the browser tests (tests/html) are skipped"
	$(MAKE) --no-print-directory test-release test-checked test-asan

test-release:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-checked:
	cmake -S . -B $(BUILD)-checked -DCMAKE_BUILD_TYPE=Debug -DSTACKHEAP_CHECKED=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD)-checked -j $(JOBS)
	cd $(BUILD)-checked && ctest --output-on-failure -j $(JOBS) -E 'real_programs'

# valgrind cannot run ASan binaries: the scripts that use it run in the other two builds.
test-asan:
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DSTACKHEAP_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -E 'real_programs|valgrind|compare_rust'

bench:
	@scripts/deps.sh bench
	cmake -S . -B $(BUILD)-bench -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD)-bench -j $(JOBS)
	bench/run.sh $(BUILD)-bench
	@for s in bench/*/run.sh; do if [ -x "$$s" ]; then "$$s" $(BUILD)-bench || exit 1; fi; done
	bench/trace/cases.sh $(BUILD)-bench
	bench/trace/page.sh $(BUILD)-bench
	@cat bench/out/RESULTS.md bench/out/RESULTS-*.md > bench/out/RESULTS-all.md
	@echo "all tables: bench/out/RESULTS-all.md (commit it as bench/RESULTS.md)"

# The Debian packages (debian/), built with debhelper out of a copy of the tree into
# $(DEB_DIR); scripts/deb.sh reuses packages built from the same files.
DEB_DIR ?= build-deb
deb:
	@scripts/deps.sh deb
	@JOBS=$(JOBS) scripts/deb.sh $(DEB_DIR)

clean:
	rm -rf $(BUILD) $(BUILD)-checked $(BUILD)-asan $(BUILD)-bench $(DEB_DIR)
