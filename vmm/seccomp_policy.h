/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * zhyve's seccomp policy, as data: every system call a thread may make
 * once its filter is in, with the roles that need it and why.  Included by
 * seccomp_filter.c only, which compiles one filter per role from this table with
 * libseccomp (seccomp_filter.h explains when each thread installs its filter).
 *
 * Roles: M = the main thread (event loop: console, sockets, timers, the
 * device callbacks it runs, and the exit path); V = a vCPU thread (KVM_RUN
 * and the exit handlers, which run device register emulation); W = a device
 * worker thread (block I/O and the like).
 *
 * Anything not listed stops zhyve: the SIGSYS handler names the call and
 * the thread's role, then zhyve is killed by SIGSYS (seccomp_filter.c).  When you
 * add a rule, say in its comment which code needs it on which thread.
 *
 * ioctl requests are compared on their low 32 bits, as the kernel reads
 * them (the request is an unsigned int inside the kernel).
 *
 * Threads: read-only data.
 */
#ifndef ZHYVE_SECCOMP_POLICY_H
#define ZHYVE_SECCOMP_POLICY_H

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/prctl.h>
#include <linux/vhost.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "seccomp_filter.h"

#define M (1u << SECCOMP_ROLE_MAIN)
#define V (1u << SECCOMP_ROLE_VCPU)
#define W (1u << SECCOMP_ROLE_WORKER)
#define ALL (M | V | W)

/* Any arguments. */
#define SYS(name, roles, why) \
	{ #name, (roles), SECCOMP_RULE_ALLOW, -1, 0, 0, (why) }
/* Allowed when (argument `arg` & mask) == value. */
#define SYS_ARG(name, roles, arg, mask, value, why) \
	{ #name, (roles), SECCOMP_RULE_ALLOW, (arg), (mask), (value), (why) }
/* Fails with ENOSYS instead of stopping zhyve. */
#define SYS_ENOSYS(name, roles, why) \
	{ #name, (roles), SECCOMP_RULE_ENOSYS, -1, 0, 0, (why) }
/* One ioctl request. */
#define IOCTL(req, roles, why) \
	{ "ioctl", (roles), SECCOMP_RULE_ALLOW, 1, 0xffffffffu, \
	  (uint32_t)(req), (why) }

static const struct seccomp_rule seccomp_policy_table[] = {
	/* ---- memory ------------------------------------------------------ */
	SYS(brk, ALL, "malloc: growing the heap"),
	SYS_ARG(mmap, ALL, 2, PROT_EXEC, 0, "malloc arenas and large blocks, "
	    "thread stacks; never executable memory"),
	SYS_ARG(mprotect, ALL, 2, PROT_EXEC, 0, "malloc arena growth, stack "
	    "guard pages; never making memory executable"),
	SYS(munmap, ALL, "free() of large blocks; vCPU run areas at exit"),
	SYS(mremap, ALL, "realloc() of large blocks"),
	SYS(madvise, ALL, "free() giving memory back; a thread's stack at "
	    "its exit"),

	/* ---- threads, synchronisation, signals ---------------------------- */
	SYS(futex, ALL, "mutexes and condition variables (device locks, the "
	    "event loop's change list)"),
	SYS(sched_yield, ALL, "spinning locks in libc back off"),
	SYS(getpid, ALL, "pthread_kill() (vCPU kicks) and raise()"),
	SYS(gettid, ALL, "pthread_kill() and thread identity in libc"),
	SYS(tgkill, ALL, "vcpu_kick(): SIGUSR2 to a vCPU thread to leave "
	    "KVM_RUN, from whichever thread stops the VM"),
	SYS(rt_sigprocmask, ALL, "libc blocks signals around thread start "
	    "and exit; pthread_sigmask()"),
	SYS(rt_sigreturn, ALL, "return from the vCPU kick handler (SIGUSR2)"),
	SYS(restart_syscall, ALL, "the kernel restarts a sleep interrupted "
	    "by the kick signal"),
	SYS_ARG(clone, M, 0, CLONE_THREAD, CLONE_THREAD, "pthread_create() of "
	    "a thread started after the main filter (threads only, never a "
	    "new process)"),
	SYS_ENOSYS(clone3, M, "glibc tries clone3 first; its flags cannot be "
	    "checked, so it fails with ENOSYS and glibc falls back to clone"),
	SYS(set_robust_list, M, "start of a new thread (glibc)"),
	SYS(rseq, M, "start of a new thread (glibc registers rseq)"),
	SYS_ARG(prctl, M, 0, ~0ULL, PR_SET_NAME, "a new thread names itself "
	    "(pthread_setname_np)"),
	SYS_ARG(prctl, M, 0, ~0ULL, PR_SET_NO_NEW_PRIVS, "seccomp_install() "
	    "in a thread started after the main filter"),
	SYS(seccomp, M, "seccomp_install() in a thread started after the main "
	    "filter: filters only ever narrow"),
	SYS(exit, ALL, "a thread ends (vCPU threads when the VM stops)"),
	SYS(exit_group, ALL, "zhyve exits with the VM's status"),

	/* ---- time ---------------------------------------------------------- */
	SYS(clock_gettime, ALL, "ACPI PM timer, RTC, event-loop timers (when "
	    "the vDSO cannot answer)"),
	SYS(gettimeofday, ALL, "time() and friends without the vDSO"),
	SYS(time, ALL, "the RTC's host time without the vDSO"),
	SYS(clock_nanosleep, ALL, "usleep() while joining vCPU threads"),
	SYS(nanosleep, ALL, "short sleeps in retry loops"),

	/* ---- descriptors: generic I/O -------------------------------------- */
	SYS(read, ALL, "console input, eventfds, timerfds, signalfds, taps, "
	    "disk images"),
	SYS(write, ALL, "console output, eventfds (wakeups, irqfd kicks), "
	    "taps, disk images, stderr messages"),
	SYS(readv, ALL, "taps and disk images, scatter-gather"),
	SYS(writev, ALL, "taps and disk images, scatter-gather; stdio"),
	SYS(close, ALL, "closing a console connection, deleted events, "
	    "shutdown"),
	SYS_ARG(fcntl, ALL, 1, ~0ULL, F_GETFL, "console and socket set-up: "
	    "read the status flags"),
	SYS_ARG(fcntl, ALL, 1, ~0ULL, F_SETFL, "console and socket set-up: "
	    "O_NONBLOCK, and the console's flags restored at exit"),
	SYS_ARG(fcntl, ALL, 1, ~0ULL, F_GETFD, "descriptor flags"),
	SYS_ARG(fcntl, ALL, 1, ~0ULL, F_SETFD, "close-on-exec"),
	SYS_ARG(fcntl, ALL, 1, ~0ULL, F_DUPFD_CLOEXEC, "mevent_add() keeps "
	    "its own copy of a caller's descriptor (any thread)"),
	SYS(fstat, ALL, "mevent_add() checks what a descriptor is"),
	SYS(newfstatat, ALL, "fstat() in glibc is fstatat(fd, \"\", "
	    "AT_EMPTY_PATH)"),
	SYS(lseek, ALL, "disk images"),
	SYS(poll, ALL, "the console backend checks for a peer without "
	    "blocking"),
	SYS(ppoll, ALL, "poll() on newer libcs"),
	SYS(getrandom, ALL, "virtio-rnd; libc's random seeds"),

	/* ---- event loop (main) ------------------------------------------- */
	SYS(epoll_wait, M | W, "mevent_dispatch(): wait for events; a "
	    "virtio worker waits on its own kick and control eventfds"),
	SYS(epoll_pwait, M | W, "epoll_wait() on libcs that use epoll_pwait"),
	SYS(epoll_ctl, M | W, "mevent applies its change list (only the "
	    "dispatch thread); virtio-net's worker watches its tap in its own "
	    "epoll and switches its vhost eventfds in the worker's"),
	SYS(timerfd_create, M | V, "mevent_add() of a timer at run time "
	    "(device timers the guest programs)"),
	SYS(timerfd_settime, ALL, "arming and disarming event-loop timers; "
	    "device timers on their worker (virtio-rnd's rate bound, "
	    "virtio-net's retry of a failed tap)"),
	SYS(timerfd_gettime, ALL, "reading a timer's remaining time"),
	SYS(eventfd2, M | V, "ioeventfds and irqfds made when the guest "
	    "enables a virtqueue or an MSI-X vector"),

	/* ---- sockets: the console on a UNIX socket (main) ------------------ */
	SYS(accept4, M, "the console socket takes a connection"),
	SYS(recvfrom, M | V, "recv() on the console socket"),
	SYS(sendto, M | V, "send() with MSG_NOSIGNAL on the console socket "
	    "(UART transmit runs on vCPU threads)"),
	SYS(recvmsg, ALL, "socket backends"),
	SYS(sendmsg, ALL, "socket backends (virtio-net sends on a socket "
	    "handed in as fd=N from its worker)"),
	SYS(shutdown, M, "closing the console connection"),
	SYS(unlink, M, "removing the console socket at exit"),
	SYS(unlinkat, M, "unlink() on newer libcs"),

	/* ---- block I/O (virtio-blk on any thread) ------------------------- */
	SYS(pread64, ALL, "disk reads"),
	SYS(pwrite64, ALL, "disk writes"),
	SYS(preadv, ALL, "disk reads, scatter-gather"),
	SYS(pwritev, ALL, "disk writes, scatter-gather"),
	SYS(preadv2, ALL, "disk reads with flags"),
	SYS(pwritev2, ALL, "disk writes with flags"),
	SYS(fsync, ALL, "virtio-blk FLUSH (image files)"),
	SYS(fdatasync, ALL, "virtio-blk FLUSH (image files, block devices)"),
	SYS(fallocate, ALL, "DISCARD (punch hole) and WRITE_ZEROES on image "
	    "files"),
	SYS(io_uring_enter, ALL, "block I/O: liburing's io_uring_submit() "
	    "(and io_uring_peek_cqe() after a CQ overflow) on the ring made "
	    "before the filter; seccomp does not see the ring's operations, "
	    "and block_if_uring.c submits only readv, writev, fsync and "
	    "fallocate on the image"),
	IOCTL(BLKDISCARD, ALL, "DISCARD on a block device"),
	IOCTL(BLKZEROOUT, ALL, "WRITE_ZEROES on a block device"),

	/* ---- KVM: vCPU ------------------------------------------------------ */
	IOCTL(KVM_RUN, V, "run the guest"),
	IOCTL(KVM_GET_REGS, V, "register dump in exit error messages"),
	IOCTL(KVM_SET_REGS, V, "vCPU state set by exit handlers"),
	IOCTL(KVM_GET_SREGS, V, "register dump in exit error messages"),
	IOCTL(KVM_SET_SREGS, V, "vCPU state set by exit handlers"),
	IOCTL(KVM_GET_MSRS, V, "MSR state read by exit handlers"),
	IOCTL(KVM_SET_MSRS, V, "MSR state set by exit handlers"),
	IOCTL(KVM_GET_MP_STATE, V, "vCPU run state"),
	IOCTL(KVM_SET_MP_STATE, V, "vCPU run state"),
	IOCTL(KVM_GET_VCPU_EVENTS, V, "pending exceptions and interrupts"),
	IOCTL(KVM_SET_VCPU_EVENTS, V, "pending exceptions and interrupts"),

	/* ---- KVM: interrupts and the memory map (device code, any of M/V/W) */
	IOCTL(KVM_IRQ_LINE, ALL, "raise or lower an IOAPIC/PIC line (UART, "
	    "ACPI SCI, RTC, legacy INTx)"),
	IOCTL(KVM_IRQ_LINE_STATUS, ALL, "the same, with the delivery status"),
	IOCTL(KVM_SIGNAL_MSI, ALL, "inject an MSI or MSI-X message"),
	IOCTL(KVM_SET_GSI_ROUTING, ALL, "the guest programs an MSI or MSI-X "
	    "vector (on a vCPU thread) or a device reroutes one"),
	IOCTL(KVM_IRQFD, ALL, "attach or detach an irqfd when a vector or a "
	    "virtqueue changes"),
	IOCTL(KVM_IOEVENTFD, ALL, "attach or detach a queue-notify ioeventfd "
	    "when the guest moves a BAR or enables a queue"),
	IOCTL(KVM_SET_USER_MEMORY_REGION, M | V, "the guest moves or enables "
	    "a memory BAR (ROM, framebuffer)"),

	/* ---- tap and vhost-net (virtio-net; the guest's feature choice on a
	 * vCPU thread, vhost start at DRIVER_OK and stop at reset on the
	 * device's worker) ---------------------------------------------------- */
	IOCTL(TUNSETOFFLOAD, ALL, "offloads the guest negotiated"),
	IOCTL(TUNSETVNETHDRSZ, ALL, "virtio-net header size the guest "
	    "negotiated"),
	IOCTL(TUNSETVNETLE, ALL, "little-endian virtio-net headers"),
	IOCTL(VHOST_GET_FEATURES, ALL, "vhost-net: the kernel's features, "
	    "at device reset"),
	IOCTL(VHOST_SET_FEATURES, ALL, "vhost-net: the negotiated features "
	    "at DRIVER_OK"),
	IOCTL(VHOST_SET_MEM_TABLE, ALL, "vhost-net: the guest memory map at "
	    "DRIVER_OK"),
	IOCTL(VHOST_SET_VRING_NUM, ALL, "vhost-net: queue size"),
	IOCTL(VHOST_SET_VRING_ADDR, ALL, "vhost-net: ring addresses"),
	IOCTL(VHOST_SET_VRING_BASE, ALL, "vhost-net: ring start index"),
	IOCTL(VHOST_GET_VRING_BASE, ALL, "vhost-net: ring index at reset"),
	IOCTL(VHOST_SET_VRING_KICK, ALL, "vhost-net: the queue's ioeventfd"),
	IOCTL(VHOST_SET_VRING_CALL, ALL, "vhost-net: the queue's irqfd"),
	IOCTL(VHOST_SET_VRING_ERR, ALL, "vhost-net: the queue's error "
	    "eventfd"),
	IOCTL(VHOST_NET_SET_BACKEND, ALL, "vhost-net: attach or detach the "
	    "tap at DRIVER_OK and reset"),

	/* ---- the console on a terminal (main, at exit) ---------------------- */
	IOCTL(TCGETS, M, "isatty() and tcgetattr() on the console"),
	IOCTL(TCSETS, M, "tcsetattr(): the terminal's mode restored at exit"),
	IOCTL(TCSETSW, M, "tcsetattr(TCSADRAIN)"),
	IOCTL(TIOCGWINSZ, M, "libc asks a terminal its size (stdio "
	    "buffering)"),
};

#undef M
#undef V
#undef W
#undef ALL
#undef SYS
#undef SYS_ARG
#undef SYS_ENOSYS
#undef IOCTL

#endif
