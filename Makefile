# SPDX-License-Identifier: MIT
# libleak - non-recursive Makefile. `make help` lists the targets.
# Sources are found by wildcard: a new preload/collector/viewer .c file, a tests/unit/*/test_X.c,
# a tests/e2e/progs/*.c or tests/e2e/test_*.sh joins the build and the test run by existing.
# `make` (all) installs nothing: a missing package stops it with the apt-get line to run; only
# `make demo`, `make check` and `make bench` install missing packages (as root).

B ?= build
BA ?= build-asan
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
CLANG ?= clang
WERROR ?= -Werror
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 $(WERROR)
CFLAGS ?= -g -O2
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -Icommon -MMD -MP

# The one version string (common/version.h); `make install` writes it into the scripts.
VERSION := $(shell sed -n 's/^\#define LEAK_VERSION_STRING "\(.*\)"$$/\1/p' common/version.h)

, := ,
PKGS_PRELOAD := libunwind libzstd
PKGS_COLLECTOR := libdw libzstd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS_PRELOAD) $(PKGS_COLLECTOR) 2>/dev/null)
# libzstd goes into libleak.so itself where its static archive is installed (libzstd-dev ships
# it, built PIC): every traced program, each forked child and each exec'd one then maps and
# relocates one library less (five fewer mappings, which each fork copies). Its symbols stay
# private (--exclude-libs, and the version script). libunwind is not linked at all: unwind.c
# dlopens it (by the soname found here) only when LEAK_UNWIND=libunwind asks for it or a walk
# first needs the fallback, so the programs that never do (most) map neither it nor the
# liblzma it needs. The unit tests link it directly.
ZSTD_STATIC = $(filter /%,$(shell $(CC) -print-file-name=libzstd.a 2>/dev/null))
PRELOAD_ZSTD = $(if $(ZSTD_STATIC),-Wl$(,)--exclude-libs$(,)ALL $(ZSTD_STATIC),\
	$(shell pkg-config --libs libzstd 2>/dev/null))
PRELOAD_LIBS = $(PRELOAD_ZSTD) -ldl -lpthread
UNWIND_LIBS = $(shell pkg-config --libs libunwind 2>/dev/null)
LIBUNWIND_SONAME := $(or $(shell objdump -p \
	"$$(pkg-config --variable=libdir libunwind 2>/dev/null)/libunwind.so" 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }'),libunwind.so.8)
COLLECTOR_LIBS = $(shell pkg-config --libs $(PKGS_COLLECTOR) 2>/dev/null) -lz -lm
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

# --- preload: libleak.so ---------------------------------------------------------------
# Hooks (interpose_*.c, init.c) export libc names; everything else is "core" and is also
# linked into unit tests so sanitizers see it without injecting a sanitized .so anywhere.
PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_HOOK_SRC := $(filter preload/interpose_%.c preload/init.c,$(PRELOAD_SRC))
PRELOAD_CORE_SRC := $(filter-out $(PRELOAD_HOOK_SRC),$(PRELOAD_SRC))
PRELOAD_CFLAGS := -fPIC -fvisibility=hidden -ftls-model=initial-exec -fno-omit-frame-pointer \
	-fno-stack-protector -DLK_LIBUNWIND_SONAME='"$(LIBUNWIND_SONAME)"'
# gcc builds optimise the preload across its files at link time, so that a concern kept in a
# file of its own (the walker, descriptor recording, the trace clock) costs no call on a hook's
# path. Unit tests link the same fat objects without it (-fno-lto), so their --wrap fault seams
# still catch calls between files. clang 14 has no fat LTO objects, so its builds go without.
# At link time gcc also sees that a strnlen bound (a format's string limit) exceeds the buffer
# behind it, which is harmless for strnlen and already checked file by file: that one warning
# is off there.
PRELOAD_LTO := $(if $(shell $(CC) --version 2>/dev/null | grep -q 'Free Software' && echo y),\
	-flto=auto -ffat-lto-objects)
PRELOAD_LTO_LINK := $(if $(PRELOAD_LTO),-Wno-stringop-overread)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(B)/obj/%.o)
PRELOAD_CORE_OBJ := $(PRELOAD_CORE_SRC:%.c=$(B)/obj/%.o)

# --- collector: leak-report (+ libcollector.a shared with leak-view) ---------------------
COLLECTOR_SRC := $(wildcard collector/*.c)
COLLECTOR_LIB_SRC := $(filter-out collector/main.c,$(COLLECTOR_SRC))
VIEWER_SRC := $(wildcard viewer/*.c)

define objs
$(patsubst %.c,$(1)/obj/%.o,$(2))
endef

# --- leak-attach: loads libleak.so into a running process (ptrace) ----------------------
ATTACH_SRC := $(wildcard attach/*.c)

TOOLS := $(B)/libleak.so $(B)/leak-report $(if $(VIEWER_SRC),$(B)/leak-view) $(B)/leak-attach

# --- tests ---------------------------------------------------------------------------
UNIT_PRELOAD_SRC := $(wildcard tests/unit/preload/test_*.c)
UNIT_COLLECTOR_SRC := $(wildcard tests/unit/collector/test_*.c)
UNIT_PRELOAD := $(UNIT_PRELOAD_SRC:%.c=$(B)/%)
UNIT_COLLECTOR := $(UNIT_COLLECTOR_SRC:%.c=$(B)/%)
PROG_C := $(filter-out tests/e2e/progs/lib_%.c,$(wildcard tests/e2e/progs/*.c))
PROG_CXX := $(wildcard tests/e2e/progs/*.cc)
PROG_LIB := $(wildcard tests/e2e/progs/lib_*.c)
PROG_NAMES := $(notdir $(basename $(PROG_C) $(PROG_CXX)))
PROGS := $(foreach c,gcc clang,$(addprefix $(B)/progs/$(c)/,$(PROG_NAMES)) \
	$(addprefix $(B)/progs/$(c)/,$(notdir $(PROG_LIB:%.c=%.so))))
E2E := $(wildcard tests/e2e/test_*.sh)
PROG_CFLAGS := -O2 -g -pthread
PROG_LIBS := -ldl

MAN1 := $(wildcard docs/man/*.1)
MAN7 := $(wildcard docs/man/*.7)

.PHONY: all check unit e2e demo asan bench fuzz format format-check lint headers install \
	uninstall clean help deps deps-check deps-bench progs compile_commands.json
.DEFAULT_GOAL := all
.SECONDEXPANSION:

all: $(TOOLS)

# Package checks. The sets nest (build < check < bench) and run one after the other, so that
# two apt-get runs never race under -j. Only demo, check and bench may install.
DEPS_FLAGS := $(if $(filter demo check bench,$(MAKECMDGOALS)),,--no-install)
deps:
	$(Q)scripts/install-deps $(DEPS_FLAGS) build
deps-check: deps
	$(Q)scripts/install-deps $(DEPS_FLAGS) check
deps-bench: deps-check
	$(Q)scripts/install-deps $(DEPS_FLAGS) bench

$(B)/obj/preload/%.o: preload/%.c | deps
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(PRELOAD_CFLAGS) $(PRELOAD_LTO) $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) \
		-c $< -o $@

$(B)/libleak.so: $(PRELOAD_OBJ) preload/libleak.map
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(WARN) $(PRELOAD_CFLAGS) $(PRELOAD_LTO) $(PRELOAD_LTO_LINK) $(CFLAGS) -shared \
		-o $@ $(PRELOAD_OBJ) \
		-Wl,--version-script=preload/libleak.map \
		-Wl,-z,defs -Wl,-z,nodelete -Wl,-z,now $(PRELOAD_LIBS)

$(B)/preload-core.a: $(PRELOAD_CORE_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# Collector and viewer objects (`make asan` reuses this rule with B=$(BA)).
$(B)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -Icollector $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

$(B)/libcollector.a: $(call objs,$(B),$(COLLECTOR_LIB_SRC))
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/leak-report: $(B)/obj/collector/main.o $(B)/libcollector.a
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(COLLECTOR_LIBS)

# html.c pulls the page templates in with .incbin, which -MMD cannot see.
$(B)/obj/viewer/html.o: $(wildcard viewer/assets/*)

$(B)/leak-view: $(call objs,$(B),$(VIEWER_SRC)) $(B)/libcollector.a
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(COLLECTOR_LIBS)

# leak-attach looks for the installed library where `make install` puts it.
$(B)/obj/attach/%.o: attach/%.c | deps
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -DLEAK_LIBDIR='"$(PREFIX)/lib/libleak"' $(CFLAGS) $(EXTRA_CFLAGS) \
		-c $< -o $@

$(B)/leak-attach: $(call objs,$(B),$(ATTACH_SRC))
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -o $@ $^

# Unit tests: one cmocka binary per module. A test_X.ldflags file beside test_X.c adds link
# flags (for example -Wl,--wrap=lk_sys_write fault seams).
$(B)/tests/unit/preload/%: tests/unit/preload/%.c $(B)/preload-core.a | deps-check
	@mkdir -p $(@D)
	$(if $(Q),@echo "  TEST-CC $<")
	$(Q)$(CC) $(BASE_CFLAGS) -Ipreload $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) \
		-fno-omit-frame-pointer $(if $(PRELOAD_LTO),-fno-lto) -o $@ $< \
		$(B)/preload-core.a $$(cat $(wildcard tests/unit/preload/$*.ldflags) /dev/null) \
		$(CMOCKA_LIBS) $(UNWIND_LIBS) $(PRELOAD_LIBS)

$(B)/tests/unit/collector/%: tests/unit/collector/%.c $(B)/libcollector.a | deps-check
	@mkdir -p $(@D)
	$(if $(Q),@echo "  TEST-CC $<")
	$(Q)$(CC) $(BASE_CFLAGS) -Icollector $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $< \
		$(B)/libcollector.a $$(cat $(wildcard tests/unit/collector/$*.ldflags) /dev/null) \
		$(CMOCKA_LIBS) $(COLLECTOR_LIBS)

# Test programs, built the way users build theirs: -O2 -g, no frame pointers, gcc and clang.
$(B)/progs/gcc/%: tests/e2e/progs/%.c | deps-check
	@mkdir -p $(@D)
	$(Q)gcc $(PROG_CFLAGS) -o $@ $< $(PROG_LIBS)
$(B)/progs/clang/%: tests/e2e/progs/%.c | deps-check
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(PROG_CFLAGS) -o $@ $< $(PROG_LIBS)
$(B)/progs/gcc/%: tests/e2e/progs/%.cc | deps-check
	@mkdir -p $(@D)
	$(Q)g++ $(PROG_CFLAGS) -o $@ $< $(PROG_LIBS)
$(B)/progs/clang/%: tests/e2e/progs/%.cc | deps-check
	@mkdir -p $(@D)
	$(Q)$(CLANG)++ $(PROG_CFLAGS) -o $@ $< $(PROG_LIBS)
$(B)/progs/gcc/%.so: tests/e2e/progs/%.c | deps-check
	@mkdir -p $(@D)
	$(Q)gcc $(PROG_CFLAGS) -fPIC -shared -o $@ $<
$(B)/progs/clang/%.so: tests/e2e/progs/%.c | deps-check
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(PROG_CFLAGS) -fPIC -shared -o $@ $<

progs: $(PROGS)

unit: deps-check $(UNIT_PRELOAD) $(UNIT_COLLECTOR)
	$(Q)tests/run.sh $(UNIT_PRELOAD) $(UNIT_COLLECTOR)

e2e: deps-check all $(PROGS)
	$(Q)BUILD=$(B) tests/run.sh $(E2E)

check: deps-check all $(UNIT_PRELOAD) $(UNIT_COLLECTOR) $(PROGS)
	$(Q)BUILD=$(B) tests/run.sh $(UNIT_PRELOAD) $(UNIT_COLLECTOR) $(E2E) tests/lint.sh

# The collector, the preload's core (everything but the hooks: preload-core.a) and the unit
# tests of both under ASan+UBSan, in their own build directory. libleak.so itself is not
# sanitized: a sanitizer runtime cannot be preloaded into programs that were not built with it.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# gcc's -Wstringop-overread misfires under ASan at -O1: strnlen(s, 4096) on a short literal
# (common/varint.h's trace_put_str, inlined into a test) is correct, strnlen stops at the NUL.
ASAN_WARN := $(if $(filter gcc cc,$(notdir $(CC))),-Wno-stringop-overread)
# Two preload tests stay out. test_unwind: walking a stack means reading the words of other
# functions' frames, which ASan reports as stack-buffer-overflow (gcc has no ignore list to
# exempt the walker). test_reach: it checks that blocks only stale words point to stay
# unreached, and ASan's padded frames and allocator leave stale words that its scrubbing
# cannot clear, so they are found (a correct conservative answer, not the expected one).
ASAN_SKIP := test_unwind test_reach
ASAN_UNIT := $(filter-out $(ASAN_SKIP:%=$(BA)/tests/unit/preload/%), \
	$(UNIT_PRELOAD:$(B)/%=$(BA)/%)) $(UNIT_COLLECTOR:$(B)/%=$(BA)/%)
asan: deps-check
	$(Q)$(MAKE) --no-print-directory B=$(BA) EXTRA_CFLAGS="$(ASAN_FLAGS) $(ASAN_WARN)" \
		COLLECTOR_LIBS="$(ASAN_FLAGS) $(COLLECTOR_LIBS)" CFLAGS="-g -O1" \
		$(BA)/leak-report $(ASAN_UNIT)
	$(Q)BUILD=$(BA) LEAK_TEST_TIMEOUT_MULT=3 tests/run.sh $(ASAN_UNIT)

demo: deps all $(B)/demo
	$(Q)scripts/leak-run -o $(B)/demo-out -- $(B)/demo

$(B)/demo: examples/demo.c
	@mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -o $@ $<

bench: deps-bench all
	$(Q)BUILD=$(B) bench/bench.sh
	$(Q)BUILD=$(B) bench/attach.sh

fuzz: deps-check
	$(Q)BUILD=$(B) tests/fuzz/run.sh $(or $(FUZZ_SECONDS),600)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' '*.cc' 2>/dev/null)
format:
	$(Q)clang-format -i $(FORMAT_FILES)
format-check:
	$(Q)clang-format --dry-run -Werror $(FORMAT_FILES)

lint:
	$(Q)tests/lint.sh

headers:
	$(Q)for h in $$(git ls-files 'common/*.h' 'preload/*.h' 'collector/*.h' 'viewer/*.h'); do \
		printf '#include "%s"\n' "$$h" | $(CC) $(BASE_CFLAGS) -Ipreload -Icollector -I. \
			$(PKG_CFLAGS) -x c -fsyntax-only - || exit 1; done

# What install puts where; uninstall removes exactly this list (and lib/libleak/ once empty).
INSTALLED := $(PREFIX)/lib/libleak/libleak.so $(PREFIX)/bin/leak-report \
	$(if $(VIEWER_SRC),$(PREFIX)/bin/leak-view) $(PREFIX)/bin/leak-attach $(PREFIX)/bin/leak-run $(PREFIX)/bin/leak-soak \
	$(MAN1:docs/man/%=$(PREFIX)/share/man/man1/%) $(MAN7:docs/man/%=$(PREFIX)/share/man/man7/%)
# The scripts get the library's installed path and the version written in.
SCRIPT_SED := -e 's|^LIBLEAK_SO_DEFAULT=.*|LIBLEAK_SO_DEFAULT=$(PREFIX)/lib/libleak/libleak.so|' \
	-e 's|^version_installed=.*|version_installed=$(VERSION)|'

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/libleak $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 0644 $(B)/libleak.so $(DESTDIR)$(PREFIX)/lib/libleak/libleak.so
	install -m 0755 $(B)/leak-report $(DESTDIR)$(PREFIX)/bin/leak-report
	$(if $(VIEWER_SRC),install -m 0755 $(B)/leak-view $(DESTDIR)$(PREFIX)/bin/leak-view)
	install -m 0755 $(B)/leak-attach $(DESTDIR)$(PREFIX)/bin/leak-attach
	for s in leak-run leak-soak; do \
		sed $(SCRIPT_SED) scripts/$$s > $(DESTDIR)$(PREFIX)/bin/$$s && \
		chmod 0755 $(DESTDIR)$(PREFIX)/bin/$$s || exit 1; done
	install -m 0644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(MAN7) $(DESTDIR)$(PREFIX)/share/man/man7/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(PREFIX)/lib/libleak 2>/dev/null

# A compilation database for clangd and other tools, from the commands `make -n` would run
# for the tools and the unit tests (nothing is built, no extra tool is needed).
compile_commands.json:
	$(Q)$(MAKE) --no-print-directory -nB V=1 all $(UNIT_PRELOAD) $(UNIT_COLLECTOR) \
		DEPS_FLAGS=--no-install 2>/dev/null | \
		awk -v dir="$(CURDIR)" 'BEGIN { print "["; n = 0 } \
		/\\$$/ { sub(/\\$$/, ""); held = held $$0; next } \
		{ $$0 = held $$0; held = ""; gsub(/\t/, " ") } \
		$$1 ~ /(^|\/)(gcc|cc|clang|g\+\+|clang\+\+)(-[0-9]+)?$$/ { \
			file = ""; for (i = 2; i <= NF; i++) if ($$i ~ /\.(c|cc)$$/) file = $$i; \
			if (file == "") next; cmd = $$0; gsub(/\\/, "\\\\", cmd); \
			gsub(/"/, "\\\"", cmd); \
			printf "%s  {\"directory\": \"%s\", \"file\": \"%s\", \"command\": \"%s\"}", \
				n++ ? ",\n" : "", dir, file, cmd } \
		END { print "\n]" }' > $@.tmp && mv $@.tmp $@
	$(Q)echo "compile_commands.json: $$(grep -c '"file"' $@) entries"

clean:
	rm -rf $(B) $(BA) build-clang compile_commands.json

help:
	@echo "targets:"
	@echo "  all           build/libleak.so, build/leak-report, build/leak-view,"
	@echo "                build/leak-attach (default)"
	@echo "  demo          profile the bundled example and print its report"
	@echo "  check         unit + end-to-end tests, lint (installs test packages as root)"
	@echo "               (demo, check and bench install missing packages; the rest only"
	@echo "               check and print the apt-get line)"
	@echo "  unit, e2e     just one half of check"
	@echo "  asan          collector, preload core and their unit tests under ASan+UBSan"
	@echo "  bench         overhead vs native and heaptrack (docs/BENCHMARKS.md)"
	@echo "  fuzz          libFuzzer on the trace reader (FUZZ_SECONDS=600)"
	@echo "  format        clang-format -i; format-check: fail on differences"
	@echo "  lint          shellcheck + cppcheck; headers: each header compiles alone"
	@echo "  install       PREFIX=$(PREFIX) DESTDIR=: tools, library, scripts, man pages"
	@echo "  uninstall     remove what install installed (same PREFIX and DESTDIR)"
	@echo "  compile_commands.json   compilation database for clangd and friends"
	@echo "  clean         remove the build directories"

-include $(shell find $(B)/obj $(BA)/obj -name '*.d' 2>/dev/null)
