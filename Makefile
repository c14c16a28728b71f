# The two commands of the README: `make run` and `make test`.
# Both install what is missing (scripts/deps.sh), then build with CMake.
BUILD      ?= build
BUILD_SAN  ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-asan run test format format-check bench clean

all: build

deps:
	@scripts/deps.sh build

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DSYMSRVD_SANITIZE=ON
	cmake --build $(BUILD_SAN) -j $(JOBS)

# Serves the demo store on 127.0.0.1:8080 in the foreground.
run: build
	@echo "try: curl -sS -D - -o /dev/null http://127.0.0.1:8080/demo.pdb/4B2A8C1D9E0F4A5B8C7D6E5F4A3B2C1D1/demo.pdb"
	./$(BUILD)/symsrvd

# Every test, in the release build and in the ASan+UBSan build.
test: build build-asan format-check
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(BUILD_SAN) --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@if command -v clang-format >/dev/null; then \
		clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h'); \
	else echo "clang-format not installed: format check skipped"; fi

bench: build
	@scripts/deps.sh bench
	tests/bench/bench.sh

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
