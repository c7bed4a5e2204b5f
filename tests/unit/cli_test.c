// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the grammar - global options, dispatch, usage errors, exit
 * statuses and one-line messages.  Each case runs vfiopasidctl_main() in a
 * child process; only cases that fail before touching the module (or that
 * work without it, like help and status) are run here.
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json.h>

#include "vfiopasidctl.h"
#include "unit.h"

struct run {
	int	status;		/* exit status, or 128 + signal */
	char	*out, *err;
	int	err_lines;
};

static char *slurp(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	char *buf = calloc(1, (size_t)len + 1);

	if (pread(fd, buf, (size_t)len, 0) != len)
		buf[0] = '\0';
	close(fd);
	return buf;
}

/* Run "vfiopasidctl ARGS..." (NULL-terminated) in a child */
static struct run run(const char *first, ...)
{
	int ofd = memfd_create("out", 0), efd = memfd_create("err", 0);
	char *argv[32] = { (char *)"vfiopasidctl" };
	struct run r = { 0 };
	int argc = 1, st;
	va_list ap;
	pid_t pid;

	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(ofd, 1);
		dup2(efd, 2);
		exit(vfiopasidctl_main(argc, argv));
	}
	waitpid(pid, &st, 0);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(ofd);
	r.err = slurp(efd);
	for (const char *p = r.err; *p; p++)
		r.err_lines += *p == '\n';
	return r;
}

static void done(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* A usage error: exit 2, exactly one line "vfiopasidctl: ..." on stderr */
#define USAGE(desc, ...)						\
	do {								\
		struct run r_ = run(__VA_ARGS__, NULL);			\
		OK(r_.status == EXIT_USAGE && r_.err_lines == 1 &&	\
		   !strncmp(r_.err, "vfiopasidctl: ", 14) && !*r_.out,	\
		   "usage error (exit 2, one line): %s", desc);		\
		if (r_.status != EXIT_USAGE || r_.err_lines != 1)	\
			printf("#   status %d, stderr: %s", r_.status, r_.err); \
		done(&r_);						\
	} while (0)

static void test_usage(void)
{
	USAGE("no command", (const char *)NULL);
	USAGE("unknown command", "bogus");
	USAGE("no prefix matching", "stat");
	USAGE("no prefix matching in a group", "vm", "l");
	USAGE("keywords are case-sensitive", "STATUS");
	USAGE("unknown long option", "--bogus");
	USAGE("unknown short option", "-x", "status");
	USAGE("-d without its argument", "-d");
	USAGE("-d with an empty path", "-d", "", "status");
	USAGE("only options", "-j");
	USAGE("group without subcommand", "vm");
	USAGE("group with unknown subcommand", "module", "frob");
	USAGE("extra argument to status", "status", "extra");
	USAGE("unknown option of a command", "status", "--bogus");
	USAGE("extra argument to module show", "module", "show", "x");
	USAGE("extra argument to module unload", "module", "unload", "x");
	USAGE("module load: PARAM without =", "module", "load", "backend");
	USAGE("module load: =VALUE without a name", "module", "load", "=1");
	USAGE("module load: bad name", "module", "load", "1x=1");
	USAGE("module load: quote in value", "module", "load", "backend=\"x\"");
	USAGE("module load: --file without a path", "module", "load", "--file");
	USAGE("help for an unknown command", "help", "nope");
	USAGE("help for an unknown subcommand", "help", "vm", "nope");

	/* phase 2 commands: arguments are checked before the module is asked */
	USAGE("vm list: extra argument", "vm", "list", "x");
	USAGE("vm show: missing VM", "vm", "show");
	USAGE("vm show: garbage VM", "vm", "show", "abc");
	USAGE("vm show: VM 0", "vm", "show", "0");
	USAGE("vm show: pid:0", "vm", "show", "pid:0");
	USAGE("vm show: two VMs", "vm", "show", "1", "2");
	USAGE("quota get: missing VM", "quota", "get");
	USAGE("quota set: missing N", "quota", "set", "1");
	USAGE("quota set: garbage N", "quota", "set", "1", "x");
	USAGE("quota set: negative N", "quota", "set", "1", "-5");
	USAGE("quota set: N too big", "quota", "set", "1", "4294967296");
	USAGE("quota set: garbage VM", "quota", "set", "pid:", "5");
	USAGE("quota set: extra argument", "quota", "set", "1", "5", "6");
	USAGE("quota default: garbage N", "quota", "default", "x");
	USAGE("quota default: two Ns", "quota", "default", "1", "2");
	USAGE("pasid list: garbage VM", "pasid", "list", "x");
	USAGE("pasid list: two VMs", "pasid", "list", "1", "2");
	USAGE("reclaimed: --clear with --vm", "reclaimed", "--clear", "--vm", "1");
	USAGE("reclaimed: --vm without VM", "reclaimed", "--vm");
	USAGE("reclaimed: garbage --vm", "reclaimed", "--vm", "x");
	USAGE("reclaimed: extra argument", "reclaimed", "x");
	USAGE("monitor: extra argument", "monitor", "x");
	USAGE("hold: garbage -n", "hold", "-n", "x");
	USAGE("hold: negative -n", "hold", "-n", "-1");
	USAGE("hold: garbage --min", "hold", "--min", "x");
	USAGE("hold: --max too big", "hold", "--max", "4294967296");
	USAGE("hold: --min above --max", "hold", "--min", "5", "--max", "4");
	USAGE("hold: --group without N", "hold", "--group");
	USAGE("hold: the same group twice", "hold", "--group", "7",
	      "--group", "7");
	USAGE("hold: empty COMMAND", "hold", "--", "");
	USAGE("a command option before the command", "-n", "3", "hold");
	USAGE("caps: --group without N", "caps", "--group");
	USAGE("caps: garbage --group", "caps", "--group", "x");
	USAGE("caps: negative --group", "caps", "--group", "-1");
	USAGE("numbers: 0X is not a hexadecimal prefix", "quota", "set", "1", "0X10");
	USAGE("numbers: 0X in a VM id", "vm", "show", "0X1");
	USAGE("numbers: 0X in pid:PID", "quota", "get", "pid:0X1");
	USAGE("numbers: 0X in --count", "hold", "-n", "0X3");
	USAGE("numbers: a negative VM", "vm", "show", "-1");
	USAGE("numbers: a negative default quota", "quota", "default", "-5");
	USAGE("numbers: a negative VM to list", "pasid", "list", "-3");
	USAGE("help help with an argument", "help", "help", "x");
	USAGE("caps: the same group twice", "caps", "--group", "7",
	      "--group", "7");
	USAGE("caps: extra argument", "caps", "7");
	USAGE("caps: unknown option", "caps", "--bogus");
}

/* Without the module, every command that needs it: exit 3, the sentence */
static void test_no_module(void)
{
	static const char *const cmds[][5] = {
		{ "vm", "list" }, { "vm", "show", "1" },
		{ "quota", "get", "pid:1" }, { "quota", "set", "1", "5" },
		{ "quota", "default" }, { "quota", "default", "5" },
		{ "pasid", "list" }, { "reclaimed" }, { "reclaimed", "--clear" },
		{ "monitor" }, { "hold", "-n", "1" },
		{ "-j", "vm", "list" }, { "caps", "--group", "1" },
		{ "hold", "--group", "1" },
	};

	if (!access("/sys/module/vfio_pasid", F_OK)) {
		OK(1, "# SKIP the module is loaded here");
		return;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
		struct run r = run(cmds[i][0], cmds[i][1], cmds[i][2],
				   cmds[i][3], cmds[i][4], NULL);

		OK(r.status == EXIT_NOMOD && !*r.out &&
		   !strcmp(r.err, "vfiopasidctl: module not loaded: run 'vfiopasidctl module load'\n"),
		   "without the module '%s %s': exit 3 and the sentence",
		   cmds[i][0], cmds[i][1] ? cmds[i][1] : "");
		done(&r);
	}
}

static void test_help(void)
{
	struct run r;

	r = run("--version", NULL);
	EQ_STR(r.out, "vfiopasidctl " VFIOPASIDCTL_VERSION "\n", "--version");
	EQ_INT(r.status, 0, "--version exits 0");
	done(&r);
	r = run("-V", NULL);
	EQ_STR(r.out, "vfiopasidctl " VFIOPASIDCTL_VERSION "\n", "-V");
	done(&r);

	r = run("--help", NULL);
	OK(r.status == 0 && strstr(r.out, "Usage: vfiopasidctl") &&
	   strstr(r.out, "Commands:") && strstr(r.out, "quota set VM N") &&
	   strstr(r.out, "--json") && strstr(r.out, "--pretty") &&
	   strstr(r.out, "--device") && !*r.err,
	   "--help lists options and commands, exits 0");
	done(&r);
	r = run("-?", NULL);
	OK(r.status == 0 && strstr(r.out, "Commands:"), "-? is --help");
	done(&r);
	r = run("--usage", NULL);
	OK(r.status == 0 && strstr(r.out, "Usage: vfiopasidctl"),
	   "--usage exits 0");
	done(&r);
	r = run("help", NULL);
	OK(r.status == 0 && strstr(r.out, "Commands:") &&
	   strstr(r.out, "module load"), "help works without the module");
	done(&r);
	r = run("help", "help", NULL);
	OK(r.status == 0 && strstr(r.out, "Usage: vfiopasidctl help [COMMAND") &&
	   !*r.err, "help help says what help does, exits 0");
	done(&r);
	r = run("quota", "set", "1", "-5", NULL);
	OK(r.status == EXIT_USAGE &&
	   strstr(r.err, "'-5': negative numbers are not taken"),
	   "a negative number is named as one, not as an unknown option");
	done(&r);
	r = run("help", "vm", NULL);
	OK(r.status == 0 && strstr(r.out, "vm show VM") &&
	   !strstr(r.out, "quota set"), "help vm lists the vm commands");
	done(&r);
	r = run("vm", "--help", NULL);
	OK(r.status == 0 && strstr(r.out, "vm list"), "vm --help");
	done(&r);
	r = run("module", "help", NULL);
	OK(r.status == 0 && strstr(r.out, "module unload"), "module help");
	done(&r);
	r = run("help", "module", "load", NULL);
	OK(r.status == 0 &&
	   strstr(r.out, "Usage: vfiopasidctl module load [OPTION...]") &&
	   strstr(r.out, "--file"), "help module load shows its options");
	done(&r);
	r = run("module", "load", "--help", NULL);
	OK(r.status == 0 && strstr(r.out, "PARAM=VALUE") &&
	   strstr(r.out, "--json"),
	   "module load --help shows its options and the output options");
	done(&r);
	r = run("status", "--help", NULL);
	OK(r.status == 0 && strstr(r.out, "Usage: vfiopasidctl status"),
	   "status --help");
	done(&r);
}

/* status works with or without the module: exit 0, valid JSON */
static void test_status(void)
{
	const char *forms[][3] = {
		{ "-j", "status", NULL },
		{ "status", "-j", NULL },
		{ "-p", "status", NULL },
		{ "status", "--pretty", NULL },
	};
	struct run r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		json_object *o, *s = NULL, *v = NULL;

		r = run(forms[i][0], forms[i][1], NULL);
		o = json_tokener_parse(r.out);
		OK(r.status == 0 && o &&
		   json_object_object_get_ex(o, "status", &s) &&
		   json_object_object_get_ex(s, "module", &v) &&
		   json_object_is_type(v, json_type_string),
		   "'%s %s' prints {\"status\":{\"module\":...}} and exits 0",
		   forms[i][0], forms[i][1]);
		if (i >= 2)
			OK(strchr(r.out, '\n') != strrchr(r.out, '\n'),
			   "-p/--pretty indents (several lines)");
		else
			OK(strchr(r.out, '\n') == r.out + strlen(r.out) - 1,
			   "-j prints one line");
		json_object_put(o);
		done(&r);
	}

	r = run("-d", "/nonexistent/vfio-pasid", "-j", "status", NULL);
	{
		json_object *o = json_tokener_parse(r.out), *s = NULL, *v = NULL;

		OK(r.status == 0 && o && json_object_object_get_ex(o, "status", &s) &&
		   json_object_object_get_ex(s, "device", &v) &&
		   !strcmp(json_object_get_string(v), "/nonexistent/vfio-pasid") &&
		   json_object_object_get_ex(s, "device_present", &v) &&
		   !json_object_get_boolean(v),
		   "-d sets the device; a missing one is reported absent");
		json_object_put(o);
	}
	done(&r);

	r = run("status", NULL);
	OK(r.status == 0 && strstr(r.out, "module:") && strstr(r.out, "device:"),
	   "status text has module: and device: lines");
	done(&r);
}

/* caps without --group works without the module: exit 0, valid JSON */
static void test_caps(void)
{
	json_object *o, *c = NULL, *v = NULL;
	struct run r;
	bool loaded = !access("/sys/module/vfio_pasid", F_OK);

	r = run("-j", "caps", NULL);
	o = json_tokener_parse(r.out);
	OK(r.status == 0 && o && json_object_object_get_ex(o, "caps", &c) &&
	   json_object_object_get_ex(c, "units", &v) &&
	   json_object_is_type(v, json_type_array) &&
	   json_object_object_get_ex(c, "groups", &v) &&
	   json_object_is_type(v, json_type_array) &&
	   !json_object_array_length(v) && !*r.err,
	   "caps -j: {\"caps\":{...,\"groups\":[],\"units\":[...]}}, exit 0");
	if (!loaded) {
		OK(json_object_object_get_ex(c, "module", &v) &&
		   !strcmp(json_object_get_string(v), "not loaded") &&
		   json_object_object_get_ex(c, "uapi_version", &v) && !v &&
		   json_object_object_get_ex(c, "container", &v) && !v,
		   "caps -j without the module: module not loaded, nulls");
	} else {
		OK(1, "# SKIP the module is loaded here");
	}
	json_object_put(o);
	done(&r);
	r = run("caps", NULL);
	OK(r.status == 0 && strstr(r.out, "module: ") && !*r.err,
	   "caps text: a module: line, exit 0");
	if (!loaded)
		OK(strstr(r.out, "module: not loaded (run 'vfiopasidctl module load')") != NULL,
		   "caps text without the module says how to load it");
	done(&r);
	r = run("caps", "--help", NULL);
	OK(r.status == 0 && strstr(r.out, "Usage: vfiopasidctl caps") &&
	   strstr(r.out, "--group"), "caps --help shows --group");
	done(&r);
}

int main(void)
{
	test_usage();
	test_help();
	test_status();
	test_caps();
	test_no_module();
	return unit_done();
}
