# Holo: `make demo` runs the main job, `make test` runs the test suite.
# Both install missing Debian packages first (scripts/setup.sh, idempotent).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: setup build demo test bench clean format

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	@mkdir -p $(BUILD)
	@echo "configure: $(BUILD) (Release; output: $(BUILD)/configure.log)" >&2
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > $(BUILD)/configure.log 2>&1 \
	  || { tail -n 40 $(BUILD)/configure.log >&2; exit 1; }

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The demo needs the holo binary only, not the tests and benchmarks.
demo: setup $(BUILD)/build.ninja
	@bash scripts/quiet_build.sh $(BUILD) $(JOBS) holo
	$(BUILD)/src/cli/holo demo --dir ./demo-world

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

bench: build
	bash bench/run.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) ./demo-world
