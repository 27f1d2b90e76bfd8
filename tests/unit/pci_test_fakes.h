/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stand-ins for the modules test_pci.c links against, for trees where
 * those modules are not built yet: a fake VM (lib/vmm), the trap registry
 * (vmm/iotrap.c), the config tree (vmm/config.c) and the ISA UART hook.
 * They implement only the declared interfaces, so test_pci.c works the
 * same against the real modules: drop the #include of this file (and keep
 * the lpc_uart_init recorder) once they exist.
 *
 * Threads: the test's main thread only.
 */
#ifndef PCI_TEST_FAKES_H
#define PCI_TEST_FAKES_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "iotrap.h"
#include "vmm.h"

/* --- fake VM -------------------------------------------------------------- */

struct vm {
	int level[256];
	unsigned pulses[256];
	unsigned nmsi;
	uint64_t msi_addr;
	uint32_t msi_data;
};

struct vm *
vm_create_fake(const char *name)
{
	(void)name;
	return calloc(1, sizeof(struct vm));
}

void
vm_destroy(struct vm *vm)
{
	free(vm);
}

uint64_t
vm_highmem_size(const struct vm *vm)
{
	(void)vm;
	return 0;
}

int
vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	if (gsi >= 256)
		return -1;
	vm->level[gsi] = level;
	return 0;
}

int
vm_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	vm->nmsi++;
	vm->msi_addr = addr;
	vm->msi_data = data;
	return 0;
}

int
vm_fake_irq_level(const struct vm *vm, uint32_t gsi)
{
	return gsi < 256 ? vm->level[gsi] : -1;
}

unsigned
vm_fake_msi_count(const struct vm *vm)
{
	return vm->nmsi;
}

void
vm_fake_last_msi(const struct vm *vm, uint64_t *addr, uint32_t *data)
{
	*addr = vm->msi_addr;
	*data = vm->msi_data;
}

/* --- trap registry ------------------------------------------------------- */

#define FAKE_TRAPS 64
struct iotrap_table {
	struct {
		bool used;
		enum iotrap_space space;
		uint64_t base, len;
		iotrap_handler_t *fn;
		void *arg;
		const char *name;
	} e[FAKE_TRAPS];
};

struct iotrap_table *
iotrap_table_new(void)
{
	return calloc(1, sizeof(struct iotrap_table));
}

void
iotrap_table_free(struct iotrap_table *t)
{
	free(t);
}

int
iotrap_register(struct iotrap_table *t, enum iotrap_space space,
    uint64_t base, uint64_t len, iotrap_handler_t *fn, void *arg,
    const char *name)
{
	int freei = -1;

	if (len == 0 || base + len < base) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < FAKE_TRAPS; i++) {
		if (!t->e[i].used) {
			if (freei < 0)
				freei = i;
			continue;
		}
		if (t->e[i].space == space && base < t->e[i].base + t->e[i].len &&
		    t->e[i].base < base + len) {
			errno = EEXIST;
			return -1;
		}
	}
	if (freei < 0) {
		errno = ENOSPC;
		return -1;
	}
	t->e[freei].used = true;
	t->e[freei].space = space;
	t->e[freei].base = base;
	t->e[freei].len = len;
	t->e[freei].fn = fn;
	t->e[freei].arg = arg;
	t->e[freei].name = name;
	return 0;
}

int
iotrap_unregister(struct iotrap_table *t, enum iotrap_space space,
    uint64_t base)
{
	for (int i = 0; i < FAKE_TRAPS; i++) {
		if (t->e[i].used && t->e[i].space == space &&
		    t->e[i].base == base) {
			t->e[i].used = false;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

int
iotrap_dispatch(struct iotrap_table *t, enum iotrap_space space,
    uint64_t addr, int size, bool write, uint64_t *val)
{
	for (int i = 0; i < FAKE_TRAPS; i++) {
		if (t->e[i].used && t->e[i].space == space &&
		    addr >= t->e[i].base &&
		    addr + (uint64_t)size <= t->e[i].base + t->e[i].len) {
			uint64_t v = write ? *val : 0;
			t->e[i].fn(t->e[i].arg, write, addr - t->e[i].base,
			    size, &v);
			if (!write)
				*val = v;
			return 0;
		}
	}
	return -1;
}

const char *
iotrap_lookup_name(struct iotrap_table *t, enum iotrap_space space,
    uint64_t addr)
{
	for (int i = 0; i < FAKE_TRAPS; i++)
		if (t->e[i].used && t->e[i].space == space &&
		    addr >= t->e[i].base && addr < t->e[i].base + t->e[i].len)
			return t->e[i].name;
	return NULL;
}

/* --- config tree (no %() expansion) --------------------------------------- */

struct config_node {
	char *name;
	char *value;		/* leaf iff non-NULL */
	struct config_node *child, *next, *parent;
};

static struct config_node *fake_root;
static char fake_cfg_err[512];

void
config_init(void)
{
	config_fini();
	fake_root = calloc(1, sizeof(*fake_root));
}

static void
fake_node_free(struct config_node *n)
{
	while (n != NULL) {
		struct config_node *nx = n->next;
		fake_node_free(n->child);
		free(n->name);
		free(n->value);
		free(n);
		n = nx;
	}
}

void
config_fini(void)
{
	if (fake_root != NULL)
		fake_node_free(fake_root);
	fake_root = NULL;
}

struct config_node *
config_root(void)
{
	return fake_root;
}

const char *
config_error(void)
{
	return fake_cfg_err;
}

static struct config_node *
fake_walk(struct config_node *parent, const char *path, bool create)
{
	char buf[CONFIG_MAX_PATH], *save = NULL, *c;
	struct config_node *n = parent;

	if (n == NULL || strlen(path) >= sizeof(buf) || path[0] == '\0')
		return NULL;
	strcpy(buf, path);
	for (c = strtok_r(buf, ".", &save); c != NULL;
	    c = strtok_r(NULL, ".", &save)) {
		struct config_node *k, **tail;

		if (n->value != NULL) {
			snprintf(fake_cfg_err, sizeof(fake_cfg_err),
			    "%s: a value, not a node", path);
			return NULL;
		}
		for (k = n->child; k != NULL; k = k->next)
			if (strcmp(k->name, c) == 0)
				break;
		if (k == NULL) {
			if (!create)
				return NULL;
			k = calloc(1, sizeof(*k));
			k->name = strdup(c);
			k->parent = n;
			for (tail = &n->child; *tail != NULL;
			    tail = &(*tail)->next)
				;
			*tail = k;
		}
		n = k;
	}
	return n;
}

struct config_node *
config_find_node(const char *path)
{
	return fake_walk(fake_root, path, false);
}

struct config_node *
config_create_node(const char *path)
{
	struct config_node *n = fake_walk(fake_root, path, true);

	return n != NULL && n->value == NULL ? n : NULL;
}

struct config_node *
config_find_relative_node(struct config_node *parent, const char *path)
{
	return fake_walk(parent, path, false);
}

int
config_set_node(struct config_node *parent, const char *name,
    const char *value)
{
	struct config_node *n = fake_walk(parent, name, false);

	if (n != NULL && n->value == NULL) {
		snprintf(fake_cfg_err, sizeof(fake_cfg_err),
		    "%s: a node, not a value", name);
		return -1;
	}
	if (n == NULL)
		n = fake_walk(parent, name, true);
	if (n == NULL)
		return -1;
	free(n->value);
	n->value = strdup(value);
	return 0;
}

int
config_set(const char *path, const char *value)
{
	return config_set_node(fake_root, path, value);
}

const char *
config_get_node(struct config_node *parent, const char *name)
{
	struct config_node *n = fake_walk(parent, name, false);

	return n != NULL ? n->value : NULL;
}

const char *
config_get(const char *path)
{
	return config_get_node(fake_root, path);
}

const char *
config_get_raw(const char *path)
{
	return config_get(path);
}

struct config_node *
config_first_child(struct config_node *n)
{
	return n->child;
}

struct config_node *
config_next_sibling(struct config_node *n)
{
	return n->next;
}

const char *
config_node_name(const struct config_node *n)
{
	return n->name;
}

bool
config_node_is_leaf(const struct config_node *n)
{
	return n->value != NULL;
}

#endif
