// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: argument parsing and command lookup
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "parse.h"
#include "unit.h"

static void test_u32(void)
{
	static const struct {
		const char *s;
		int ret;
		uint32_t val;
	} cases[] = {
		{ "0", 0, 0 },
		{ "42", 0, 42 },
		{ "007", 0, 7 },
		{ "4294967295", 0, 4294967295U },
		{ "0x10", 0, 16 },
		{ "0xfFfFf", 0, 0xFFFFF },
		{ "0X10", -EINVAL, 0 },
		{ "0XfFfFf", -EINVAL, 0 },
		{ "-0", -EINVAL, 0 },
		{ "-0x1", -EINVAL, 0 },
		{ "0xFFFFFFFF", 0, 0xFFFFFFFFU },
		{ "4294967296", -ERANGE, 0 },
		{ "99999999999999999999999", -ERANGE, 0 },
		{ "0x100000000", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "12abc", -EINVAL, 0 },
		{ "0x1g", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint32_t v = 12345;
		int ret = parse_u32(cases[i].s, &v);

		EQ_INT(ret, cases[i].ret, "parse_u32(\"%s\") returns %d",
		       cases[i].s, cases[i].ret);
		if (!cases[i].ret)
			EQ_INT(v, cases[i].val, "parse_u32(\"%s\") = %u",
			       cases[i].s, cases[i].val);
	}
	OK(parse_u32(NULL, NULL) == -EINVAL, "parse_u32(NULL) is refused");
}

static void test_cgroup_path(void)
{
	static const struct {
		const char *s;
		int ret;
	} cases[] = {
		{ "/", 0 },
		{ "/machine.slice", 0 },
		{ "/machine.slice/", 0 },
		{ "/user.slice/user-1000.slice", 0 },
		{ "//a//b", 0 },
		{ "/a.b/..c/...", 0 },
		{ "/machine.slice/machine-qemu\\x2d1.scope", 0 },
		{ "", -EINVAL },
		{ "machine.slice", -EINVAL },
		{ "./x", -EINVAL },
		{ "/.", -EINVAL },
		{ "/..", -EINVAL },
		{ "/a/../b", -EINVAL },
		{ "/a/./b", -EINVAL },
		{ "/a/..", -EINVAL },
		{ "/a\nb", -EINVAL },
		{ "/a\tb", -EINVAL },
		{ "/a\x7f", -EINVAL },
	};
	char *longp = malloc(4097);

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		EQ_INT(parse_cgroup_path(cases[i].s), cases[i].ret,
		       "parse_cgroup_path(\"%s\") returns %d", cases[i].s,
		       cases[i].ret);
	OK(parse_cgroup_path(NULL) == -EINVAL, "parse_cgroup_path(NULL) is refused");
	if (longp) {
		memset(longp, 'x', 4096);
		longp[0] = '/';
		longp[4095] = '\0';
		EQ_INT(parse_cgroup_path(longp), 0, "a path of 4095 bytes is taken");
		longp[4095] = 'x';
		longp[4096] = '\0';
		EQ_INT(parse_cgroup_path(longp), -ENAMETOOLONG,
		       "a path of 4096 bytes is too long");
		free(longp);
	}
}

static void test_limit(void)
{
	static const struct {
		const char *s;
		int ret;
		uint32_t val;
	} cases[] = {
		{ "0", 0, 0 },
		{ "100", 0, 100 },
		{ "1048575", 0, 1048575 },
		{ "0xFFFFF", 0, 0xFFFFF },
		{ "1048576", -ERANGE, 0 },
		{ "4294967296", -ERANGE, 0 },
		{ "-1", -EINVAL, 0 },
		{ "ten", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint32_t v = 7;
		int ret = parse_limit(cases[i].s, &v);

		EQ_INT(ret, cases[i].ret, "parse_limit(\"%s\") returns %d",
		       cases[i].s, cases[i].ret);
		EQ_INT(v, cases[i].ret ? 7 : cases[i].val,
		       "parse_limit(\"%s\") leaves %u", cases[i].s,
		       cases[i].ret ? 7 : cases[i].val);
	}
}

static void test_vm_sel(void)
{
	static const struct {
		const char *s;
		int ok;
		enum vm_sel_kind kind;
		uint32_t val;
	} cases[] = {
		{ "1", 1, VM_SEL_ID, 1 },
		{ "17", 1, VM_SEL_ID, 17 },
		{ "4294967295", 1, VM_SEL_ID, 4294967295U },
		{ "pid:1", 1, VM_SEL_PID, 1 },
		{ "pid:1234", 1, VM_SEL_PID, 1234 },
		{ "0", 0, 0, 0 },
		{ "pid:0", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "pid:", 0, 0, 0 },
		{ "pid", 0, 0, 0 },
		{ "PID:1", 0, 0, 0 },
		{ "pid:-1", 0, 0, 0 },
		{ "pid: 1", 0, 0, 0 },
		{ "pid:1x", 0, 0, 0 },
		{ "pid:0x10", 0, 0, 0 },
		{ "0x10", 0, 0, 0 },
		{ "0X10", 0, 0, 0 },
		{ "pid:0X10", 0, 0, 0 },
		{ "-1", 0, 0, 0 },
		{ "+1", 0, 0, 0 },
		{ "1x", 0, 0, 0 },
		{ "abc", 0, 0, 0 },
		{ "vm:1", 0, 0, 0 },
		{ "4294967296", 0, 0, 0 },
		{ "pid:4294967296", 0, 0, 0 },
		{ " 1", 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct vm_sel sel = { VM_SEL_ID, 999 };
		int ret = parse_vm_sel(cases[i].s, &sel);

		if (!cases[i].ok) {
			OK(ret == -EINVAL && sel.val == 999,
			   "VM \"%s\" is refused", cases[i].s);
			continue;
		}
		OK(!ret && sel.kind == cases[i].kind && sel.val == cases[i].val,
		   "VM \"%s\" is %s %u", cases[i].s,
		   cases[i].kind == VM_SEL_PID ? "pid" : "id", cases[i].val);
	}
	OK(parse_vm_sel(NULL, NULL) == -EINVAL, "VM NULL is refused");
}

static void test_vm_sel_str(void)
{
	struct vm_sel a = { VM_SEL_ID, 3 }, b = { VM_SEL_PID, 1234 };
	char buf[64];

	EQ_STR(vm_sel_str(&a, buf, sizeof(buf)), "VM 3", "VM id in words");
	EQ_STR(vm_sel_str(&b, buf, sizeof(buf)), "the VM of pid 1234",
	       "VM pid in words");
}

static void test_param(void)
{
	static const struct {
		const char *s;
		int ok;
		const char *name, *value;
	} cases[] = {
		{ "default_quota=5", 1, "default_quota", "5" },
		{ "backend=emulated", 1, "backend", "emulated" },
		{ "pasid_max=0xFFFFF", 1, "pasid_max", "0xFFFFF" },
		{ "a-b=1", 1, "a_b", "1" },
		{ "_x=1", 1, "_x", "1" },
		{ "x=", 1, "x", "" },
		{ "x=a b", 1, "x", "a b" },
		{ "x=a=b", 1, "x", "a=b" },
		{ "=1", 0, NULL, NULL },
		{ "x", 0, NULL, NULL },
		{ "", 0, NULL, NULL },
		{ "1x=2", 0, NULL, NULL },
		{ "x y=1", 0, NULL, NULL },
		{ "x.y=1", 0, NULL, NULL },
		{ "x=a\"b", 0, NULL, NULL },
		{ "x=a\tb", 0, NULL, NULL },
		{ "x=\"quoted\"", 0, NULL, NULL },
		{ "this_name_is_much_too_long_for_the_buffer_we_give=1", 0,
		  NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char name[32] = "";
		const char *val = NULL;
		int ret = parse_param(cases[i].s, name, sizeof(name), &val);

		if (!cases[i].ok) {
			OK(ret == -EINVAL, "parameter \"%s\" is refused",
			   cases[i].s);
			continue;
		}
		OK(!ret && !strcmp(name, cases[i].name) && val &&
		   !strcmp(val, cases[i].value),
		   "parameter \"%s\" is %s = \"%s\"", cases[i].s,
		   cases[i].name, cases[i].value);
	}
}

static void test_join(void)
{
	char *p1[] = { "default_quota=5", "backend=emulated" };
	char *p2[] = { "a=x y", "b=1" };
	char *s;

	s = join_params(p1, 0);
	EQ_STR(s, "", "no parameters join to \"\"");
	free(s);
	s = join_params(p1, 1);
	EQ_STR(s, "default_quota=5", "one parameter");
	free(s);
	s = join_params(p1, 2);
	EQ_STR(s, "default_quota=5 backend=emulated",
	       "parameters are joined by one space");
	free(s);
	s = join_params(p2, 2);
	EQ_STR(s, "a=\"x y\" b=1", "a value with a blank is quoted");
	free(s);
}

static void test_lookup(void)
{
	const struct cmd *c, *vm, *quota, *module;
	static const char *const words[] = {
		"status", "caps", "vm", "quota", "pasid", "reclaimed",
		"monitor", "hold", "module", "help",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		OK(cmd_lookup(top_cmds, words[i]) != NULL,
		   "command '%s' exists", words[i]);
	OK(!cmd_lookup(top_cmds, "stat"), "no prefix matching: 'stat'");
	OK(!cmd_lookup(top_cmds, "s"), "no prefix matching: 's'");
	OK(!cmd_lookup(top_cmds, "statusx"), "'statusx' is unknown");
	OK(!cmd_lookup(top_cmds, "STATUS"), "keywords are case-sensitive");
	OK(!cmd_lookup(top_cmds, ""), "the empty word is unknown");
	OK(!cmd_lookup(top_cmds, NULL), "NULL is unknown");
	OK(!cmd_lookup(top_cmds, "cap"), "no prefix matching: 'cap'");

	vm = cmd_lookup(top_cmds, "vm");
	OK(vm && vm->sub && !vm->fn, "'vm' is a group");
	OK(vm && cmd_lookup(vm->sub, "list") && cmd_lookup(vm->sub, "show"),
	   "'vm list' and 'vm show' exist");
	OK(vm && !cmd_lookup(vm->sub, "l"), "no prefix matching: 'vm l'");
	quota = cmd_lookup(top_cmds, "quota");
	OK(quota && cmd_lookup(quota->sub, "get") &&
	   cmd_lookup(quota->sub, "set") && cmd_lookup(quota->sub, "default"),
	   "'quota get|set|default' exist");
	module = cmd_lookup(top_cmds, "module");
	OK(module && cmd_lookup(module->sub, "load") &&
	   cmd_lookup(module->sub, "unload") && cmd_lookup(module->sub, "show"),
	   "'module load|unload|show' exist");
	c = cmd_lookup(top_cmds, "pasid");
	OK(c && cmd_lookup(c->sub, "list"), "'pasid list' exists");

	for (c = top_cmds; c->name; c++) {
		OK(c->summary && *c->summary && c->args &&
		   (!!c->fn != !!c->sub), "'%s' has a summary and a handler or subcommands",
		   c->name);
		for (const struct cmd *s = c->sub; s && s->name; s++)
			OK(s->fn && !s->sub && s->summary && s->args,
			   "'%s %s' has a summary and a handler", c->name,
			   s->name);
	}
}

int main(void)
{
	test_u32();
	test_cgroup_path();
	test_limit();
	test_vm_sel();
	test_vm_sel_str();
	test_param();
	test_join();
	test_lookup();
	return unit_done();
}
