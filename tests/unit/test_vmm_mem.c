/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for libvmm's guest memory map and accessors, on a fake VM
 * (no KVM): the layout, the bounds check every device relies on, ROMs and
 * the ROM alias below 1 MiB, and the recorded interrupts.
 */
#include <stdint.h>

#include "platform.h"
#include "test.h"
#include "vmm.h"

static char err[256];

TEST(layout_below_and_above_hole)
{
	struct vm *vm = vm_create_fake("t");

	CHECK_EQ(vm_setup_memory(vm, GIB(4), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), 0);
	CHECK_EQ(vm_lowmem_size(vm), LOWMEM_LIMIT_DEFAULT);
	CHECK_EQ(vm_highmem_size(vm), GIB(4) - LOWMEM_LIMIT_DEFAULT);
	CHECK_EQ(vm_mem_size(vm), GIB(4));
	CHECK(vm_map_gpa(vm, 0, 1) != NULL);
	CHECK(vm_map_gpa(vm, LOWMEM_LIMIT_DEFAULT - 1, 1) != NULL);
	/* The hole is not RAM. */
	CHECK(vm_map_gpa(vm, LOWMEM_LIMIT_DEFAULT, 1) == NULL);
	CHECK(vm_map_gpa(vm, PCI_ECAM_BASE, 4) == NULL);
	CHECK(vm_map_gpa(vm, HIGHMEM_BASE - 1, 1) == NULL);
	CHECK(vm_map_gpa(vm, HIGHMEM_BASE, 1) != NULL);
	CHECK(vm_map_gpa(vm, HIGHMEM_BASE + GIB(1) - 1, 1) != NULL);
	CHECK(vm_map_gpa(vm, HIGHMEM_BASE + GIB(1), 1) == NULL);
	/* Host and guest addresses agree modulo 2 MiB (huge pages fit). */
	CHECK_EQ((uintptr_t)vm_map_gpa(vm, 0, 1) % MIB(2), 0);
	CHECK_EQ((uintptr_t)vm_map_gpa(vm, MIB(6), 1) % MIB(2), 0);
	CHECK_EQ((uintptr_t)vm_map_gpa(vm, HIGHMEM_BASE, 1) % MIB(2), 0);
	vm_destroy(vm);
	/* Also for sizes the host kernel would not align by itself. */
	for (uint64_t sz = MIB(33) + KIB(4); sz < MIB(40); sz += MIB(1) + KIB(12)) {
		vm = vm_create_fake("t");
		CHECK_EQ(vm_setup_memory(vm, sz, LOWMEM_LIMIT_DEFAULT, err,
		    sizeof(err)), 0);
		CHECK_EQ((uintptr_t)vm_map_gpa(vm, 0, 1) % MIB(2), 0);
		vm_destroy(vm);
	}
}

TEST(bounds_check_is_exact)
{
	struct vm *vm = vm_create_fake("t");
	uint64_t top;
	uint8_t buf[16];

	CHECK_EQ(vm_setup_memory(vm, MIB(64), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), 0);
	top = MIB(64);
	CHECK(vm_map_gpa(vm, top - 16, 16) != NULL);
	/* Straddling the end of RAM. */
	CHECK(vm_map_gpa(vm, top - 15, 16) == NULL);
	CHECK(vm_map_gpa(vm, top, 1) == NULL);
	/* Zero length, huge lengths and wrapping sums. */
	CHECK(vm_map_gpa(vm, 0, 0) == NULL);
	CHECK(vm_map_gpa(vm, 0, SIZE_MAX) == NULL);
	CHECK(vm_map_gpa(vm, 16, SIZE_MAX - 8) == NULL);
	CHECK(vm_map_gpa(vm, UINT64_MAX, 2) == NULL);
	CHECK(vm_map_gpa(vm, UINT64_MAX - 4, 16) == NULL);
	CHECK(vm_map_gpa(vm, 0, (size_t)top) != NULL);
	CHECK(vm_map_gpa(vm, 0, (size_t)top + 1) == NULL);
	CHECK_EQ(vm_copyout(vm, "hello", 0x1000, 6), 0);
	CHECK_EQ(vm_copyin(vm, 0x1000, buf, 6), 0);
	CHECK_STR((char *)buf, "hello");
	CHECK_EQ(vm_copyin(vm, top - 3, buf, 6), -1);
	CHECK_EQ(vm_copyout(vm, buf, top - 3, 6), -1);
	CHECK(vm_gpa_is_ram(vm, 0x1000, 6));
	CHECK(!vm_gpa_is_ram(vm, top - 3, 6));
	vm_destroy(vm);
}

TEST(bad_memory_sizes)
{
	struct vm *vm = vm_create_fake("t");

	CHECK_EQ(vm_setup_memory(vm, 4095, LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "memory.size") != NULL);
	CHECK_EQ(vm_setup_memory(vm, MIB(64), GIB(3) + MIB(2), err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "lowmem_limit") != NULL);
	CHECK_EQ(vm_setup_memory(vm, GIB(2048), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), -1);
	/* Nothing was set up by the failures. */
	CHECK_EQ(vm_mem_size(vm), 0);
	CHECK(vm_map_gpa(vm, 0, 1) == NULL);
	vm_destroy(vm);
}

TEST(rom_and_alias)
{
	struct vm *vm = vm_create_fake("t");
	static uint8_t rom[65536];
	uint64_t gpa = HIGHMEM_BASE - sizeof(rom);

	for (size_t i = 0; i < sizeof(rom); i++)
		rom[i] = (uint8_t)i;
	CHECK_EQ(vm_setup_memory(vm, MIB(16), LOWMEM_LIMIT_DEFAULT, err,
	    sizeof(err)), 0);
	CHECK_EQ(vm_map_rom(vm, gpa, rom, sizeof(rom), err, sizeof(err)), 0);
	/* A second ROM on top of the first is refused. */
	CHECK_EQ(vm_map_rom(vm, gpa, rom, sizeof(rom), err, sizeof(err)), -1);
	/* Unaligned or RAM-overlapping ROMs are refused. */
	CHECK_EQ(vm_map_rom(vm, 0x1000, rom, 4096, err, sizeof(err)), -1);
	CHECK_EQ(vm_map_rom(vm, 0xFFF00001, rom, 4096, err, sizeof(err)), -1);
	CHECK_EQ(vm_alias_rom(vm, gpa, 0, 0x100000 - sizeof(rom), sizeof(rom),
	    err, sizeof(err)), 0);
	/* ROM is never handed out as RAM to devices. */
	CHECK(vm_map_gpa(vm, gpa, 1) == NULL);
	CHECK(vm_map_gpa(vm, 0xF0000, 1) == NULL);
	/* RAM around the alias still works, and can't be crossed. */
	CHECK(vm_map_gpa(vm, 0xEFFFF, 1) != NULL);
	CHECK(vm_map_gpa(vm, 0x100000, 1) != NULL);
	CHECK(vm_map_gpa(vm, 0xEFFFF, 2) == NULL);
	CHECK(vm_map_gpa(vm, 0x0, 0x100000) == NULL);
	/* An alias beyond the ROM is refused. */
	CHECK_EQ(vm_alias_rom(vm, gpa, 0x8000, 0xA0000, 0x10000, err,
	    sizeof(err)), -1);
	vm_destroy(vm);
}

TEST(fake_interrupts_recorded)
{
	struct vm *vm = vm_create_fake("t");
	uint64_t a;
	uint32_t d;

	CHECK_EQ(vm_create_irqchip(vm, err, sizeof(err)), 0);
	CHECK_EQ(vm_irq_line(vm, 4, 1), 0);
	CHECK_EQ(vm_fake_irq_level(vm, 4), 1);
	CHECK_EQ(vm_irq_line(vm, 4, 1), 0);
	CHECK_EQ(vm_fake_irq_pulses(vm, 4), 1);
	CHECK_EQ(vm_irq_line(vm, 4, 0), 0);
	CHECK_EQ(vm_irq_pulse(vm, 4), 0);
	CHECK_EQ(vm_fake_irq_pulses(vm, 4), 2);
	CHECK_EQ(vm_fake_irq_level(vm, 4), 0);
	CHECK_EQ(vm_irq_line(vm, IOAPIC_PINS, 1), -1);
	CHECK_EQ(vm_msi(vm, 0xFEE00000, 0x4041), 0);
	CHECK_EQ(vm_fake_msi_count(vm), 1);
	vm_fake_last_msi(vm, &a, &d);
	CHECK_EQ(a, 0xFEE00000);
	CHECK_EQ(d, 0x4041);
	{
		int g1 = vm_msi_route_add(vm, 0xFEE00000, 1);
		int g2 = vm_msi_route_add(vm, 0xFEE00000, 2);

		CHECK(g1 >= IOAPIC_PINS);
		CHECK(g2 > g1);
		CHECK_EQ(vm_msi_route_update(vm, g1, 0xFEE01000, 3), 0);
		CHECK_EQ(vm_msi_route_del(vm, g1), 0);
		CHECK_EQ(vm_msi_route_del(vm, g1), -1);
		CHECK_EQ(vm_msi_route_update(vm, 5, 0, 0), -1);
	}
	vm_destroy(vm);
}

int
main(void)
{
	RUN(layout_below_and_above_hole);
	RUN(bounds_check_is_exact);
	RUN(bad_memory_sizes);
	RUN(rom_and_alias);
	RUN(fake_interrupts_recorded);
	TEST_SUMMARY();
}
