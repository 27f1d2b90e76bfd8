/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio 1.x core: split virtqueues, and the PCI transport that device
 * models (virtio-blk, virtio-rnd, ...) are built on.
 *
 * A split virtqueue of N entries (N a power of two, 1..32768) is three
 * areas of guest memory that the driver allocates and the device maps:
 *
 *   descriptor table (16-byte aligned), N entries of 16 bytes:
 *     +0 le64 addr   guest-physical address of a buffer
 *     +8 le32 len    its length
 *    +12 le16 flags  NEXT (1): `next` continues the chain
 *                    WRITE (2): the device writes it (else it reads it)
 *                    INDIRECT (4): addr/len is a table of descriptors
 *    +14 le16 next
 *
 *   available ring (driver area, 2-byte aligned), written by the driver:
 *     +0 le16 flags      NO_INTERRUPT (1): hint, without EVENT_IDX
 *     +2 le16 idx        free-running count of heads made available
 *     +4 le16 ring[N]    chain heads, ring[idx % N]
 *     +4+2N le16 used_event   (EVENT_IDX) interrupt me past this index
 *
 *   used ring (device area, 4-byte aligned), written by the device:
 *     +0 le16 flags      NO_NOTIFY (1): hint, without EVENT_IDX
 *     +2 le16 idx        free-running count of chains returned
 *     +4 {le32 id, le32 len} ring[N]   head and bytes written
 *     +4+8N le16 avail_event  (EVENT_IDX) kick me past this index
 *
 * The driver fills buffers, puts the chain head in avail->ring and bumps
 * avail->idx, then notifies ("kicks") the device unless suppressed.  The
 * device walks the chain, does the work, puts {head, len} in used->ring,
 * bumps used->idx and interrupts the driver unless suppressed.
 *
 * Everything in these areas belongs to a possibly hostile guest and may
 * change under our feet.  The chain walker (vq_getchain) reads every
 * descriptor exactly once into a local copy, checks each index, address
 * and length against the ring and guest RAM (vm_map_gpa), bounds the
 * chain length (loops end there), allows one level of INDIRECT only, and
 * hands the model an iovec list of host pointers that all lie inside
 * guest RAM.  Anything wrong makes the queue "broken": the device sets
 * NEEDS_RESET in device_status, raises a configuration-change interrupt
 * and takes no more chains until the driver resets it.
 *
 * Threads.  Each device has one worker thread (virtio_worker.c) that owns
 * the rings while the device runs: kicks arrive there (an ioeventfd per
 * queue), the model's vc_qnotify walks chains there, and completions are
 * published there.  vCPU threads touch only the transport registers
 * (virtio_pci.c) under the locks: pi_lock, then vs_mtx (the PCI core's
 * order).  A device reset waits until the worker has quiesced (the
 * model's vc_quiesce finished every request in flight) before it clears
 * anything.  The worker never holds vs_mtx while it takes pi_lock.
 */
#ifndef ZHYVE_VIRTIO_H
#define ZHYVE_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;
struct pci_devinst;
struct config_node;

/* --- constants from the virtio 1.x specification ------------------------- */

#define VIRTIO_VENDOR		0x1AF4
#define VIRTIO_DEV_MODERN_BASE	0x1040	/* PCI device id = base + type */

#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_ENTROPY	4

/* device_status */
#define VIRTIO_S_ACKNOWLEDGE	0x01
#define VIRTIO_S_DRIVER		0x02
#define VIRTIO_S_DRIVER_OK	0x04
#define VIRTIO_S_FEATURES_OK	0x08
#define VIRTIO_S_NEEDS_RESET	0x40
#define VIRTIO_S_FAILED		0x80

/* Transport and ring features (bits 28..); models own bits 0..23. */
#define VIRTIO_F_INDIRECT_DESC	(1ULL << 28)
#define VIRTIO_F_EVENT_IDX	(1ULL << 29)
#define VIRTIO_F_VERSION_1	(1ULL << 32)
#define VIRTIO_F_ACCESS_PLATFORM (1ULL << 33)	/* never offered */

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY	1

#define VIRTIO_MSI_NO_VECTOR	0xFFFF
#define VQ_MAX_SIZE		32768	/* the split-ring maximum */

/* ISR status bits (INTx mode). */
#define VIRTIO_ISR_QUEUE	0x1
#define VIRTIO_ISR_CONFIG	0x2

/* --- virtqueues (virtio_ring.c) --------------------------------------------- */

struct vqueue;
struct virtio_softc;

/* Called (worker thread, no lock held) when a queue turns out broken. */
typedef void vq_broken_fn(struct vqueue *vq, const char *why);

struct vqueue {
	struct virtio_softc *vq_vs;	/* NULL for a queue used alone (tests) */
	struct vm *vq_vm;
	int vq_num;
	uint16_t vq_maxsize;	/* what the device offers */

	/* Driver-programmed (vCPU threads, vs_mtx; fixed while running). */
	uint16_t vq_size;
	uint16_t vq_msix;	/* MSI-X vector or VIRTIO_MSI_NO_VECTOR */
	bool vq_enabled;
	uint64_t vq_desc_gpa, vq_avail_gpa, vq_used_gpa;

	/* Set by vq_map(): host views of the three areas, inside guest RAM. */
	uint8_t *vq_desc;
	uint8_t *vq_avail;
	uint8_t *vq_used;
	uint64_t vq_features;	/* negotiated: EVENT_IDX, INDIRECT_DESC */

	/* Worker-thread state. */
	uint16_t vq_last_avail;	/* next avail entry to take */
	uint16_t vq_used_idx;	/* our copy of used->idx */
	uint16_t vq_signalled;	/* used_idx at the last interrupt decision */
	bool vq_signalled_valid;
	bool vq_broken;
	vq_broken_fn *vq_on_broken;

	/* Notification plumbing (virtio_pci.c / virtio_notify.c). */
	int vq_kickfd;		/* eventfd the guest's notify write signals */
	bool vq_kick_bound;	/* registered as an ioeventfd */
	uint32_t vq_kick_len;	/* the length it was registered with */
};

/* What vq_getchain() found. */
struct vq_chain {
	uint16_t head;		/* to give back with vq_relchain() */
	uint16_t niov;		/* iov[0..niov) */
	uint16_t nread;		/* iov[0..nread) device-readable, rest writable */
	uint64_t rlen;		/* bytes readable */
	uint64_t wlen;		/* bytes writable */
};

/* Initialize a queue (not mapped, size = maxsize). */
void vq_init(struct vqueue *vq, struct vm *vm, int num, uint16_t maxsize);
/*
 * Map the three areas from vq_size and the three addresses, after checking
 * size (power of two, <= maxsize), alignment and that each area is RAM.
 * Resets the ring indices.  0, or -1 with a reason in why.
 */
int vq_map(struct vqueue *vq, uint64_t features, char *why, size_t whylen);
/* Forget the mapping and the driver's settings (device reset). */
void vq_reset(struct vqueue *vq);
bool vq_ready(const struct vqueue *vq);	/* mapped and not broken */

/*
 * Take the next available chain.  iov has room for `cap` entries, which
 * must be at least vq_size for every valid chain to fit.  Returns 1 with
 * *ch and iov filled, 0 if nothing is available (or the queue is not
 * ready), -1 if the ring is broken (the queue is then marked broken and
 * vq_on_broken was called).
 */
int vq_getchain(struct vqueue *vq, struct vq_chain *ch, struct iovec *iov,
    int cap);
/* Undo the last vq_getchain() (the device cannot take it yet). */
void vq_retchain(struct vqueue *vq);
/* Publish one used entry: `len` bytes were written into the chain. */
void vq_relchain(struct vqueue *vq, uint16_t head, uint32_t len);
/* After a batch of vq_relchain(): should the driver be interrupted? */
bool vq_need_interrupt(struct vqueue *vq);
/*
 * After draining the ring: ask for kicks again (EVENT_IDX: publish
 * avail_event) and return true if more chains arrived meanwhile, in which
 * case the caller drains again.
 */
bool vq_kicks_on(struct vqueue *vq);
/* Any chain available? */
bool vq_has_avail(struct vqueue *vq);
/* Mark broken and tell vq_on_broken (worker thread). */
void vq_set_broken(struct vqueue *vq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* iovec helpers: copy between a list and a flat buffer from byte `skip`;
 * return the bytes copied. */
size_t iov_to_buf(const struct iovec *iov, int n, size_t skip, void *buf,
    size_t len);
size_t buf_to_iov(const void *buf, size_t len, const struct iovec *iov,
    int n, size_t skip);

/* --- device models on the PCI transport ------------------------------------ */

/* One const descriptor per model; hooks may be NULL unless noted. */
struct virtio_consts {
	const char *vc_name;
	uint16_t vc_devtype;		/* VIRTIO_ID_* */
	uint8_t vc_class, vc_subclass;	/* PCI class code */
	int vc_nvq;			/* queues, 1..64 */
	uint16_t vc_qsize;		/* largest queue size offered */

	/*
	 * Worker thread.  Required: the driver kicked `vq` (or the device
	 * just started and should look at it).  Walk chains with
	 * vq_getchain(); publish with vq_relchain(); interrupt with
	 * virtio_vq_interrupt() after vq_need_interrupt().
	 */
	void (*vc_qnotify)(struct virtio_softc *vs, struct vqueue *vq);
	/*
	 * Worker thread: finish or cancel every request in flight; when it
	 * returns, the model touches no guest memory until the next start.
	 * Nothing is published to the rings any more.
	 */
	void (*vc_quiesce)(struct virtio_softc *vs);
	/* vCPU thread, vs_mtx held, after vc_quiesce: back to power-on. */
	void (*vc_reset)(struct virtio_softc *vs);
	/* vCPU thread, vs_mtx held: the driver set FEATURES_OK with these. */
	void (*vc_features)(struct virtio_softc *vs, uint64_t negotiated);
	/* vCPU thread, vs_mtx held: a write to the device config area. */
	void (*vc_cfgwrite)(struct virtio_softc *vs, int off, int size,
	    uint32_t val);
	/* After the worker stopped (exit, tests): free the model's state. */
	void (*vc_destroy)(struct virtio_softc *vs);
};

/* An MSI-X vector as the interrupt side sees it (virtio_notify.c). */
struct virtio_vec {
	int fd;			/* eventfd bound to `gsi` with irqfd, or -1 */
	int gsi;		/* MSI route, or -1 */
	uint64_t addr;		/* the message the route holds */
	uint32_t data;
	bool live;		/* atomic: unmasked and bound, signal fd */
};

/* Something the worker thread watches (virtio_worker.c). */
struct virtio_wsrc {
	int kind;		/* kick, control or model fd */
	int fd;
	int qnum;		/* kick: the queue */
	void (*fn)(struct virtio_softc *vs, void *arg);
	void *arg;
};
#define VIRTIO_MAX_WSRC	4	/* model fds per device */

/*
 * The transport's state; a model's own struct begins with it (so the
 * model may cast a struct virtio_softc * to its own type).
 */
struct virtio_softc {
	const struct virtio_consts *vs_vc;
	bool vs_inited;			/* virtio_pci_init() ran */
	struct pci_devinst *vs_pi;
	struct vm *vs_vm;
	char vs_name[48];		/* "virtio-blk pci.0.4.0" for messages */

	pthread_mutex_t vs_mtx;		/* registers below; after pi_lock */
	pthread_cond_t vs_cv;		/* quiesce handshake */
	uint64_t vs_dev_features;	/* offered (set by the model at init) */
	uint64_t vs_drv_features;	/* written by the driver */
	uint64_t vs_negotiated;		/* valid once FEATURES_OK */
	uint32_t vs_dfselect, vs_gfselect;
	uint8_t vs_status;		/* NEEDS_RESET set atomically */
	uint8_t vs_cfggen;
	uint16_t vs_queue_sel;
	uint16_t vs_msix_config;
	uint32_t vs_isr;		/* atomic; INTx mode */

	int vs_nvq;
	struct vqueue *vs_queues;
	uint8_t *vs_cfg;		/* device config area (model's) */
	size_t vs_cfgsize;

	/* Interrupts: one vector per queue plus config; none if !vs_has_msix. */
	bool vs_has_msix;
	bool vs_msix_on;		/* atomic copy of the MSI-X enable */
	int vs_nvec;
	struct virtio_vec *vs_vecs;

	/* The register BAR while it decodes (ioeventfds are bound there). */
	bool vs_bar_on;
	uint64_t vs_bar_addr;
	int vs_pcicfg_off;		/* VIRTIO_PCI_CAP_PCI_CFG offset */

	/* Worker thread (virtio_worker.c). */
	pthread_t vs_thread;
	bool vs_thread_up;
	int vs_epfd;
	int vs_ctlfd;
	struct virtio_wsrc *vs_wsrc;	/* ctl, one per queue, model fds */
	int vs_nwsrc;
	bool vs_running;		/* worker thread only: queues served */
	bool vs_live;			/* atomic: DRIVER_OK and not reset */
	uint32_t vs_start_gen;		/* vs_mtx: bumped on DRIVER_OK */
	uint32_t vs_quiesce_req;	/* vs_mtx */
	uint32_t vs_quiesce_ack;	/* vs_mtx */
	bool vs_exit;			/* vs_mtx */
	bool vs_broken_logged;
};

/*
 * Model init helpers (main thread, from pe_init).  virtio_pci_init() sets
 * up the PCI identity, the register BAR and its capabilities, MSI-X (unless
 * config key virtio_msix is false), INTx, the queues and the worker thread.
 * The model sets vs_dev_features (its own bits; the core adds VERSION_1,
 * INDIRECT_DESC and EVENT_IDX) and vs_cfg/vs_cfgsize before calling it.
 * 0, or -1 after pci_emul_seterr().
 */
int virtio_pci_init(struct virtio_softc *vs, const struct virtio_consts *vc,
    struct pci_devinst *pi, struct config_node *nvl);
/* Stop the worker, unbind everything, free the queues (not vs itself). */
void virtio_pci_fini(struct virtio_softc *vs);
/*
 * Tear a virtio device down (exit, tests): virtio_pci_fini(), then the
 * model's vc_destroy.  Not a PCI core hook yet, so callers call it.
 */
void virtio_pci_destroy(struct pci_devinst *pi);

/* The pci_devemu hooks every virtio model uses (virtio_pci.c). */
void virtio_pci_barwrite(struct pci_devinst *pi, int baridx, uint64_t off,
    int size, uint64_t val);
uint64_t virtio_pci_barread(struct pci_devinst *pi, int baridx, uint64_t off,
    int size);
int virtio_pci_cfgwrite(struct pci_devinst *pi, int off, int size,
    uint32_t val);
int virtio_pci_cfgread(struct pci_devinst *pi, int off, int size,
    uint32_t *val);
void virtio_pci_baraddr(struct pci_devinst *pi, int baridx, bool enabled,
    uint64_t addr);
void virtio_pci_msix_update(struct pci_devinst *pi, int vector);

/* Register BAR layout (BAR 0, 32-bit memory; MSI-X table in BAR 1). */
#define VIRTIO_BAR		0
#define VIRTIO_MSIX_BAR		1
#define VIRTIO_BAR_SIZE		0x4000
#define VIRTIO_COMMON_OFF	0x0000
#define VIRTIO_COMMON_SIZE	0x38
#define VIRTIO_ISR_OFF		0x1000
#define VIRTIO_DEVCFG_OFF	0x2000
#define VIRTIO_NOTIFY_OFF	0x3000
#define VIRTIO_NOTIFY_MULT	4	/* bytes between queue doorbells */

/* --- interrupts and kicks (virtio_notify.c; any thread, no vs lock) ---- */

/* The driver should look at vq's used ring. */
void virtio_vq_interrupt(struct virtio_softc *vs, struct vqueue *vq);
/* The device config (or status: NEEDS_RESET) changed. */
void virtio_config_interrupt(struct virtio_softc *vs);
/* Set NEEDS_RESET, log once, raise the config interrupt (worker thread). */
void virtio_needs_reset(struct virtio_softc *vs, const char *why);
/* Read-and-clear the ISR (vCPU thread, pi_lock held). */
uint8_t virtio_isr_read(struct virtio_softc *vs);
/* ioeventfds for every queue at the BAR's address (pi_lock held). */
void virtio_kicks_bind(struct virtio_softc *vs, bool on, uint64_t bar_addr);
/* Recompute vector state after an MSI-X change (pi_lock held). */
void virtio_vectors_update(struct virtio_softc *vs, int vector);
int virtio_notify_init(struct virtio_softc *vs);
void virtio_notify_fini(struct virtio_softc *vs);

/* --- the worker thread (virtio_worker.c) ------------------------------------ */

typedef void virtio_fd_fn(struct virtio_softc *vs, void *arg);

int virtio_worker_init(struct virtio_softc *vs);
/*
 * Watch another fd (backend completions, a timer) on the worker.  From
 * pe_init, after virtio_pci_init() (epoll_ctl is thread-safe and the
 * entry is complete before the worker can see it).
 */
int virtio_worker_add_fd(struct virtio_softc *vs, int fd, virtio_fd_fn *fn,
    void *arg);
int virtio_worker_start_thread(struct virtio_softc *vs);
/* Tell the worker the device went live (vCPU thread, vs_mtx held). */
void virtio_worker_go_live(struct virtio_softc *vs);
/*
 * Make the worker finish everything in flight and stop using the rings;
 * returns once it has (vCPU thread, vs_mtx held; waits on vs_cv).  With
 * no worker thread (tests), runs vc_quiesce inline.
 */
void virtio_worker_quiesce(struct virtio_softc *vs);
void virtio_worker_fini(struct virtio_softc *vs);
/*
 * Take pi_lock from the worker for an interrupt that needs the PCI core;
 * false (lock not taken) if a reset is waiting for the worker, in which
 * case the interrupt is dropped (the reset clears it anyway).
 */
bool virtio_worker_lock_pi(struct virtio_softc *vs);
/* True on the device's worker thread. */
bool virtio_on_worker(struct virtio_softc *vs);

/* Little-endian config-area helpers for models. */
static inline void
virtio_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
virtio_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
virtio_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
