/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zhyve: the VMM.  main() is the boot sequence, top to bottom:
 *
 *   1. the command line and -k/-o files become the config tree
 *   2. the VM: KVM handle, guest RAM laid out like a PC, in-kernel
 *      irqchip and PIT
 *   3. the machine context: event loop, trap registry, stop requests
 *   4. platform devices (RTC, keyboard controller, POST, ACPI PM) and the
 *      PCI devices named in the tree (host bridge, LPC with the UARTs, ...)
 *   5. the boot method: a boot ROM (mapped with guest RAM, in step 2), or
 *      a Linux kernel loaded directly (with ACPI and SMBIOS tables)
 *   6. vCPUs with their CPUID and entry state, then one thread each
 *   7. the main thread runs the event loop until the VM stops, then
 *      exits with bhyve's status (0 reboot, 1 poweroff, 2 halt,
 *      3 triple fault, 4 error)
 *
 * Threads: this file runs on the main thread, which becomes the event-loop
 * thread; suspend_vm() may be called from any thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "iotrap.h"
#include "isa.h"
#include "mevent.h"
#include "options.h"
#include "pci_emul.h"
#include "pci_lpc.h"
#include "platform.h"
#include "topology.h"
#include "vcpu.h"
#include "vmctx.h"
#include "vmm.h"
#include "vmm_x86.h"
#include "ready.h"
#include "seccomp_filter.h"
#include "acpi.h"
#include "acpi_pm.h"
#include "bootrom.h"
#include "linux_boot.h"
#include "smbios.h"

#define ERRLEN 512

static struct vmctx ctx = { .exit_status = -1 };

static const char *const status_names[] = {
	[VMEXIT_REBOOT] = "reboot",
	[VMEXIT_POWEROFF] = "poweroff",
	[VMEXIT_HALT] = "halt",
	[VMEXIT_TRIPLEFAULT] = "triple fault",
	[VMEXIT_ERROR] = "error",
};

/*
 * Stop the VM with a bhyve exit status; the first request wins.  Any
 * thread.  Reboot and poweroff are what the guest asked for and stay
 * quiet; the others explain themselves on stderr.
 */
static void
suspend_vm(struct vmctx *c, enum vm_exitstatus status, const char *why)
{
	int expected = -1;

	if (!__atomic_compare_exchange_n(&c->exit_status, &expected,
	    (int)status, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	if (status != VMEXIT_REBOOT && status != VMEXIT_POWEROFF)
		fprintf(stderr, "zhyve: %s: %s: %s\n", vm_name(c->vm),
		    status_names[status], why);
	vcpu_threads_stop();
	mevent_exit(c->mev);
}

/* SIGTERM presses the ACPI power button; the guest decides what to do. */
static void
on_sigterm(int fd, enum ev_type type, void *arg)
{
	(void)fd;
	(void)type;
	(void)arg;
	acpi_pm_power_button();
}

/*
 * Direct Linux boot: ACPI and SMBIOS tables in the BIOS area, the kernel
 * and initrd in RAM, and the boot CPU's registers set for the kernel's
 * entry point.
 */
static int
boot_linux_load(const struct topology *topo, struct boot_entry *be, char *err,
    size_t errlen)
{
	struct acpi_config acfg;
	struct smbios_config scfg;
	uint64_t rsdp;

	acpi_config_init(&acfg);
	acfg.topo = *topo;
	for (int i = 0; i < ACPI_NCOM; i++) {
		char key[32];

		snprintf(key, sizeof(key), "lpc.com%d.path", i + 1);
		acfg.com[i] = pci_lpc_slot() >= 0 && config_get(key) != NULL;
	}
	/* No 8042 in the tables: a guest probing one would wait for timeouts;
	 * the controller still takes the 0xFE reset command. */
	acfg.kbd = false;
	acfg.lpc_slot = pci_lpc_slot();
	pci_mmio64_window(&ctx, &acfg.mmio64_base, &acfg.mmio64_size);
	if (acpi_build(ctx.vm, &acfg, &rsdp, err, errlen) != 0)
		return -1;
	smbios_config_init(&scfg);
	scfg.topo = *topo;
	if (smbios_config_from_tree(&scfg, vm_name(ctx.vm), err, errlen) != 0 ||
	    smbios_build(ctx.vm, &scfg, err, errlen) != 0)
		return -1;
	return linux_boot_from_config(ctx.vm, rsdp, be, err, errlen) != 0 ?
	    -1 : 0;
}

/* The boot CPU's registers for the kernel's entry point. */
static int
boot_linux_regs(const struct boot_entry *be, char *err, size_t errlen)
{
	struct vcpu *bsp = vcpu_threads_get(0);

	if (be->mode == BOOT_ENTRY_LINUX64)
		return vcpu_x86_set_linux64(bsp, be->rip, be->rsi, be->cr3,
		    be->gdt_gpa, be->gdt_limit, BOOT_SEL_CODE64, BOOT_SEL_DATA,
		    err, errlen);
	return vcpu_x86_set_pvh(bsp, (uint32_t)be->rip, (uint32_t)be->rbx,
	    be->gdt_gpa, be->gdt_limit, BOOT_SEL_CODE32, BOOT_SEL_DATA, err,
	    errlen);
}

static int
fail(const char *what, const char *err)
{
	fprintf(stderr, "zhyve: %s%s%s\n", what, err[0] ? ": " : "", err);
	return VMEXIT_ERROR;
}

int
main(int argc, char **argv)
{
	char err[ERRLEN] = "";
	struct topology topo;
	struct boot_entry be;
	uint64_t memsize, lowmem;
	const char *name, *bootrom;
	bool strictio, x2apic;
	int r;

	/* A console reader that goes away must not kill the VM. */
	signal(SIGPIPE, SIG_IGN);

	/* 1. Configuration. */
	config_init();
	r = options_parse(argc, argv, stdout, stderr);
	if (r != 0)
		return r > 0 ? 0 : VMEXIT_ERROR;
	name = config_get("name");
	if (options_get_memsize(&memsize, err, sizeof(err)) != 0)
		return fail("memory.size", err);
	if (config_get_uint("memory.lowmem_limit", LOWMEM_LIMIT_DEFAULT, true,
	    &lowmem) != 0 ||
	    config_get_bool("x86.strictio", false, &strictio) != 0 ||
	    config_get_bool("x86.x2apic", false, &x2apic) != 0)
		return fail("configuration", config_error());
	if (seccomp_setup(err, sizeof(err)) != 0)
		return fail("seccomp", err);
	if (ready_setup(err, sizeof(err)) != 0)
		return fail("ready_fd", err);

	/* 2. The VM. */
	ctx.vm = vm_create(name, err, sizeof(err));
	if (ctx.vm == NULL)
		return fail("creating the VM", err);
	if (topology_from_config(&topo, (unsigned)vm_max_vcpus(ctx.vm), err,
	    sizeof(err)) != 0)
		return fail("cpus", err);
	ctx.ncpus = (int)topo.cpus;
	bootrom = config_get("lpc.bootrom");
	if (config_get("lpc.bootvars") != NULL)
		return fail("lpc.bootvars", "a boot ROM variable store is not "
		    "supported in this version");
	if (bootrom != NULL && config_get("boot.kernel") != NULL)
		return fail("boot method", "give either lpc.bootrom or "
		    "boot.kernel, not both");
	if (bootrom == NULL && config_get("boot.kernel") == NULL)
		return fail("no boot method", "give a boot ROM with "
		    "-l bootrom,FILE or a kernel with -o boot.kernel=FILE");
	if (vm_setup_memory(ctx.vm, memsize, lowmem, err, sizeof(err)) != 0)
		return fail("setting up the VM", err);
	/* The ROM goes in before any vCPU exists: memory slots are
	 * cheapest to change then. */
	if (bootrom != NULL && bootrom_load(ctx.vm, bootrom, err,
	    sizeof(err)) != 0)
		return fail("boot ROM", err);
	if (vm_create_irqchip(ctx.vm, err, sizeof(err)) != 0)
		return fail("setting up the VM", err);

	/* 3. Machine context. */
	ctx.mev = mevent_base_new();
	ctx.traps = iotrap_table_new();
	if (ctx.mev == NULL || ctx.traps == NULL)
		return fail("start-up", "out of memory");
	ctx.suspend = suspend_vm;
	/* Signal events first: the vCPU threads inherit the blocked mask. */
	if (mevent_add(ctx.mev, SIGTERM, EVF_SIGNAL, on_sigterm, NULL) == NULL)
		return fail("SIGTERM handler", strerror(errno));

	/* 4. Devices. */
	if (isa_platform_init(&ctx, err, sizeof(err)) != 0 ||
	    acpi_pm_init(&ctx, err, sizeof(err)) != 0)
		return fail("platform devices", err);
	if (pci_init(&ctx, err, sizeof(err)) != 0)
		return fail("PCI devices", err);
	/* Serial ports live behind the LPC bridge, as in bhyve; a port
	 * configured without one would silently not exist. */
	for (int i = 1; i <= 4 && pci_lpc_slot() < 0; i++) {
		char key[32];

		snprintf(key, sizeof(key), "lpc.com%d.path", i);
		if (config_get_raw(key) == NULL)
			continue;
		snprintf(err, sizeof(err), "COM%d is set but there is no LPC "
		    "bridge to put it on (add -s 31,lpc)", i);
		return fail(key, err);
	}

	/* 5. The kernel, and the vCPUs with their entry state. */
	if (bootrom == NULL && boot_linux_load(&topo, &be, err,
	    sizeof(err)) != 0)
		return fail("direct kernel boot", err);
	if (vcpu_threads_init(&ctx, &topo, strictio, x2apic, err,
	    sizeof(err)) != 0)
		return fail("vCPUs", err);
	if (bootrom == NULL && boot_linux_regs(&be, err, sizeof(err)) != 0)
		return fail("direct kernel boot", err);

	/* 6. Hardware ready; start the vCPUs; filter the main thread last,
	 * once every thread exists (filters are per thread). */
	if (ready_notify(err, sizeof(err)) != 0)
		return fail("ready notification", err);
	if (vcpu_threads_start(err, sizeof(err)) != 0)
		return fail("vCPUs", err);
	if (seccomp_install(SECCOMP_ROLE_MAIN, err, sizeof(err)) != 0) {
		suspend_vm(&ctx, VMEXIT_ERROR, err);
		vcpu_threads_join();
		return VMEXIT_ERROR;
	}

	/* 7. Run until the VM stops. */
	if (mevent_dispatch(ctx.mev) != 0)
		suspend_vm(&ctx, VMEXIT_ERROR, "event loop failed");
	vcpu_threads_join();
	return ctx.exit_status < 0 ? VMEXIT_ERROR : ctx.exit_status;
}
