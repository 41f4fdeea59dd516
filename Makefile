# Wastewater telemetry for Hanoi's industrial clusters: build, test, demo.
#
#   make            build/wwtp-collector and build/wwtp-sim (installs Debian packages first)
#   make check      every test, plain and under ASan+UBSan, with -Werror, the
#                   lint and the format check
#   make demo       simulator + local mosquitto + collector, printing what arrives
#   make deps       install the Debian packages the build needs (idempotent);
#                   check, demo, bench and deb install their own set first
#                   (scripts/deps.sh PURPOSE)
#   make deb        Debian packages for amd64, arm64 and armhf in dist/ (packaging/README.md)
#   make lint, make format-check   banned functions; clang-format's verdict
#
# Variables: BUILD=dir (default build), SANITIZE=1 (ASan+UBSan), WERROR=0,
# ARCH=arm64|armhf (cross build, below).

# Cross builds (docs/testing.md): ARCH=arm64 or ARCH=armhf builds with
# Debian's cross compiler (crossbuild-essential-ARCH) against the foreign
# -dev packages unpacked in build/sysroot-ARCH by scripts/cross-sysroot.sh,
# into build/ARCH. No ARCH, or the host's, is the native build.
HOST_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
ARCH ?= $(HOST_ARCH)
ifneq ($(ARCH),$(HOST_ARCH))
TRIPLET := $(shell dpkg-architecture -a$(ARCH) -qDEB_HOST_MULTIARCH 2>/dev/null)
ifeq ($(TRIPLET),)
$(error ARCH=$(ARCH) is not a Debian architecture (try arm64 or armhf))
endif
BUILD ?= build/$(ARCH)
SYSROOT ?= build/sysroot-$(ARCH)
CC = $(TRIPLET)-gcc
SYSROOT_ABS = $(abspath $(SYSROOT))
PKG_CONFIG = PKG_CONFIG_LIBDIR=$(SYSROOT_ABS)/usr/lib/$(TRIPLET)/pkgconfig:$(SYSROOT_ABS)/usr/share/pkgconfig \
	     PKG_CONFIG_SYSROOT_DIR=$(SYSROOT_ABS) pkg-config
# pkg-config leaves out -I/usr/include and -L/usr/lib: name them here.
CROSS_CFLAGS = -isystem $(SYSROOT_ABS)/usr/include/$(TRIPLET) -isystem $(SYSROOT_ABS)/usr/include
CROSS_LDFLAGS = $(foreach d,usr/lib/$(TRIPLET) lib/$(TRIPLET),-L$(SYSROOT_ABS)/$(d) -Wl,-rpath-link,$(SYSROOT_ABS)/$(d))
endif
PKG_CONFIG ?= pkg-config

BUILD ?= build
SANITIZE ?=
WERROR ?= 1
CC ?= cc

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
       -Wno-format-nonliteral -Wundef -Wvla
# CFLAGS from the command line or environment set optimisation and debug
# info only; `override` keeps the project's own flags in any case.
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -pthread $(WARN) -MMD -MP
# 64-bit off_t and directory offsets on 32-bit ARM (armhf): stat() of a store
# over 2 GiB, and readdir() where the file system hands out 64-bit offsets.
override CFLAGS += -D_FILE_OFFSET_BITS=64
override CFLAGS += $(CROSS_CFLAGS)
override LDFLAGS += $(CROSS_LDFLAGS)
# Every program is linked with the one library list; --as-needed keeps only
# the libraries a program calls, so the collector on a Pi does not map
# libcurl, GnuTLS, Kerberos and libmicrohttpd it never uses (bench/README.md,
# footprint).
override LDFLAGS += -Wl,--as-needed
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
override CFLAGS += -DWWTP_VERSION=\"$(VERSION)\"

# Recursively expanded on purpose: pkg-config runs when linking, after `deps`.
PKGS = libmodbus libconfig jansson libcurl zlib libmicrohttpd sqlite3 libsodium
# No Paho here: the programs load its plain or TLS build by the broker's URI
# (util/paho_lib.h); only bench/loadgen.c links it.
LDLIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))

# One library per program family, each made of its folders' wildcards: a
# new .c file in a folder is built with nothing to add here. A program is
# its main.c and its libraries; unit tests, fuzzers and bench tools link
# the same libraries (the linker takes only the objects they use).
LIB_SRC := $(wildcard util/*.c model/*.c station/*.c drivers/*.c payload/*.c compliance/*.c)
COLLECTOR_SRC := $(wildcard collector/*.c)
SIM_SRC := $(wildcard firmware-sim/*.c)
CENTRAL_SRC := $(wildcard central/*.c central/*/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
# What goes in each library: everything but the programs' main.c.
wwtp_SRC := $(LIB_SRC)
collector_SRC := $(filter-out collector/main.c collector/tt10_upload_main.c,$(COLLECTOR_SRC))
sim_SRC := $(filter-out firmware-sim/main.c,$(SIM_SRC))
central_SRC := $(filter-out central/main.c,$(CENTRAL_SRC))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
ALL_OBJ := $(call obj,$(LIB_SRC) $(COLLECTOR_SRC) $(SIM_SRC) $(CENTRAL_SRC))
PROGRAMS := $(BUILD)/wwtp-collector $(BUILD)/wwtp-tt10-upload $(BUILD)/wwtp-sim $(if $(CENTRAL_SRC),$(BUILD)/wwtp-central)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
# Higher floors first, for the linker.
UNIT_LIBS := $(BUILD)/libcentral.a $(BUILD)/libcollector.a $(BUILD)/libsim.a $(BUILD)/libwwtp.a

.PHONY: all deps check check-build test demo clean format format-check lint
all: $(PROGRAMS)

# Every build starts by making sure the packages are there (fast when they are).
$(ALL_OBJ): | deps

# A cross build needs the cross compilers of the deb set.
deps:
	@scripts/deps.sh $(if $(TRIPLET),deb,build)
ifneq ($(TRIPLET),)
	@scripts/cross-sysroot.sh $(ARCH) $(SYSROOT)
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/libwwtp.a: $(call obj,$(wwtp_SRC))
$(BUILD)/libcollector.a: $(call obj,$(collector_SRC))
$(BUILD)/libsim.a: $(call obj,$(sim_SRC))
$(BUILD)/libcentral.a: $(call obj,$(central_SRC)) $(BUILD)/obj/gen/web_assets.o
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/wwtp-collector: $(BUILD)/obj/collector/main.o $(BUILD)/libcollector.a $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The Circular 10/2021 uploads, in a program of their own: the collector
# then never loads libcurl and its TLS stack (collector/tt10_child.h).
$(BUILD)/wwtp-tt10-upload: $(BUILD)/obj/collector/tt10_upload_main.o $(BUILD)/libcollector.a $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/wwtp-sim: $(BUILD)/obj/firmware-sim/main.o $(BUILD)/libsim.a $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/wwtp-central: $(BUILD)/obj/central/main.o $(BUILD)/libcentral.a $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The web page's files, compiled in (central/web/web_assets.h, docs/web.md),
# with the charting library from Debian's libjs-dygraphs (MIT; served as
# /dygraph.min.js and /dygraph.min.css: nothing is fetched from the internet).
DYGRAPHS_DIR ?= /usr/share/javascript/dygraphs
WEB_SRC := $(sort $(wildcard central/web/*.html central/web/*.js central/web/*.css central/web/*.svg)) \
	$(DYGRAPHS_DIR)/dygraph.min.js $(DYGRAPHS_DIR)/dygraph.min.css
# On a fresh machine the library arrives with `deps`: without this rule make
# stops at once with "No rule to make target .../dygraph.min.js".
$(DYGRAPHS_DIR)/dygraph.min.js $(DYGRAPHS_DIR)/dygraph.min.css: | deps
	@test -f $@ || { echo "$@ is missing: install libjs-dygraphs (scripts/deps.sh build)" >&2; exit 1; }

$(BUILD)/gen/web_assets.c: $(WEB_SRC) scripts/embed-web.sh
	@mkdir -p $(dir $@)
	scripts/embed-web.sh $(WEB_SRC) >$@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/web_assets.o: $(BUILD)/gen/web_assets.c central/web/web_assets.h | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icentral/web -c $< -o $@

# Unit tests are programs like the others: the test and the libraries. A
# white-box test, one that calls what a file keeps static, names that file
# in test_X_WHITEBOX: the file is compiled again with -DWWTP_UNITTEST
# (util/unittest.h) and linked first, so the libraries' copy stays out.
test_central_auth_WHITEBOX := central/web/auth.c
test_central_influx_WHITEBOX := central/ingest/influx.c
test_forward_WHITEBOX := collector/forward.c
test_link_poller_WHITEBOX := collector/poller.c
test_report_WHITEBOX := central/report/report_write.c
test_sim_control_WHITEBOX := firmware-sim/fault.c
test_sim_model_WHITEBOX := firmware-sim/model.c firmware-sim/image.c
uobj = $(patsubst %.c,$(BUILD)/obj-unittest/%.o,$(1))
$(foreach t,$(basename $(notdir $(UNIT_SRC))),$(eval $(BUILD)/tests/$(t): $(call uobj,$($(t)_WHITEBOX))))

$(BUILD)/obj-unittest/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DWWTP_UNITTEST $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_LIBS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DWWTP_UNITTEST $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(filter $(BUILD)/obj-unittest/%,$^) $(UNIT_LIBS) $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

check-build: all $(UNIT_BIN) $(TOOL_BIN)

# The suite runs twice: a plain -Werror build, then the same tests under
# ASan+UBSan. tests/run.sh prints one "N passed, N failed" line at the end.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Each step says how long it took (README.md, how long make check takes).
check:
	@scripts/deps.sh check
	@scripts/test-prefetch.sh
	$(MAKE) lint format-check
	@t0=$$(date +%s) && \
	$(MAKE) -j$(JOBS) BUILD=build check-build && \
	$(MAKE) -j$(JOBS) BUILD=build/asan SANITIZE=1 CFLAGS="-O1 -g" check-build && \
	echo "make check: both builds took $$(($$(date +%s) - t0)) s (load $$(cut -d' ' -f1-3 /proc/loadavg))"
	tests/run.sh build build/asan

test: check

demo: all $(TOOL_BIN)
	@scripts/deps.sh demo
	scripts/demo.sh $(BUILD)

FORMAT_SRC = $(LIB_SRC) $(COLLECTOR_SRC) $(SIM_SRC) $(CENTRAL_SRC) $(UNIT_SRC) $(TOOL_SRC) */*.h */*/*.h
format:
	clang-format -i $(FORMAT_SRC)

# The same files as `make format`, unchanged: any difference is an error.
format-check:
	clang-format --dry-run -Werror $(FORMAT_SRC)

# Functions that have no place here: unbounded copies and silent conversions.
lint:
	@! grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets)\s*\(' \
		$(LIB_SRC) $(COLLECTOR_SRC) $(SIM_SRC) $(CENTRAL_SRC) */*.h */*/*.h || \
		(echo "lint: use snprintf/strtol/strtok_r and bounded copies" && false)

# ---- fuzzing (docs/fuzzing.md) ------------------------------------------------
# libFuzzer harnesses tests/fuzz/fuzz_*.c, built with clang whatever CC is,
# always under ASan+UBSan: the parsers' objects with fuzzer-no-link (coverage
# only), each harness linked with -fsanitize=fuzzer (libFuzzer's main), into
# $(BUILD)/fuzz/. A sanitizer build's check-build builds them, and the suite
# runs them briefly (tests/integration/fuzz_short.sh, sanitizer pass only).
#   make fuzz-build                         the harnesses
#   make fuzz-check                         the short run alone (seconds each)
#   make fuzz [FUZZ_SECONDS=300] [FUZZ_TARGETS="lineproto modbus"]
#                                           longer runs; the corpora grow in
#                                           $(BUILD)/fuzz/corpus/, crashes land
#                                           in $(BUILD)/fuzz/crashes/
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?=
FUZZ_DIR = $(BUILD)/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(if $(filter 1,$(WERROR)),-Werror) \
	      -MMD -MP $(FUZZ_SAN) -DWWTP_VERSION=\"$(VERSION)\"
# The harnesses link the same libraries as the programs, built again with
# clang and coverage (none needs the collector's).
fobj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))
FUZZ_LIBS_A := $(FUZZ_DIR)/libcentral.a $(FUZZ_DIR)/libsim.a $(FUZZ_DIR)/libwwtp.a
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(filter-out tests/fuzz/fuzz_common.c,$(FUZZ_SRC)))
FUZZ_LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

.PHONY: fuzz fuzz-build fuzz-check
fuzz-build: $(FUZZ_BIN)

ifneq ($(SANITIZE),)
check-build: fuzz-build
endif

$(FUZZ_DIR)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libwwtp.a: $(call fobj,$(wwtp_SRC))
$(FUZZ_DIR)/libsim.a: $(call fobj,$(sim_SRC))
$(FUZZ_DIR)/libcentral.a: $(call fobj,$(central_SRC))
$(FUZZ_DIR)/lib%.a:
	rm -f $@ && ar rcs $@ $^

# The checkout's path is built in: the harnesses read config/profiles and
# config/limits from it ($$WWTP_SRCDIR overrides).
$(FUZZ_DIR)/fuzz_common.o: tests/fuzz/fuzz_common.c | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DWWTP_FUZZ_SRCDIR=\"$(CURDIR)\" -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/fuzz_common.o $(FUZZ_LIBS_A) | deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< \
		$(FUZZ_DIR)/fuzz_common.o $(FUZZ_LIBS_A) $(FUZZ_LIBS)

fuzz-check: fuzz-build
	tests/fuzz/run.sh $(BUILD) short

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(BUILD) long $(FUZZ_TARGETS)

-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)
# ---- end of fuzzing -------------------------------------------------------------

# ---- benchmarks (bench/README.md) ---------------------------------------------
# Not part of `make check`. Builds the programs and bench/*.c tools in
# BENCH_BUILD with -O2 and no sanitizers, installs Node-RED into
# BENCH_NODERED, then runs the seven benchmarks and
# writes bench/results/<UTC date>.md. `make bench LONG=1` (or BENCH_SECONDS=N)
# for longer runs.
BENCH_BUILD ?= build/bench
# Outside BENCH_BUILD: its 9000 files stay out of the dependency-file search
# at the end of this Makefile.
BENCH_NODERED ?= build/nodered
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
.PHONY: bench bench-build
bench-build: all $(TOOL_BIN) $(BENCH_BIN)

# The tools may use the collector's modules (bench/mkbacklog.c: its store).
$(BUILD)/bench/%: bench/%.c $(BUILD)/libcollector.a $(BUILD)/libwwtp.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcollector.a \
		$(BUILD)/libwwtp.a $(LDLIBS) -lpaho-mqtt3as

# Node-RED (benchmark 3) comes from the npm registry, at the versions
# bench/nodered/package.json pins; without it (offline) the benchmark runs
# and its Node-RED row says why.
bench:
	@scripts/deps.sh bench
	$(MAKE) BUILD=$(BENCH_BUILD) SANITIZE= CFLAGS="-O2 -g" bench-build
	-bench/nodered/install.sh $(BENCH_NODERED)
	LONG=$(LONG) BENCH_NODERED=$(BENCH_NODERED) bench/run.sh $(BENCH_BUILD)

# Debian packages (packaging/README.md): wwtp-collector and wwtp-central for
# amd64, arm64 and armhf, and wwtp-common, in dist/ (each built in build/deb-ARCH).
.PHONY: deb
deb:
	@scripts/deps.sh deb
	scripts/mkdeb.sh -o dist

clean:
	rm -rf build dist

-include $(shell find $(BUILD)/obj $(BUILD)/obj-unittest $(BUILD)/tests $(BUILD)/tools $(BUILD)/bench -name '*.d' 2>/dev/null)
