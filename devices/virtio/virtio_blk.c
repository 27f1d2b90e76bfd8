/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk: a disk backed by a raw image file or a block device.
 *
 *   -s SLOT,virtio-blk,PATH[,ro][,nocache][,direct][,nodelete]
 *      [,sectorsize=LOG[/PHYS]][,ser=SERIAL]
 *
 * Config keys under pci.B.S.F: path, ro, nocache, direct, nodelete,
 * sectorsize, ser (bhyve's), engine (uring|threads), virtio_msix.
 *
 * One queue of 256.  The worker thread takes chains, decodes them
 * (virtio_blk_req.c) and hands reads, writes, flushes, discards and
 * write-zeroes to the block backend, many at a time; completions come
 * back on the same thread through the backend's completion fd, which
 * fills in the status byte and publishes the used entry.  A request is
 * identified by its chain head, so a head the guest makes available
 * again while its request is still in flight breaks the ring.  I/O
 * errors (EIO, ENOSPC, ...) become VIRTIO_BLK_S_IOERR; the VM goes on.
 *
 * Threads: init on the main thread; qnotify, completions and quiesce on
 * the device's worker thread; features/reset on vCPU threads (vs_mtx).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_if.h"
#include "config.h"
#include "pci_emul.h"
#include "virtio.h"
#include "virtio_blk.h"

struct vtblk_req {
	struct blockif_req br;	/* first: the completion hands it back */
	struct iovec *iov;	/* the chain's buffers (VTBLK_QSIZE slots) */
	uint8_t *status;
	uint32_t used_len;
	uint16_t head;
	bool busy;
};

struct vtblk_softc {
	struct virtio_softc vs;	/* first */
	struct blockif *bc;
	struct vtblk_disk disk;	/* features: negotiated, vs_mtx to write */
	uint8_t cfg[VTBLK_CFG_SIZE];
	struct vtblk_req reqs[VTBLK_QSIZE];
	struct iovec *spare;	/* the walker's buffer, swapped with a slot's */
	struct iovec *iovmem;
	bool quiescing;		/* worker: completions are not published */
	unsigned nerrors;	/* I/O errors logged so far */
};

#define VTBLK_LOG_ERRORS 10

static const char *const vtblk_keys[] = {
	"device", "path", "ro", "nocache", "direct", "nodelete", "sectorsize",
	"ser", "engine", "virtio_msix", NULL
};

/* --- worker thread -------------------------------------------------------- */

static void
complete(struct vtblk_softc *sc, struct vtblk_req *rq, uint8_t st,
    uint32_t len)
{
	struct vqueue *vq = &sc->vs.vs_queues[0];

	*rq->status = st;
	vq_relchain(vq, rq->head, st == VTBLK_S_OK ? len : 1);
}

static void
io_done(struct blockif_req *br, void *arg)
{
	struct vtblk_softc *sc = arg;
	struct vtblk_req *rq = (struct vtblk_req *)br;	/* br is first */

	rq->busy = false;
	if (sc->quiescing)
		return;		/* reset: the driver no longer waits for it */
	if (br->br_error != 0 && sc->nerrors < VTBLK_LOG_ERRORS) {
		sc->nerrors++;
		fprintf(stderr, "zhyve: %s: %s at byte %llu failed: %s%s\n",
		    sc->vs.vs_name, br->br_op == BIF_READ ? "read" :
		    br->br_op == BIF_WRITE ? "write" : br->br_op == BIF_FLUSH ?
		    "flush" : br->br_op == BIF_DISCARD ? "discard" :
		    "write-zeroes", (unsigned long long)br->br_offset,
		    strerror(br->br_error), sc->nerrors == VTBLK_LOG_ERRORS ?
		    " (further errors not logged)" : "");
	}
	complete(sc, rq, br->br_error == 0 ? VTBLK_S_OK : VTBLK_S_IOERR,
	    rq->used_len);
}

static void
vtblk_completions(struct virtio_softc *vs, void *arg)
{
	struct vtblk_softc *sc = arg;
	struct vqueue *vq = &vs->vs_queues[0];

	if (blockif_reap(sc->bc, io_done, sc) > 0 && vq_need_interrupt(vq))
		virtio_vq_interrupt(vs, vq);
}

static void
vtblk_qnotify(struct virtio_softc *vs, struct vqueue *vq)
{
	struct vtblk_softc *sc = (struct vtblk_softc *)vs;
	struct vtblk_decoded dec;
	struct vq_chain ch;
	int r;

	do {
		while ((r = vq_getchain(vq, &ch, sc->spare, VTBLK_QSIZE)) > 0) {
			/* ch.head < vq_size <= VTBLK_QSIZE (walker). */
			struct vtblk_req *rq = &sc->reqs[ch.head];
			struct iovec *t;

			if (rq->busy) {
				vq_set_broken(vq, "chain %u made available "
				    "again while in flight", ch.head);
				r = -1;
				break;
			}
			t = rq->iov;
			rq->iov = sc->spare;
			sc->spare = t;
			vtblk_decode(&sc->disk, &ch, rq->iov, &dec);
			if (dec.action == VTBLK_BROKEN) {
				vq_set_broken(vq, "%s", dec.why);
				r = -1;
				break;
			}
			rq->head = ch.head;
			rq->status = dec.status;
			rq->used_len = dec.used_len;
			if (dec.action == VTBLK_DONE) {
				complete(sc, rq, dec.status_val, dec.used_len);
				continue;
			}
			rq->br = dec.req;
			rq->busy = true;
			if (blockif_submit(sc->bc, &rq->br) != 0) {
				rq->busy = false;
				complete(sc, rq, VTBLK_S_IOERR, 1);
			}
		}
	} while (r == 0 && vq_kicks_on(vq));
	blockif_kick(sc->bc);
	if (vq_need_interrupt(vq))
		virtio_vq_interrupt(vs, vq);
}

static void
vtblk_quiesce(struct virtio_softc *vs)
{
	struct vtblk_softc *sc = (struct vtblk_softc *)vs;

	sc->quiescing = true;
	blockif_drain(sc->bc, io_done, sc);
	sc->quiescing = false;
}

/* --- vCPU threads (vs_mtx held) ---------------------------------------------- */

static void
vtblk_features(struct virtio_softc *vs, uint64_t negotiated)
{
	((struct vtblk_softc *)vs)->disk.features = negotiated;
}

static void
vtblk_reset(struct virtio_softc *vs)
{
	struct vtblk_softc *sc = (struct vtblk_softc *)vs;

	sc->disk.features = 0;
	for (int i = 0; i < VTBLK_QSIZE; i++)
		sc->reqs[i].busy = false;
}

static void
vtblk_destroy(struct virtio_softc *vs)
{
	struct vtblk_softc *sc = (struct vtblk_softc *)vs;

	/* The queues are gone: whatever still completes is not published. */
	sc->quiescing = true;
	blockif_close(sc->bc, io_done, sc);
	free(sc->iovmem);
	free(sc);
}

static const struct virtio_consts vtblk_vc = {
	.vc_name = "virtio-blk",
	.vc_devtype = VIRTIO_ID_BLOCK,
	.vc_class = 0x01,		/* mass storage */
	.vc_subclass = 0x00,		/* SCSI, as other VMMs say */
	.vc_nvq = 1,
	.vc_qsize = VTBLK_QSIZE,
	.vc_qnotify = vtblk_qnotify,
	.vc_quiesce = vtblk_quiesce,
	.vc_reset = vtblk_reset,
	.vc_features = vtblk_features,
	.vc_destroy = vtblk_destroy,
};

/* --- configuration (main thread) ---------------------------------------------- */

/* bhyve: the first option is the path, the rest key=value or flags. */
static int
vtblk_legacy_config(struct config_node *nvl, const char *opts)
{
	const char *comma = strchr(opts, ',');
	char path[CONFIG_MAX_VALUE];
	size_t n = comma != NULL ? (size_t)(comma - opts) : strlen(opts);

	if (n == 0) {
		fprintf(stderr, "zhyve: -s ...,virtio-blk: the image path must "
		    "come first (virtio-blk,PATH[,ro][,...])\n");
		return -1;
	}
	if (n >= sizeof(path)) {
		fprintf(stderr, "zhyve: -s ...,virtio-blk: path too long\n");
		return -1;
	}
	memcpy(path, opts, n);
	path[n] = '\0';
	if (config_set_node(nvl, "path", path) != 0) {
		fprintf(stderr, "zhyve: -s ...,virtio-blk: %s\n",
		    config_error());
		return -1;
	}
	return comma != NULL ? pci_parse_legacy_config(nvl, comma + 1) : 0;
}

static int
parse_sectorsize(struct pci_devinst *pi, const char *s, unsigned *lsec,
    unsigned *psec)
{
	char *end;
	unsigned long l, p;

	l = strtoul(s, &end, 10);
	p = l;
	if (end != s && *end == '/') {
		const char *q = end + 1;

		p = strtoul(q, &end, 10);
		if (end == q)
			end = (char *)q - 1;	/* force the error below */
	}
	if (end == s || *end != '\0' || l < 512 || l > 4096 ||
	    (l & (l - 1)) != 0 || p < l || p > 65536 || (p & (p - 1)) != 0) {
		pci_emul_seterr(pi, "sectorsize '%s': expected LOG or LOG/PHYS, "
		    "powers of two with 512 <= LOG <= 4096 and LOG <= PHYS <= "
		    "65536", s);
		return -1;
	}
	*lsec = (unsigned)l;
	*psec = (unsigned)p;
	return 0;
}

static int
check_keys(struct pci_devinst *pi, struct config_node *nvl)
{
	for (struct config_node *c = config_first_child(nvl); c != NULL;
	    c = config_next_sibling(c)) {
		const char *k = config_node_name(c);
		int i;

		for (i = 0; vtblk_keys[i] != NULL; i++)
			if (strcmp(vtblk_keys[i], k) == 0)
				break;
		if (vtblk_keys[i] == NULL) {
			pci_emul_seterr(pi, "unknown key '%s' (virtio-blk takes "
			    "path, ro, nocache, direct, nodelete, sectorsize, "
			    "ser, engine, virtio_msix)", k);
			return -1;
		}
	}
	return 0;
}

static void
fill_config(struct vtblk_softc *sc, unsigned psec)
{
	uint8_t *c = sc->cfg;
	unsigned ls = sc->disk.sectsz, exp = 0, g = ls / 512;

	while ((ls << exp) < psec)
		exp++;
	virtio_put64(c + 0, sc->disk.size / 512);		/* capacity */
	virtio_put32(c + 8, VTBLK_SIZE_MAX);			/* size_max */
	virtio_put32(c + 12, VTBLK_QSIZE - 2);			/* seg_max */
	virtio_put32(c + 20, ls);				/* blk_size */
	c[24] = (uint8_t)exp;				/* physical_block_exp */
	c[25] = 0;					/* alignment_offset */
	virtio_put16(c + 26, (uint16_t)(1u << exp));	/* min_io_size */
	virtio_put32(c + 28, 0);			/* opt_io_size */
	virtio_put16(c + 34, 1);			/* num_queues */
	virtio_put32(c + 36, VTBLK_MAX_DISCARD / g * g);
	virtio_put32(c + 40, 1);			/* max_discard_seg */
	virtio_put32(c + 44, g);		/* discard_sector_alignment */
	virtio_put32(c + 48, VTBLK_MAX_ZEROES / g * g);
	virtio_put32(c + 52, 1);			/* max_write_zeroes_seg */
	c[56] = 0;				/* write_zeroes_may_unmap */
}

static int
vtblk_init(struct pci_devinst *pi, struct config_node *nvl)
{
	struct blockif_opts o = { .depth = VTBLK_QSIZE };
	struct vtblk_softc *sc;
	const char *ser, *ss;
	bool nodelete = false;
	char err[512];

	if (check_keys(pi, nvl) != 0)
		return -1;
	o.path = config_get_node(nvl, "path");
	if (o.path == NULL || o.path[0] == '\0') {
		pci_emul_seterr(pi, "path: not set (the disk image or block "
		    "device)");
		return -1;
	}
	if (config_get_bool_node(nvl, "ro", false, &o.ro) != 0 ||
	    config_get_bool_node(nvl, "nocache", false, &o.nocache) != 0 ||
	    config_get_bool_node(nvl, "direct", false, &o.sync) != 0 ||
	    config_get_bool_node(nvl, "nodelete", false, &nodelete) != 0) {
		pci_emul_seterr(pi, "%s", config_error());
		return -1;
	}
	ss = config_get_node(nvl, "sectorsize");
	if (ss != NULL && parse_sectorsize(pi, ss, &o.sectsz, &o.psectsz) != 0)
		return -1;
	ser = config_get_node(nvl, "ser");
	if (ser != NULL) {
		if (strlen(ser) > VTBLK_ID_BYTES) {
			pci_emul_seterr(pi, "ser '%s': at most %d characters",
			    ser, VTBLK_ID_BYTES);
			return -1;
		}
		for (const char *p = ser; *p != '\0'; p++) {
			if (*p < 0x20 || *p > 0x7E) {
				pci_emul_seterr(pi, "ser: only printable ASCII");
				return -1;
			}
		}
	}
	o.engine = config_get_node(nvl, "engine");

	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		pci_emul_seterr(pi, "out of memory");
		return -1;
	}
	sc->iovmem = calloc((size_t)(VTBLK_QSIZE + 1) * VTBLK_QSIZE,
	    sizeof(struct iovec));
	if (sc->iovmem == NULL) {
		free(sc);
		pci_emul_seterr(pi, "out of memory");
		return -1;
	}
	for (int i = 0; i < VTBLK_QSIZE; i++)
		sc->reqs[i].iov = sc->iovmem + (size_t)i * VTBLK_QSIZE;
	sc->spare = sc->iovmem + (size_t)VTBLK_QSIZE * VTBLK_QSIZE;

	sc->bc = blockif_open(&o, err, sizeof(err));
	if (sc->bc == NULL) {
		pci_emul_seterr(pi, "%s", err);
		free(sc->iovmem);
		free(sc);
		return -1;
	}
	sc->disk.size = blockif_size(sc->bc);
	sc->disk.sectsz = blockif_sectsz(sc->bc);
	sc->disk.ro = o.ro;
	if (ser != NULL)
		memcpy(sc->disk.ident, ser, strlen(ser));	/* <= 20, padded */
	else
		vtblk_default_ident(o.path, sc->disk.ident);
	fill_config(sc, blockif_psectsz(sc->bc));

	sc->vs.vs_dev_features = VTBLK_F_SIZE_MAX | VTBLK_F_SEG_MAX |
	    VTBLK_F_BLK_SIZE | VTBLK_F_FLUSH | VTBLK_F_TOPOLOGY;
	if (o.ro)
		sc->vs.vs_dev_features |= VTBLK_F_RO;
	else
		sc->vs.vs_dev_features |= VTBLK_F_WRITE_ZEROES |
		    (nodelete ? 0 : VTBLK_F_DISCARD);
	sc->vs.vs_cfg = sc->cfg;
	sc->vs.vs_cfgsize = sizeof(sc->cfg);
	if (virtio_pci_init(&sc->vs, &vtblk_vc, pi, nvl) != 0 ||
	    virtio_worker_add_fd(&sc->vs, blockif_completion_fd(sc->bc),
	    vtblk_completions, sc) != 0) {
		if (pi->pi_err[0] == '\0')
			pci_emul_seterr(pi, "cannot watch the backend: %s",
			    strerror(errno));
		pi->pi_arg = NULL;
		virtio_pci_fini(&sc->vs);
		vtblk_destroy(&sc->vs);
		return -1;
	}
	return 0;
}

const struct pci_devemu pci_de_virtio_blk = {
	.pe_emu = "virtio-blk",
	.pe_init = vtblk_init,
	.pe_legacy_config = vtblk_legacy_config,
	.pe_barwrite = virtio_pci_barwrite,
	.pe_barread = virtio_pci_barread,
	.pe_cfgwrite = virtio_pci_cfgwrite,
	.pe_cfgread = virtio_pci_cfgread,
	.pe_baraddr = virtio_pci_baraddr,
	.pe_msix_update = virtio_pci_msix_update,
};
