# flytec: one Makefile for the whole tree. `make help` lists the targets.
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
SANITIZE ?=
# Objects of a sanitized build never mix with plain ones: each mode has its own build directory, and bin/flytec
# is relinked whenever the mode changes.
comma := ,
MODE := $(if $(SANITIZE),san-$(subst $(comma),-,$(SANITIZE)),plain)
BUILD ?= build/$(MODE)
MODE_FILE := bin/.mode
$(shell mkdir -p bin; [ "$$(cat $(MODE_FILE) 2>/dev/null)" = "$(MODE)" ] || echo "$(MODE)" > $(MODE_FILE))
OPT ?= -O2

PKGS := yaml-0.1 libprotobuf-c jansson sqlite3 libcurl libmicrohttpd libarchive libcrypto libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -linotifytools -lm -lpthread

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wwrite-strings \
	-Wformat=2 -Wvla -fno-common -Wno-format-nonliteral
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) -MMD -MP -I. -I$(BUILD)/gen $(PKG_CFLAGS)
ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
CFLAGS_ALL := $(BASE_CFLAGS) $(WARN) $(CFLAGS)
GEN_CFLAGS := $(BASE_CFLAGS) -w $(CFLAGS)

# --- IDL: protoc-c output goes to build/gen, never committed -------------------------------------------------
PROTOS := $(shell find schemas -name '*.proto' | LC_ALL=C sort)
WKT := timestamp duration struct wrappers any empty
WKT_PROTOS := $(WKT:%=/usr/include/google/protobuf/%.proto)
GEN_C := $(PROTOS:schemas/%.proto=$(BUILD)/gen/%.pb-c.c) $(WKT:%=$(BUILD)/gen/google/protobuf/%.pb-c.c)
GEN_H := $(GEN_C:.c=.h)
GEN_STAMP := $(BUILD)/gen/.stamp

$(GEN_STAMP): $(PROTOS)
	@mkdir -p $(BUILD)/gen
	protoc-c -Ischemas -I/usr/include --c_out=$(BUILD)/gen $(PROTOS) $(WKT_PROTOS)
	@touch $@
$(GEN_C) $(GEN_H): $(GEN_STAMP)

# --- the library: every component's sources, found by wildcard -----------------------------------------------
COMPONENTS := core compiler scheduler propeller plugins admin-lite serve
LIB_SRC := $(foreach c,$(COMPONENTS),$(wildcard $(c)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_C:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libflytec.a

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(GEN_CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.c | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

BIN ?= bin/flytec
$(BIN): $(CLI_OBJ) $(LIB) $(MODE_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS)

# --- tests ---------------------------------------------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(LIB) $(LDFLAGS) $(PKG_LIBS) -lcmocka

.PHONY: all deps test unit golden integration golden-update demo bench fuzz clean help
all: $(BIN)

deps:
	@bash tools/deps.sh

unit: $(UNIT_BIN)
	@bash tests/run-unit.sh $(UNIT_BIN)

golden: bin/flytec
	@bash tests/golden/run.sh

golden-update: bin/flytec
	@bash tests/golden/run.sh --update

integration: bin/flytec
	@bash tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@BUILD=$(BUILD) bash tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tools/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

# libFuzzer targets (clang): `make fuzz` builds them into build/fuzz/.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB_SRC := $(LIB_SRC) $(GEN_C)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC) | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -I. -I$(BUILD)/gen $(PKG_CFLAGS) \
		-w -o $@ $< $(FUZZ_LIB_SRC) $(PKG_LIBS)
fuzz: $(FUZZ_BIN)

clean:
	rm -rf build bin

help:
	@echo "make            build bin/flytec"
	@echo "make deps       apt-get install the Debian packages that are missing"
	@echo "make test       unit, golden and integration tests"
	@echo "make demo       compile and run the examples on the embedded defaults"
	@echo "make golden-update   rewrite tests/golden expected outputs (review the diff!)"
	@echo "make bench      benchmarks (figures go to bench/RESULTS.md by hand)"
	@echo "make fuzz       libFuzzer targets in build/fuzz/"
	@echo "make SANITIZE=address,undefined ...   build with sanitizers"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
