/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PCI core: the table of device models, the -s front end, and pci_init(),
 * which turns the pci.* config nodes into device instances.
 *
 * Threads: everything here runs on the main thread during start-up (and
 * pci_fini() at exit, after the vCPUs are gone).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "iotrap.h"
#include "pci_emul.h"
#include "pci_priv.h"
#include "vmctx.h"

/* The device models.  Add one line here and one in the table per model. */
extern const struct pci_devemu pci_de_hostbridge;
extern const struct pci_devemu pci_de_amd_hostbridge;
extern const struct pci_devemu pci_de_lpc;
extern const struct pci_devemu pci_de_virtio_blk;
extern const struct pci_devemu pci_de_virtio_rnd;
extern const struct pci_devemu pci_de_virtio_net;

static const struct pci_devemu *const pci_emul_table[] = {
	&pci_de_hostbridge,
	&pci_de_amd_hostbridge,
	&pci_de_lpc,
	&pci_de_virtio_blk,
	&pci_de_virtio_rnd,
	&pci_de_virtio_net,
};

#define PCI_TEST_MODELS 4
static const struct pci_devemu *pci_test_models[PCI_TEST_MODELS];

struct pci_bus_state pci_bus = {
	.cf8_lock = PTHREAD_MUTEX_INITIALIZER,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct pci_devemu *
pci_emul_find(const char *name)
{
	for (size_t i = 0; i < NELEM(pci_emul_table); i++)
		if (strcmp(pci_emul_table[i]->pe_emu, name) == 0)
			return pci_emul_table[i];
	for (size_t i = 0; i < PCI_TEST_MODELS; i++)
		if (pci_test_models[i] != NULL &&
		    strcmp(pci_test_models[i]->pe_emu, name) == 0)
			return pci_test_models[i];
	return NULL;
}

int
pci_emul_register_test_model(const struct pci_devemu *pe)
{
	if (pe == NULL) {
		memset(pci_test_models, 0, sizeof(pci_test_models));
		return 0;
	}
	for (size_t i = 0; i < PCI_TEST_MODELS; i++) {
		if (pci_test_models[i] == NULL) {
			pci_test_models[i] = pe;
			return 0;
		}
	}
	return -1;
}

void
pci_print_emulations(FILE *f)
{
	for (size_t i = 0; i < NELEM(pci_emul_table); i++)
		fprintf(f, "%s\n", pci_emul_table[i]->pe_emu);
}

/* Decimal 0..max with nothing else; -1 if not. */
static int
parse_num(const char *s, size_t len, int max)
{
	long v = 0;

	if (len == 0 || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

/* --- the -s front end -------------------------------------------------- */

/* A config key: components of [A-Za-z0-9_-]+ joined by dots. */
static bool
valid_key(const char *k, size_t len)
{
	bool comp_empty = true;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = k[i];
		if (c == '.') {
			if (comp_empty)
				return false;
			comp_empty = true;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-') {
			comp_empty = false;
		} else {
			return false;
		}
	}
	return !comp_empty;
}

struct legacy_kv {
	char key[CONFIG_MAX_PATH];
	const char *val;	/* into the copy of opts */
};

/* True if key a is a strict dotted prefix of b ("a" vs "a.b"). */
static bool
key_prefix(const char *a, const char *b)
{
	size_t la = strlen(a);

	return strncmp(a, b, la) == 0 && b[la] == '.';
}

static int
legacy_parse(struct config_node *nvl, const char *opts, const char *who)
{
	struct legacy_kv *kv = NULL;
	size_t n = 0, cap = 0;
	char *copy, *tok, *save = NULL;
	int rc = -1;

	copy = strdup(opts);
	if (copy == NULL) {
		fprintf(stderr, "zhyve: %s: out of memory\n", who);
		return -1;
	}
	/* Pass 1: split and check everything so that pass 2 cannot fail. */
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		size_t klen = eq != NULL ? (size_t)(eq - tok) : strlen(tok);
		const char *val = eq != NULL ? eq + 1 : "true";

		if (!valid_key(tok, klen) || klen >= CONFIG_MAX_PATH - 32) {
			fprintf(stderr, "zhyve: %s: bad option '%s' (expected "
			    "key=value or key)\n", who, tok);
			goto out;
		}
		if (strlen(val) >= CONFIG_MAX_VALUE) {
			fprintf(stderr, "zhyve: %s: value of '%.*s' is too "
			    "long\n", who, (int)klen, tok);
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct legacy_kv *nkv = realloc(kv, ncap * sizeof(*kv));
			if (nkv == NULL) {
				fprintf(stderr, "zhyve: %s: out of memory\n",
				    who);
				goto out;
			}
			kv = nkv;
			cap = ncap;
		}
		memcpy(kv[n].key, tok, klen);
		kv[n].key[klen] = '\0';
		kv[n].val = val;
		if (strcmp(kv[n].key, "device") == 0 ||
		    key_prefix("device", kv[n].key)) {
			fprintf(stderr, "zhyve: %s: option 'device' is set by "
			    "the emulation name\n", who);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (key_prefix(kv[i].key, kv[n].key) ||
			    key_prefix(kv[n].key, kv[i].key)) {
				fprintf(stderr, "zhyve: %s: options '%s' and "
				    "'%s' conflict\n", who, kv[i].key,
				    kv[n].key);
				goto out;
			}
		}
		n++;
	}
	/* Pass 2: write (nvl NULL: check only). */
	for (size_t i = 0; nvl != NULL && i < n; i++) {
		if (config_set_node(nvl, kv[i].key, kv[i].val) != 0) {
			fprintf(stderr, "zhyve: %s: %s\n", who, config_error());
			goto out;
		}
	}
	rc = 0;
out:
	free(kv);
	free(copy);
	return rc;
}

int
pci_parse_legacy_config(struct config_node *nvl, const char *opts)
{
	return legacy_parse(nvl, opts, "-s options");
}

static int
slot_error(const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
slot_error(const char *arg, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zhyve: -s %s: ", arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int
pci_parse_slot(const char *arg)
{
	const char *comma, *emul, *conf, *p, *colon[3];
	int ncolon = 0, nums[3], bus = 0, slot, func = 0;
	char emulname[64], path[64], who[CONFIG_MAX_PATH];
	const struct pci_devemu *pe;
	struct config_node *nvl;
	size_t elen;

	comma = strchr(arg, ',');
	if (comma == NULL)
		return slot_error(arg, "missing emulation (expected "
		    "[bus:]slot[:func],emulation[,config])");
	for (p = arg; p < comma; p++) {
		if (*p == ':') {
			if (ncolon == 2)
				return slot_error(arg, "too many ':' in "
				    "'%.*s'", (int)(comma - arg), arg);
			colon[ncolon++] = p;
		}
	}
	/* Split the address at the colons into 1..3 numbers. */
	{
		const char *start = arg;
		static const int maxv[3][3] = {
			{ 31 }, { 31, 7 }, { 255, 31, 7 } };
		static const char *const what[3][3] = {
			{ "slot" }, { "slot", "function" },
			{ "bus", "slot", "function" } };

		for (int i = 0; i <= ncolon; i++) {
			const char *end = i < ncolon ? colon[i] : comma;
			nums[i] = parse_num(start, (size_t)(end - start),
			    maxv[ncolon][i]);
			if (nums[i] < 0)
				return slot_error(arg, "bad %s '%.*s' "
				    "(0..%d)", what[ncolon][i],
				    (int)(end - start), start,
				    maxv[ncolon][i]);
			start = end + 1;
		}
	}
	if (ncolon == 0) {
		slot = nums[0];
	} else if (ncolon == 1) {
		slot = nums[0];
		func = nums[1];
	} else {
		bus = nums[0];
		slot = nums[1];
		func = nums[2];
	}

	emul = comma + 1;
	conf = strchr(emul, ',');
	elen = conf != NULL ? (size_t)(conf - emul) : strlen(emul);
	if (conf != NULL)
		conf++;
	if (elen == 0)
		return slot_error(arg, "missing emulation name");
	if (elen >= sizeof(emulname))
		return slot_error(arg, "emulation name too long");
	memcpy(emulname, emul, elen);
	emulname[elen] = '\0';
	pe = pci_emul_find(emulname);
	if (pe == NULL)
		return slot_error(arg, "unknown emulation '%s' (-s help "
		    "lists them)", emulname);

	snprintf(path, sizeof(path), "pci.%d.%d.%d", bus, slot, func);
	snprintf(who, sizeof(who), "pci.%d.%d.%d.device", bus, slot, func);
	if (config_get_raw(who) != NULL)
		return slot_error(arg, "slot %d:%d:%d is already in use",
		    bus, slot, func);
	if (conf == NULL)
		conf = "";
	/* The default parser checks everything before the tree changes. */
	snprintf(who, sizeof(who), "-s %s", arg);
	if (pe->pe_legacy_config == NULL && legacy_parse(NULL, conf, who) != 0)
		return -1;
	nvl = config_create_node(path);
	if (nvl == NULL)
		return slot_error(arg, "%s", config_error());
	if (pe->pe_legacy_config != NULL) {
		if (pe->pe_legacy_config(nvl, conf) != 0)
			return -1;
	} else if (legacy_parse(nvl, conf, who) != 0) {
		return -1;
	}
	/* A front-end alias names the model that really runs. */
	if (config_set_node(nvl, "device", pe->pe_alias != NULL ?
	    pe->pe_alias : pe->pe_emu) != 0)
		return slot_error(arg, "%s", config_error());
	return 0;
}

/* --- instances ---------------------------------------------------------- */

void
pci_emul_seterr(struct pci_devinst *pi, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pi->pi_err, sizeof(pi->pi_err), fmt, ap);
	va_end(ap);
}

struct pci_devinst *
pci_find_device(int bus, int slot, int func)
{
	if (bus != 0 || slot < 0 || slot >= PCI_MAXSLOTS || func < 0 ||
	    func >= PCI_MAXFUNCS)
		return NULL;
	return pci_bus.devs[slot][func];
}

static struct pci_devinst *
devinst_new(struct vmctx *ctx, const struct pci_devemu *pe, int slot,
    int func)
{
	struct pci_devinst *pi;
	pthread_mutexattr_t attr;

	pi = calloc(1, sizeof(*pi));
	if (pi == NULL)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&pi->pi_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pi->pi_d = pe;
	pi->pi_vmctx = ctx;
	pi->pi_bus = 0;
	pi->pi_slot = (uint8_t)slot;
	pi->pi_func = (uint8_t)func;
	snprintf(pi->pi_name, sizeof(pi->pi_name), "pci.0.%d.%d", slot, func);
	for (int i = 0; i <= PCI_BARMAX; i++) {
		pi->pi_bar[i].pi = pi;
		pi->pi_bar[i].idx = i;
	}
	pci_cfg_init_header(pi);
	return pi;
}

static void
devinst_free(struct pci_devinst *pi)
{
	pci_bar_release_all(pi);
	pci_irq_fini(pi);
	pthread_mutex_destroy(&pi->pi_lock);
	free(pi);
}

void
pci_fini(void)
{
	if (pci_bus.ctx != NULL)
		pci_cfg_unregister_traps(pci_bus.ctx);
	for (int s = 0; s < PCI_MAXSLOTS; s++) {
		for (int f = 0; f < PCI_MAXFUNCS; f++) {
			if (pci_bus.devs[s][f] != NULL)
				devinst_free(pci_bus.devs[s][f]);
			pci_bus.devs[s][f] = NULL;
		}
	}
	pci_intx_reset();
	pci_bus.ctx = NULL;
	pci_bus.inited = false;
	pci_bus.cfg_traps = false;
	pci_bus.cf8 = 0;
	pci_bus.rstctl = 0;
}

/* Read pci.* and create (not yet init) an instance per function. */
static int
create_instances(struct vmctx *ctx, struct config_node **nodes, char *err,
    size_t errlen)
{
	struct config_node *root, *bn, *sn, *fn;

	root = config_find_node("pci");
	if (root == NULL)
		return 0;
	if (config_node_is_leaf(root)) {
		snprintf(err, errlen, "pci: expected pci.<bus>.<slot>.<func> "
		    "nodes, found a value");
		return -1;
	}
	for (bn = config_first_child(root); bn != NULL;
	    bn = config_next_sibling(bn)) {
		const char *bname = config_node_name(bn);
		int bus = parse_num(bname, strlen(bname), 255);

		if (bus < 0 || config_node_is_leaf(bn)) {
			snprintf(err, errlen, "pci.%s: not a bus number "
			    "(0..255) with slots below it", bname);
			return -1;
		}
		if (bus != 0) {
			snprintf(err, errlen, "pci.%s: only bus 0 is supported",
			    bname);
			return -1;
		}
		for (sn = config_first_child(bn); sn != NULL;
		    sn = config_next_sibling(sn)) {
			const char *sname = config_node_name(sn);
			int slot = parse_num(sname, strlen(sname), 31);

			if (slot < 0 || config_node_is_leaf(sn)) {
				snprintf(err, errlen, "pci.%s.%s: not a slot "
				    "number (0..31) with functions below it",
				    bname, sname);
				return -1;
			}
			for (fn = config_first_child(sn); fn != NULL;
			    fn = config_next_sibling(fn)) {
				const char *fname = config_node_name(fn);
				int func = parse_num(fname, strlen(fname), 7);
				const struct pci_devemu *pe;
				const char *dev;

				if (func < 0 || config_node_is_leaf(fn)) {
					snprintf(err, errlen, "pci.%s.%s.%s: "
					    "not a function number (0..7) "
					    "with a device below it", bname,
					    sname, fname);
					return -1;
				}
				dev = config_get_node(fn, "device");
				if (dev == NULL) {
					if (config_find_relative_node(fn,
					    "device") != NULL)
						snprintf(err, errlen, "%s",
						    config_error());
					else
						snprintf(err, errlen,
						    "pci.%s.%s.%s.device: not "
						    "set", bname, sname, fname);
					return -1;
				}
				pe = pci_emul_find(dev);
				if (pe == NULL) {
					snprintf(err, errlen, "pci.%s.%s.%s."
					    "device: unknown emulation '%s'",
					    bname, sname, fname, dev);
					return -1;
				}
				if (pci_bus.devs[slot][func] != NULL) {
					snprintf(err, errlen, "pci.%s.%s.%s: "
					    "slot %d function %d is configured "
					    "twice", bname, sname, fname, slot,
					    func);
					return -1;
				}
				pci_bus.devs[slot][func] = devinst_new(ctx, pe,
				    slot, func);
				if (pci_bus.devs[slot][func] == NULL) {
					snprintf(err, errlen, "pci: out of "
					    "memory");
					return -1;
				}
				nodes[slot * PCI_MAXFUNCS + func] = fn;
			}
		}
	}
	return 0;
}

/* Header type bit 7 on every function of a multi-function slot. */
static int
check_functions(char *err, size_t errlen)
{
	for (int s = 0; s < PCI_MAXSLOTS; s++) {
		int nfunc = 0;

		for (int f = 0; f < PCI_MAXFUNCS; f++)
			nfunc += pci_bus.devs[s][f] != NULL;
		if (nfunc == 0)
			continue;
		if (pci_bus.devs[s][0] == NULL) {
			snprintf(err, errlen, "pci.0.%d: slot %d has functions "
			    "but no function 0 (guests would not find them)",
			    s, s);
			return -1;
		}
		for (int f = 0; f < PCI_MAXFUNCS; f++) {
			struct pci_devinst *pi = pci_bus.devs[s][f];
			uint8_t h;

			if (pi == NULL)
				continue;
			h = pci_get_cfgdata8(pi, PCIR_HDRTYPE);
			if (nfunc > 1)
				h |= PCIM_MFDEV;
			else
				h &= (uint8_t)~PCIM_MFDEV;
			pci_set_cfgdata8(pi, PCIR_HDRTYPE, h);
		}
	}
	return 0;
}

int
pci_init(struct vmctx *ctx, char *err, size_t errlen)
{
	struct config_node *nodes[PCI_MAXSLOTS * PCI_MAXFUNCS] = { 0 };

	if (pci_bus.inited) {
		snprintf(err, errlen, "pci: already initialized");
		return -1;
	}
	pci_bus.ctx = ctx;
	pci_bus.cf8 = 0;
	pci_bus.rstctl = 0;

	if (create_instances(ctx, nodes, err, errlen) != 0)
		goto fail;
	/* Init in bus/slot/function order, whatever the tree order. */
	for (int s = 0; s < PCI_MAXSLOTS; s++) {
		for (int f = 0; f < PCI_MAXFUNCS; f++) {
			struct pci_devinst *pi = pci_bus.devs[s][f];

			if (pi == NULL || pi->pi_d->pe_init == NULL)
				continue;
			if (pi->pi_d->pe_init(pi, nodes[s * PCI_MAXFUNCS + f])
			    != 0) {
				snprintf(err, errlen, "%s (%s): %s",
				    pi->pi_name, pi->pi_d->pe_emu,
				    pi->pi_err[0] ? pi->pi_err :
				    "initialization failed");
				goto fail;
			}
		}
	}
	if (check_functions(err, errlen) != 0)
		goto fail;
	if (pci_bar_place_all(ctx, err, errlen) != 0)
		goto fail;
	if (pci_cfg_register_traps(ctx, err, errlen) != 0)
		goto fail;
	pci_bus.inited = true;
	return 0;
fail:
	pci_fini();
	return -1;
}
