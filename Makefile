# glassbox: a thin wrapper over CMake presets. The two commands of the README are `make run` and
# `make test`; both install what is missing first (tools/install-deps.sh).
JOBS ?= $(shell nproc)
CTEST_JOBS ?= $(JOBS)
RELEASE := build/release
ASAN := build/asan
FUZZ := build/fuzz

.PHONY: run test deps build build-asan test-release test-asan test-fuzz bench docs student-kit exercise clean help

help:
	@echo "make run          install what is missing, build (Release), open the viewer at the first lesson"
	@echo "make test         install what is missing, build, run every test label, then the ASan+UBSan and fuzz runs"
	@echo "make exercise TASK=core.broadcast.shape_rule   build and run one exercise's tests"
	@echo "make student-kit  write the student kit to out/glassbox-student-kit (and a .tar.gz)"
	@echo "make bench        build and run the benchmarks (each beside its peer, with the ratio)"
	@echo "make docs         the API reference (Doxygen) in build/docs/html"

deps:
	@tools/install-deps.sh

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

run: build
	$(RELEASE)/viewer/glassbox

test: build test-release test-asan test-fuzz

test-release:
	cd $(RELEASE) && ctest --output-on-failure -j $(CTEST_JOBS) --timeout 1800

build-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

test-asan: build-asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(CTEST_JOBS) -L 'unit|exercise|lesson'

# The file parsers under libFuzzer (clang, ASan+UBSan), a fixed time each from a seed corpus.
test-fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target gb_fuzzers
	cd $(FUZZ) && ctest --output-on-failure -L fuzz

bench: build
	@for b in $(RELEASE)/bench/bench_*; do [ -x "$$b" ] || continue; if [ -z "$$DISPLAY" ] && command -v xvfb-run >/dev/null; then xvfb-run -a -s '-screen 0 1280x800x24 -noreset' "$$b" || exit 1; else "$$b" || exit 1; fi; done

docs: deps
	mkdir -p build/docs && doxygen docs/Doxyfile
	@echo "API reference: build/docs/html/index.html"

exercise: build
	@/usr/bin/python3 tools/exercise.py --build $(RELEASE) $(TASK)

student-kit: deps
	/usr/bin/python3 tools/student_kit.py out/glassbox-student-kit
	tar -C out -czf out/glassbox-student-kit.tar.gz glassbox-student-kit
	@echo "student kit: out/glassbox-student-kit (and out/glassbox-student-kit.tar.gz)"

clean:
	rm -rf build out
