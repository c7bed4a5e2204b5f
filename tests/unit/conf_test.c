// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the policy file (/etc/vfio-pasid.conf) parser and its paths
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "conf.h"
#include "unit.h"

static void test_good(void)
{
	static const char text[] =
		"# the policy of this host\n"
		"\n"
		"   \t\n"
		"default_quota 0x40\n"
		"\tlimit   /machine.slice\t600000   # every VM together\n"
		"limit /user.slice/ 2000\n"
		"limit //a//b 0\n"
		"limit /with\\040blank 5\n"
		"limit /system.slice/systemd\\x2dfsck.slice 7\n"
		"limit / 1048575";	/* no final newline */
	struct conf c;
	char err[512];

	EQ_INT(conf_parse_text(text, "f", &c, err, sizeof(err)), 0,
	       "a good file parses");
	EQ_STR(err, "", "and leaves no message");
	OK(c.has_default_quota && c.default_quota == 64 &&
	   c.default_quota_line == 4, "default_quota 0x40 on line 4");
	EQ_INT(c.nlimits, 6, "six limits");
	if (c.nlimits == 6) {
		EQ_STR(c.limits[0].path, "/machine.slice", "limit 1: the path");
		EQ_INT(c.limits[0].max, 600000, "limit 1: the value, a comment after it");
		EQ_INT(c.limits[0].line, 5, "limit 1: its line");
		EQ_STR(c.limits[1].path, "/user.slice", "a final slash goes");
		EQ_STR(c.limits[2].path, "/a/b", "repeated slashes become one");
		EQ_INT(c.limits[2].max, 0, "a limit of 0");
		EQ_STR(c.limits[3].path, "/with blank", "\\040 is a space");
		EQ_STR(c.limits[4].path, "/system.slice/systemd\\x2dfsck.slice",
		       "a backslash not before three octal digits is itself");
		EQ_STR(c.limits[5].path, "/", "the root");
		EQ_INT(c.limits[5].max, 1048575, "the largest limit");
	}
	OK(conf_find_limit(&c, "/a/b") && !conf_find_limit(&c, "/a"),
	   "conf_find_limit finds by normalised path");
	conf_free(&c);

	EQ_INT(conf_parse_text("", "f", &c, err, sizeof(err)), 0,
	       "an empty file parses");
	OK(!c.has_default_quota && !c.nlimits, "and sets nothing");
	conf_free(&c);
	EQ_INT(conf_parse_text("# only\n  # comments\n", "f", &c, err,
			       sizeof(err)), 0, "a file of comments parses");
	conf_free(&c);
}

static void test_bad(void)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "limits /a 5\n",
		  "f:1: unknown keyword 'limits' (the keywords are default_quota and limit)" },
		{ "\nDefault_quota 5\n",
		  "f:2: unknown keyword 'Default_quota' (the keywords are default_quota and limit)" },
		{ "default_quota\n",
		  "f:1: default_quota needs a number: default_quota N" },
		{ "default_quota 5 6\n",
		  "f:1: unexpected '6' after default_quota N (a comment starts with '#')" },
		{ "default_quota five\n",
		  "f:1: 'five' is not a quota (a number of PASIDs, decimal or 0x hexadecimal)" },
		{ "default_quota -1\n",
		  "f:1: '-1' is not a quota (a number of PASIDs, decimal or 0x hexadecimal)" },
		{ "default_quota 5#x\n",
		  "f:1: '5#x' is not a quota (a number of PASIDs, decimal or 0x hexadecimal)" },
		{ "default_quota 4294967296\n",
		  "f:1: '4294967296' is above 4294967295" },
		{ "default_quota 5\ndefault_quota 5\n",
		  "f:2: default_quota is given again (first on line 1)" },
		{ "limit /a\n",
		  "f:1: limit needs a cgroup and a number: limit CGROUP N" },
		{ "limit\n",
		  "f:1: limit needs a cgroup and a number: limit CGROUP N" },
		{ "limit /a 5 x\n",
		  "f:1: unexpected 'x' after limit CGROUP N (a comment starts with '#')" },
		{ "limit a 5\n",
		  "f:1: 'a' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'" },
		{ "limit /a/../b 5\n",
		  "f:1: '/a/../b' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'" },
		{ "limit /a\\011b 5\n",
		  "f:1: '/a\\011b' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'" },
		{ "limit /a\\000 5\n",
		  "f:1: '/a\\000': an escape is a backslash and three octal digits, \\001 to \\377" },
		{ "limit /a\\400 5\n",
		  "f:1: '/a\\400': an escape is a backslash and three octal digits, \\001 to \\377" },
		{ "limit /a 1048576\n",
		  "f:1: '1048576' is above the largest limit, 1048575 PASIDs" },
		{ "limit /a 5k\n",
		  "f:1: '5k' is not a limit (a number of PASIDs, decimal or 0x hexadecimal)" },
		{ "limit /a 5\n# x\nlimit /a/ 6\n",
		  "f:3: a limit on /a is given again (first on line 1)" },
		{ "limit /a 5\r\n",
		  "f:1: a control character (0x0d): write the file with Unix line ends" },
		{ "limit /a\x01 5\n",
		  "f:1: a control character (0x01)" },
		{ "# fine\nlimit /a \x7f 5\n",
		  "f:2: a control character (0x7f)" },
	};
	struct conf c;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		EQ_INT(conf_parse_text(cases[i].text, "f", &c, err, sizeof(err)),
		       EXIT_USAGE, "bad file %zu is refused as a usage error", i);
		EQ_STR(err, cases[i].err, "bad file %zu: the message", i);
		OK(!c.nlimits && !c.limits && !c.has_default_quota,
		   "bad file %zu: nothing kept", i);
	}

	/* a NUL byte: fmemopen with the length */
	{
		static const char nul[] = "default_quota 5\nlimit /a\0b 5\n";
		FILE *f = fmemopen((void *)nul, sizeof(nul) - 1, "r");

		if (OK(f != NULL, "fmemopen")) {
			EQ_INT(conf_parse(f, "g", &c, err, sizeof(err)),
			       EXIT_USAGE, "a NUL byte is refused");
			EQ_STR(err, "g:2: a NUL byte: this is not a text file",
			       "with its line");
			fclose(f);
		}
	}
	/* a path of 4096 bytes */
	{
		char *t = malloc(4200);

		if (OK(t != NULL, "malloc")) {
			strcpy(t, "limit /");
			memset(t + 7, 'x', 4095);
			strcpy(t + 7 + 4095, " 5\n");
			EQ_INT(conf_parse_text(t, "f", &c, err, sizeof(err)),
			       EXIT_USAGE, "a path of 4096 bytes is refused");
			EQ_STR(err, "f:1: the cgroup path is longer than 4095 bytes",
			       "and says why");
			free(t);
		}
	}
}

static void test_paths(void)
{
	static const struct {
		const char *in;
		const char *norm;
	} norms[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "/a/", "/a" },
		{ "//a///b//", "/a/b" },
		{ "/a/b", "/a/b" },
	};
	static const struct {
		const char *path;
		const char *word;
	} words[] = {
		{ "/machine.slice", "/machine.slice" },
		{ "/a b", "/a\\040b" },
		{ "/a\tb", "/a\\011b" },
		{ "/x\\x2d", "/x\\x2d" },
		{ "/x\\123", "/x\\134123" },
		{ "/#a", "/#a" },
		{ "/\x7f", "/\\177" },
	};

	for (size_t i = 0; i < sizeof(norms) / sizeof(*norms); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", norms[i].in);
		conf_path_norm(buf);
		EQ_STR(buf, norms[i].norm, "conf_path_norm(\"%s\")", norms[i].in);
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		char *w = conf_path_escape(words[i].path);

		EQ_STR(w, words[i].word, "conf_path_escape(\"%s\")",
		       words[i].path);
		/* and back */
		if (w) {
			EQ_INT(conf_path_unescape(w), 0, "unescape \"%s\"",
			       words[i].word);
			EQ_STR(w, words[i].path, "round trip of \"%s\"",
			       words[i].path);
		}
		free(w);
	}
}

int main(void)
{
	test_good();
	test_bad();
	test_paths();
	return unit_done();
}
