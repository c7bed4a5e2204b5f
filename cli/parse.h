/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - parsing of command arguments (pure functions, unit-tested)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef VFIOPASIDCTL_PARSE_H
#define VFIOPASIDCTL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * An unsigned 32-bit number: decimal, or hexadecimal with a 0x prefix.  No
 * sign, no blanks, no trailing garbage.  0 or -EINVAL / -ERANGE.
 */
int parse_u32(const char *s, uint32_t *out);

/*
 * A cgroup v2 path as the admin API takes it: from the cgroup2 root, so it
 * starts with '/' ("/" itself is the root); at most 4095 bytes; no "." or
 * ".." component, no control character.  0 or -EINVAL (-ENAMETOOLONG when
 * too long).
 */
int parse_cgroup_path(const char *s);

/* A limit: a number of PASIDs, 0 to 0xFFFFF.  0, -EINVAL or -ERANGE. */
#define LIMIT_MAX_PASIDS	0xFFFFFu
int parse_limit(const char *s, uint32_t *out);

/* A VM as the user names it: "ID" (as vm list prints it) or "pid:PID" */
enum vm_sel_kind {
	VM_SEL_ID,
	VM_SEL_PID,
};

struct vm_sel {
	enum vm_sel_kind kind;
	uint32_t	val;	/* VM id or pid, at least 1 */
};

/* 0, or -EINVAL for anything but "N" or "pid:N" with 1 <= N <= 2^32-1 */
int parse_vm_sel(const char *s, struct vm_sel *out);

/* "VM 3" or "the VM of pid 1234", for messages */
const char *vm_sel_str(const struct vm_sel *sel, char *buf, size_t len);

/*
 * A module parameter PARAM=VALUE.  PARAM is [A-Za-z_][A-Za-z0-9_-]*; VALUE
 * may be empty and may not contain a double quote or a control character.
 * On success @name receives PARAM ('-' folded to '_', as the kernel does)
 * and *@value points into @s after the '='.  0 or -EINVAL.
 */
int parse_param(const char *s, char *name, size_t name_len,
		const char **value);

/*
 * Join PARAM=VALUE arguments into the option string init_module() takes,
 * separated by single spaces; a value containing blanks is put in double
 * quotes.  Returns a malloc()ed string, or NULL (errno set).
 */
char *join_params(char *const *params, int n);

#endif /* VFIOPASIDCTL_PARSE_H */
