/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the PCI core (devices/pci): config mechanism #1 and ECAM,
 * BAR sizing/placement/decode, INTx sharing, MSI and MSI-X, -s parsing,
 * the 0xCF9 reset register, the host bridge and the LPC bridge.
 * The guest is simulated by dispatching accesses through the trap table.
 *
 * Threads: main thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

#include "config.h"
#include "iotrap.h"
#include "pci_emul.h"
#include "pci_lpc.h"
#include "platform.h"
#include "vmctx.h"
#include "vmm.h"


/* --- LPC's UART hook, recorded --------------------------------------------- */

static struct {
	int calls;
	char name[8];
	uint16_t port;
	int irq;
	char spec[64];
	bool fail;
} uart_rec;

int
lpc_uart_init(struct vmctx *ctx, const char *name, uint16_t port, int irq,
    const char *spec, char *err, size_t errlen)
{
	(void)ctx;
	uart_rec.calls++;
	snprintf(uart_rec.name, sizeof(uart_rec.name), "%s", name);
	uart_rec.port = port;
	uart_rec.irq = irq;
	snprintf(uart_rec.spec, sizeof(uart_rec.spec), "%s", spec);
	if (uart_rec.fail) {
		snprintf(err, errlen, "backend '%s' not found", spec);
		return -1;
	}
	return 0;
}

/* --- a test-only device model ---------------------------------------------- */

/*
 * Config keys: io, mem32, mem64 (sizes; BARs 0, 1, 2+3), msi (nvec),
 * msix (nvec, table in BAR 4), intx (any value).
 */
static struct {
	int barwrites, barreads, last_bar;
	uint64_t last_off, last_val;
	int baraddr_calls;
	bool baraddr_on;
	uint64_t baraddr_addr;
	int msix_updates, last_msix_vec;
	int msi_updates;
} tdev;

static uint64_t
key_u64(struct config_node *nvl, const char *k)
{
	const char *s = config_get_node(nvl, k);

	return s != NULL ? strtoull(s, NULL, 0) : 0;
}

static int
tdev_init(struct pci_devinst *pi, struct config_node *nvl)
{
	uint64_t v;

	pci_set_cfgdata16(pi, PCIR_VENDOR, 0x1234);
	pci_set_cfgdata16(pi, PCIR_DEVICE, 0x5678);
	pci_set_cfgdata8(pi, PCIR_CLASS, 0xFF);
	if ((v = key_u64(nvl, "io")) != 0 &&
	    pci_emul_alloc_bar(pi, 0, PCIBAR_IO, v) != 0)
		return -1;
	if ((v = key_u64(nvl, "mem32")) != 0 &&
	    pci_emul_alloc_bar(pi, 1, PCIBAR_MEM32, v) != 0)
		return -1;
	if ((v = key_u64(nvl, "mem64")) != 0 &&
	    pci_emul_alloc_bar(pi, 2, PCIBAR_MEM64, v) != 0)
		return -1;
	if ((v = key_u64(nvl, "msi")) != 0 &&
	    pci_emul_add_msicap(pi, (int)v) != 0)
		return -1;
	if ((v = key_u64(nvl, "msix")) != 0 &&
	    pci_emul_add_msixcap(pi, (int)v, 4) != 0)
		return -1;
	if (config_get_node(nvl, "intx") != NULL)
		pci_lintr_request(pi);
	return 0;
}

static void
tdev_barwrite(struct pci_devinst *pi, int baridx, uint64_t offset, int size,
    uint64_t value)
{
	tdev.barwrites++;
	tdev.last_bar = baridx;
	tdev.last_off = offset;
	tdev.last_val = value;
}

static uint64_t
tdev_barread(struct pci_devinst *pi, int baridx, uint64_t offset, int size)
{
	tdev.barreads++;
	tdev.last_bar = baridx;
	tdev.last_off = offset;
	return 0xAB;
}

static void
tdev_baraddr(struct pci_devinst *pi, int baridx, bool enabled, uint64_t addr)
{
	tdev.baraddr_calls++;
	tdev.baraddr_on = enabled;
	tdev.baraddr_addr = addr;
}

static void
tdev_msix_update(struct pci_devinst *pi, int vector)
{
	tdev.msix_updates++;
	tdev.last_msix_vec = vector;
}

static void
tdev_msi_update(struct pci_devinst *pi)
{
	tdev.msi_updates++;
}

static const struct pci_devemu tdev_emu = {
	.pe_emu = "testdev",
	.pe_init = tdev_init,
	.pe_barwrite = tdev_barwrite,
	.pe_barread = tdev_barread,
	.pe_baraddr = tdev_baraddr,
	.pe_msi_update = tdev_msi_update,
	.pe_msix_update = tdev_msix_update,
};

/* --- harness ------------------------------------------------------------------ */

static struct vmctx ctx;
static int suspend_calls;
static enum vm_exitstatus suspend_status;

static void
test_suspend(struct vmctx *c, enum vm_exitstatus st, const char *why)
{
	(void)c;
	(void)why;
	suspend_calls++;
	suspend_status = st;
}

static void
setup(void)
{
	config_init();
	memset(&ctx, 0, sizeof(ctx));
	ctx.vm = vm_create_fake("pci");
	ctx.traps = iotrap_table_new();
	ctx.ncpus = 1;
	ctx.exit_status = -1;
	ctx.suspend = test_suspend;
	suspend_calls = 0;
	memset(&tdev, 0, sizeof(tdev));
	memset(&uart_rec, 0, sizeof(uart_rec));
}

static void
teardown(void)
{
	pci_fini();
	iotrap_table_free(ctx.traps);
	vm_destroy(ctx.vm);
	config_fini();
}

static int
init_pci(void)
{
	char err[256] = "";
	int rc = pci_init(&ctx, err, sizeof(err));

	if (rc != 0)
		printf("    pci_init: %s\n", err);
	return rc;
}

static uint64_t
pio(uint16_t port, int size, bool write, uint64_t v)
{
	if (iotrap_dispatch(ctx.traps, IOTRAP_PIO, port, size, write, &v) != 0)
		return write ? 0 : (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
	return v;
}

static uint64_t
mmio(uint64_t gpa, int size, bool write, uint64_t v)
{
	if (iotrap_dispatch(ctx.traps, IOTRAP_MMIO, gpa, size, write, &v) != 0)
		return write ? 0 : ~0ULL;
	return v;
}

static bool
mmio_claimed(uint64_t gpa)
{
	uint64_t v = 0;

	return iotrap_dispatch(ctx.traps, IOTRAP_MMIO, gpa, 4, false, &v) == 0;
}

static bool
pio_claimed(uint16_t port)
{
	uint64_t v = 0;

	return iotrap_dispatch(ctx.traps, IOTRAP_PIO, port, 1, false, &v) == 0;
}

static uint32_t
cfg_addr(int bus, int slot, int func, int reg)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)slot << 11 |
	    (uint32_t)func << 8 | (uint32_t)(reg & 0xFC);
}

static uint32_t
cfgr(int slot, int func, int reg, int size)
{
	pio(0xCF8, 4, true, cfg_addr(0, slot, func, reg));
	return (uint32_t)pio((uint16_t)(0xCFC + (reg & 3)), size, false, 0);
}

static void
cfgw(int slot, int func, int reg, int size, uint32_t v)
{
	pio(0xCF8, 4, true, cfg_addr(0, slot, func, reg));
	pio((uint16_t)(0xCFC + (reg & 3)), size, true, v);
}

static uint64_t
ecam_addr(int bus, int slot, int func, int reg)
{
	return PCI_ECAM_BASE + ((uint64_t)bus << 20) + ((uint64_t)slot << 15) +
	    ((uint64_t)func << 12) + (uint64_t)reg;
}

/* --- tests --------------------------------------------------------------------- */

TEST(hostbridge_ids)
{
	setup();
	CHECK_EQ(pci_parse_slot("0,hostbridge"), 0);
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(cfgr(0, 0, 0, 4),
	    ZHYVE_HOSTBRIDGE_DEVICE << 16 | ZHYVE_HOSTBRIDGE_VENDOR);
	CHECK_EQ(cfgr(0, 0, 2, 2), ZHYVE_HOSTBRIDGE_DEVICE);
	CHECK_EQ(cfgr(0, 0, 0x0B, 1), PCIC_BRIDGE);
	CHECK_EQ(cfgr(0, 0, 0x08, 4) >> 8, PCIC_BRIDGE << 16 | PCIS_BRIDGE_HOST << 8);
	CHECK_EQ(cfgr(0, 0, PCIR_HDRTYPE, 1), 0);
	/* CONFIG_ADDRESS reads back; enable bit off means no access. */
	pio(0xCF8, 4, true, 0x80000000u);
	CHECK_EQ(pio(0xCF8, 4, false, 0), 0x80000000u);
	pio(0xCF8, 4, true, 0x00000000u);
	CHECK_EQ(pio(0xCFC, 4, false, 0), 0xFFFFFFFFu);
	/* Byte writes to 0xCFB do not touch the latch (Linux's probe). */
	pio(0xCF8, 4, true, 0x80000000u);
	pio(0xCFB, 1, true, 0x01);
	CHECK_EQ(pio(0xCF8, 4, false, 0), 0x80000000u);
	/* ECAM sees the same. */
	CHECK_EQ(mmio(ecam_addr(0, 0, 0, 0), 4, false, 0),
	    ZHYVE_HOSTBRIDGE_DEVICE << 16 | ZHYVE_HOSTBRIDGE_VENDOR);
	teardown();

	setup();
	CHECK_EQ(config_set("pci.0.0.0.device", "hostbridge"), 0);
	CHECK_EQ(config_set("pci.0.0.0.vendor", "0x1022"), 0);
	CHECK_EQ(config_set("pci.0.0.0.devid", "4660"), 0);
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(cfgr(0, 0, 0, 4), 0x12341022);
	teardown();

	/* amd_hostbridge is hostbridge with AMD's IDs, as in bhyve */
	setup();
	CHECK_EQ(pci_parse_slot("0,amd_hostbridge"), 0);
	CHECK_STR(config_get("pci.0.0.0.device"), "hostbridge");
	CHECK_STR(config_get("pci.0.0.0.vendor"), "0x1022");
	CHECK_EQ(pci_parse_slot("1,amd_hostbridge,devid=0x10"), 0);
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(cfgr(0, 0, 0, 4), 0x74321022);
	CHECK_EQ(cfgr(1, 0, 0, 4), 0x00101022);
	teardown();

	setup();
	CHECK_EQ(config_set("pci.0.0.0.device", "hostbridge"), 0);
	CHECK_EQ(config_set("pci.0.0.0.vendor", "0x10000"), 0);
	{
		char err[256] = "";
		CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
		CHECK(strstr(err, "vendor") != NULL);
		/* failed init leaves nothing claimed */
		CHECK(!pio_claimed(0xCFC));
	}
	teardown();
}

TEST(nonexistent_functions)
{
	setup();
	CHECK_EQ(pci_parse_slot("0,hostbridge"), 0);
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(cfgr(5, 0, 0, 4), 0xFFFFFFFFu);
	CHECK_EQ(cfgr(0, 3, 0, 4), 0xFFFFFFFFu);
	CHECK_EQ(cfgr(5, 0, 0, 2), 0xFFFF);
	CHECK_EQ(cfgr(5, 0, 3, 1), 0xFF);
	pio(0xCF8, 4, true, cfg_addr(1, 0, 0, 0));
	CHECK_EQ(pio(0xCFC, 4, false, 0), 0xFFFFFFFFu);
	CHECK_EQ(mmio(ecam_addr(0, 7, 0, 0), 4, false, 0), 0xFFFFFFFFu);
	CHECK_EQ(mmio(ecam_addr(0, 31, 7, 0), 2, false, 0), 0xFFFF);
	/* ECAM spans exactly the buses there are (bus 0): no more. */
	CHECK_EQ(PCI_ECAM_SIZE, (uint64_t)PCI_ECAM_BUSES << 20);
	CHECK(mmio_claimed(ecam_addr(PCI_ECAM_BUSES - 1, 31, 7, 0xFFC)));
	CHECK(!mmio_claimed(ecam_addr(PCI_ECAM_BUSES, 0, 0, 0)));
	/* Only bus 0 exists, so ECAM (and the MCFG built from it) stop there. */
	CHECK(!mmio_claimed(ecam_addr(1, 0, 0, 0)));
	pio(0xCF8, 4, true, cfg_addr(200, 0, 0, 0));
	CHECK_EQ(pio(0xCFC, 4, false, 0), 0xFFFFFFFFu);
	/* writes to nothing are dropped without harm */
	cfgw(5, 0, 4, 4, 0xFFFFFFFF);
	mmio(ecam_addr(0, 7, 0, 4), 4, true, 0);
	teardown();
}

TEST(cfg_access_shapes)
{
	setup();
	CHECK_EQ(pci_parse_slot("0,hostbridge"), 0);
	CHECK_EQ(init_pci(), 0);
	/* 2 bytes at 0xCFD: bytes 1..2 of the dword */
	pio(0xCF8, 4, true, cfg_addr(0, 0, 0, 0));
	CHECK_EQ(pio(0xCFD, 2, false, 0),
	    ((ZHYVE_HOSTBRIDGE_DEVICE << 16 | ZHYVE_HOSTBRIDGE_VENDOR) >> 8) &
	    0xFFFF);
	/* 2 bytes at 0xCFF would straddle: all-ones */
	CHECK_EQ(pio(0xCFF, 2, false, 0), 0xFFFF);
	/* a word access to 0xCF8 is not the latch */
	CHECK_EQ(pio(0xCF8, 2, false, 0), 0xFFFF);
	/* reserved and low bits of the latch read as zero */
	pio(0xCF8, 4, true, 0xFF000003u | cfg_addr(0, 0, 0, 8));
	CHECK_EQ(pio(0xCF8, 4, false, 0), cfg_addr(0, 0, 0, 8));
	/* ECAM: 8-byte read, offset past 256, straddling a function */
	CHECK_EQ(mmio(ecam_addr(0, 0, 0, 0), 8, false, 0) & 0xFFFFFFFF,
	    ZHYVE_HOSTBRIDGE_DEVICE << 16 | ZHYVE_HOSTBRIDGE_VENDOR);
	CHECK_EQ(mmio(ecam_addr(0, 0, 0, 0x100), 4, false, 0), 0);
	CHECK_EQ(mmio(ecam_addr(0, 0, 0, 0xFFE), 4, false, 0), 0xFFFFFFFFu);
	CHECK_EQ(mmio(ecam_addr(0, 0, 0, 1), 2, false, 0),
	    (ZHYVE_HOSTBRIDGE_VENDOR >> 8) | (ZHYVE_HOSTBRIDGE_DEVICE & 0xFF) << 8);
	teardown();
}

TEST(readonly_and_w1c)
{
	struct pci_devinst *pi;

	setup();
	CHECK_EQ(pci_parse_slot("3,testdev,msi=1"), 0);
	CHECK_EQ(init_pci(), 0);
	pi = pci_find_device(0, 3, 0);
	CHECK(pi != NULL);
	if (pi == NULL) {
		teardown();
		return;
	}
	cfgw(3, 0, 0, 4, 0);
	CHECK_EQ(cfgr(3, 0, 0, 4), 0x56781234u);
	cfgw(3, 0, 8, 4, 0);
	CHECK_EQ(cfgr(3, 0, 0x0B, 1), 0xFF);
	cfgw(3, 0, PCIR_HDRTYPE, 1, 0x80);
	CHECK_EQ(cfgr(3, 0, PCIR_HDRTYPE, 1), 0);
	CHECK_EQ(cfgr(3, 0, PCIR_CAP_PTR, 1), 0x40);
	cfgw(3, 0, PCIR_CAP_PTR, 1, 0x80);
	CHECK_EQ(cfgr(3, 0, PCIR_CAP_PTR, 1), 0x40);
	cfgw(3, 0, 0x40, 2, 0xFFFF);	/* cap ID and next pointer */
	CHECK_EQ(cfgr(3, 0, 0x40, 1), PCIY_MSI);
	CHECK_EQ(cfgr(3, 0, 0x41, 1), 0);
	/* interrupt line is scratch; pin is read-only */
	cfgw(3, 0, PCIR_INTLINE, 2, 0x0505);
	CHECK_EQ(cfgr(3, 0, PCIR_INTLINE, 1), 5);
	CHECK_EQ(cfgr(3, 0, PCIR_INTPIN, 1), 0);
	/* no expansion ROM: sizing reads 0 */
	cfgw(3, 0, PCIR_ROMBAR, 4, 0xFFFFFFFF);
	CHECK_EQ(cfgr(3, 0, PCIR_ROMBAR, 4), 0);

	/* status: capability bit set and read-only; error bits W1C */
	CHECK(cfgr(3, 0, PCIR_STATUS, 2) & PCIM_STATUS_CAPPRESENT);
	pci_set_cfgdata16(pi, PCIR_STATUS, PCIM_STATUS_CAPPRESENT | 0x2100);
	cfgw(3, 0, PCIR_STATUS, 2, 0);		/* 0s change nothing */
	CHECK_EQ(cfgr(3, 0, PCIR_STATUS, 2), PCIM_STATUS_CAPPRESENT | 0x2100);
	cfgw(3, 0, PCIR_STATUS, 2, 0x2000 | PCIM_STATUS_CAPPRESENT |
	    PCIM_STATUS_INTxSTATE);
	CHECK_EQ(cfgr(3, 0, PCIR_STATUS, 2), PCIM_STATUS_CAPPRESENT | 0x0100);
	/* a dword write at 0x04 hits command and status together */
	cfgw(3, 0, PCIR_COMMAND, 4, 0x01000000u | PCIM_CMD_BUSMASTER);
	CHECK_EQ(cfgr(3, 0, PCIR_STATUS, 2), PCIM_STATUS_CAPPRESENT);
	CHECK_EQ(cfgr(3, 0, PCIR_COMMAND, 2), PCIM_CMD_BUSMASTER);
	/* command: unimplemented bits stay 0 */
	cfgw(3, 0, PCIR_COMMAND, 2, 0xFFFF);
	CHECK_EQ(cfgr(3, 0, PCIR_COMMAND, 2), 0x0547);
	teardown();
}

TEST(bar_sizing)
{
	setup();
	CHECK_EQ(pci_parse_slot("2,testdev,io=0x20,mem32=0x2000,mem64=0x100000"), 0);
	CHECK_EQ(init_pci(), 0);

	/* I/O BAR 0, 32 bytes */
	uint32_t io = cfgr(2, 0, PCIR_BAR(0), 4);
	CHECK_EQ(io & 3, 1);
	cfgw(2, 0, PCIR_BAR(0), 4, 0xFFFFFFFF);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(0), 4), 0xFFFFFFE1u);
	cfgw(2, 0, PCIR_BAR(0), 4, io);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(0), 4), io);

	/* 32-bit memory BAR 1, 8 KiB */
	uint32_t m = cfgr(2, 0, PCIR_BAR(1), 4);
	CHECK_EQ(m & 0xF, 0);
	cfgw(2, 0, PCIR_BAR(1), 4, 0xFFFFFFFF);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(1), 4), 0xFFFFE000u);
	cfgw(2, 0, PCIR_BAR(1), 4, m);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(1), 4), m);

	/* 64-bit memory BARs 2+3, 1 MiB, prefetchable */
	uint32_t lo = cfgr(2, 0, PCIR_BAR(2), 4), hi = cfgr(2, 0, PCIR_BAR(3), 4);
	CHECK_EQ(lo & 0xF, PCIM_BAR_MEM_64 | PCIM_BAR_MEM_PREFETCH);
	CHECK_EQ(hi, 1);		/* placed at 4 GiB (no high RAM) */
	cfgw(2, 0, PCIR_BAR(2), 4, 0xFFFFFFFF);
	cfgw(2, 0, PCIR_BAR(3), 4, 0xFFFFFFFF);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(2), 4), 0xFFF0000Cu);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(3), 4), 0xFFFFFFFFu);
	cfgw(2, 0, PCIR_BAR(2), 4, lo);
	cfgw(2, 0, PCIR_BAR(3), 4, hi);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(2), 4), lo);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(3), 4), hi);
	/* byte write into a BAR */
	cfgw(2, 0, PCIR_BAR(1) + 3, 1, 0xC1);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(1), 4), (m & 0x00FFFFFF) | 0xC1000000u);
	/* unimplemented BAR 5 stays 0 */
	cfgw(2, 0, PCIR_BAR(5), 4, 0xFFFFFFFF);
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(5), 4), 0);
	teardown();
}

TEST(bar_decode_and_move)
{
	uint64_t a;

	setup();
	CHECK_EQ(pci_parse_slot("2,testdev,io=0x10,mem32=0x1000"), 0);
	CHECK_EQ(init_pci(), 0);
	a = cfgr(2, 0, PCIR_BAR(1), 4) & ~0xFu;
	CHECK_EQ(a, PCI_MMIO32_BASE);
	CHECK_EQ(cfgr(2, 0, PCIR_COMMAND, 2) & 3, 3);	/* firmware enabled */
	CHECK_EQ(mmio(a + 8, 4, false, 0), 0xAB);
	CHECK_EQ(tdev.last_bar, 1);
	CHECK_EQ(tdev.last_off, 8);
	mmio(a + 0x10, 2, true, 0x55);
	CHECK_EQ(tdev.barwrites, 1);
	CHECK_EQ(tdev.last_val, 0x55);
	uint16_t io = (uint16_t)(cfgr(2, 0, PCIR_BAR(0), 4) & ~3u);
	CHECK_EQ(io, PCI_IO_BASE);
	CHECK(pio_claimed(io));

	/* memory decode off: MMIO BAR gone, I/O BAR stays */
	cfgw(2, 0, PCIR_COMMAND, 2, PCIM_CMD_PORTEN);
	CHECK(!mmio_claimed(a));
	CHECK(pio_claimed(io));
	CHECK(!tdev.baraddr_on);
	cfgw(2, 0, PCIR_COMMAND, 2, PCIM_CMD_MEMEN);
	CHECK(mmio_claimed(a));
	CHECK(!pio_claimed(io));
	CHECK(tdev.baraddr_on);
	CHECK_EQ(tdev.baraddr_addr, a);

	/* move it */
	cfgw(2, 0, PCIR_BAR(1), 4, (uint32_t)(a + 0x100000));
	CHECK(!mmio_claimed(a));
	CHECK(mmio_claimed(a + 0x100000));
	CHECK_EQ(tdev.baraddr_addr, a + 0x100000);
	/* onto the ECAM window: cannot decode, nothing breaks */
	cfgw(2, 0, PCIR_BAR(1), 4, (uint32_t)PCI_ECAM_BASE);
	CHECK(!mmio_claimed(a + 0x100000));
	/* ECAM still answers there (no device at 0:0.0: all-ones) */
	CHECK_EQ(mmio(PCI_ECAM_BASE, 2, false, 0), 0xFFFF);
	/* and back */
	cfgw(2, 0, PCIR_BAR(1), 4, (uint32_t)a);
	CHECK(mmio_claimed(a));
	/* sizing with decode on does not leave junk claimed */
	cfgw(2, 0, PCIR_BAR(1), 4, 0xFFFFFFFF);
	cfgw(2, 0, PCIR_BAR(1), 4, (uint32_t)a);
	CHECK(mmio_claimed(a));
	CHECK(!mmio_claimed(0xFFFFF000u));
	teardown();

	/* swap two BARs of one device with decode on */
	setup();
	CHECK_EQ(pci_parse_slot("2,testdev,mem32=0x1000,mem64=0x1000"), 0);
	CHECK_EQ(init_pci(), 0);
	{
		uint64_t a1 = cfgr(2, 0, PCIR_BAR(1), 4);
		uint64_t a2 = cfgr(2, 0, PCIR_BAR(2), 4) & ~0xFu;
		uint64_t h2 = cfgr(2, 0, PCIR_BAR(3), 4);
		a2 |= h2 << 32;
		uint64_t tmp = 0xD0000000u;

		cfgw(2, 0, PCIR_BAR(3), 4, 0);
		cfgw(2, 0, PCIR_BAR(2), 4, (uint32_t)a1);	/* collides */
		CHECK(mmio_claimed(a1));
		cfgw(2, 0, PCIR_BAR(1), 4, (uint32_t)tmp);	/* frees a1 */
		CHECK(mmio_claimed(tmp));
		CHECK(mmio_claimed(a1));	/* BAR 2 got it now */
		CHECK_EQ(mmio(a1, 4, false, 0), 0xAB);
		CHECK_EQ(tdev.last_bar, 2);
		CHECK(!mmio_claimed(a2));
	}
	teardown();

	setup();
	CHECK_EQ(pci_parse_slot("2,testdev,io=0x10"), 0);
	CHECK_EQ(init_pci(), 0);
	/* an I/O BAR moved past 64 KiB does not decode */
	cfgw(2, 0, PCIR_COMMAND, 2, PCIM_CMD_PORTEN);
	cfgw(2, 0, PCIR_BAR(0), 4, 0xFFF0);
	CHECK(pio_claimed(0xFFF0));
	cfgw(2, 0, PCIR_BAR(0), 4, 0x10000);
	CHECK(!pio_claimed(0xFFF0));
	teardown();
}

TEST(bar_placement)
{
	setup();
	CHECK_EQ(pci_parse_slot("1,testdev,mem32=0x1000,io=0x8"), 0);
	CHECK_EQ(pci_parse_slot("2,testdev,mem32=0x100000,io=0x100"), 0);
	CHECK_EQ(pci_parse_slot("3,testdev,mem32=0x10000,mem64=0x200000"), 0);
	CHECK_EQ(pci_parse_slot("4,testdev,mem32=0x10,mem64=0x40000000"), 0);
	CHECK_EQ(init_pci(), 0);
	/* 32-bit window, largest first: 1 MiB, 64 KiB, 4 KiB (slot 1), 4 KiB */
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(1), 4), PCI_MMIO32_BASE);
	CHECK_EQ(cfgr(3, 0, PCIR_BAR(1), 4), PCI_MMIO32_BASE + 0x100000);
	CHECK_EQ(cfgr(1, 0, PCIR_BAR(1), 4), PCI_MMIO32_BASE + 0x110000);
	CHECK_EQ(cfgr(4, 0, PCIR_BAR(1), 4), PCI_MMIO32_BASE + 0x111000);
	/* I/O: 256 then 8 */
	CHECK_EQ(cfgr(2, 0, PCIR_BAR(0), 4), PCI_IO_BASE | 1);
	CHECK_EQ(cfgr(1, 0, PCIR_BAR(0), 4), (PCI_IO_BASE + 0x100) | 1);
	/* 64-bit: 1 GiB at 4 GiB, then 2 MiB */
	CHECK_EQ(cfgr(4, 0, PCIR_BAR(2), 4), 0xC);
	CHECK_EQ(cfgr(4, 0, PCIR_BAR(3), 4), 1);
	CHECK_EQ(cfgr(3, 0, PCIR_BAR(2), 4), 0x4000000Cu);
	CHECK_EQ(cfgr(3, 0, PCIR_BAR(3), 4), 1);
	CHECK(mmio_claimed(0x140000000ULL));
	{
		uint64_t b, s;
		pci_mmio64_window(&ctx, &b, &s);
		CHECK_EQ(b, GIB(4));
		CHECK_EQ(s, PCI_MMIO64_SIZE);
	}
	teardown();

	/* too much for the 32-bit window is a clear error */
	setup();
	CHECK_EQ(pci_parse_slot("1,testdev,mem32=0x10000000"), 0);
	CHECK_EQ(pci_parse_slot("2,testdev,mem32=0x10000000"), 0);
	CHECK_EQ(pci_parse_slot("3,testdev,mem32=0x10000000"), 0);
	{
		char err[256] = "";
		CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
		CHECK(strstr(err, "pci.0.3.0") != NULL);
		CHECK(strstr(err, "no room") != NULL);
	}
	teardown();
}

TEST(intx_sharing)
{
	struct pci_devinst *a, *b;
	int gsi = PCI_INTX_GSI(1, 0);

	setup();
	CHECK_EQ(PCI_INTX_GSI(9, 0), gsi);
	CHECK_EQ(pci_parse_slot("1,testdev,intx"), 0);
	CHECK_EQ(pci_parse_slot("9,testdev,intx"), 0);
	CHECK_EQ(init_pci(), 0);
	a = pci_find_device(0, 1, 0);
	b = pci_find_device(0, 9, 0);
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL) {
		teardown();
		return;
	}
	CHECK_EQ(cfgr(1, 0, PCIR_INTPIN, 1), 1);
	CHECK_EQ(cfgr(1, 0, PCIR_INTLINE, 1), gsi);
	pci_lintr_assert(a);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 1);
	pci_lintr_assert(b);
	pci_lintr_assert(b);		/* idempotent */
	pci_lintr_deassert(a);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 1);
	pci_lintr_deassert(b);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 0);
	pci_lintr_deassert(b);		/* no underflow */
	pci_lintr_assert(a);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 1);

	/* INTx disable drops the line but keeps the status bit */
	cfgw(1, 0, PCIR_COMMAND, 2, PCIM_CMD_INTxDIS);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 0);
	CHECK(cfgr(1, 0, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	pci_lintr_assert(b);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 1);
	pci_lintr_deassert(b);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 0);
	cfgw(1, 0, PCIR_COMMAND, 2, 0);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 1);
	pci_lintr_deassert(a);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, gsi), 0);
	CHECK(!(cfgr(1, 0, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE));
	teardown();
}

TEST(msi)
{
	struct pci_devinst *pi;
	uint64_t addr;
	uint32_t data;
	int c = 0x40;

	setup();
	CHECK_EQ(pci_parse_slot("3,testdev,msi=4,intx"), 0);
	CHECK_EQ(init_pci(), 0);
	pi = pci_find_device(0, 3, 0);
	if (pi == NULL) {
		CHECK(0);
		teardown();
		return;
	}
	CHECK_EQ(cfgr(3, 0, c, 1), PCIY_MSI);
	CHECK_EQ(cfgr(3, 0, c + 2, 2), 0x0184);	/* PVM, 64-bit, MMC=2 */
	CHECK_EQ(pci_generate_msi(pi, 0), -1);	/* disabled */
	cfgw(3, 0, c + 4, 4, 0xFEE00003u);
	CHECK_EQ(cfgr(3, 0, c + 4, 4), 0xFEE00000u);
	cfgw(3, 0, c + 8, 4, 0);
	cfgw(3, 0, c + 12, 2, 0x4120);
	pci_lintr_assert(pi);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, PCI_INTX_GSI(3, 0)), 1);
	cfgw(3, 0, c + 2, 2, 0x0071);		/* enable, ask 128 vectors */
	CHECK_EQ(tdev.msi_updates > 0, 1);
	CHECK(pci_msi_enabled(pi));
	CHECK_EQ(pci_msi_nvec(pi), 4);		/* clamped */
	/* MSI on: INTx line released */
	CHECK_EQ(vm_fake_irq_level(ctx.vm, PCI_INTX_GSI(3, 0)), 0);
	CHECK_EQ(pci_generate_msi(pi, 3), 0);
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 1);
	vm_fake_last_msi(ctx.vm, &addr, &data);
	CHECK_EQ(addr, 0xFEE00000u);
	CHECK_EQ(data, 0x4123);
	CHECK_EQ(pci_generate_msi(pi, 4), -1);
	CHECK_EQ(pci_generate_msi(pi, -1), -1);
	CHECK_EQ(pci_generate_msi(pi, 1000), -1);
	/* masked: pending, then sent on unmask */
	cfgw(3, 0, c + 16, 4, 0xFFFFFFFF);
	CHECK_EQ(cfgr(3, 0, c + 16, 4), 0xF);
	CHECK_EQ(pci_generate_msi(pi, 1), 0);
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 1);
	CHECK_EQ(cfgr(3, 0, c + 20, 4), 2);
	cfgw(3, 0, c + 20, 4, 0);		/* pending is read-only */
	CHECK_EQ(cfgr(3, 0, c + 20, 4), 2);
	cfgw(3, 0, c + 16, 4, 0xD);
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 2);
	vm_fake_last_msi(ctx.vm, &addr, &data);
	CHECK_EQ(data, 0x4121);
	CHECK_EQ(cfgr(3, 0, c + 20, 4), 0);
	{
		bool masked;
		CHECK_EQ(pci_msi_vector(pi, 2, &addr, &data, &masked), 0);
		CHECK(masked);
		CHECK_EQ(data, 0x4122);
		CHECK_EQ(pci_msi_vector(pi, 4, &addr, &data, &masked), -1);
	}
	teardown();
}

TEST(msix)
{
	struct pci_devinst *pi;
	uint64_t bar, addr;
	uint32_t data;
	int c;
	bool masked;

	setup();
	CHECK_EQ(pci_parse_slot("5,testdev,msix=3,intx"), 0);
	CHECK_EQ(init_pci(), 0);
	pi = pci_find_device(0, 5, 0);
	if (pi == NULL) {
		CHECK(0);
		teardown();
		return;
	}
	c = cfgr(5, 0, PCIR_CAP_PTR, 1);
	CHECK_EQ(cfgr(5, 0, c, 1), PCIY_MSIX);
	CHECK_EQ(cfgr(5, 0, c + 2, 2), 2);	/* table size - 1 */
	CHECK_EQ(cfgr(5, 0, c + 4, 4), 4);	/* table at 0 in BAR 4 */
	CHECK_EQ(cfgr(5, 0, c + 8, 4), 0x1000 | 4);
	bar = cfgr(5, 0, PCIR_BAR(4), 4) & ~0xFu;
	CHECK_EQ(bar, PCI_MMIO32_BASE);
	CHECK_EQ(pci_generate_msix(pi, 0), -1);	/* MSI-X off */

	/* program vector 1 with dword and qword writes */
	mmio(bar + 16, 8, true, 0xFEE01002ULL);
	mmio(bar + 24, 4, true, 0x31);
	CHECK_EQ(mmio(bar + 16, 4, false, 0), 0xFEE01000u);
	CHECK_EQ(mmio(bar + 28, 4, false, 0), 1);	/* starts masked */
	CHECK_EQ(tdev.last_msix_vec, 1);
	cfgw(5, 0, c + 2, 2, 0xC000);		/* enable + function mask */
	CHECK(pci_msix_enabled(pi));
	CHECK_EQ(tdev.last_msix_vec, -1);
	CHECK_EQ(pci_generate_msix(pi, 1), 0);
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 0);
	CHECK_EQ(mmio(bar + 0x1000, 8, false, 0), 2);	/* PBA bit 1 */
	mmio(bar + 28, 4, true, 0xFFFFFFFE);	/* unmask vector; fn still */
	CHECK_EQ(mmio(bar + 28, 4, false, 0), 0);
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 0);
	cfgw(5, 0, c + 2, 2, 0x8000);		/* drop function mask */
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 1);
	vm_fake_last_msi(ctx.vm, &addr, &data);
	CHECK_EQ(addr, 0xFEE01000u);
	CHECK_EQ(data, 0x31);
	CHECK_EQ(mmio(bar + 0x1000, 4, false, 0), 0);
	CHECK_EQ(pci_generate_msix(pi, 1), 0);
	CHECK_EQ(vm_fake_msi_count(ctx.vm), 2);
	CHECK_EQ(pci_msix_vector(pi, 1, &addr, &data, &masked), 0);
	CHECK(!masked);
	CHECK_EQ(pci_msix_vector(pi, 0, &addr, &data, &masked), 0);
	CHECK(masked);

	/* hostile indices and shapes */
	CHECK_EQ(pci_generate_msix(pi, 3), -1);
	CHECK_EQ(pci_generate_msix(pi, -1), -1);
	CHECK_EQ(pci_generate_msix(pi, 0x7FFFFFFF), -1);
	CHECK_EQ(pci_msix_vector(pi, 3, &addr, &data, &masked), -1);
	mmio(bar + 3 * 16, 4, true, 0xDEAD);	/* past the table */
	CHECK_EQ(mmio(bar + 3 * 16, 4, false, 0), 0);
	mmio(bar + 0xFF0, 8, true, ~0ULL);
	mmio(bar + 0x1000, 8, true, ~0ULL);	/* PBA is read-only */
	CHECK_EQ(mmio(bar + 0x1000, 8, false, 0), 0);
	mmio(bar + 0x1FF8, 8, true, ~0ULL);
	CHECK_EQ(mmio(bar + 0x1FF8, 8, false, 0), 0);
	mmio(bar + 18, 2, true, 0xFFFF);	/* word write: dropped */
	mmio(bar + 20, 8, true, ~0ULL);		/* misaligned qword: dropped */
	CHECK_EQ(mmio(bar + 16, 4, false, 0), 0xFEE01000u);
	CHECK_EQ(mmio(bar + 20, 4, false, 0), 0);
	CHECK_EQ(mmio(bar + 18, 2, false, 0), 0xFFFF);
	CHECK(!mmio_claimed(bar + 0x2000));	/* BAR is 8 KiB */
	/* MSI-X on: INTx does not drive the line */
	pci_lintr_assert(pi);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, PCI_INTX_GSI(5, 0)), 0);
	cfgw(5, 0, c + 2, 2, 0);
	CHECK_EQ(vm_fake_irq_level(ctx.vm, PCI_INTX_GSI(5, 0)), 1);
	CHECK_EQ(pci_generate_msix(pi, 1), -1);
	teardown();
}

TEST(parse_slot)
{
	setup();
	CHECK_EQ(pci_parse_slot("31,lpc"), 0);
	CHECK_STR(config_get("pci.0.31.0.device"), "lpc");
	CHECK_EQ(pci_parse_slot("0:0,hostbridge"), 0);
	CHECK_STR(config_get("pci.0.0.0.device"), "hostbridge");
	CHECK_EQ(pci_parse_slot("1:3:7,testdev,foo=bar,flag,a.b=c"), 0);
	CHECK_STR(config_get("pci.1.3.7.device"), "testdev");
	CHECK_STR(config_get("pci.1.3.7.foo"), "bar");
	CHECK_STR(config_get("pci.1.3.7.flag"), "true");
	CHECK_STR(config_get("pci.1.3.7.a.b"), "c");
	CHECK_EQ(pci_parse_slot("4:2,testdev,"), 0);
	CHECK_STR(config_get("pci.0.4.2.device"), "testdev");

	fprintf(stderr, "(expected errors follow)\n");
	CHECK_EQ(pci_parse_slot("31,lpc"), -1);		/* in use */
	CHECK_EQ(pci_parse_slot("32,lpc"), -1);
	CHECK_EQ(pci_parse_slot("3:8,lpc"), -1);
	CHECK_EQ(pci_parse_slot("256:0:0,lpc"), -1);
	CHECK_EQ(pci_parse_slot("1:2:3:4,lpc"), -1);
	CHECK_EQ(pci_parse_slot("x,lpc"), -1);
	CHECK_EQ(pci_parse_slot("-1,lpc"), -1);
	CHECK_EQ(pci_parse_slot(":3,lpc"), -1);
	CHECK_EQ(pci_parse_slot("3:,lpc"), -1);
	CHECK_EQ(pci_parse_slot("3"), -1);
	CHECK_EQ(pci_parse_slot("3,"), -1);
	CHECK_EQ(pci_parse_slot(",lpc"), -1);
	CHECK_EQ(pci_parse_slot("3,nosuchdev"), -1);
	CHECK_EQ(pci_parse_slot("5,testdev,bad key=1"), -1);
	CHECK_EQ(pci_parse_slot("6,testdev,a=1,a.b=2"), -1);
	CHECK_EQ(pci_parse_slot("7,testdev,device=lpc"), -1);
	CHECK_EQ(pci_parse_slot("8,testdev,=x"), -1);
	CHECK_EQ(pci_parse_slot("9,testdev,.a=x"), -1);
	CHECK(config_find_node("pci.0.3") == NULL);
	CHECK(config_find_node("pci.0.32") == NULL);
	/* failed -s left no trace */
	for (int sl = 5; sl <= 9; sl++) {
		char p[32];
		snprintf(p, sizeof(p), "pci.0.%d", sl);
		CHECK(config_find_node(p) == NULL);
	}
	teardown();
}

TEST(cf9_reset)
{
	setup();
	CHECK_EQ(init_pci(), 0);		/* an empty bus still has 0xCF8 */
	pio(0xCF9, 1, true, 0x02);
	CHECK_EQ(suspend_calls, 0);
	CHECK_EQ(pio(0xCF9, 1, false, 0), 0x02);
	pio(0xCF9, 1, true, 0x06);
	CHECK_EQ(suspend_calls, 1);
	CHECK_EQ(suspend_status, VMEXIT_REBOOT);
	CHECK_EQ(pio(0xCF9, 1, false, 0), 0x02);	/* bit 2 self-clears */
	pio(0xCF9, 1, true, 0x08);
	CHECK_EQ(pio(0xCF9, 1, false, 0), 0x08);
	CHECK_EQ(suspend_calls, 1);
	/* a word write at 0xCF9 is not the reset register */
	pio(0xCF9, 2, true, 0x0606);
	CHECK_EQ(suspend_calls, 1);
	/* without a suspend hook, the status is recorded */
	ctx.suspend = NULL;
	pio(0xCF9, 1, true, 0x0E);
	CHECK_EQ(ctx.exit_status, VMEXIT_REBOOT);
	teardown();
}

TEST(multifunction)
{
	setup();
	CHECK_EQ(pci_parse_slot("4:0,testdev"), 0);
	CHECK_EQ(pci_parse_slot("4:3,testdev"), 0);
	CHECK_EQ(pci_parse_slot("6,testdev"), 0);
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(cfgr(4, 0, PCIR_HDRTYPE, 1), PCIM_MFDEV);
	CHECK_EQ(cfgr(4, 3, PCIR_HDRTYPE, 1), PCIM_MFDEV);
	CHECK_EQ(cfgr(4, 1, PCIR_HDRTYPE, 1), 0xFF);
	CHECK_EQ(cfgr(6, 0, PCIR_HDRTYPE, 1), 0);
	teardown();

	setup();
	CHECK_EQ(pci_parse_slot("4:1,testdev"), 0);
	{
		char err[256] = "";
		CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
		CHECK(strstr(err, "function 0") != NULL);
	}
	teardown();
}

TEST(init_errors)
{
	char err[256];
	static const char *const bad[][2] = {
		{ "pci.1.0.0.device", "hostbridge" },	/* bus 1 */
		{ "pci.0.0.0.device", "nosuch" },
		{ "pci.0.40.0.device", "hostbridge" },
		{ "pci.0.0.9.device", "hostbridge" },
		{ "pci.0.0.0.other", "x" },		/* no device */
		{ "pci.0.x.0.device", "hostbridge" },
		{ "pci.0.0", "leaf" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		CHECK_EQ(config_set(bad[i][0], bad[i][1]), 0);
		err[0] = '\0';
		CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
		CHECK(strncmp(err, "pci", 3) == 0);
		teardown();
	}
	/* "3" and "03" are the same slot */
	setup();
	config_set("pci.0.3.0.device", "hostbridge");
	config_set("pci.0.03.0.device", "hostbridge");
	CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "twice") != NULL);
	teardown();
	/* twice without pci_fini */
	setup();
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
	teardown();
	/* model asks for a bad BAR */
	setup();
	config_set("pci.0.2.0.device", "testdev");
	config_set("pci.0.2.0.io", "0x1000");
	CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "pci.0.2.0 (testdev): BAR 0") != NULL);
	teardown();
}

TEST(lpc)
{
	char err[256];

	setup();
	CHECK_EQ(pci_parse_slot("31,lpc"), 0);
	CHECK_EQ(config_set("lpc.com2.path", "stdio"), 0);
	CHECK_EQ(init_pci(), 0);
	CHECK_EQ(cfgr(31, 0, 0, 4), ZHYVE_LPC_DEVICE << 16 | ZHYVE_LPC_VENDOR);
	CHECK_EQ(cfgr(31, 0, PCIR_CLASS, 1), PCIC_BRIDGE);
	CHECK_EQ(cfgr(31, 0, PCIR_SUBCLASS, 1), PCIS_BRIDGE_ISA);
	CHECK_EQ(uart_rec.calls, 1);
	CHECK_STR(uart_rec.name, "com2");
	CHECK_EQ(uart_rec.port, COM2_PORT);
	CHECK_EQ(uart_rec.irq, COM2_IRQ);
	CHECK_STR(uart_rec.spec, "stdio");
	teardown();

	setup();
	CHECK_EQ(pci_parse_slot("1,lpc"), 0);
	CHECK_EQ(pci_parse_slot("31,lpc"), 0);
	CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "only one") != NULL);
	teardown();

	setup();
	CHECK_EQ(pci_parse_slot("31,lpc"), 0);
	CHECK_EQ(config_set("lpc.com1.path", "/nonexistent"), 0);
	uart_rec.fail = true;
	CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "lpc.com1.path") != NULL);
	teardown();

	/* An empty backend is an error, not a port wired to nothing. */
	setup();
	CHECK_EQ(pci_parse_slot("31,lpc"), 0);
	CHECK_EQ(config_set("lpc.com3.path", ""), 0);
	CHECK_EQ(pci_init(&ctx, err, sizeof(err)), -1);
	CHECK(strstr(err, "lpc.com3.path is empty") != NULL);
	CHECK_EQ(uart_rec.calls, 0);
	teardown();
}

TEST(print_emulations)
{
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	pci_print_emulations(f);
	fclose(f);
	CHECK(strstr(buf, "hostbridge\n") != NULL);
	CHECK(strstr(buf, "amd_hostbridge\n") != NULL);
	CHECK(strstr(buf, "hostbridge\namd_hostbridge\nlpc\n") != NULL);
	CHECK(strstr(buf, "lpc\n") != NULL);
	CHECK(strstr(buf, "testdev") == NULL);	/* test model not listed */
}

int
main(void)
{
	pci_emul_register_test_model(&tdev_emu);
	RUN(hostbridge_ids);
	RUN(nonexistent_functions);
	RUN(cfg_access_shapes);
	RUN(readonly_and_w1c);
	RUN(bar_sizing);
	RUN(bar_decode_and_move);
	RUN(bar_placement);
	RUN(intx_sharing);
	RUN(msi);
	RUN(msix);
	RUN(parse_slot);
	RUN(cf9_reset);
	RUN(multifunction);
	RUN(init_errors);
	RUN(lpc);
	RUN(print_emulations);
	pci_emul_register_test_model(NULL);
	TEST_SUMMARY();
}
