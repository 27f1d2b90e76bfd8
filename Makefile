# SPDX-License-Identifier: BSD-2-Clause
#
# zhyve: one GNU Makefile.
#
#   make              build build/zhyve (and the test payload ROMs)
#   make check        all three test tiers (unit, guest, system); see README
#   make check-unit   host-only unit tests (no KVM)
#   make check-guest  payload guests on this host's /dev/kvm
#   make check-system Linux guests inside the nested system-test host
#   make check-san    unit + guest tiers built with ASan and UBSan
#   make fuzz         libFuzzer targets (clang), short runs
#
# SAN=1 builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# into build-san/.

CC       ?= cc
SAN      ?= 0
ifeq ($(SAN),1)
B        := build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B        := build
SANFLAGS :=
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wvla -Wundef \
            -Wold-style-definition -Wimplicit-fallthrough -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ZCFLAGS  := -std=gnu11 $(WARN) -D_GNU_SOURCE -fno-strict-aliasing \
            -I. -Ilib/vmm -Ivmm -Idevices/pci -Idevices/chip -Idevices/backend -Idevices/isa \
            -Idevices/virtio -Iboot -Iacpi $(SANFLAGS) $(CFLAGS)
# liburing (Debian: liburing-dev) drives the io_uring block engine.
LDLIBS   := -luring -lpthread
ZLDFLAGS := $(SANFLAGS) $(LDFLAGS)

# Everything but main.c goes into one archive the tests link against.
SRCS     := $(wildcard lib/vmm/*.c vmm/*.c devices/*/*.c boot/*.c acpi/*.c)
MAIN     := vmm/main.c
LIBSRCS  := $(filter-out $(MAIN),$(SRCS))
LIBOBJS  := $(LIBSRCS:%.c=$(B)/%.o)
DEPS     := $(SRCS:%.c=$(B)/%.d)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)

# Test payload ROMs: freestanding 32-bit code, one ROM per tests/guest/payloads/p_*.c,
# linked with the shared start-up code (crt0.S) and helpers (plib.c).
PAYLOAD_DIR  := tests/guest/payloads
PAYLOAD_SRCS := $(wildcard $(PAYLOAD_DIR)/p_*.c)
PAYLOADS     := $(PAYLOAD_SRCS:$(PAYLOAD_DIR)/%.c=$(B)/payloads/%.rom)
PCFLAGS      := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                -fno-asynchronous-unwind-tables -nostdlib -Os -std=gnu11 -Wall -Wextra \
                -Werror -I$(PAYLOAD_DIR)
PLIB_OBJS    := $(B)/payloads/crt0.o $(B)/payloads/plib.o

.PHONY: all clean check check-unit check-guest check-system check-san fuzz payloads \
        bench bench-quick
# Keep the payload objects and ELF files (intermediates) for debugging.
.SECONDARY:
all: $(B)/zhyve payloads

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ZCFLAGS) -MMD -MP -c $< -o $@

$(B)/libzhyve.a: $(LIBOBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/zhyve: $(B)/vmm/main.o $(B)/libzhyve.a
	$(CC) $(ZLDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/unit/%: tests/unit/%.c tests/unit/test.h $(B)/libzhyve.a
	@mkdir -p $(dir $@)
	$(CC) $(ZCFLAGS) -Itests/unit $(ZLDFLAGS) -o $@ $< $(B)/libzhyve.a $(LDLIBS)

payloads: $(PAYLOADS)

$(B)/payloads/%.o: $(PAYLOAD_DIR)/%.c $(wildcard $(PAYLOAD_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PCFLAGS) -c $< -o $@

$(B)/payloads/crt0.o: $(PAYLOAD_DIR)/crt0.S $(wildcard $(PAYLOAD_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PCFLAGS) -c $< -o $@

$(B)/payloads/%.elf: $(B)/payloads/%.o $(PLIB_OBJS) $(PAYLOAD_DIR)/payload.ld
	ld -m elf_i386 -nostdlib -T $(PAYLOAD_DIR)/payload.ld -o $@ $(PLIB_OBJS) $<

$(B)/payloads/%.rom: $(B)/payloads/%.elf
	objcopy -O binary $< $@
	@test "$$(stat -c %s $@)" -eq 65536 || { echo "$@: ROM is not 64 KiB"; rm -f $@; exit 1; }

# The full suite: the unit and guest tiers, the benchmark's quick mode
# (proves it runs; gates nothing), short fuzz runs, the unit and guest tiers
# again with ASan+UBSan, and last the system tier (the longest; it fits into
# ZHYVE_DEADLINE when that is set), added up into one summary.
check: all $(UNIT_BINS)
	$(MAKE) SAN=1 all $(patsubst build/%,build-san/%,$(UNIT_BINS))
	tests/run.sh --build $(B) unit guest bench fuzz --san build-san unit guest --build $(B) system

check-unit: $(UNIT_BINS)
	tests/run.sh --build $(B) unit

check-guest: all
	tests/run.sh --build $(B) guest

check-system: all
	tests/run.sh --build $(B) system

check-san:
	$(MAKE) SAN=1 all $(patsubst build/%,build-san/%,$(UNIT_BINS))
	tests/run.sh --san build-san unit guest

# libFuzzer targets: one per guest-facing parser (tests/fuzz/fuzz_*.c), built
# with clang against the same sources into build-fuzz/; `make fuzz` runs each
# for FUZZ_TIME seconds, growing a corpus in build-fuzz/corpus/<target>/.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 20
FUZZ_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1
FUZZ_OBJS    := $(LIBSRCS:%.c=build-fuzz/%.o)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 $(WARN) -Wno-unused-command-line-argument -D_GNU_SOURCE -I. -Ilib/vmm -Ivmm \
	    -Idevices/pci -Idevices/chip -Idevices/backend -Idevices/isa -Idevices/virtio -Iboot -Iacpi \
	    $(FUZZ_FLAGS) -c $< -o $@

build-fuzz/libzhyve.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libzhyve.a
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -I. -Ilib/vmm -Ivmm -Idevices/pci -Idevices/chip \
	    -Idevices/backend -Idevices/isa -Idevices/virtio -Iboot -Iacpi -Itests/unit \
	    -fsanitize=fuzzer,address,undefined -g -O1 -o $@ $< build-fuzz/libzhyve.a -luring -lpthread -lseccomp

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_TIME) s"; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 build-fuzz/corpus/$$n \
		    > build-fuzz/corpus/$$n.log 2>&1 || { tail -n 40 build-fuzz/corpus/$$n.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' build-fuzz/corpus/$$n.log; \
	done

# Side-by-side comparisons with QEMU and a raw-KVM floor (see README).
bench: all
	bench/run.sh

bench-quick: all
	bench/run.sh --quick

clean:
	rm -rf build build-san build-fuzz

# ---- zone launcher, seccomp, ready notification (branch wt-zone) --------------
# zhyve-zone links nothing from lib/vmm, vmm or devices: zone/*.c only.  Its
# objects (all but zone_main.c) also go into libzone.a for the unit tests
# tests/unit/test_zone_*.c.  zhyve itself now needs libseccomp
# (Debian: libseccomp-dev).  zhyve-seccomp-test is zhyve with the seccomp
# test hook (-DZHYVE_SECCOMP_TEST, the key test.seccomp_violation) compiled
# in: a test binary only, never installed.
LDLIBS        += -lseccomp
ZONE_SRCS     := $(wildcard zone/*.c)
ZONE_MAIN     := zone/zone_main.c
ZONE_LIBOBJS  := $(patsubst %.c,$(B)/%.o,$(filter-out $(ZONE_MAIN),$(ZONE_SRCS)))
DEPS          += $(ZONE_SRCS:%.c=$(B)/%.d) $(B)/seccomp-test/vmm/seccomp_filter.d

all: $(B)/zhyve-zone $(B)/zhyve-seccomp-test

$(B)/zone/%.o: zone/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ZCFLAGS) -Izone -MMD -MP -c $< -o $@

$(B)/libzone.a: $(ZONE_LIBOBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/zhyve-zone: $(B)/zone/zone_main.o $(B)/libzone.a
	$(CC) $(ZLDFLAGS) -o $@ $^

$(B)/tests/unit/test_zone_%: tests/unit/test_zone_%.c tests/unit/test.h $(B)/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(ZCFLAGS) -Izone -Itests/unit $(ZLDFLAGS) -o $@ $< $(B)/libzone.a

$(B)/seccomp-test/vmm/seccomp_filter.o: vmm/seccomp_filter.c
	@mkdir -p $(dir $@)
	$(CC) $(ZCFLAGS) -DZHYVE_SECCOMP_TEST -MMD -MP -c $< -o $@

$(B)/zhyve-seccomp-test: $(B)/vmm/main.o $(B)/seccomp-test/vmm/seccomp_filter.o $(B)/libzhyve.a
	$(CC) $(ZLDFLAGS) -o $@ $^ $(LDLIBS)
# ---- end of the wt-zone block ------------------------------------------------

-include $(DEPS)
