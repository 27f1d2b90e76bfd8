/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net: a network card on a tap, with two data paths.
 *
 *   -s SLOT,virtio-net,BACKEND[,mac=xx:xx:xx:xx:xx:xx][,mtu=N]
 *      [,vhost=on|off][,allow_mac_spoofing]
 *
 * BACKEND is a tap interface name (config key `backend`) or fd=N, a tap
 * already opened by a parent (config key `fd`).  Queues: 0 receive,
 * 1 transmit, 2 control.  Every frame carries the 12-byte virtio 1.x
 * header (struct virtio_net_hdr_v1):
 *
 *   +0 u8 flags (NEEDS_CSUM 1, DATA_VALID 2)   +1 u8 gso_type
 *   +2 le16 hdr_len   +4 le16 gso_size   +6 le16 csum_start
 *   +8 le16 csum_offset   +10 le16 num_buffers (receive, merged buffers)
 *
 * Userspace path (vhost=off, the default): the device's worker thread
 * takes transmit chains when the guest kicks (an ioeventfd), checks the
 * header and the frame (size, offloads, source MAC) from a private copy,
 * and hands the frame to the tap with one writev straight from guest
 * memory.  Receive: the tap's fd wakes the worker; a frame is read
 * straight into the first receive chain, any excess through a bounce
 * buffer into further chains (MRG_RXBUF), and all of a frame's used
 * entries are published at once.
 *
 * vhost path (vhost=on): at DRIVER_OK the worker hands /dev/vhost-net the
 * memory table and the receive/transmit rings, with the queues' doorbell
 * eventfds as kicks and the MSI-X irqfds as calls; the kernel moves the
 * frames.  The control queue stays in zhyve.  Reset stops vhost and reads
 * the ring positions back.  No /dev/vhost-net: a message, then userspace.
 *
 * Hostile guests: the core's chain walker checks every descriptor.  A
 * receive chain with device-readable buffers or shorter than the header,
 * a transmit chain with device-writable buffers or shorter than the
 * header, a control chain without its command or ack byte: the queue is
 * broken (NEEDS_RESET).  A well-formed chain with a bad frame (runt,
 * oversized, offload not negotiated, another source MAC) is dropped and
 * counted, and the guest gets the buffer back.
 *
 * Threads: init/destroy on the main thread; features/reset on vCPU
 * threads with vs_mtx held (the worker is quiesced for reset); everything
 * else on the device's worker thread.
 */
#ifndef ZHYVE_VIRTIO_NET_H
#define ZHYVE_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net_backend.h"
#include "virtio.h"

struct pci_devinst;

/* Feature bits (virtio 1.x, 5.1.3). */
#define VTNET_F_CSUM		(1ULL << 0)
#define VTNET_F_GUEST_CSUM	(1ULL << 1)
#define VTNET_F_MTU		(1ULL << 3)
#define VTNET_F_MAC		(1ULL << 5)
#define VTNET_F_GUEST_TSO4	(1ULL << 7)
#define VTNET_F_GUEST_TSO6	(1ULL << 8)
#define VTNET_F_GUEST_ECN	(1ULL << 9)
#define VTNET_F_GUEST_UFO	(1ULL << 10)
#define VTNET_F_HOST_TSO4	(1ULL << 11)
#define VTNET_F_HOST_TSO6	(1ULL << 12)
#define VTNET_F_HOST_ECN	(1ULL << 13)
#define VTNET_F_HOST_UFO	(1ULL << 14)
#define VTNET_F_MRG_RXBUF	(1ULL << 15)
#define VTNET_F_STATUS		(1ULL << 16)
#define VTNET_F_CTRL_VQ		(1ULL << 17)
#define VTNET_F_CTRL_RX		(1ULL << 18)
#define VTNET_F_CTRL_MAC_ADDR	(1ULL << 23)

/* The header. */
#define VTNET_HDR_LEN		12
#define VTNET_HDR_F_NEEDS_CSUM	1
#define VTNET_HDR_F_DATA_VALID	2
#define VTNET_GSO_NONE		0
#define VTNET_GSO_TCPV4		1
#define VTNET_GSO_UDP		3
#define VTNET_GSO_TCPV6		4
#define VTNET_GSO_ECN		0x80

/* Config space: mac[6], le16 status, le16 max_virtqueue_pairs, le16 mtu. */
#define VTNET_CFG_SIZE		12
#define VTNET_S_LINK_UP		1

/* Control queue: class, command, data..., then the ack byte. */
#define VTNET_CTRL_RX		0
#define VTNET_CTRL_RX_PROMISC	0
#define VTNET_CTRL_RX_ALLMULTI	1
#define VTNET_CTRL_MAC		1
#define VTNET_CTRL_MAC_TABLE_SET 0
#define VTNET_CTRL_MAC_ADDR_SET	1
#define VTNET_CTRL_OK		0
#define VTNET_CTRL_ERR		1

#define VTNET_RXQ		0
#define VTNET_TXQ		1
#define VTNET_CTLQ		2
#define VTNET_NQ		3
#define VTNET_QSIZE		256
#define VTNET_MACTAB		64	/* addresses per filter table */
#define VTNET_ETH_HLEN		14
/* Largest frame (no header) a guest may send: 64 KiB GSO + MAC + VLAN. */
#define VTNET_TX_MAX_FRAME	(65536 + 18)
/* Bounce space behind the first receive chain: any tap frame fits. */
#define VTNET_BOUNCE		(68 * 1024)
/* Frames per worker wake-up before other work gets a turn. */
#define VTNET_BUDGET		256
/* Largest control command taken (MAC tables of ~1300 addresses). */
#define VTNET_CTRL_MAX		8192

/* Counters; the worker adds, anyone may read (relaxed atomics). */
struct vtnet_stats {
	uint64_t tx_frames, tx_bytes;	/* handed to the backend */
	uint64_t rx_frames, rx_bytes;	/* delivered to the guest */
	uint64_t tx_spoofed;	/* dropped: source MAC not the device's */
	uint64_t tx_bad;	/* dropped: runt, oversized, bad header */
	uint64_t tx_errors;	/* dropped: the backend refused (EIO...) */
	uint64_t rx_nobuf;	/* dropped: no or too few guest buffers */
	uint64_t rx_filtered;	/* dropped: not for us (rx mode, tables) */
	uint64_t rx_errors;	/* backend read errors */
	uint64_t ctrl_errors;	/* control commands answered ERR */
};

struct vtnet_used {
	uint32_t id, len;
};

/* The receive filter (control queue; worker thread). */
struct vtnet_filter {
	uint8_t mac[6];		/* current address (ADDR_SET) */
	bool promisc, allmulti;
	int nuc, nmc;
	bool uc_overflow, mc_overflow;
	uint8_t uc[VTNET_MACTAB][6];
	uint8_t mc[VTNET_MACTAB][6];
};

struct vtnet_softc {
	struct virtio_softc vs;		/* first: the core casts */
	uint8_t cfg[VTNET_CFG_SIZE];

	/* Configuration (main thread at init; fixed afterwards). */
	struct net_backend be;
	uint8_t mac_cfg[6];		/* the administrator's (or generated) */
	uint16_t mtu;
	bool allow_spoof;
	bool use_vhost;			/* vhost opened: the kernel path */
	struct vhost_net vh;

	/* Negotiated features: set at FEATURES_OK, read by the worker. */
	uint64_t feat;

	/* Worker thread. */
	bool started;			/* the data path runs (since DRIVER_OK) */
	int epfd;			/* private epoll, watched by the worker */
	int timerfd;			/* backend retry */
	uint32_t watching;		/* EPOLLIN/EPOLLOUT registered on the tap */
	bool rx_wait;			/* no receive buffers: tap not read */
	bool tx_wait;			/* backend full: waiting for EPOLLOUT */
	bool be_down;			/* backend failed; retried on the timer */
	bool retrying;			/* the timer re-enabled it: on probation */
	unsigned backoff_ms;
	struct vtnet_filter flt;
	bool logged_spoof, logged_txerr;

	/* vhost (worker thread). */
	bool vh_running;
	bool vh_ring[2];		/* RX, TX handed to vhost */
	int vh_relay[2];		/* call eventfds relayed by the worker */
	int vh_err[2];			/* error eventfds */

	/* Scratch (worker thread). */
	struct iovec iov[VTNET_QSIZE];
	struct iovec xiov[VTNET_QSIZE + 4];
	struct vtnet_used used[VTNET_QSIZE];
	uint8_t *bounce;

	struct vtnet_stats st;
};

#define VTNET_COUNT(sc, field, n) \
	__atomic_fetch_add(&(sc)->st.field, (uint64_t)(n), __ATOMIC_RELAXED)

/* --- virtio_net.c ----------------------------------------------------------- */

/* The deterministic MAC for a VM name and a PCI slot: locally
 * administered, unicast. */
void vtnet_gen_mac(const char *vmname, int bus, int slot, int func,
    uint8_t mac[6]);
/* "xx:xx:xx:xx:xx:xx" (or '-' separated); 0, or -1 if malformed. */
int vtnet_parse_mac(const char *s, uint8_t mac[6]);
/* A copy of the device's counters; -1 if pi is not a virtio-net. */
int virtio_net_stats(struct pci_devinst *pi, struct vtnet_stats *out);
/* Features offered for a backend (vnet header or not) and MTU option. */
uint64_t vtnet_offered(const struct net_backend *be, bool vhost,
    uint64_t vhost_features);
/* Default filter state (promiscuous, no tables) with this MAC. */
void vtnet_filter_reset(struct vtnet_filter *f, const uint8_t mac[6]);
/* Tap watch: EPOLLIN while receiving, EPOLLOUT while blocked (worker). */
void vtnet_watch_update(struct vtnet_softc *sc);
/* The backend failed / worked again (worker). */
void vtnet_backend_failed(struct vtnet_softc *sc, const char *what, int err);
void vtnet_backend_ok(struct vtnet_softc *sc);

/* --- virtio_net_rxtx.c (worker thread) -------------------------------------- */

/* Process up to `budget` transmit chains; returns how many were taken. */
int vtnet_tx_process(struct vtnet_softc *sc, struct vqueue *vq, int budget);
/* Kick or EPOLLOUT on the transmit queue: process and interrupt. */
void vtnet_tx_notify(struct vtnet_softc *sc);
/* Receive frames from the backend into vq; returns frames delivered. */
int vtnet_rx_process(struct vtnet_softc *sc, struct vqueue *vq, int budget);
void vtnet_rx_notify(struct vtnet_softc *sc);
/* Check a transmit header for a frame of framelen bytes (pure). */
bool vtnet_tx_hdr_ok(uint64_t feat, uint16_t mtu, bool vnet_hdr,
    const uint8_t hdr[VTNET_HDR_LEN], size_t framelen);
/* Would the filter deliver a frame to this destination (pure)? */
bool vtnet_filter_accept(const struct vtnet_filter *f, const uint8_t dst[6]);
/* Publish n used entries with one used->idx update. */
void vtnet_used_batch(struct vqueue *vq, const struct vtnet_used *u, int n);

/* --- virtio_net_ctrl.c (worker thread) -------------------------------------- */

/*
 * Execute one control command (class, command, data: the readable part of
 * the chain) against the filter; VTNET_CTRL_OK or VTNET_CTRL_ERR (pure).
 */
uint8_t vtnet_ctrl_exec(struct vtnet_filter *f, uint64_t feat,
    const uint8_t *cmd, size_t len);
void vtnet_ctrl_notify(struct vtnet_softc *sc, struct vqueue *vq);

/* --- virtio_net_vhost.c (worker thread) ------------------------------------- */

/* Hand the rings to vhost; 0, or -1 (logged) and the userspace path runs. */
int vtnet_vhost_start(struct vtnet_softc *sc);
void vtnet_vhost_stop(struct vtnet_softc *sc);
/* A relay or error eventfd fired (tags from virtio_net.c). */
void vtnet_vhost_event(struct vtnet_softc *sc, int ring, bool err);
/*
 * Watch or ignore one of the worker's fds (a queue's kick eventfd) while
 * vhost owns the queue.  A small stand-in for a core API; see the file.
 */
int vtnet_worker_watch(struct virtio_softc *vs, int fd, bool on);

#endif
