/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libvmm core: VM and vCPU handles on /dev/kvm, interrupt injection, GSI
 * routing, irqfd and ioeventfd, and the vCPU run loop's exit decoding.
 *
 * Threads: vm_* may be called from any thread (routing changes take
 * vm->lock); vcpu_run() only from the vCPU's own thread; vcpu_kick() from
 * any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm_impl.h"

/* KVM's VMX needs three pages of the guest-physical hole for itself. */
#define VM_IDENTITY_MAP_ADDR	0xFEFFC000ULL
#define VM_TSS_ADDR		0xFEFFD000ULL

static struct vm *
vm_alloc(const char *name, bool fake)
{
	struct vm *vm;

	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return NULL;
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->fake = fake;
	vm->kvm_fd = -1;
	vm->vm_fd = -1;
	vm->next_gsi = IOAPIC_PINS;
	pthread_mutex_init(&vm->lock, NULL);
	return vm;
}

static int
kvm_check_cap(int fd, int cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

struct vm *
vm_create(const char *name, char *err, size_t errlen)
{
	static const struct { int cap; const char *what; } needed[] = {
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_SIGNAL_MSI, "MSI injection" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
		{ KVM_CAP_READONLY_MEM, "read-only memory slots" },
	};
	struct vm *vm;
	int r;

	vm = vm_alloc(name, false);
	if (vm == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s%s",
		    strerror(errno), errno == ENOENT ?
		    " (is the kvm module loaded and virtualization enabled?)" :
		    errno == EACCES ? " (is this user in the kvm group?)" : "");
		goto fail;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm speaks API version %d, "
		    "zhyve needs %d", r, KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!kvm_check_cap(vm->kvm_fd, needed[i].cap)) {
			snprintf(err, errlen, "this kernel's KVM lacks %s",
			    needed[i].what);
			goto fail;
		}
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s",
		    strerror(errno));
		goto fail;
	}
	vm->max_vcpus = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = kvm_check_cap(vm->kvm_fd, KVM_CAP_NR_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = 1;
	do {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	(void)fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR,
	    &(uint64_t){ VM_IDENTITY_MAP_ADDR }) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0) {
		snprintf(err, errlen, "cannot place KVM's TSS: %s",
		    strerror(errno));
		goto fail;
	}
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

struct vm *
vm_create_fake(const char *name)
{
	return vm_alloc(name, true);
}

void
vm_destroy(struct vm *vm)
{
	if (vm == NULL)
		return;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm_mem_free(vm);
	free(vm->routing);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

const char *
vm_name(const struct vm *vm)
{
	return vm->name;
}

bool
vm_is_fake(const struct vm *vm)
{
	return vm->fake;
}

int
vm_kvm_set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t len,
    void *hva, bool readonly, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		snprintf(err, errlen, "cannot map guest memory at 0x%llx "
		    "(0x%llx bytes): %s", (unsigned long long)gpa,
		    (unsigned long long)len, strerror(errno));
		return -1;
	}
	return 0;
}

/* --- Interrupts --------------------------------------------------------- */

static int
routing_commit(struct vm *vm)
{
	if (vm->fake)
		return 0;
	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm->routing) < 0 ? -1 : 0;
}

static struct kvm_irq_routing_entry *
routing_add(struct vm *vm)
{
	if (vm->routing->nr >= VM_MAX_ROUTES)
		return NULL;
	return memset(&vm->routing->entries[vm->routing->nr++], 0,
	    sizeof(struct kvm_irq_routing_entry));
}

/*
 * The PC routing: GSIs 0-15 reach the PICs and GSIs 0-23 the IOAPIC, with
 * the PIT's GSI 0 wired to IOAPIC pin 2 (the MADT says so with an interrupt
 * source override), as on real chipsets.
 */
static int
routing_init(struct vm *vm)
{
	struct kvm_irq_routing_entry *e;

	vm->routing = calloc(1, sizeof(*vm->routing) +
	    VM_MAX_ROUTES * sizeof(struct kvm_irq_routing_entry));
	if (vm->routing == NULL)
		return -1;
	for (uint32_t gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		e = routing_add(vm);
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
		    KVM_IRQCHIP_PIC_SLAVE;
		e->u.irqchip.pin = gsi % 8;
	}
	for (uint32_t gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		e = routing_add(vm);
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi == 0 ? 2 : gsi;
	}
	return routing_commit(vm);
}

int
vm_create_irqchip(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (vm->fake) {
		if (routing_init(vm) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (routing_init(vm) != 0) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		snprintf(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };

	if (gsi >= IOAPIC_PINS) {
		errno = EINVAL;
		return -1;
	}
	if (vm->fake) {
		pthread_mutex_lock(&vm->lock);
		if (level && !vm->fake_level[gsi])
			vm->fake_pulses[gsi]++;
		vm->fake_level[gsi] = level ? 1 : 0;
		pthread_mutex_unlock(&vm->lock);
		return 0;
	}
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -1 : 0;
}

int
vm_irq_pulse(struct vm *vm, uint32_t gsi)
{
	if (vm_irq_line(vm, gsi, 1) != 0)
		return -1;
	return vm_irq_line(vm, gsi, 0);
}

int
vm_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	if (vm->fake) {
		pthread_mutex_lock(&vm->lock);
		vm->fake_msis++;
		vm->fake_msi_addr = addr;
		vm->fake_msi_data = data;
		pthread_mutex_unlock(&vm->lock);
		return 0;
	}
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

static struct kvm_irq_routing_entry *
route_find(struct vm *vm, int gsi)
{
	for (uint32_t i = 0; i < vm->routing->nr; i++)
		if ((int)vm->routing->entries[i].gsi == gsi &&
		    vm->routing->entries[i].type == KVM_IRQ_ROUTING_MSI)
			return &vm->routing->entries[i];
	return NULL;
}

int
vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry *e;
	int gsi = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->routing == NULL || (e = routing_add(vm)) == NULL) {
		errno = vm->routing == NULL ? EINVAL : ENOSPC;
		goto out;
	}
	e->gsi = vm->next_gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	if (routing_commit(vm) != 0) {
		vm->routing->nr--;
		goto out;
	}
	gsi = (int)vm->next_gsi++;
out:
	pthread_mutex_unlock(&vm->lock);
	return gsi;
}

int
vm_msi_route_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry *e, old;
	int r = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->routing == NULL || (e = route_find(vm, gsi)) == NULL) {
		errno = ENOENT;
		goto out;
	}
	old = *e;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	r = routing_commit(vm);
	if (r != 0)
		*e = old;
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int
vm_msi_route_del(struct vm *vm, int gsi)
{
	struct kvm_irq_routing_entry *e;
	int r = -1;

	pthread_mutex_lock(&vm->lock);
	if (vm->routing == NULL || (e = route_find(vm, gsi)) == NULL) {
		errno = ENOENT;
		goto out;
	}
	*e = vm->routing->entries[--vm->routing->nr];
	r = routing_commit(vm);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int
vm_irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (vm->fake)
		return 0;
	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -1 : 0;
}

int
vm_ioeventfd(struct vm *vm, int fd, uint64_t addr, uint32_t len, bool pio,
    bool match_data, uint64_t data, bool assign)
{
	struct kvm_ioeventfd ev = {
		.datamatch = match_data ? data : 0,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
		    (match_data ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
		    (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (vm->fake)
		return 0;
	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &ev) < 0 ? -1 : 0;
}

/* --- Fake VM instrumentation -------------------------------------------- */

/* The recorded values are written under vm->lock by whichever thread
 * injects; read them under it too.  The lock is not part of the VM's
 * logical state, hence the casts. */
int
vm_fake_irq_level(const struct vm *vm, uint32_t gsi)
{
	int v;

	if (gsi >= VM_FAKE_GSIS)
		return -1;
	pthread_mutex_lock((pthread_mutex_t *)&vm->lock);
	v = vm->fake_level[gsi];
	pthread_mutex_unlock((pthread_mutex_t *)&vm->lock);
	return v;
}

unsigned
vm_fake_irq_pulses(const struct vm *vm, uint32_t gsi)
{
	unsigned v;

	if (gsi >= VM_FAKE_GSIS)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&vm->lock);
	v = vm->fake_pulses[gsi];
	pthread_mutex_unlock((pthread_mutex_t *)&vm->lock);
	return v;
}

unsigned
vm_fake_msi_count(const struct vm *vm)
{
	unsigned v;

	pthread_mutex_lock((pthread_mutex_t *)&vm->lock);
	v = vm->fake_msis;
	pthread_mutex_unlock((pthread_mutex_t *)&vm->lock);
	return v;
}

void
vm_fake_last_msi(const struct vm *vm, uint64_t *addr, uint32_t *data)
{
	pthread_mutex_lock((pthread_mutex_t *)&vm->lock);
	*addr = vm->fake_msi_addr;
	*data = vm->fake_msi_data;
	pthread_mutex_unlock((pthread_mutex_t *)&vm->lock);
}

/* --- vCPUs -------------------------------------------------------------- */

int
vm_max_vcpus(struct vm *vm)
{
	return vm->fake ? 1024 : vm->max_vcpus;
}

struct vcpu *
vcpu_create(struct vm *vm, int id, char *err, size_t errlen)
{
	struct vcpu *vcpu;
	void *run;

	vcpu = calloc(1, sizeof(*vcpu));
	if (vcpu == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = -1;
	if (vm->fake)
		return vcpu;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", id,
		    strerror(errno));
		free(vcpu);
		return NULL;
	}
	(void)fcntl(vcpu->fd, F_SETFD, FD_CLOEXEC);
	run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		snprintf(err, errlen, "mmap of vCPU %d run area: %s", id,
		    strerror(errno));
		close(vcpu->fd);
		free(vcpu);
		return NULL;
	}
	vcpu->run = run;
	return vcpu;
}

void
vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu == NULL)
		return;
	if (vcpu->run != NULL)
		munmap(vcpu->run, (size_t)vcpu->vm->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu);
}

int
vcpu_id(const struct vcpu *vcpu)
{
	return vcpu->id;
}

struct vm *
vcpu_vm(const struct vcpu *vcpu)
{
	return vcpu->vm;
}

void
vcpu_set_kick_signal(struct vcpu *vcpu, int signo)
{
	(void)signo;
	vcpu->thread = pthread_self();
	__atomic_store_n(&vcpu->thread_set, true, __ATOMIC_RELEASE);
}

/*
 * immediate_exit covers the window before the thread enters KVM_RUN; the
 * signal interrupts a KVM_RUN already in progress.
 */
void
vcpu_kick(struct vcpu *vcpu, int signo)
{
	if (vcpu->run != NULL)
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vcpu->thread_set, __ATOMIC_ACQUIRE))
		pthread_kill(vcpu->thread, signo);
}

static void
decode_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	uint64_t bytes;

	memset(exit, 0, sizeof(*exit));
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		bytes = (uint64_t)run->io.size * run->io.count;
		/* The kernel chose these; check them anyway. */
		if (run->io.data_offset > (uint64_t)vcpu->vm->run_size ||
		    bytes > (uint64_t)vcpu->vm->run_size - run->io.data_offset ||
		    run->io.count == 0) {
			exit->code = VM_EXIT_UNKNOWN;
			exit->u.unknown.reason = run->exit_reason;
			break;
		}
		exit->code = VM_EXIT_INOUT;
		exit->u.inout.port = run->io.port;
		exit->u.inout.size = run->io.size;
		exit->u.inout.in = run->io.direction == KVM_EXIT_IO_IN;
		exit->u.inout.count = run->io.count;
		exit->u.inout.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->code = VM_EXIT_MMIO;
		exit->u.mmio.gpa = run->mmio.phys_addr;
		exit->u.mmio.size = run->mmio.len > 8 ? 8 : (uint8_t)run->mmio.len;
		exit->u.mmio.write = run->mmio.is_write;
		exit->u.mmio.data = run->mmio.data;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->code = VM_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			exit->code = VM_EXIT_RESET;
		else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			exit->code = VM_EXIT_POWEROFF;
		else {
			exit->code = VM_EXIT_UNKNOWN;
			exit->u.unknown.reason = run->exit_reason;
			exit->u.unknown.detail = run->system_event.type;
		}
		break;
	case KVM_EXIT_HLT:
		exit->code = VM_EXIT_HLT;
		break;
	case KVM_EXIT_INTR:
		exit->code = VM_EXIT_INTR;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->code = VM_EXIT_INTERNAL;
		exit->u.unknown.reason = run->internal.suberror;
		exit->u.unknown.detail = run->internal.ndata > 0 ?
		    run->internal.data[0] : 0;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->code = VM_EXIT_FAIL_ENTRY;
		exit->u.unknown.reason = run->exit_reason;
		exit->u.unknown.detail =
		    run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		exit->code = VM_EXIT_UNKNOWN;
		exit->u.unknown.reason = run->exit_reason;
		break;
	}
}

int
vcpu_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	if (vcpu->vm->fake) {
		errno = ENOTSUP;
		return -1;
	}
	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			__atomic_store_n(&vcpu->run->immediate_exit, 0,
			    __ATOMIC_SEQ_CST);
			memset(exit, 0, sizeof(*exit));
			exit->code = VM_EXIT_INTR;
			return 0;
		}
		return -1;
	}
	decode_exit(vcpu, exit);
	return 0;
}
