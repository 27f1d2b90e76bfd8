/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net: the device model on the virtio PCI transport: options, MAC,
 * features, configuration space, reset, and the worker's event plumbing.
 * The data path is in virtio_net_rxtx.c, the control queue in
 * virtio_net_ctrl.c, vhost-net in virtio_net_vhost.c; see virtio_net.h.
 *
 * Config keys (pci.B.S.F.*): backend (tap name) or fd (inherited tap),
 * mac, mtu, vhost, allow_mac_spoofing, and the core's virtio_msix.
 *
 * Threads: init and destroy on the main thread; vtnet_features and
 * vtnet_reset on vCPU threads with vs_mtx held; the rest on the device's
 * worker thread.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "pci_emul.h"
#include "virtio_net.h"
#include "vmctx.h"
#include "vmm.h"

/* Tags of the private epoll set (data.u32). */
enum { EV_TAP, EV_TIMER, EV_RELAY0, EV_RELAY1, EV_ERR0, EV_ERR1 };

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	2000

static const char *const known_keys[] = {
	"device", "backend", "fd", "mac", "mtu", "vhost", "allow_mac_spoofing",
	"virtio_msix",
};

/* --- MAC addresses ------------------------------------------------------------ */

void
vtnet_gen_mac(const char *vmname, int bus, int slot, int func, uint8_t mac[6])
{
	char key[128];
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a, 64-bit */
	int n;

	n = snprintf(key, sizeof(key), "zhyve-net/%s/%d.%d.%d", vmname, bus,
	    slot, func);
	if (n < 0)
		n = 0;
	for (int i = 0; i < n && i < (int)sizeof(key) - 1; i++) {
		h ^= (uint8_t)key[i];
		h *= 0x100000001b3ULL;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	/* Locally administered (bit 1), unicast (bit 0 clear). */
	mac[0] = (uint8_t)((mac[0] & 0xFC) | 0x02);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
vtnet_parse_mac(const char *s, uint8_t mac[6])
{
	char sep = 0;

	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (hi < 0 || lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i == 5)
			break;
		if (*s != ':' && *s != '-')
			return -1;
		if (sep != 0 && *s != sep)
			return -1;
		sep = *s++;
	}
	return *s == '\0' ? 0 : -1;
}

/* --- features and configuration space ---------------------------------------- */

uint64_t
vtnet_offered(const struct net_backend *be, bool vhost,
    uint64_t vhost_features)
{
	uint64_t f = VTNET_F_MAC | VTNET_F_MTU | VTNET_F_STATUS |
	    VTNET_F_MRG_RXBUF | VTNET_F_CTRL_VQ | VTNET_F_CTRL_RX |
	    VTNET_F_CTRL_MAC_ADDR;

	/* Offloads need the tap's header to carry them. */
	if (be->vnet_hdr)
		f |= VTNET_F_CSUM | VTNET_F_GUEST_CSUM | VTNET_F_HOST_TSO4 |
		    VTNET_F_HOST_TSO6 | VTNET_F_HOST_UFO | VTNET_F_GUEST_TSO4 |
		    VTNET_F_GUEST_TSO6 | VTNET_F_GUEST_UFO;
	if (vhost && !(vhost_features & VTNET_F_MRG_RXBUF))
		f &= ~VTNET_F_MRG_RXBUF;
	return f;
}

static unsigned
tap_offloads(uint64_t feat)
{
	unsigned off = 0;

	if (!(feat & VTNET_F_GUEST_CSUM))
		return 0;
	off |= NETBE_OFF_CSUM;
	if (feat & VTNET_F_GUEST_TSO4)
		off |= NETBE_OFF_TSO4;
	if (feat & VTNET_F_GUEST_TSO6)
		off |= NETBE_OFF_TSO6;
	if (feat & VTNET_F_GUEST_UFO)
		off |= NETBE_OFF_UFO;
	return off;
}

void
vtnet_filter_reset(struct vtnet_filter *f, const uint8_t mac[6])
{
	memset(f, 0, sizeof(*f));
	memcpy(f->mac, mac, 6);
	/* Until the driver sets a receive mode: everything (as QEMU does). */
	f->promisc = true;
}

/* vCPU thread, vs_mtx held: the driver accepted these features. */
static void
vtnet_features(struct virtio_softc *vs, uint64_t negotiated)
{
	struct vtnet_softc *sc = (struct vtnet_softc *)vs;
	unsigned off = tap_offloads(negotiated);

	sc->feat = negotiated;
	if (net_backend_set_offloads(&sc->be, off) != 0 &&
	    net_backend_set_offloads(&sc->be, off & ~NETBE_OFF_UFO) != 0)
		fprintf(stderr, "zhyve: %s: %s: cannot set the tap's "
		    "offloads (TUNSETOFFLOAD 0x%x): %s\n", vs->vs_name,
		    sc->be.ifname, off, strerror(errno));
}

/* Link status in the config space; a config interrupt if it changed. */
static void
set_link(struct vtnet_softc *sc, bool up)
{
	uint16_t old, st = up ? VTNET_S_LINK_UP : 0;

	pthread_mutex_lock(&sc->vs.vs_mtx);
	old = (uint16_t)(sc->cfg[6] | sc->cfg[7] << 8);
	if (old != st) {
		virtio_put16(sc->cfg + 6, st);
		sc->vs.vs_cfggen++;
	}
	pthread_mutex_unlock(&sc->vs.vs_mtx);
	if (old != st && (sc->feat & VTNET_F_STATUS))
		virtio_config_interrupt(&sc->vs);
}

/* --- the tap watch and backend failures (worker thread) ----------------------- */

void
vtnet_watch_update(struct vtnet_softc *sc)
{
	struct epoll_event ev;
	uint32_t want = 0;
	int op;

	if (sc->started && !sc->vh_running && !sc->be_down) {
		if (!sc->rx_wait)
			want |= EPOLLIN;
		if (sc->tx_wait)
			want |= EPOLLOUT;
	}
	if (want == sc->watching)
		return;
	/* Deleted, not just masked: EPOLLERR would still be reported. */
	op = want == 0 ? EPOLL_CTL_DEL : sc->watching == 0 ? EPOLL_CTL_ADD :
	    EPOLL_CTL_MOD;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u32 = EV_TAP;
	if (epoll_ctl(sc->epfd, op, sc->be.fd, &ev) == 0)
		sc->watching = want;
}

static void
arm_timer(struct vtnet_softc *sc, unsigned ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)timerfd_settime(sc->timerfd, 0, &its, NULL);
}

/*
 * A receive from the backend failed with something other than EAGAIN (the
 * tap was deleted: EBADFD; EIO...): stop reading it, report the link down
 * and retry on a timer with a growing interval, so a dead tap costs one
 * system call every few seconds, not a spinning worker.
 */
void
vtnet_backend_failed(struct vtnet_softc *sc, const char *what, int err)
{
	if (sc->retrying) {
		sc->retrying = false;
		sc->be_down = true;
		sc->backoff_ms = sc->backoff_ms * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : sc->backoff_ms * 2;
	} else if (!sc->be_down) {
		fprintf(stderr, "zhyve: %s: %s: %s: %s; frames are dropped and "
		    "counted until it works again\n", sc->vs.vs_name,
		    sc->be.ifname, what, strerror(err));
		sc->be_down = true;
		sc->backoff_ms = BACKOFF_MIN_MS;
		set_link(sc, false);
	} else {
		return;		/* the timer is armed already */
	}
	vtnet_watch_update(sc);
	arm_timer(sc, sc->backoff_ms);
}

/* A receive or send worked: if the backend was down, it is up again. */
void
vtnet_backend_ok(struct vtnet_softc *sc)
{
	if (!sc->be_down && !sc->retrying)
		return;
	sc->be_down = false;
	sc->retrying = false;
	arm_timer(sc, 0);
	set_link(sc, true);
	fprintf(stderr, "zhyve: %s: %s works again\n", sc->vs.vs_name,
	    sc->be.ifname);
	vtnet_watch_update(sc);
}

static void
drain_fd(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

/* The worker: something in the private epoll set is ready. */
static void
vtnet_events(struct virtio_softc *vs, void *arg)
{
	struct vtnet_softc *sc = arg;
	struct epoll_event evs[8];
	int n;

	(void)vs;
	n = epoll_wait(sc->epfd, evs, 8, 0);
	for (int i = 0; i < n; i++) {
		switch (evs[i].data.u32) {
		case EV_TAP:
			if (!sc->started) {
				vtnet_watch_update(sc);
				break;
			}
			if ((evs[i].events & EPOLLOUT) && sc->tx_wait) {
				sc->tx_wait = false;
				vtnet_watch_update(sc);
				vtnet_tx_notify(sc);
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				vtnet_rx_notify(sc);
			break;
		case EV_TIMER:
			drain_fd(sc->timerfd);
			if (sc->started && sc->be_down) {
				/* Read again; the receive path reports. */
				sc->be_down = false;
				sc->retrying = true;
				vtnet_watch_update(sc);
				vtnet_rx_notify(sc);
			}
			break;
		case EV_RELAY0:
		case EV_RELAY1:
			drain_fd(sc->vh_relay[evs[i].data.u32 - EV_RELAY0]);
			vtnet_vhost_event(sc, (int)(evs[i].data.u32 - EV_RELAY0),
			    false);
			break;
		case EV_ERR0:
		case EV_ERR1:
			drain_fd(sc->vh_err[evs[i].data.u32 - EV_ERR0]);
			vtnet_vhost_event(sc, (int)(evs[i].data.u32 - EV_ERR0),
			    true);
			break;
		}
	}
}

/* --- the model's hooks ----------------------------------------------------------- */

/* Worker thread: the first look at a queue after DRIVER_OK. */
static void
vtnet_start(struct vtnet_softc *sc)
{
	sc->started = true;
	sc->rx_wait = sc->tx_wait = false;
	if (sc->use_vhost && vtnet_vhost_start(sc) == 0)
		return;
	if (sc->be_down)
		arm_timer(sc, sc->backoff_ms);
	vtnet_watch_update(sc);
}

static void
vtnet_qnotify(struct virtio_softc *vs, struct vqueue *vq)
{
	struct vtnet_softc *sc = (struct vtnet_softc *)vs;

	if (!sc->started)
		vtnet_start(sc);
	switch (vq->vq_num) {
	case VTNET_RXQ:
		if (sc->vh_ring[0])
			return;
		/* New buffers: read the tap again. */
		if (sc->rx_wait) {
			sc->rx_wait = false;
			vtnet_watch_update(sc);
		}
		vtnet_rx_notify(sc);
		break;
	case VTNET_TXQ:
		if (!sc->vh_ring[1])
			vtnet_tx_notify(sc);
		break;
	case VTNET_CTLQ:
		vtnet_ctrl_notify(sc, vq);
		break;
	default:
		break;
	}
}

/* Worker thread: reset or exit; nothing touches the rings afterwards. */
static void
vtnet_quiesce(struct virtio_softc *vs)
{
	struct vtnet_softc *sc = (struct vtnet_softc *)vs;

	if (sc->vh_running)
		vtnet_vhost_stop(sc);
	sc->started = false;
	sc->rx_wait = sc->tx_wait = false;
	vtnet_watch_update(sc);
}

/* vCPU thread, vs_mtx held, after the quiesce: back to power-on. */
static void
vtnet_reset(struct virtio_softc *vs)
{
	struct vtnet_softc *sc = (struct vtnet_softc *)vs;

	sc->feat = 0;
	vtnet_filter_reset(&sc->flt, sc->mac_cfg);
	(void)net_backend_set_offloads(&sc->be, 0);
	sc->logged_spoof = sc->logged_txerr = false;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
vtnet_free(struct vtnet_softc *sc)
{
	close_fd(&sc->epfd);
	close_fd(&sc->timerfd);
	for (int i = 0; i < 2; i++) {
		close_fd(&sc->vh_relay[i]);
		close_fd(&sc->vh_err[i]);
	}
	vhost_net_close(&sc->vh);
	net_backend_close(&sc->be);
	free(sc->bounce);
	free(sc);
}

/* After the worker stopped (exit, tests). */
static void
vtnet_destroy(struct virtio_softc *vs)
{
	vtnet_free((struct vtnet_softc *)vs);
}

static const struct virtio_consts vtnet_vc = {
	.vc_name = "virtio-net",
	.vc_devtype = VIRTIO_ID_NET,
	.vc_class = 0x02,		/* network controller */
	.vc_subclass = 0x00,		/* Ethernet */
	.vc_nvq = VTNET_NQ,
	.vc_qsize = VTNET_QSIZE,
	.vc_qnotify = vtnet_qnotify,
	.vc_quiesce = vtnet_quiesce,
	.vc_reset = vtnet_reset,
	.vc_features = vtnet_features,
	.vc_destroy = vtnet_destroy,
};

/* --- init (main thread) ------------------------------------------------------------ */

/* Reject keys this device does not know (a typo must not pass silently). */
static int
check_keys(struct pci_devinst *pi, struct config_node *nvl)
{
	for (struct config_node *c = config_first_child(nvl); c != NULL;
	    c = config_next_sibling(c)) {
		const char *k = config_node_name(c);
		bool ok = false;

		for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]);
		    i++)
			if (strcmp(k, known_keys[i]) == 0)
				ok = true;
		if (!ok || !config_node_is_leaf(c)) {
			pci_emul_seterr(pi, "unknown option '%s' (virtio-net "
			    "takes backend, fd, mac, mtu, vhost, "
			    "allow_mac_spoofing, virtio_msix)", k);
			return -1;
		}
	}
	return 0;
}

static int
get_str(struct pci_devinst *pi, struct config_node *nvl, const char *key,
    const char **out)
{
	*out = config_get_node(nvl, key);
	if (*out == NULL && config_find_relative_node(nvl, key) != NULL) {
		pci_emul_seterr(pi, "%s: %s", key, config_error());
		return -1;
	}
	return 0;
}

static int
open_backend(struct vtnet_softc *sc, struct pci_devinst *pi,
    struct config_node *nvl)
{
	const char *name, *fds;
	char err[300], *end;
	long fd = -1;

	if (get_str(pi, nvl, "backend", &name) != 0 ||
	    get_str(pi, nvl, "fd", &fds) != 0)
		return -1;
	if (name != NULL && fds != NULL) {
		pci_emul_seterr(pi, "backend=%s and fd=%s: give one of them, "
		    "not both", name, fds);
		return -1;
	}
	if (name == NULL && fds == NULL) {
		pci_emul_seterr(pi, "no backend: give a tap name "
		    "(-s SLOT,virtio-net,tap0) or an open tap (fd=N)");
		return -1;
	}
	if (fds != NULL) {
		errno = 0;
		fd = strtol(fds, &end, 10);
		if (errno != 0 || end == fds || *end != '\0' || fd < 0 ||
		    fd > INT_MAX) {
			pci_emul_seterr(pi, "fd: '%s' is not a file descriptor "
			    "number", fds);
			return -1;
		}
	}
	if (net_backend_open(&sc->be, name, (int)fd, err, sizeof(err)) != 0) {
		pci_emul_seterr(pi, "%s", err);
		return -1;
	}
	if (sc->be.created)
		fprintf(stderr, "zhyve: %s: created tap %s; it is down and in "
		    "no bridge, and goes away when zhyve exits\n", pi->pi_name,
		    sc->be.ifname);
	return 0;
}

static int
read_options(struct vtnet_softc *sc, struct pci_devinst *pi,
    struct config_node *nvl, bool *vhost)
{
	const char *mac, *mtu;
	char *end;
	long v;

	if (get_str(pi, nvl, "mac", &mac) != 0 ||
	    get_str(pi, nvl, "mtu", &mtu) != 0)
		return -1;
	if (mac != NULL) {
		if (vtnet_parse_mac(mac, sc->mac_cfg) != 0) {
			pci_emul_seterr(pi, "mac: '%s' is not a MAC address "
			    "(xx:xx:xx:xx:xx:xx)", mac);
			return -1;
		}
		if (sc->mac_cfg[0] & 1) {
			pci_emul_seterr(pi, "mac: %s is a multicast address; "
			    "a NIC needs a unicast one", mac);
			return -1;
		}
		if (memcmp(sc->mac_cfg, "\0\0\0\0\0\0", 6) == 0) {
			pci_emul_seterr(pi, "mac: 00:00:00:00:00:00 is not a "
			    "usable address");
			return -1;
		}
	} else {
		vtnet_gen_mac(vm_name(pi->pi_vmctx->vm), pi->pi_bus,
		    pi->pi_slot, pi->pi_func, sc->mac_cfg);
	}
	sc->mtu = 1500;
	if (mtu != NULL) {
		errno = 0;
		v = strtol(mtu, &end, 10);
		if (errno != 0 || end == mtu || *end != '\0' || v < 68 ||
		    v > 65535) {
			pci_emul_seterr(pi, "mtu: '%s' is not a number in "
			    "68..65535", mtu);
			return -1;
		}
		sc->mtu = (uint16_t)v;
	}
	if (config_get_bool_node(nvl, "vhost", false, vhost) != 0) {
		pci_emul_seterr(pi, "vhost: %s", config_error());
		return -1;
	}
	if (config_get_bool_node(nvl, "allow_mac_spoofing", false,
	    &sc->allow_spoof) != 0) {
		pci_emul_seterr(pi, "allow_mac_spoofing: %s", config_error());
		return -1;
	}
	return 0;
}

/* vhost=on: open /dev/vhost-net, or say why not and stay in userspace. */
static void
open_vhost(struct vtnet_softc *sc, struct pci_devinst *pi)
{
	const uint64_t need = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
	    VIRTIO_F_INDIRECT_DESC;
	char err[300];

	if (vhost_net_open(&sc->vh, VHOST_PATH_DEFAULT, err, sizeof(err)) != 0) {
		fprintf(stderr, "zhyve: %s: vhost=on, but %s; using the "
		    "userspace data path\n", pi->pi_name, err);
		return;
	}
	if ((sc->vh.features & need) != need) {
		fprintf(stderr, "zhyve: %s: vhost=on, but this kernel's "
		    "vhost-net lacks VERSION_1/EVENT_IDX/INDIRECT_DESC "
		    "(features 0x%llx); using the userspace data path\n",
		    pi->pi_name, (unsigned long long)sc->vh.features);
		vhost_net_close(&sc->vh);
		return;
	}
	sc->use_vhost = true;
}

static int
make_fds(struct vtnet_softc *sc)
{
	struct epoll_event ev;

	sc->epfd = epoll_create1(EPOLL_CLOEXEC);
	sc->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC);
	if (sc->epfd < 0 || sc->timerfd < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = EV_TIMER;
	if (epoll_ctl(sc->epfd, EPOLL_CTL_ADD, sc->timerfd, &ev) != 0)
		return -1;
	if (!sc->use_vhost)
		return 0;
	for (int i = 0; i < 2; i++) {
		sc->vh_relay[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		sc->vh_err[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (sc->vh_relay[i] < 0 || sc->vh_err[i] < 0)
			return -1;
		ev.data.u32 = (uint32_t)(EV_RELAY0 + i);
		if (epoll_ctl(sc->epfd, EPOLL_CTL_ADD, sc->vh_relay[i], &ev))
			return -1;
		ev.data.u32 = (uint32_t)(EV_ERR0 + i);
		if (epoll_ctl(sc->epfd, EPOLL_CTL_ADD, sc->vh_err[i], &ev))
			return -1;
	}
	return 0;
}

static int
vtnet_init(struct pci_devinst *pi, struct config_node *nvl)
{
	struct vtnet_softc *sc;
	bool vhost = false;

	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		pci_emul_seterr(pi, "out of memory");
		return -1;
	}
	sc->be.fd = sc->vh.fd = sc->epfd = sc->timerfd = -1;
	for (int i = 0; i < 2; i++)
		sc->vh_relay[i] = sc->vh_err[i] = -1;
	if (check_keys(pi, nvl) != 0 || read_options(sc, pi, nvl, &vhost) != 0 ||
	    open_backend(sc, pi, nvl) != 0)
		goto fail;
	if (vhost)
		open_vhost(sc, pi);
	sc->bounce = malloc(VTNET_BOUNCE);
	if (sc->bounce == NULL || make_fds(sc) != 0) {
		pci_emul_seterr(pi, "cannot set up the device: %s",
		    strerror(errno));
		goto fail;
	}
	vtnet_filter_reset(&sc->flt, sc->mac_cfg);
	memcpy(sc->cfg, sc->mac_cfg, 6);
	virtio_put16(sc->cfg + 6, VTNET_S_LINK_UP);
	virtio_put16(sc->cfg + 8, 1);		/* max_virtqueue_pairs */
	virtio_put16(sc->cfg + 10, sc->mtu);
	sc->vs.vs_dev_features = vtnet_offered(&sc->be, sc->use_vhost,
	    sc->vh.features);
	sc->vs.vs_cfg = sc->cfg;
	sc->vs.vs_cfgsize = VTNET_CFG_SIZE;
	if (virtio_pci_init(&sc->vs, &vtnet_vc, pi, nvl) != 0) {
		pi->pi_arg = NULL;
		virtio_pci_fini(&sc->vs);
		goto fail;
	}
	if (virtio_worker_add_fd(&sc->vs, sc->epfd, vtnet_events, sc) != 0) {
		pci_emul_seterr(pi, "cannot watch the backend: %s",
		    strerror(errno));
		pi->pi_arg = NULL;
		virtio_pci_fini(&sc->vs);
		goto fail;
	}
	return 0;
fail:
	vtnet_free(sc);
	return -1;
}

/*
 * -s SLOT,virtio-net,BACKEND[,key=value...]: the first option, if it has
 * no '=', is the tap name; fd=N and everything else are keys.
 */
static int
vtnet_legacy_config(struct config_node *nvl, const char *opts)
{
	const char *comma = strchr(opts, ',');
	size_t flen = comma != NULL ? (size_t)(comma - opts) : strlen(opts);
	const char *rest = opts;
	char *first;
	int rc = 0;

	if (flen > 0 && memchr(opts, '=', flen) == NULL) {
		rest = comma != NULL ? comma + 1 : "";
		if (pci_parse_legacy_config(NULL, rest) != 0)
			return -1;
		first = strndup(opts, flen);
		if (first == NULL)
			return -1;
		if (config_set_node(nvl, "backend", first) != 0) {
			fprintf(stderr, "zhyve: virtio-net: backend: %s\n",
			    config_error());
			rc = -1;
		}
		free(first);
		if (rc != 0)
			return rc;
	}
	return pci_parse_legacy_config(nvl, rest);
}

const struct pci_devemu pci_de_virtio_net = {
	.pe_emu = "virtio-net",
	.pe_init = vtnet_init,
	.pe_legacy_config = vtnet_legacy_config,
	.pe_cfgwrite = virtio_pci_cfgwrite,
	.pe_cfgread = virtio_pci_cfgread,
	.pe_barwrite = virtio_pci_barwrite,
	.pe_barread = virtio_pci_barread,
	.pe_baraddr = virtio_pci_baraddr,
	.pe_msix_update = virtio_pci_msix_update,
};

int
virtio_net_stats(struct pci_devinst *pi, struct vtnet_stats *out)
{
	const struct vtnet_softc *sc;
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)out;

	if (pi == NULL || pi->pi_d != &pci_de_virtio_net || pi->pi_arg == NULL)
		return -1;
	sc = pi->pi_arg;
	src = (const uint64_t *)&sc->st;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return 0;
}
