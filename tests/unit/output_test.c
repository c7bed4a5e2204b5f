// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: one data path - JSON and text rendering of the same object,
 * streamed lists, RFC 3339 times
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfiopasidctl.h"
#include "output.h"
#include "unit.h"

/* --- capturing stdout ------------------------------------------------------ */

static int cap_fd = -1, saved_fd = -1;

static void cap_begin(void)
{
	fflush(stdout);
	cap_fd = memfd_create("out", 0);
	saved_fd = dup(1);
	dup2(cap_fd, 1);
}

/* Returns what was written, malloc()ed */
static char *cap_end(void)
{
	off_t len;
	char *buf;

	fflush(stdout);
	dup2(saved_fd, 1);
	close(saved_fd);
	len = lseek(cap_fd, 0, SEEK_END);
	buf = calloc(1, (size_t)len + 1);
	if (pread(cap_fd, buf, (size_t)len, 0) != len)
		buf[0] = '\0';
	close(cap_fd);
	return buf;
}

static char *to_text(const json_object *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_text(f, o);
	fclose(f);
	return buf;
}

static char *to_json(const json_object *o, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_json(f, o, pretty);
	fclose(f);
	return buf;
}

/* --- tests ----------------------------------------------------------------- */

static void test_rfc3339(void)
{
	char buf[RFC3339_LEN];

	OK(!fmt_rfc3339_ns(buf, sizeof(buf), 0), "epoch formats");
	EQ_STR(buf, "1970-01-01T00:00:00.000000000Z", "epoch in RFC 3339");
	fmt_rfc3339_ns(buf, sizeof(buf), 1795473712123456789ULL);
	EQ_STR(buf, "2026-11-23T22:41:52.123456789Z",
	       "nanoseconds are kept, time is UTC");
	fmt_rfc3339_ns(buf, sizeof(buf), 1700000000000000005ULL);
	EQ_STR(buf, "2023-11-14T22:13:20.000000005Z",
	       "fraction is zero-padded to nine digits");
	OK(fmt_rfc3339_ns(buf, 10, 0) != 0, "a short buffer is refused");
	{
		json_object *t = jtime_ns(1795473712123456789ULL);

		EQ_STR(json_object_get_string(t),
		       "2026-11-23T22:41:52.123456789Z",
		       "jtime_ns gives the RFC 3339 string");
		json_object_put(t);
	}
	OK(now_realtime_ns() > 1600000000000000000ULL,
	   "now_realtime_ns is a plausible wall-clock time");
}

static json_object *sample_status(void)
{
	json_object *root = json_object_new_object();
	json_object *s = json_object_new_object(), *p;

	json_object_object_add(root, "status", s);
	json_object_object_add(s, "module", jstr("live"));
	json_object_object_add(s, "device", jstr("/dev/vfio-pasid"));
	json_object_object_add(s, "device_present", jbool(true));
	json_object_object_add(s, "vm_count", jnum(2));
	json_object_object_add(s, "missing", NULL);
	p = json_object_new_object();
	json_object_object_add(p, "min", jnum(1));
	json_object_object_add(p, "max", jnum(1048575));
	json_object_object_add(s, "pool", p);
	json_object_object_add(s, "allocated", ju64(18446744073709551615ULL));
	return root;
}

static json_object *vm_row(int id, int pid, const char *comm, int quota,
			   int count)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "vm_id", jnum(id));
	json_object_object_add(o, "pid", jnum(pid));
	json_object_object_add(o, "comm", jstr(comm));
	json_object_object_add(o, "quota", jnum(quota));
	json_object_object_add(o, "count", jnum(count));
	json_object_object_add(o, "bound", jbool(count > 1));
	return o;
}

static void test_json(void)
{
	json_object *o = sample_status(), *v;
	char *s;

	s = to_json(o, false);
	EQ_STR(s, "{\"status\":{\"module\":\"live\",\"device\":\"/dev/vfio-pasid\","
		  "\"device_present\":true,\"vm_count\":2,\"missing\":null,"
		  "\"pool\":{\"min\":1,\"max\":1048575},"
		  "\"allocated\":18446744073709551615}}\n",
	       "compact JSON: one line, keys in order, '/' not escaped, u64 exact");
	free(s);
	s = to_json(o, true);
	EQ_STR(s, "{\n"
		  "  \"status\": {\n"
		  "    \"module\": \"live\",\n"
		  "    \"device\": \"/dev/vfio-pasid\",\n"
		  "    \"device_present\": true,\n"
		  "    \"vm_count\": 2,\n"
		  "    \"missing\": null,\n"
		  "    \"pool\": {\n"
		  "      \"min\": 1,\n"
		  "      \"max\": 1048575\n"
		  "    },\n"
		  "    \"allocated\": 18446744073709551615\n"
		  "  }\n"
		  "}\n",
	       "pretty JSON: two-space indentation");
	free(s);
	json_object_put(o);

	o = json_object_new_object();
	v = json_object_new_array();
	json_object_array_add(v, vm_row(1, 100, "qemu \"x\"\tz", 1000, 0));
	json_object_object_add(o, "vms", v);
	s = to_json(o, false);
	EQ_STR(s, "{\"vms\":[{\"vm_id\":1,\"pid\":100,\"comm\":\"qemu \\\"x\\\"\\tz\","
		  "\"quota\":1000,\"count\":0,\"bound\":false}]}\n",
	       "a list of one stays a list; strings are escaped");
	free(s);
	json_object_put(o);

	o = json_object_new_object();
	json_object_object_add(o, "vms", json_object_new_array());
	json_object_object_add(o, "e", json_object_new_object());
	s = to_json(o, false);
	EQ_STR(s, "{\"vms\":[],\"e\":{}}\n", "empty list and object, compact");
	free(s);
	s = to_json(o, true);
	EQ_STR(s, "{\n  \"vms\": [],\n  \"e\": {}\n}\n",
	       "empty list and object, pretty");
	free(s);
	json_object_put(o);
}

static void test_text(void)
{
	json_object *o = sample_status(), *v;
	char *s;

	s = to_text(o);
	EQ_STR(s, "module:         live\n"
		  "device:         /dev/vfio-pasid\n"
		  "device_present: yes\n"
		  "vm_count:       2\n"
		  "missing:        -\n"
		  "pool:\n"
		  "  min: 1\n"
		  "  max: 1048575\n"
		  "allocated:      18446744073709551615\n",
	       "text of an object: aligned key: value lines, nested indented");
	free(s);
	json_object_put(o);

	o = json_object_new_object();
	v = json_object_new_array();
	json_object_array_add(v, vm_row(1, 100, "qemu-system-x86", 1000, 0));
	json_object_array_add(v, vm_row(12, 23456, "hold", 5, 5));
	json_object_object_add(o, "vms", v);
	s = to_text(o);
	EQ_STR(s, "VM_ID    PID  COMM             QUOTA  COUNT  BOUND\n"
		  "    1    100  qemu-system-x86   1000      0  no\n"
		  "   12  23456  hold                 5      5  yes\n",
	       "text of a list: a table, numbers right-aligned");
	free(s);
	json_object_put(o);

	o = json_object_new_object();
	json_object_object_add(o, "default_quota", jnum(1000));
	s = to_text(o);
	EQ_STR(s, "default_quota: 1000\n", "a single number as key: value");
	free(s);
	json_object_put(o);

	o = json_object_new_object();
	v = json_object_new_object();
	json_object_object_add(v, "vm_id", jnum(3));
	{
		json_object *a = json_object_new_array();

		json_object_array_add(a, jnum(5));
		json_object_array_add(a, jnum(6));
		json_object_object_add(v, "pasids", a);
	}
	json_object_object_add(o, "hold", v);
	s = to_text(o);
	EQ_STR(s, "vm_id:  3\npasids: 5 6\n",
	       "a list of numbers prints on one line");
	free(s);
	json_object_put(o);
	/* a cell with spaces, quotes, a backslash or a newline stays one field */
	o = json_object_new_object();
	v = json_object_new_array();
	json_object_array_add(v, vm_row(1, 100, "my vm", 1000, 0));
	json_object_array_add(v, vm_row(2, 200, "say \"hi\"", 1000, 0));
	json_object_array_add(v, vm_row(3, 300, "a\\b\nc", 1000, 0));
	json_object_array_add(v, vm_row(4, 400, "", 1000, 0));
	json_object_object_add(o, "vms", v);
	s = to_text(o);
	EQ_STR(s, "VM_ID  PID  COMM          QUOTA  COUNT  BOUND\n"
		  "    1  100  \"my vm\"        1000      0  no\n"
		  "    2  200  \"say \\\"hi\\\"\"   1000      0  no\n"
		  "    3  300  \"a\\\\b\\nc\"      1000      0  no\n"
		  "    4  400  \"\"             1000      0  no\n",
	       "table cells quoted or escaped as C does");
	free(s);
	json_object_put(o);

	/* the rest of a key: value line needs no quotes, but stays one line */
	o = json_object_new_object();
	json_object_object_add(o, "reason", jstr("no nesting on 6.1"));
	json_object_object_add(o, "comm", jstr("two\nlines\t\x01"));
	s = to_text(o);
	EQ_STR(s, "reason: no nesting on 6.1\ncomm:   two\\nlines\\t\\x01\n",
	       "a value line: spaces as they are, control characters escaped");
	free(s);
	json_object_put(o);
}

/* The same rows streamed and built whole must print the same */
static void test_stream(void)
{
	struct ctx plain = { .json = true }, pretty = { .json = true,
							 .pretty = true };
	struct ctx text = { 0 };
	const struct ctx *modes[] = { &plain, &pretty };

	for (int n = 0; n <= 3; n++) {
		for (int m = 0; m < 2; m++) {
			json_object *whole = json_object_new_object();
			json_object *arr = json_object_new_array();
			struct out_list *l;
			char *got, *want;

			json_object_object_add(whole, "pasids", arr);
			cap_begin();
			l = out_list_begin(modes[m], NULL, NULL, "pasids", NULL);
			for (int i = 0; i < n; i++) {
				out_list_add(l, vm_row(i + 1, 10, "c", 3, i));
				json_object_array_add(arr,
						      vm_row(i + 1, 10, "c", 3, i));
			}
			out_list_end(l);
			got = cap_end();
			want = to_json(whole, m == 1);
			EQ_STR(got, want, "streamed %s JSON of %d items equals the whole",
			       m ? "pretty" : "compact", n);
			free(got);
			free(want);
			json_object_put(whole);
		}
	}

	/* with an outer object and head fields: {"vm":{...,"pasids":[...]}} */
	for (int n = 0; n <= 2; n++) {
		for (int m = 0; m < 2; m++) {
			json_object *whole = json_object_new_object();
			json_object *vm = json_object_new_object();
			json_object *head = json_object_new_object();
			json_object *arr = json_object_new_array();
			struct out_list *l;
			char *got, *want;

			json_object_object_add(head, "vm_id", jnum(7));
			json_object_object_add(head, "comm", jstr("q"));
			json_object_object_add(vm, "vm_id", jnum(7));
			json_object_object_add(vm, "comm", jstr("q"));
			json_object_object_add(vm, "pasids", arr);
			json_object_object_add(whole, "vm", vm);
			cap_begin();
			l = out_list_begin(modes[m], "vm", head, "pasids", NULL);
			for (int i = 0; i < n; i++) {
				out_list_add(l, jnum(100 + i));
				json_object_array_add(arr, jnum(100 + i));
			}
			out_list_end(l);
			got = cap_end();
			want = to_json(whole, m == 1);
			EQ_STR(got, want,
			       "streamed %s JSON with a head, %d items, equals the whole",
			       m ? "pretty" : "compact", n);
			free(got);
			free(want);
			json_object_put(whole);
			json_object_put(head);
		}
	}

	/* text: the same table as out_text of the whole object */
	{
		json_object *whole = json_object_new_object();
		json_object *arr = json_object_new_array();
		struct out_list *l;
		char *got, *want;

		json_object_object_add(whole, "vms", arr);
		cap_begin();
		l = out_list_begin(&text, NULL, NULL, "vms", NULL);
		for (int i = 0; i < 3; i++) {
			out_list_add(l, vm_row(i * 50, 10 * i, "abc", 3, i));
			json_object_array_add(arr, vm_row(i * 50, 10 * i, "abc",
							  3, i));
		}
		out_list_end(l);
		got = cap_end();
		want = to_text(whole);
		EQ_STR(got, want, "streamed text table equals the whole");
		free(got);
		free(want);
		json_object_put(whole);
	}

	/* text with given columns: header even when empty */
	{
		static const struct out_col cols[] = {
			{ "pasid", NULL }, { "vm_id", "VM" }, { 0 }
		};
		struct out_list *l;
		char *got;

		cap_begin();
		l = out_list_begin(&text, NULL, NULL, "pasids", cols);
		out_list_end(l);
		got = cap_end();
		EQ_STR(got, "PASID  VM\n", "an empty table still has its header");
		free(got);
	}

	/* beyond the buffered rows the widths stay and every row prints */
	{
		unsigned int saved = out_table_buffer_rows;
		struct out_list *l;
		char *got;

		out_table_buffer_rows = 2;
		cap_begin();
		l = out_list_begin(&text, NULL, NULL, "x", NULL);
		for (int i = 0; i < 5; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "n", jnum(i * 1000));
			out_list_add(l, o);
		}
		unsigned long count = out_list_count(l);

		out_list_end(l);
		got = cap_end();
		OK(count == 5, "out_list_count counts");
		EQ_STR(got, "   N\n   0\n1000\n2000\n3000\n4000\n",
		       "rows after the buffer keep the widths");
		free(got);
		out_table_buffer_rows = saved;
	}

	/* with a head, in text: head lines, then the indented table */
	{
		json_object *head = json_object_new_object();
		struct out_list *l;
		json_object *o;
		char *got;

		json_object_object_add(head, "vm_id", jnum(7));
		json_object_object_add(head, "quota", jnum(10));
		cap_begin();
		l = out_list_begin(&text, "vm", head, "pasids", NULL);
		o = json_object_new_object();
		json_object_object_add(o, "pasid", jnum(5));
		json_object_object_add(o, "bound", jbool(false));
		out_list_add(l, o);
		out_list_end(l);
		got = cap_end();
		EQ_STR(got, "vm_id: 7\nquota: 10\npasids:\n  PASID  BOUND\n      5  no\n",
		       "head then indented table");
		free(got);
		json_object_put(head);
	}
}

static void test_event(void)
{
	struct ctx plain = { .json = true }, text = { 0 };
	json_object *ev = json_object_new_object();
	char *got;

	json_object_object_add(ev, "event", jstr("vm_new"));
	json_object_object_add(ev, "time", jstr("2026-11-23T22:41:52.000000001Z"));
	json_object_object_add(ev, "vm_id", jnum(3));
	json_object_object_add(ev, "comm", jstr("my vm"));
	json_object_object_add(ev, "quota", jnum(1000));
	cap_begin();
	out_event(&text, ev);
	got = cap_end();
	EQ_STR(got, "2026-11-23T22:41:52.000000001Z vm_new vm_id=3 comm=\"my vm\" quota=1000\n",
	       "event as one text line: time, event, key=value");
	free(got);
	cap_begin();
	out_event(&plain, ev);
	got = cap_end();
	EQ_STR(got, "{\"event\":\"vm_new\",\"time\":\"2026-11-23T22:41:52.000000001Z\","
		    "\"vm_id\":3,\"comm\":\"my vm\",\"quota\":1000}\n",
	       "event as one JSON line");
	free(got);
	json_object_put(ev);
}

int main(void)
{
	test_rfc3339();
	test_json();
	test_text();
	test_stream();
	test_event();
	return unit_done();
}
