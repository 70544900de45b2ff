# saasd build. `make` builds build/saasd; `make run` starts it on SQLite;
# `make test` runs every test on SQLite and PostgreSQL, then again under
# ASan+UBSan, then a short libFuzzer pass; `make fuzz` fuzzes for longer.
# Missing Debian packages are installed by scripts/deps.sh.

BUILD   ?= build
CC      ?= cc
SAN     ?=
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wno-missing-field-initializers -Isrc -I$(BUILD)/gen -I/usr/include/postgresql
# Every compile (objects, test and fuzz binaries) writes a .d file beside its
# output, included at the end, so touching any header (src/ or a test kit
# header such as tests/unit/check.h) rebuilds what includes it. Kept out of
# CFLAGS so that `make CFLAGS=...` keeps them.
DEPFLAGS := -MMD -MP
LDLIBS  := -lmicrohttpd -ljansson -lsqlite3 -lpq -lsodium -lcrypt -lcurl -lhiredis -lunistring -lpthread -lm

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# FUZZ=1 (clang only): coverage instrumentation for libFuzzer in every object.
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link
endif

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
GEN      := $(BUILD)/gen/migrations.c $(BUILD)/gen/openapi_json.c
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
STORE_BIN := $(BUILD)/tests/store_test
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all run test test-quick test-asan unit fuzz fuzzers deps bench clean format format-check layers

all: $(BUILD)/saasd

deps:
	@scripts/deps.sh

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	scripts/embed-sql.sh $@ $(MIGRATIONS)

# GET /openapi.json serves openapi.yaml as JSON, converted at build time
$(BUILD)/gen/openapi_json.c: openapi.yaml scripts/embed-openapi.py
	@mkdir -p $(dir $@)
	python3 scripts/embed-openapi.py openapi.yaml $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libsaasd.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/saasd: $(BUILD)/obj/src/main.o $(BUILD)/libsaasd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# (the headers a test includes come from its .d file)
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsaasd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libsaasd.a $(LDLIBS)

$(STORE_BIN): tests/store/store_test.c $(BUILD)/libsaasd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libsaasd.a $(LDLIBS)

unit: $(UNIT_BIN) $(STORE_BIN)

# libFuzzer targets; only meaningful in a FUZZ=1 clang build (see `fuzz`).
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libsaasd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(BUILD)/libsaasd.a $(LDLIBS)

fuzzers: $(FUZZ_BIN)

run: deps all
	$(BUILD)/saasd serve

# The layout check first (seconds), then everything on SQLite and
# PostgreSQL, then the sanitizer build, then a short fuzz pass so CI runs
# the fuzz targets too.
test: deps
	$(MAKE) format-check
	$(MAKE) layers
	$(MAKE) all unit
	tests/run.sh $(BUILD)
	$(MAKE) test-asan
	$(MAKE) fuzz FUZZ_SECONDS=15

# The same suites against an ASan+UBSan build in build/asan.
test-asan: deps
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 all unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run.sh build/asan

# One pass without the sanitizer build (for quick iteration).
test-quick: deps
	$(MAKE) all unit
	tests/run.sh $(BUILD)

# Every libFuzzer target for FUZZ_SECONDS each, in a clang ASan+UBSan build
# of its own (build/fuzz), from a temporary copy of tests/fuzz/corpus.
fuzz: deps
	$(MAKE) BUILD=build/fuzz CC=clang SAN=1 FUZZ=1 OPT=-O1 fuzzers
	tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

bench: deps all
	bench/run.sh

# The files clang-format keeps in the house style (.clang-format): src/ and
# the C of tests/unit, tests/store and tests/fuzz. `format` rewrites them;
# `format-check` changes nothing: it names every file out of style and fails.
FORMAT_FILES = $(sort $(shell find src tests/unit tests/store tests/fuzz -name '*.[ch]' \
		 -not -path 'tests/fuzz/corpus/*'))

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# No include points up the layers (core < net, store < svc < http < api <
# src/*.c) and no two folders include each other (STYLE.md).
layers:
	scripts/check-layers.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz -name '*.d' 2>/dev/null)
