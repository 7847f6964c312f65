# surrogate: the README's two commands are `make demo` and `make test`.
JOBS ?= $(shell nproc)
BUILD ?= build
CPUS ?= haswell skylake znver4

.PHONY: deps build demo test bench clean fuzz

deps:
	@./tools/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

# The main job on data shipped in the repo: simulate the BHive sample on a few CPUs.
demo: build
	@./tools/demo.sh $(BUILD)/bin/surrogate "$(CPUS)"

# LLVM 19's own llvm-mca x86 test inputs, for the parity test: from Debian's
# llvm-toolchain-19 source package (the installed version), fetched with apt.
$(BUILD)/llvm-mca-tests/README.md:
	@./tools/extract_llvm_mca_tests.py $(BUILD)/llvm-mca-tests

test: build $(BUILD)/llvm-mca-tests/README.md
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# libFuzzer + ASan/UBSan on every parser of untrusted input (tools/fuzz.sh):
# FUZZ_SECONDS per target; crashers land in src/fuzz/regressions, which `make test` replays.
FUZZ_SECONDS ?= 60
fuzz:
	@./tools/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)
