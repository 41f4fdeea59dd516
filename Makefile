# Wastewater telemetry for Hanoi's industrial clusters: build, test, demo.
#
#   make            build/wwtp-collector and build/wwtp-sim (installs Debian packages first)
#   make check      every test, plain and under ASan+UBSan, with -Werror
#   make demo       simulator + local mosquitto + collector, printing what arrives
#   make deps       install the Debian packages the build and tests need (idempotent)
#
# Variables: BUILD=dir (default build), SANITIZE=1 (ASan+UBSan), WERROR=0.

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
PKGS = libmodbus libconfig jansson libcurl zlib libmicrohttpd
LDLIBS = $(shell pkg-config --libs $(PKGS)) -lpaho-mqtt3as -lpthread -lm
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))

LIB_SRC := $(wildcard util/*.c station/*.c drivers/*.c payload/*.c compliance/*.c)
COLLECTOR_SRC := $(wildcard collector/*.c)
SIM_SRC := $(wildcard firmware-sim/*.c)
CENTRAL_SRC := $(wildcard central/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ := $(call obj,$(LIB_SRC))
COLLECTOR_OBJ := $(call obj,$(COLLECTOR_SRC))
SIM_OBJ := $(call obj,$(SIM_SRC))
CENTRAL_OBJ := $(call obj,$(CENTRAL_SRC))
PROGRAMS := $(BUILD)/wwtp-collector $(BUILD)/wwtp-sim $(if $(CENTRAL_SRC),$(BUILD)/wwtp-central)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: all deps check check-build test demo clean format lint
all: $(PROGRAMS)

# Every build starts by making sure the packages are there (fast when they are).
$(LIB_OBJ) $(COLLECTOR_OBJ) $(SIM_OBJ) $(CENTRAL_OBJ): | deps

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/libwwtp.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/wwtp-collector: $(COLLECTOR_OBJ) $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/wwtp-sim: $(SIM_OBJ) $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/wwtp-central: $(CENTRAL_OBJ) $(BUILD)/libwwtp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libwwtp.a | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libwwtp.a $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

check-build: all $(UNIT_BIN) $(TOOL_BIN)

# The suite runs twice: a plain -Werror build, then the same tests under
# ASan+UBSan. tests/run.sh prints one "N passed, N failed" line at the end.
check: deps
	$(MAKE) BUILD=build check-build
	$(MAKE) BUILD=build/asan SANITIZE=1 CFLAGS="-O1 -g" check-build
	tests/run.sh build build/asan

test: check

demo: all $(TOOL_BIN)
	scripts/demo.sh $(BUILD)

format:
	clang-format -i $(LIB_SRC) $(COLLECTOR_SRC) $(SIM_SRC) $(CENTRAL_SRC) $(UNIT_SRC) $(TOOL_SRC) */*.h

# Functions that have no place here: unbounded copies and silent conversions.
lint:
	@! grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets)\s*\(' \
		$(LIB_SRC) $(COLLECTOR_SRC) $(SIM_SRC) $(CENTRAL_SRC) */*.h || \
		(echo "lint: use snprintf/strtol/strtok_r and bounded copies" && false)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/tools -name '*.d' 2>/dev/null)
