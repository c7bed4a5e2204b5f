// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - parsing of command arguments
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;
	unsigned int base = 10;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	/* hexadecimal as "0x" only: "0X" and signs are not numbers here */
	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
		if (!*p)
			return -EINVAL;
	}
	for (; *p; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return -EINVAL;
		v = v * base + d;
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

int parse_vm_sel(const char *s, struct vm_sel *out)
{
	struct vm_sel sel = { .kind = VM_SEL_ID };
	const char *num = s;

	if (!s)
		return -EINVAL;
	if (!strncmp(s, "pid:", 4)) {
		sel.kind = VM_SEL_PID;
		num = s + 4;
	}
	/* decimal only: that is how vm list prints ids and ps prints pids */
	if (!*num || !isdigit((unsigned char)num[0]) ||
	    (num[0] == '0' && num[1] == 'x'))
		return -EINVAL;
	if (parse_u32(num, &sel.val) || sel.val == 0)
		return -EINVAL;
	*out = sel;
	return 0;
}

int parse_cgroup_path(const char *s)
{
	const char *p, *end;
	size_t n;

	if (!s || s[0] != '/')
		return -EINVAL;
	if (strlen(s) > 4095)
		return -ENAMETOOLONG;
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	/* every component between slashes: not "." nor ".." */
	for (p = s; *p; p = end) {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
	}
	return 0;
}

int parse_limit(const char *s, uint32_t *out)
{
	uint32_t v;
	int ret = parse_u32(s, &v);

	if (ret)
		return ret;
	if (v > LIMIT_MAX_PASIDS)
		return -ERANGE;
	*out = v;
	return 0;
}

const char *vm_sel_str(const struct vm_sel *sel, char *buf, size_t len)
{
	if (sel->kind == VM_SEL_PID)
		snprintf(buf, len, "the VM of pid %u", sel->val);
	else
		snprintf(buf, len, "VM %u", sel->val);
	return buf;
}

int parse_param(const char *s, char *name, size_t name_len,
		const char **value)
{
	const char *eq;
	size_t n;

	if (!s)
		return -EINVAL;
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return -EINVAL;
	n = (size_t)(eq - s);
	if (n >= name_len)
		return -EINVAL;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!isalnum((unsigned char)c) && c != '_' && c != '-')
			return -EINVAL;
		name[i] = c == '-' ? '_' : c;
	}
	name[n] = '\0';
	for (const char *p = eq + 1; *p; p++)
		if (*p == '"' || iscntrl((unsigned char)*p))
			return -EINVAL;
	*value = eq + 1;
	return 0;
}

char *join_params(char *const *params, int n)
{
	size_t len = 1;
	char *buf, *p;

	for (int i = 0; i < n; i++)
		len += strlen(params[i]) + 3;	/* space and two quotes */
	buf = malloc(len);
	if (!buf)
		return NULL;
	p = buf;
	*p = '\0';
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(params[i], '=');
		int quote = eq && strpbrk(eq + 1, " \t") != NULL;

		if (i)
			*p++ = ' ';
		if (quote) {
			size_t k = (size_t)(eq - params[i]) + 1;

			memcpy(p, params[i], k);
			p += k;
			p += sprintf(p, "\"%s\"", eq + 1);
		} else {
			p += sprintf(p, "%s", params[i]);
		}
	}
	return buf;
}
