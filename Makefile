# mwauth: `make` builds the library and the C example, `make demo` runs the example against a
# local test wiki, `make test` runs every test against a real MediaWiki it brings up itself.

CARGO    ?= cargo
CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include

VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR    := $(firstword $(subst ., ,$(VERSION)))
RELEASE  := target/release
DEBUG    := target/debug
CFLAGS_STRICT := -std=c11 -Wall -Wextra -Werror -g
VALGRIND := valgrind --quiet --error-exitcode=1 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
EXAMPLES := bindings/c/examples/bin/botlogin bindings/c/examples/bin/clientlogin
# Only the interactive clientlogin example parses JSON, with cJSON (Debian: libcjson-dev).
LIBS_clientlogin := -lcjson
C_TESTS  := tests/c/bin/abi_args tests/c/bin/wiki_login tests/c/bin/resume tests/c/bin/async tests/c/bin/auth tests/c/bin/botlogin \
            tests/c/bin/clientlogin
# The C tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc's): every
# misuse of what the library hands out (a string freed twice or by the wrong free, a read past
# its end) stops the test, beside valgrind's run of the plain build.
ASAN_TESTS := tests/c/asan/abi_args tests/c/asan/wiki_login tests/c/asan/resume tests/c/asan/async tests/c/asan/auth
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: all release examples demo test deps test-in-wiki c-tests lint fuzz header install bench clean test-node

# Seconds each fuzz target runs in make test (fuzz/run.sh; 0: only replay the seeds and finds).
FUZZ_SECONDS ?= 2

# The library; and the bot example, which needs nothing but a C compiler.
all: bindings/c/examples/bin/botlogin

# Both C examples (the interactive one needs cJSON).
examples: $(EXAMPLES)

# The release library, with the SONAME link beside it so linked programs run from the tree.
release:
	$(CARGO) build --release --lib
	ln -sf libmwauth.so $(RELEASE)/libmwauth.so.$(MAJOR)

bindings/c/examples/bin/%: bindings/c/examples/%.c include/mwauth.h release
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -Iinclude -o $@ $< -L$(RELEASE) -Wl,-rpath,$(abspath $(RELEASE)) -lmwauth $(LIBS_$*)

# The main job: log a bot in and print its userinfo. Uses MWAUTH_API_URL, MWAUTH_USERNAME and
# MWAUTH_PASSWORD when MWAUTH_API_URL is set; otherwise starts the local test wiki for the run.
demo: bindings/c/examples/bin/botlogin
	@if [ -n "$$MWAUTH_API_URL" ]; then bindings/c/examples/bin/botlogin; \
	else tests/wiki/with-wiki.sh bindings/c/examples/bin/botlogin; fi

# Every test: Rust unit and integration tests, C and C++ tests (also under valgrind), the
# installed library through pkg-config, and the Python package installed into a fresh venv,
# against a real MediaWiki that tests/wiki/with-wiki.sh installs, starts and stops.
# MW_VERSION=1.43 runs them on MediaWiki 1.43 instead of 1.39.
test: deps lint
	$(CARGO) build --lib
	ln -sf libmwauth.so $(DEBUG)/libmwauth.so.$(MAJOR)
	$(MAKE) --no-print-directory c-tests
	tests/wiki/with-wiki.sh $(MAKE) --no-print-directory test-in-wiki
	FUZZ_SEED=1 fuzz/run.sh $(FUZZ_SECONDS)

# Runs inside with-wiki.sh (needs its environment).
test-in-wiki:
	$(CARGO) test
	tests/c/bin/abi_args
	tests/c/bin/wiki_login
	tests/c/bin/async
	tests/c/bin/auth
	tests/c/bin/botlogin
	tests/c/run-examples.sh
	rm -f "$$MWAUTH_TEST_WIKI_DIR/c-cookies.txt"
	tests/c/bin/resume login "$$MWAUTH_TEST_WIKI_DIR/c-cookies.txt"
	tests/c/bin/resume resume "$$MWAUTH_TEST_WIKI_DIR/c-cookies.txt"
	$(VALGRIND) tests/c/bin/abi_args
	$(VALGRIND) tests/c/bin/wiki_login
	$(VALGRIND) tests/c/bin/async
	$(VALGRIND) tests/c/bin/auth
	$(VALGRIND) tests/c/bin/resume resume "$$MWAUTH_TEST_WIKI_DIR/c-cookies.txt"
	tests/c/asan/abi_args
	tests/c/asan/wiki_login
	tests/c/asan/async
	tests/c/asan/auth
	tests/c/asan/resume resume "$$MWAUTH_TEST_WIKI_DIR/c-cookies.txt"
	VALGRIND=1 ASAN=1 tests/cpp/run.sh $(DEBUG)
	tests/pkgconfig/run.sh
	tests/readme/run.sh
	MWAUTH_LIBRARY=$(abspath $(DEBUG))/libmwauth.so tests/binding/run.sh
	tests/python/run.sh
	tests/node/run.sh $(DEBUG)/libmwauth.so

# What the tests need besides Rust and a C compiler: installed as root, named otherwise.
deps:
	@tests/deps.sh

c-tests: $(C_TESTS) $(ASAN_TESTS)

tests/c/bin/%: tests/c/%.c tests/c/check.h include/mwauth.h $(DEBUG)/libmwauth.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -Iinclude -o $@ $< -L$(DEBUG) -Wl,-rpath,$(abspath $(DEBUG)) -lmwauth -lpthread

tests/c/asan/%: tests/c/%.c tests/c/check.h include/mwauth.h $(DEBUG)/libmwauth.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) $(ASAN_FLAGS) -Iinclude -o $@ $< -L$(DEBUG) -Wl,-rpath,$(abspath $(DEBUG)) -lmwauth -lpthread

# The examples again, against the debug library the tests build anyway.
tests/c/bin/botlogin tests/c/bin/clientlogin: tests/c/bin/%: bindings/c/examples/%.c include/mwauth.h $(DEBUG)/libmwauth.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_STRICT) -Iinclude -o $@ $< -L$(DEBUG) -Wl,-rpath,$(abspath $(DEBUG)) -lmwauth $(LIBS_$*)

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# Every fuzz target for five minutes (make fuzz FUZZ_SECONDS=N for another length); what it
# finds stays in fuzz/target/corpus for the next run, a crash in fuzz/artifacts.
fuzz: FUZZ_SECONDS = 300
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)

# Figures side by side with libcurl and Python clients (bench/README.md); about two minutes.
bench:
	bench/run.sh

# Regenerates include/mwauth.h with the pinned cbindgen (a dev-dependency).
header:
	MWAUTH_WRITE_HEADER=1 $(CARGO) test --test header committed_header_is_what_cbindgen_generates

install: release
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0755 $(RELEASE)/libmwauth.so $(DESTDIR)$(LIBDIR)/libmwauth.so.$(VERSION)
	ln -sf libmwauth.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmwauth.so.$(MAJOR)
	ln -sf libmwauth.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libmwauth.so
	install -m 0644 $(RELEASE)/libmwauth.a $(DESTDIR)$(LIBDIR)/libmwauth.a
	install -m 0644 include/mwauth.h $(DESTDIR)$(INCLUDEDIR)/mwauth.h
	install -m 0644 bindings/cpp/mwauth.hpp $(DESTDIR)$(INCLUDEDIR)/mwauth.hpp
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' mwauth.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/mwauth.pc

# The Node package's tests alone, on the release library.
test-node: release
	tests/wiki/with-wiki.sh tests/node/run.sh $(RELEASE)/libmwauth.so

clean:
	$(CARGO) clean
	rm -rf tests/c/bin tests/c/asan bindings/c/examples/bin fuzz/target fuzz/artifacts
	rm -rf bindings/node/node_modules
