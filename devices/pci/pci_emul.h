/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PCI core: device models, config space, BARs and interrupts.
 *
 * A device model is one const struct pci_devemu, listed by name in the
 * table in pci_emul.c.  Instances come only from the config tree: a node
 * pci.<bus>.<slot>.<func> whose "device" leaf names the model (the -s flag
 * is a front end that writes such nodes, see pci_parse_slot()).  pci_init()
 * creates every instance, calls its pe_init with its own config node, then
 * places all BARs (largest first) in the windows of platform.h, programs
 * them as firmware would, and claims the config mechanisms.
 *
 *   Port I/O                          Guest-physical
 *   0x0CF8  CONFIG_ADDRESS (32-bit)   PCI_ECAM_BASE  ECAM, 4 KiB per function
 *   0x0CF9  reset control (8-bit)     PCI_MMIO32_BASE 32-bit BAR window
 *   0x0CFC  CONFIG_DATA    (1/2/4)    above RAM at 1 GiB alignment:
 *   0x2000..0xFFFF  I/O BAR window               64-bit BAR window
 *
 * Config space is 4 KiB per function with a per-byte write mask (read-only
 * bits stay read-only) and a per-byte write-1-to-clear mask.  BARs, the
 * command register and the MSI/MSI-X capabilities are interpreted by the
 * core; everything else is plain storage a model may watch through its
 * cfgwrite/cfgread hooks.
 *
 * Threads: pci_parse_slot() and pci_init() run on the main thread at start
 * up.  Config accesses and BAR accesses run on vCPU threads.  Interrupt
 * functions (pci_lintr_*, pci_generate_*) may be called from any thread.
 * Each instance has a recursive lock (pi_lock) that the core holds while it
 * touches the instance's config space or interrupt state, and while it
 * calls the model's pe_cfgwrite/pe_cfgread/pe_baraddr/pe_msi*_update hooks;
 * a hook may call back into any pci_* function.  Because hooks run under
 * pi_lock, a model must not call pci_* functions while holding a lock of
 * its own that its hooks also take (lock order: pi_lock, then the
 * model's).  pe_barwrite/pe_barread are called without pi_lock: the model
 * serializes its own BAR registers.
 */
#ifndef ZHYVE_PCI_EMUL_H
#define ZHYVE_PCI_EMUL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vmctx;
struct config_node;
struct pci_devinst;

#define PCI_MAXBUS		256
#define PCI_MAXSLOTS		32
#define PCI_MAXFUNCS		8
#define PCI_BARMAX		5	/* BARs 0..5 of a type 0 header */
#define PCI_CFG_SIZE		4096	/* ECAM sees all of it */
#define PCI_CFG_LEGACY_SIZE	256	/* mechanism #1 sees this much */
#define PCI_NAMESZ		40
#define PCI_ERRSZ		256

/* Type 0 header registers. */
#define PCIR_VENDOR		0x00
#define PCIR_DEVICE		0x02
#define PCIR_COMMAND		0x04
#define PCIR_STATUS		0x06
#define PCIR_REVID		0x08
#define PCIR_PROGIF		0x09
#define PCIR_SUBCLASS		0x0A
#define PCIR_CLASS		0x0B
#define PCIR_CACHELNSZ		0x0C
#define PCIR_LATTIMER		0x0D
#define PCIR_HDRTYPE		0x0E
#define PCIR_BIST		0x0F
#define PCIR_BAR(x)		(0x10 + (x) * 4)
#define PCIR_SUBVEND		0x2C
#define PCIR_SUBDEV		0x2E
#define PCIR_ROMBAR		0x30
#define PCIR_CAP_PTR		0x34
#define PCIR_INTLINE		0x3C
#define PCIR_INTPIN		0x3D
#define PCIR_CAP_FIRST		0x40	/* capabilities live in 0x40..0xFF */

#define PCIM_CMD_PORTEN		0x0001
#define PCIM_CMD_MEMEN		0x0002
#define PCIM_CMD_BUSMASTER	0x0004
#define PCIM_CMD_PERRESP	0x0040
#define PCIM_CMD_SERRESP	0x0100
#define PCIM_CMD_INTxDIS	0x0400

#define PCIM_STATUS_INTxSTATE	0x0008
#define PCIM_STATUS_CAPPRESENT	0x0010
#define PCIM_STATUS_W1C		0xF900	/* error bits 8, 11..15 */

#define PCIM_HDRTYPE_NORMAL	0x00
#define PCIM_MFDEV		0x80

#define PCIM_BAR_IO		0x01
#define PCIM_BAR_MEM_64		0x04
#define PCIM_BAR_MEM_PREFETCH	0x08

#define PCIC_BRIDGE		0x06
#define PCIS_BRIDGE_HOST	0x00
#define PCIS_BRIDGE_ISA		0x01

#define PCIY_MSI		0x05
#define PCIY_MSIX		0x11

/* A BAR's address-space type; a 64-bit BAR uses two slots. */
enum pcibar_type {
	PCIBAR_NONE,
	PCIBAR_IO,
	PCIBAR_MEM32,
	PCIBAR_MEM64,
	PCIBAR_MEMHI64,	/* upper half of the BAR below it */
};

struct pcibar {
	enum pcibar_type type;
	uint64_t size;		/* power of two */
	uint64_t addr;		/* as the guest last programmed it */
	bool registered;	/* trap currently claimed */
	uint64_t regaddr;	/* where it is claimed */
	/* back pointers for the trap handler */
	struct pci_devinst *pi;
	int idx;
};

struct msix_entry {
	uint8_t b[16];		/* addr lo, addr hi, data, vector control */
};

struct pci_devinst {
	const struct pci_devemu *pi_d;
	struct vmctx *pi_vmctx;
	uint8_t pi_bus, pi_slot, pi_func;
	char pi_name[PCI_NAMESZ];	/* "pci.0.3.0" */
	void *pi_arg;			/* model's private state */
	pthread_mutex_t pi_lock;	/* recursive, see top of file */

	struct pcibar pi_bar[PCI_BARMAX + 1];

	struct {
		int pin;		/* 0 none, 1..4 = INTA..INTD */
		int gsi;
		bool asserted;		/* the model's view of the line */
		bool counted;		/* contributes to the GSI's count */
	} pi_lintr;

	struct {
		int capoff;		/* 0: no MSI capability */
		int maxvec;		/* 1, 2, 4, ... 32 */
	} pi_msi;

	struct {
		int capoff;		/* 0: no MSI-X capability */
		int bar;
		int count;		/* table entries, 1..2048 */
		uint32_t table_size;	/* bytes */
		uint32_t pba_offset;
		uint32_t pba_size;
		struct msix_entry *table;
		uint64_t *pba;
	} pi_msix;

	int pi_caplast;			/* offset of the last capability */
	int pi_capend;			/* first free byte after them */

	char pi_err[PCI_ERRSZ];		/* set by pci_emul_seterr() */

	uint8_t pi_cfg[PCI_CFG_SIZE];
	uint8_t pi_cfg_wmask[PCI_CFG_SIZE];	/* 1 = guest-writable bit */
	uint8_t pi_cfg_w1c[PCI_CFG_SIZE];	/* 1 = write 1 to clear */
};

/*
 * One const descriptor per model.  Hooks that are NULL are not called.
 */
struct pci_devemu {
	const char *pe_emu;	/* model name used in -s and pci.*.device */
	/*
	 * -s only: the model whose name -s writes to pci.*.device instead of
	 * pe_emu (after pe_legacy_config filled in keys), or NULL.  bhyve's
	 * amd_hostbridge is hostbridge with other IDs this way.
	 */
	const char *pe_alias;

	/*
	 * Create the instance: set IDs and class with pci_set_cfgdata*(),
	 * allocate BARs, add capabilities, request INTx.  `nvl` is the
	 * instance's config node.  Return 0, or -1 after pci_emul_seterr().
	 */
	int (*pe_init)(struct pci_devinst *pi, struct config_node *nvl);

	/*
	 * Turn the legacy -s option string (what follows "emul,"; "" if
	 * none) into keys under `nvl`.  NULL: pci_parse_legacy_config() is
	 * used.  Print a message to stderr and return -1 on error.
	 */
	int (*pe_legacy_config)(struct config_node *nvl, const char *opts);

	/*
	 * Config space accesses (offset aligned to bytes, bytes 1/2/4).
	 * Return 0 if handled; nonzero lets the core do its usual work.
	 */
	int (*pe_cfgwrite)(struct pci_devinst *pi, int offset, int bytes,
	    uint32_t val);
	int (*pe_cfgread)(struct pci_devinst *pi, int offset, int bytes,
	    uint32_t *val);

	/*
	 * Accesses to the model's BARs (not the MSI-X BAR, which the core
	 * serves).  `offset` is within the BAR; size is 1, 2, 4 or 8.
	 */
	void (*pe_barwrite)(struct pci_devinst *pi, int baridx,
	    uint64_t offset, int size, uint64_t value);
	uint64_t (*pe_barread)(struct pci_devinst *pi, int baridx,
	    uint64_t offset, int size);

	/*
	 * A BAR started (enabled) or stopped decoding at `addr` (after the
	 * guest moved it or toggled the command register).  For models that
	 * bind ioeventfds to BAR addresses.
	 */
	void (*pe_baraddr)(struct pci_devinst *pi, int baridx, bool enabled,
	    uint64_t addr);

	/*
	 * Interrupt configuration changed: MSI enable/address/data/mask
	 * (pe_msi_update), or an MSI-X entry's address/data/mask (vector) or
	 * the MSI-X enable/function mask (vector -1).  Read the new state
	 * with pci_msi_vector()/pci_msix_vector().  For models that route
	 * vectors to irqfds.
	 */
	void (*pe_msi_update)(struct pci_devinst *pi);
	void (*pe_msix_update)(struct pci_devinst *pi, int vector);
};

/* --- Start-up (main thread) -------------------------------------------- */

/*
 * -s slot[:func],emul[,conf] or -s bus:slot:func,emul[,conf].  Writes
 * pci.B.S.F.device=emul and hands conf to the model's legacy parser.
 * Returns 0, or -1 after printing "zhyve: -s <arg>: <problem>" to stderr.
 */
int pci_parse_slot(const char *arg);
/* Default legacy parser: "key=value" or bare "key" (= "true"), comma
 * separated.  Prints to stderr and returns -1 on a malformed key. */
int pci_parse_legacy_config(struct config_node *nvl, const char *opts);
/* The list -s help prints. */
void pci_print_emulations(FILE *f);

/* Create all devices from the config tree; -1 with a message in err. */
int pci_init(struct vmctx *ctx, char *err, size_t errlen);
/* Undo pci_init (traps and instances).  For exit and for tests. */
void pci_fini(void);

/* The 64-bit BAR window pci_init() uses (for the ACPI _CRS). */
void pci_mmio64_window(struct vmctx *ctx, uint64_t *base, uint64_t *size);

/* Find an instance (bus 0 only); NULL if absent. */
struct pci_devinst *pci_find_device(int bus, int slot, int func);

/*
 * Unit tests only: make one extra model known to the registry (at most a
 * few; NULL clears them).  Production code never calls this.
 */
int pci_emul_register_test_model(const struct pci_devemu *pe);

/* --- For models, in pe_init ------------------------------------------- */

/* Error message for pci_init() to report ("pci.0.3.0 (emul): msg"). */
void pci_emul_seterr(struct pci_devinst *pi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Ask for a BAR of `size` bytes (rounded up to a power of two; at least 4
 * for I/O, at most 256; at least 4 KiB for memory).  A 64-bit BAR takes
 * idx and idx + 1.  Placement happens later in pci_init().  0 or -1
 * (with pci_emul_seterr()).
 */
int pci_emul_alloc_bar(struct pci_devinst *pi, int idx, enum pcibar_type type,
    uint64_t size);

/*
 * Append a capability (bytes 0 and 1 are the ID and the next pointer,
 * which the core fills) in 0x40..0xFF, dword aligned.  Returns its offset
 * or -1 if full.  Its bytes are read-only until the caller sets masks.
 */
int pci_emul_add_capability(struct pci_devinst *pi, const uint8_t *cap,
    int caplen);
/* MSI: 64-bit addresses and per-vector masking; nvec 1..32 (power of 2). */
int pci_emul_add_msicap(struct pci_devinst *pi, int nvec);
/* MSI-X: table and PBA in their own 32-bit memory BAR `barnum`. */
int pci_emul_add_msixcap(struct pci_devinst *pi, int nvec, int barnum);

/* Config-space helpers; offsets outside the 4 KiB are ignored (read 0). */
void pci_set_cfgdata8(struct pci_devinst *pi, int off, uint8_t val);
void pci_set_cfgdata16(struct pci_devinst *pi, int off, uint16_t val);
void pci_set_cfgdata32(struct pci_devinst *pi, int off, uint32_t val);
uint8_t pci_get_cfgdata8(struct pci_devinst *pi, int off);
uint16_t pci_get_cfgdata16(struct pci_devinst *pi, int off);
uint32_t pci_get_cfgdata32(struct pci_devinst *pi, int off);
/* Which bits of [off, off+len) the guest may write (1 = writable). */
void pci_set_cfgmask8(struct pci_devinst *pi, int off, uint8_t mask);
void pci_set_cfgmask16(struct pci_devinst *pi, int off, uint16_t mask);
void pci_set_cfgmask32(struct pci_devinst *pi, int off, uint32_t mask);

/* --- Interrupts (any thread) ------------------------------------------ */

/* Give the device INTA, routed to GSI PCI_INTX_GSI(slot, 0).  0 or -1. */
int pci_lintr_request(struct pci_devinst *pi);
/* Level-triggered: the line is high while asserted (and INTx allowed). */
void pci_lintr_assert(struct pci_devinst *pi);
void pci_lintr_deassert(struct pci_devinst *pi);

bool pci_msi_enabled(struct pci_devinst *pi);
/* Vectors the guest enabled (1 << MME, at most the capability's). */
int pci_msi_nvec(struct pci_devinst *pi);
/* Send MSI vector (0 .. pci_msi_nvec()-1); masked: set pending.  0 or -1. */
int pci_generate_msi(struct pci_devinst *pi, int vector);
int pci_msi_vector(struct pci_devinst *pi, int vector, uint64_t *addr,
    uint32_t *data, bool *masked);

bool pci_msix_enabled(struct pci_devinst *pi);
/*
 * Send MSI-X vector; if it or the function is masked, set its pending
 * bit instead (it is sent when unmasked).  -1 if MSI-X is off or vector is
 * out of range.
 */
int pci_generate_msix(struct pci_devinst *pi, int vector);
/* Entry contents; masked includes the function mask and MSI-X off. */
int pci_msix_vector(struct pci_devinst *pi, int vector, uint64_t *addr,
    uint32_t *data, bool *masked);

#endif
