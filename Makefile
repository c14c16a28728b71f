# The two commands of the README: `make run` and `make test`.
# Both install what is missing (scripts/deps.sh), then build with CMake.
#
#   build/          make run, make bench: Release, no tests (SYMSRVD_TESTS=OFF),
#                   so only the packages of `scripts/deps.sh run` are needed
#   build-release/  make test: Release with gcc, the whole suite (prefix
#                   /usr, as the package: its ctest builds the .deb)
#   build-asan/     make test: Debug with ASan+UBSan (gcc), the whole suite
#   build-clang/    make test: Release with clang, -Werror; compiled, and
#                   its unit tests run (cheap); integration tests are not
#   build-fuzz/     make fuzz, make test: the libFuzzer targets of
#                   tests/fuzz/ (clang, ASan+UBSan), target fuzz_all only
BUILD       ?= build
BUILD_REL   ?= build-release
BUILD_SAN   ?= build-asan
BUILD_CLANG ?= build-clang
BUILD_FUZZ  ?= build-fuzz
JOBS        ?= $(shell nproc)

# make run: where to listen and what to serve; ARGS: more symsrvd flags
# (./build/symsrvd --help), e.g. ARGS=-v for the debug lines.
PORT ?= 8080
ROOT ?= $(CURDIR)/demo/store
ARGS ?=

# make install: where (PREFIX) and into what staging root (DESTDIR, empty
# for the real system). make deb always uses the prefix /usr.
PREFIX  ?= /usr/local
DESTDIR ?=

# make fuzz: seconds per target, and where new corpus entries are kept
# (not in git). make test: seconds per target, from the seeds alone.
FUZZ_SECONDS ?= 60
FUZZ_CORPUS  ?= $(BUILD_FUZZ)/corpus-new
FUZZ_BUDGET  ?= 10

CTEST = ctest --output-on-failure -j $(JOBS) --test-output-size-passed 1048576

.PHONY: all deps deps-test build build-release build-asan build-clang build-fuzz \
	run test fuzz format format-check bench clean install deb

all: build

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSYMSRVD_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS)

build-release: deps-test
	cmake -S . -B $(BUILD_REL) -DCMAKE_C_COMPILER=gcc \
		-DCMAKE_BUILD_TYPE=Release -DSYMSRVD_TESTS=ON \
		-DCMAKE_INSTALL_PREFIX=/usr
	cmake --build $(BUILD_REL) -j $(JOBS)

build-asan: deps-test
	cmake -S . -B $(BUILD_SAN) -DCMAKE_C_COMPILER=gcc \
		-DCMAKE_BUILD_TYPE=Debug -DSYMSRVD_SANITIZE=ON -DSYMSRVD_TESTS=ON
	cmake --build $(BUILD_SAN) -j $(JOBS)

build-clang: deps-test
	cmake -S . -B $(BUILD_CLANG) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=Release -DSYMSRVD_TESTS=ON
	cmake --build $(BUILD_CLANG) -j $(JOBS)

build-fuzz: deps-test
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYMSRVD_SANITIZE=ON \
		-DSYMSRVD_FUZZ=ON -DSYMSRVD_TESTS=ON
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_all

# Each libFuzzer target in turn for FUZZ_SECONDS, one at a time (a crash,
# leak or broken invariant fails; its input lands in FUZZ_CORPUS/crash/).
fuzz: build-fuzz
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS) $(FUZZ_CORPUS)

# The binaries, unit files, sample config, logrotate file and man pages
# under PREFIX (GNUInstallDirs: PREFIX=/usr puts the config in /etc),
# staged under DESTDIR if given. Release build in $(BUILD).
install: build
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --strip

# build/symsrvd_<version>_<arch>.deb (CPack, Depends from dpkg-shlibdeps).
deb: build
	@scripts/deps.sh deb
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && cpack -G DEB
	@ls $(BUILD)/*.deb

# Serves ROOT (default: the demo store) on 127.0.0.1:PORT in the foreground.
run: build
	@if [ "$(ROOT)" = "$(CURDIR)/demo/store" ]; then \
		echo "try: curl -sS -D - -o /dev/null http://127.0.0.1:$(PORT)/demo.pdb/4B2A8C1D9E0F4A5B8C7D6E5F4A3B2C1D1/demo.pdb"; \
	else echo "serving $(ROOT) on http://127.0.0.1:$(PORT)/"; fi
	./$(BUILD)/symsrvd -r "$(ROOT)" -l 127.0.0.1:$(PORT) $(ARGS)

# Every test in the Release and the ASan+UBSan trees (the fuzz corpora
# replayed among them), the unit tests of the clang tree, each libFuzzer
# target for FUZZ_BUDGET seconds from its seeds, then one line counting
# what was skipped in those runs. A failing run does not stop the others;
# make fails at the end.
test: format-check build-release build-asan build-clang build-fuzz
	@rm -f $(BUILD_REL)/junit.xml $(BUILD_SAN)/junit.xml \
		$(BUILD_CLANG)/junit.xml; \
	rc=0; \
	$(CTEST) --test-dir $(BUILD_REL) \
		--output-junit $(CURDIR)/$(BUILD_REL)/junit.xml || rc=1; \
	$(CTEST) --test-dir $(BUILD_SAN) \
		--output-junit $(CURDIR)/$(BUILD_SAN)/junit.xml || rc=1; \
	$(CTEST) --test-dir $(BUILD_CLANG) -R '^unit\.' \
		--output-junit $(CURDIR)/$(BUILD_CLANG)/junit.xml || rc=1; \
	rm -rf $(BUILD_FUZZ)/scratch-test; \
	tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_BUDGET) \
		$(BUILD_FUZZ)/scratch-test || rc=1; \
	scripts/skipped.sh release=$(BUILD_REL)/junit.xml \
		asan=$(BUILD_SAN)/junit.xml clang=$(BUILD_CLANG)/junit.xml || rc=1; \
	exit $$rc

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: deps-test
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

bench: build
	@scripts/deps.sh bench
	tests/bench/bench.sh

clean:
	rm -rf $(BUILD) $(BUILD_REL) $(BUILD_SAN) $(BUILD_CLANG) $(BUILD_FUZZ)
