# pocket-docker build.  `make` builds the binary; `make demo` and `make check`
# install what they need on Debian 12 (scripts/install-deps.sh), then run.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
BIN     ?= pocket-docker
SAN     ?=

WARN    := -Wall -Wextra -Wno-unused-parameter -Werror=shadow -Werror=strict-prototypes \
           -Werror=missing-prototypes -Werror=implicit-function-declaration \
           -Werror=format-security -Wformat=2 -Wno-format-nonliteral
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) -iquote src -MMD -MP
# libnl's headers live under libnl3/ (the library itself is dlopen()ed).
CFLAGS  += -I/usr/include/libnl3
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# Only libraries every command needs are linked; libarchive, libcurl, libnl,
# libnftables and nettle are opened on first use (see src/util/dl.h).
LIBS    := -lsqlite3 -lseccomp -lcap -ljansson -ldl -lm

ifneq ($(SAN),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=address,undefined
endif

SRCS := $(wildcard src/*.c src/cli/*.c src/core/*.c src/linux/*.c src/image/*.c src/net/*.c src/oci/*.c src/util/*.c)
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
# The exec stub (src/linux/stub/execstub.c): static, no libc, embedded.
EXECSTUB := $(BUILD)/execstub.bin
OBJS += $(BUILD)/src/linux/execstub-blob.o
# The dashboard's page (src/cli/ui/), embedded by src/cli/ui-assets.S.
UI_ASSETS := $(wildcard src/cli/ui/*.html src/cli/ui/*.js src/cli/ui/*.css src/cli/ui/vendor/*)
OBJS += $(BUILD)/src/cli/ui-assets.o
LIB_OBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)
	ln -sfn $(notdir $@) $(dir $@)pocket-runc

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(EXECSTUB): src/linux/stub/execstub.c src/linux/sync.h src/util/error.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Os -Wall -Wextra -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector \
		-fno-pie -no-pie -fno-asynchronous-unwind-tables -iquote src -s -Wl,--build-id=none \
		-Wl,-z,noexecstack -o $@ $<

$(BUILD)/src/linux/execstub-blob.o: src/linux/execstub-blob.S $(EXECSTUB)
	@mkdir -p $(dir $@)
	$(CC) -c -DEXECSTUB_BIN='"$(EXECSTUB)"' -o $@ $<

$(BUILD)/src/cli/ui-assets.o: src/cli/ui-assets.S $(UI_ASSETS)
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) -lcmocka

unit: $(UNIT_BINS)

deps:
	bash scripts/install-deps.sh

demo: deps
	$(MAKE) $(BIN)
	bash tests/fixtures/mk-busybox.sh $(BUILD)/fixtures
	$(abspath $(BIN)) run --rm --rootfs $(BUILD)/fixtures/busybox.tar.gz /bin/echo "Hello from container"

check: deps
	$(MAKE) $(BIN) unit docs
	bash tests/run-all.sh

# The whole suite under ASan and UBSan, built apart in $(ASAN_BUILD) (the
# normal build is left alone).  Sanitizer reports go to
# $(ASAN_BUILD)/san-logs/; any there fails the run, even from a process
# whose exit status a test does not look at.
ASAN_BUILD ?= build-asan
check-asan: deps
	$(MAKE) SAN=1 BUILD=$(ASAN_BUILD) BIN=$(ASAN_BUILD)/pocket-docker $(ASAN_BUILD)/pocket-docker unit
	bash scripts/check-asan.sh $(ASAN_BUILD)

# Every libFuzzer harness (tests/fuzz/) for FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	BUILD=$(BUILD) bash tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	$(MAKE) $(BIN)
	PD_BIN=$(abspath $(BIN)) bash bench/run

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h) $(UNIT_SRCS)

format-check:
	clang-format --dry-run -Werror $(SRCS) $(wildcard src/*/*.h) $(UNIT_SRCS)

layering:
	bash scripts/layering.sh

# The house rules CI checks before the tests: the include graph, no error
# dropped without a reason, the formatting.
lint: layering
	python3 scripts/dropped-errors.py
	$(MAKE) format-check

# The man pages and the bash completion, made from the built binary's own
# --help and command table by scripts/gen-docs.py (they cannot drift from
# it): $(DOCDIR)/man/*.1 and $(DOCDIR)/completion/pocket-docker.
DOCDIR ?= $(BUILD)
docs: $(DOCDIR)/docs.stamp

$(DOCDIR)/docs.stamp: $(BIN) scripts/gen-docs.py
	python3 scripts/gen-docs.py $(BIN) $(DOCDIR)
	touch $@

install: $(BIN) docs
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/pocket-docker
	ln -sfn pocket-docker $(DESTDIR)$(PREFIX)/bin/pocket-runc
	install -D -m 0644 $(DOCDIR)/completion/pocket-docker \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pocket-docker
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(DOCDIR)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(BUILD) $(BIN) $(dir $(BIN))pocket-runc

.PHONY: all unit deps demo check check-asan fuzz bench format format-check layering lint docs install clean
-include $(OBJS:.o=.d) $(UNIT_BINS:%=%.d)
