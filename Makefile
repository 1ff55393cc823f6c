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
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
# gRPC core (admin-lite/grpc.c) is linked into bin/flytec-full only: tests and fuzz targets never reach grpc.o.
GRPC_LIBS := -lgrpc -lgpr
# The light bin/flytec links only these (docs/architecture.md, "Process start"): a light command that starts
# calling libcurl, libmicrohttpd, gRPC or PCRE2 fails to link. libarchive is loaded on first use by its soname.
# LIGHT_STATIC=1 (the default) links them from Debian's .a files (about 1 ms less per start; rebuild after a
# security update of one of them); LIGHT_STATIC=0 links the shared libraries.
LIGHT_PKGS := yaml-0.1 libprotobuf-c jansson sqlite3 libcrypto
LIGHT_STATIC ?= 1
ifeq ($(LIGHT_STATIC),1)
LIGHT_LIBS := -Wl,--as-needed -Wl,-Bstatic $(shell pkg-config --libs-only-l $(LIGHT_PKGS) 2>/dev/null) -Wl,-Bdynamic \
	$(filter-out $(shell pkg-config --libs-only-l $(LIGHT_PKGS) 2>/dev/null),$(shell pkg-config --static --libs-only-l \
	$(LIGHT_PKGS) 2>/dev/null)) -lm -lpthread
else
LIGHT_LIBS := -Wl,--as-needed $(shell pkg-config --libs $(LIGHT_PKGS) 2>/dev/null) -lm -lpthread
endif
# bin/flytec is relinked when the light link line changes (LIGHT_STATIC switched)
LIGHT_STAMP := $(BUILD)/.light-libs
$(shell mkdir -p $(BUILD); [ "$$(cat $(LIGHT_STAMP) 2>/dev/null)" = "$(LIGHT_LIBS)" ] || echo "$(LIGHT_LIBS)" > $(LIGHT_STAMP))
LIBARCHIVE_SONAME := $(or $(shell objdump -p $$(pkg-config --variable=libdir libarchive 2>/dev/null)/libarchive.so \
	2>/dev/null | awk '$$1 == "SONAME" { print $$2 }'),libarchive.so.13)

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
COMPONENTS := core kube compiler scheduler propeller plugins admin-lite lsp serve
LIB_SRC := $(foreach c,$(COMPONENTS),$(wildcard $(c)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_C:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
# the web console's files (console/, flat), embedded in the binary as a generated table (admin-lite/console.h)
CONSOLE_FILES := $(sort $(wildcard console/*.html console/*.js console/*.css console/*.svg console/*.png))
CONSOLE_C := $(BUILD)/gen/console_files.c
LIB_OBJ += $(BUILD)/obj/gen/console_files.o
$(CONSOLE_C): $(CONSOLE_FILES) tools/embed-console.sh
	@mkdir -p $(dir $@)
	bash tools/embed-console.sh $@ $(CONSOLE_FILES)
$(BUILD)/obj/gen/console_files.o: $(CONSOLE_C) $(GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(GEN_CFLAGS) -c $< -o $@
# cli/: main.c is compiled twice (the light bin/flytec and bin/flytec-full, -DFLYTEC_FULL); the commands go into
# an archive so the light binary takes only the ones its table names; lazy_archive.c is the light binary's only.
CLI_SRC := $(wildcard cli/*.c)
CLI_CMD_SRC := $(filter-out cli/main.c cli/lazy_archive.c,$(CLI_SRC))
CLI_CMD_OBJ := $(CLI_CMD_SRC:%.c=$(BUILD)/obj/%.o)
CLI_LIB := $(BUILD)/libflytec-cli.a
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
$(CLI_LIB): $(CLI_CMD_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/cli/main-full.o: cli/main.c | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DFLYTEC_FULL -c $< -o $@
$(BUILD)/obj/cli/lazy_archive.o: CFLAGS_ALL += -DCLI_LIBARCHIVE_SONAME='"$(LIBARCHIVE_SONAME)"'

# bin/flytec: the light commands, the light libraries; it hands the other commands to bin/flytec-full (same dir).
BIN ?= bin/flytec
BIN_FULL := $(dir $(BIN))flytec-full
$(BIN): $(BUILD)/obj/cli/main.o $(BUILD)/obj/cli/lazy_archive.o $(CLI_LIB) $(LIB) $(MODE_FILE) $(LIGHT_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/obj/cli/main.o $(BUILD)/obj/cli/lazy_archive.o $(CLI_LIB) $(LIB) $(LIGHT_LIBS)
$(BIN_FULL): $(BUILD)/obj/cli/main-full.o $(CLI_CMD_OBJ) $(LIB) $(MODE_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/obj/cli/main-full.o $(CLI_CMD_OBJ) $(LIB) $(PKG_LIBS) $(GRPC_LIBS)

# --- tests ---------------------------------------------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -o $@ $< $(LIB) $(LDFLAGS) $(PKG_LIBS) -lcmocka

.PHONY: all deps test unit golden integration golden-update demo demo-k8s bench fuzz clean help k8s-up k8s-down install
all: $(BIN) $(BIN_FULL)

# Both programs go to the same directory: flytec finds flytec-full next to itself (/proc/self/exe).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
install: all
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 755 $(BIN) $(BIN_FULL) "$(DESTDIR)$(BINDIR)/"

deps:
	@bash tools/deps.sh

unit: $(UNIT_BIN)
	@bash tests/run-unit.sh $(UNIT_BIN)

golden: all
	@bash tests/golden/run.sh

golden-update: all
	@bash tests/golden/run.sh --update

integration: all
	@bash tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@BUILD=$(BUILD) bash tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tools/demo.sh

# examples/workflows/hello.yaml on a local Kubernetes (../shared/k8s): admin with --cluster, operator, pods, logs.
demo-k8s: deps
	@$(MAKE) --no-print-directory all
	@K8S_DIR="$(K8S_DIR)" bash tools/demo-k8s.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh

# A real kube-apiserver (+ controllers) on loopback from ../shared/k8s, built once into ~/.cache/flytec-k8s (keyed by
# the Kubernetes source version); prints the env file to load. K8S_NODE=1 adds a real kubelet (node-up.sh).
K8S_DIR ?= ../shared/k8s
K8S_RUN ?= $(or $(FLYTEC_K8S_RUN),$(or $(TMPDIR),/tmp)/flytec-k8s-$(shell id -u))
k8s-up:
	@if [ ! -x "$(K8S_DIR)/kube-up.sh" ]; then \
		echo "k8s-up: $(K8S_DIR) not found: the Kubernetes scripts are not available here (skipping)"; exit 0; fi; \
	export FLYTEC_K8S_RUN="$(K8S_RUN)"; \
	if [ "$(K8S_NODE)" = 1 ]; then "$(K8S_DIR)/node-up.sh" >/dev/null || exit 1; \
	else FLYTEC_K8S_CONTROLLERS=1 "$(K8S_DIR)/kube-up.sh" >/dev/null || exit 1; fi; \
	echo "k8s-up: env file $(K8S_RUN)/env (load it with: set -a; . $(K8S_RUN)/env; set +a)"
k8s-down:
	@if [ -x "$(K8S_DIR)/kube-down.sh" ]; then FLYTEC_K8S_RUN="$(K8S_RUN)" "$(K8S_DIR)/kube-down.sh"; fi

# libFuzzer targets (clang): `make fuzz` builds them into build/fuzz/.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB_SRC := $(LIB_SRC) $(GEN_C) $(CONSOLE_C)
# the library is compiled once for every target (instrumented, without libFuzzer's main)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -I. -I$(BUILD)/gen $(PKG_CFLAGS) -w
FUZZ_LIB_OBJ := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRC))
$(BUILD)/fuzz/obj/%.o: %.c | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(BUILD)/fuzz/libfuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(BUILD)/fuzz/libfuzz.a | $(GEN_STAMP)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(BUILD)/fuzz/libfuzz.a $(PKG_LIBS)
fuzz: $(FUZZ_BIN)

clean:
	rm -rf build bin

help:
	@echo "make            build bin/flytec (and bin/flytec-full, which it runs for the commands needing heavy libraries)"
	@echo "make install    install both into \$$(DESTDIR)\$$(PREFIX)/bin (PREFIX=/usr/local)"
	@echo "make deps       apt-get install the Debian packages that are missing"
	@echo "make test       unit, golden and integration tests"
	@echo "make demo       compile and run the examples on the embedded defaults"
	@echo "make golden-update   rewrite tests/golden expected outputs (review the diff!)"
	@echo "make bench      benchmarks (figures go to bench/RESULTS.md by hand)"
	@echo "make fuzz       libFuzzer targets in build/fuzz/"
	@echo "make demo-k8s   run examples/workflows/hello.yaml on a local Kubernetes (admin --cluster, operator, logs)"
	@echo "make k8s-up     start a real kube-apiserver on loopback (K8S_NODE=1: and a kubelet); prints its env file"
	@echo "make k8s-down   stop it"
	@echo "make SANITIZE=address,undefined ...   build with sanitizers"

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
