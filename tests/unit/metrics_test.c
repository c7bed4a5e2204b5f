// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the Prometheus text format of vfiopasidctl metrics (escaping,
 * UTF-8, the rendering of families) and the atomic write of --output
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfiopasidctl.h"
#include "metrics.h"
#include "output.h"
#include "unit.h"

typedef void (*put_fn)(FILE *f, const char *s);

static char *render_str(put_fn put, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	put(f, s);
	fclose(f);
	return buf;
}

static void test_escape(void)
{
	static const struct {
		const char *in, *label, *help;
	} cases[] = {
		{ "qemu", "qemu", "qemu" },
		{ "", "", "" },
		{ "a\"b", "a\\\"b", "a\"b" },
		{ "a\\b", "a\\\\b", "a\\\\b" },
		{ "a\nb", "a\\nb", "a\\nb" },
		{ "\\\"\n", "\\\\\\\"\\n", "\\\\\"\\n" },
		{ "tab\there", "tab\there", "tab\there" },
		{ "x{y}=z,", "x{y}=z,", "x{y}=z," },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = render_str(prom_label_value, cases[i].in);

		EQ_STR(got, cases[i].label, "label value escaping, case %zu", i);
		free(got);
		got = render_str(prom_help, cases[i].in);
		EQ_STR(got, cases[i].help, "HELP escaping, case %zu", i);
		free(got);
	}
}

static void test_utf8(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "qemu-system-x86", "qemu-system-x86" },
		{ "", "" },
		{ "caf\xC3\xA9", "caf\xC3\xA9" },
		{ "\xE2\x82\xAC \xF0\x9F\x98\x80", "\xE2\x82\xAC \xF0\x9F\x98\x80" },
		/* cut in the middle of a character, as a 15-byte comm can be */
		{ "abc\xE2\x82", "abc\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "\xFF", "\xEF\xBF\xBD" },
		{ "a\x80z", "a\xEF\xBF\xBDz" },
		/* overlong, surrogate, above U+10FFFF */
		{ "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "\xF4\x90\x80\x80",
		  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *got = utf8_clean(cases[i].in);

		EQ_STR(got, cases[i].out, "utf8_clean, case %zu", i);
		free(got);
	}
}

static json_object *fam(const char *name, const char *type, const char *help)
{
	json_object *f = json_object_new_object();

	jadd(f, "name", jstr(name));
	jadd(f, "type", jstr(type));
	jadd(f, "help", jstr(help));
	jadd(f, "samples", json_object_new_array());
	return f;
}

static void add_sample(json_object *f, json_object *labels, uint64_t v)
{
	json_object *s = json_object_new_object(), *samples;

	json_object_object_get_ex(f, "samples", &samples);
	jadd(s, "labels", labels ? labels : json_object_new_object());
	jadd(s, "value", ju64(v));
	json_object_array_add(samples, s);
}

static void test_render(void)
{
	json_object *root = json_object_new_object();
	json_object *fams = json_object_new_array();
	json_object *f, *l;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	jadd(root, "metrics", fams);
	f = fam("vfio_pasid_pool_size", "gauge", "PASIDs: a\\b");
	add_sample(f, NULL, 1048575);
	json_object_array_add(fams, f);
	f = fam("vfio_pasid_refusals_total", "counter", "Refused.");
	l = json_object_new_object();
	jadd(l, "reason", jstr("quota"));
	add_sample(f, l, 18446744073709551615ULL);
	json_object_array_add(fams, f);
	f = fam("vfio_pasid_vm_pasids", "gauge", "Held.");
	l = json_object_new_object();
	jadd(l, "vm_id", jnum(3));
	jadd(l, "pid", jnum(4711));
	jadd(l, "comm", jstr("q\"e\\m\nu"));
	add_sample(f, l, 5);
	json_object_array_add(fams, f);
	json_object_array_add(fams, fam("vfio_pasid_cgroup_limit", "gauge",
					"No samples."));

	out = open_memstream(&buf, &len);
	prom_render(out, root);
	fclose(out);
	EQ_STR(buf,
	       "# HELP vfio_pasid_pool_size PASIDs: a\\\\b\n"
	       "# TYPE vfio_pasid_pool_size gauge\n"
	       "vfio_pasid_pool_size 1048575\n"
	       "# HELP vfio_pasid_refusals_total Refused.\n"
	       "# TYPE vfio_pasid_refusals_total counter\n"
	       "vfio_pasid_refusals_total{reason=\"quota\"} 18446744073709551615\n"
	       "# HELP vfio_pasid_vm_pasids Held.\n"
	       "# TYPE vfio_pasid_vm_pasids gauge\n"
	       "vfio_pasid_vm_pasids{vm_id=\"3\",pid=\"4711\",comm=\"q\\\"e\\\\m\\nu\"} 5\n"
	       "# HELP vfio_pasid_cgroup_limit No samples.\n"
	       "# TYPE vfio_pasid_cgroup_limit gauge\n",
	       "families rendered: HELP, TYPE, samples, labels in order, u64 values");
	free(buf);
	json_object_put(root);
}

/* The names in directory @dir, but . and .., as "a b c" */
static char *dir_names(const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fprintf(f, "%s ", e->d_name);
	if (d)
		closedir(d);
	fclose(f);
	return buf;
}

static void test_write_atomic(void)
{
	char dir[] = "/tmp/metrics_test.XXXXXX", path[128], bad[160];
	char *names, got[64] = "";
	const char *step = NULL;
	struct stat sb;
	FILE *f;
	int err;

	if (!mkdtemp(dir)) {
		OK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/vfio_pasid.prom", dir);
	f = fopen(path, "w");
	fputs("old\n", f);
	fclose(f);
	chmod(path, 0600);

	err = write_atomic(path, "new 1\n", 6, 0644, &step);
	EQ_INT(err, 0, "write_atomic replaces an existing file");
	f = fopen(path, "r");
	if (f) {
		if (!fgets(got, sizeof(got), f))
			got[0] = '\0';
		fclose(f);
	}
	EQ_STR(got, "new 1\n", "the file holds the new text");
	OK(!stat(path, &sb) && (sb.st_mode & 07777) == 0644,
	   "the file's mode is 0644");
	names = dir_names(dir);
	EQ_STR(names, "vfio_pasid.prom ", "no temporary file is left");
	free(names);

	snprintf(bad, sizeof(bad), "%s/missing/vfio_pasid.prom", dir);
	err = write_atomic(bad, "x\n", 2, 0644, &step);
	EQ_INT(err, ENOENT, "a missing directory: ENOENT");
	EQ_STR(step, "create a temporary file in its directory",
	       "the step that failed is named");

	/* a directory in the way: the rename fails, the temporary goes */
	snprintf(bad, sizeof(bad), "%s/sub", dir);
	mkdir(bad, 0755);
	err = write_atomic(bad, "x\n", 2, 0644, &step);
	OK(err == EISDIR, "a directory at the path: EISDIR (got %d)", err);
	EQ_STR(step, "rename the temporary file over it",
	       "the rename is the step that failed");
	names = dir_names(dir);
	OK(!strstr(names, ".sub.") && !strstr(names, ".vfio_pasid.prom."),
	   "no temporary file is left after a failure: %s", names);
	free(names);

	rmdir(bad);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_escape();
	test_utf8();
	test_render();
	test_write_atomic();
	return unit_done();
}
