/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kvmfloor: the smallest VMM the benchmarks compare against.  It talks to
 * /dev/kvm with its own ioctls (deliberately not through libvmm), so its
 * costs are the floor any VMM on this host can reach:
 *
 *   - guest RAM at 0 (default 128 MiB), the ROM read-only at 4 GiB - size,
 *     its last 64 KiB also read-only at 0xF0000 (as zhyve maps a bootrom);
 *   - in-kernel irqchip and PIT, as a VMM would create them (-i picks
 *     another interrupt set-up, to show what each piece costs);
 *   - one vCPU from its reset state, CPUID as the kernel supports it;
 *   - port I/O handled minimally: COM1 THR writes go to stdout (one
 *     write(2) per byte), LSR reads 0x60, a write with bit 2 set to 0xCF9
 *     (reset) exits 0; every other port reads all-ones and ignores writes.
 *     MMIO outside memory reads all-ones and ignores writes.
 *
 * Exit status as bhyve/zhyve: 0 reset, 1 power off, 2 halt (only without
 * an in-kernel local APIC: -i none), 3 triple fault, 4 error.  Single-threaded: main() runs the vCPU.
 *
 *   kvmfloor [-m SIZE] [-i IRQ] ROM
 *	SIZE: bytes, or with a K/M/G suffix (default 128M)
 *	IRQ:  full   KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2 (default)
 *	      nopit  KVM_CREATE_IRQCHIP only
 *	      split  KVM_CAP_SPLIT_IRQCHIP (local APIC in the kernel only)
 *	      none   no interrupt controller at all
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_RESET	0
#define EXIT_POWEROFF	1
#define EXIT_HALT	2
#define EXIT_TRIPLE	3
#define EXIT_ERROR	4

#define ROM_ALIAS_GPA	0xF0000ull	/* last 64 KiB of the ROM, below 1 MiB */
#define ROM_ALIAS_SIZE	0x10000ull
#define ROM_MAX		(16ull << 20)
#define RAM_MIN		(1ull << 20)
#define RAM_MAX		0xC0000000ull	/* stay below the 32-bit MMIO hole */

#define COM1		0x3F8
#define UART_LCR	3
#define UART_LSR	5
#define LCR_DLAB	0x80
#define PORT_RCR	0xCF9		/* reset control register */

static int vm_fd = -1;
static uint8_t com1_lcr;

static void die(const char *what)
{
	fprintf(stderr, "kvmfloor: %s: %s\n", what, strerror(errno));
	exit(EXIT_ERROR);
}

static void usage(void)
{
	fprintf(stderr, "usage: kvmfloor [-m SIZE] [-i full|nopit|split|none] "
	    "ROM\n");
	exit(EXIT_ERROR);
}

/* "128M", "1G", "4096K", "1048576": bytes, or 0 if malformed. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return 0;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return 0;
	return (uint64_t)v << shift;
}

static void set_slot(uint32_t slot, uint64_t gpa, uint64_t size, void *host,
    int readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
}

/* Reads the ROM file into a fresh anonymous mapping; sets *size. */
static void *load_rom(const char *path, uint64_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "kvmfloor: ROM %s: %s\n", path, strerror(errno));
		exit(EXIT_ERROR);
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < ROM_ALIAS_SIZE ||
	    (uint64_t)st.st_size > ROM_MAX || st.st_size % 4096) {
		fprintf(stderr, "kvmfloor: ROM %s: size must be a multiple of "
		    "4 KiB from 64 KiB to 16 MiB\n", path);
		exit(EXIT_ERROR);
	}
	*size = (uint64_t)st.st_size;
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap ROM");
	for (uint64_t off = 0; off < *size;) {
		ssize_t n = read(fd, (char *)p + off, *size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "kvmfloor: ROM %s: short read\n", path);
			exit(EXIT_ERROR);
		}
		off += (uint64_t)n;
	}
	close(fd);
	return p;
}

static void set_cpuid(int kvm_fd, int vcpu_fd)
{
	struct kvm_cpuid2 *c = NULL;

	for (uint32_t n = 64; n <= 4096; n *= 2) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			die("calloc");
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID");
	}
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		die("KVM_SET_CPUID2");
	free(c);
}

static void put_byte(uint8_t b)
{
	/* Unbuffered, as a serial console is; a closed stdout is ignored. */
	while (write(STDOUT_FILENO, &b, 1) < 0 && errno == EINTR)
		;
}

/* One port access of `size` bytes; returns 1 if the guest asked for a reset. */
static int pio(uint16_t port, int out, uint8_t *data, unsigned size)
{
	if (out) {
		if (port == COM1 && size == 1 && !(com1_lcr & LCR_DLAB))
			put_byte(data[0]);
		else if (port == COM1 + UART_LCR && size == 1)
			com1_lcr = data[0];
		else if (port == PORT_RCR && size == 1 && (data[0] & 0x04))
			return 1;
		return 0;
	}
	if (port == COM1 + UART_LSR && size == 1)
		data[0] = 0x60;		/* THR and transmitter empty */
	else
		memset(data, 0xff, size);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t ram_size = 128ull << 20, rom_size;
	uint8_t *ram, *rom;
	struct kvm_run *run;
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t ident = 0xfffbc000;
	const char *irq = "full";
	int kvm_fd, vcpu_fd, opt, mmap_size;

	while ((opt = getopt(argc, argv, "m:i:")) != -1) {
		switch (opt) {
		case 'i':
			irq = optarg;
			if (strcmp(irq, "full") && strcmp(irq, "nopit") &&
			    strcmp(irq, "split") && strcmp(irq, "none")) {
				fprintf(stderr, "kvmfloor: -i %s: want full, "
				    "nopit, split or none\n", irq);
				return EXIT_ERROR;
			}
			break;
		case 'm':
			ram_size = parse_size(optarg);
			if (ram_size < RAM_MIN || ram_size > RAM_MAX ||
			    ram_size % 4096) {
				fprintf(stderr, "kvmfloor: -m %s: want a multiple "
				    "of 4 KiB from 1M to 3G\n", optarg);
				return EXIT_ERROR;
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	rom = load_rom(argv[optind], &rom_size);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "kvmfloor: unexpected KVM API version\n");
		return EXIT_ERROR;
	}
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		die("KVM_SET_TSS_ADDR");
	if (ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		die("KVM_SET_IDENTITY_MAP_ADDR");
	if (!strcmp(irq, "full") || !strcmp(irq, "nopit")) {
		if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
			die("KVM_CREATE_IRQCHIP");
	} else if (!strcmp(irq, "split")) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_SPLIT_IRQCHIP,
			.args = { 24 },		/* IOAPIC routes */
		};

		if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			die("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)");
	}
	if (!strcmp(irq, "full") && ioctl(vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		die("KVM_CREATE_PIT2");

	ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap RAM");
	/* RAM around the ROM alias at 0xF0000..0xFFFFF. */
	set_slot(0, 0, ROM_ALIAS_GPA, ram, 0);
	set_slot(1, ROM_ALIAS_GPA, ROM_ALIAS_SIZE,
	    rom + rom_size - ROM_ALIAS_SIZE, 1);
	if (ram_size > ROM_ALIAS_GPA + ROM_ALIAS_SIZE)
		set_slot(2, ROM_ALIAS_GPA + ROM_ALIAS_SIZE,
		    ram_size - (ROM_ALIAS_GPA + ROM_ALIAS_SIZE),
		    ram + ROM_ALIAS_GPA + ROM_ALIAS_SIZE, 0);
	set_slot(3, (1ull << 32) - rom_size, rom_size, rom, 1);

	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	set_cpuid(kvm_fd, vcpu_fd);
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(*run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    vcpu_fd, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	for (;;) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;
			unsigned sz = run->io.size;

			if (sz != 1 && sz != 2 && sz != 4)
				break;
			if (run->io.data_offset > (uint64_t)mmap_size ||
			    (uint64_t)run->io.count * sz >
			    (uint64_t)mmap_size - run->io.data_offset)
				break;
			for (uint32_t i = 0; i < run->io.count; i++, d += sz)
				if (pio(run->io.port,
				    run->io.direction == KVM_EXIT_IO_OUT, d, sz))
					return EXIT_RESET;
			break;
		}
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_HLT:
			return EXIT_HALT;
		case KVM_EXIT_SHUTDOWN:
			return EXIT_TRIPLE;
		case KVM_EXIT_SYSTEM_EVENT:
			return run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
			    EXIT_RESET : EXIT_POWEROFF;
		case KVM_EXIT_INTR:
			break;
		default:
			fprintf(stderr, "kvmfloor: unhandled exit reason %u\n",
			    run->exit_reason);
			return EXIT_ERROR;
		}
	}
}
