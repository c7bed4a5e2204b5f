// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - output: one data path for text and JSON
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Text layout, derived from the object alone:
 *  - {"x": {...}} (one key, an object): the inner object as "key: value"
 *    lines, keys padded to one width; nested objects indented by two;
 *  - {"x": [...]} (one key, a list): the list as a table, one row per
 *    element, headers the keys upper-cased, numbers right-aligned;
 *  - anything else: "key: value" lines.
 * In text, null prints as "-", booleans as "yes"/"no", lists of numbers or
 * strings as their elements separated by spaces ("-" when empty).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "output.h"

unsigned int out_table_buffer_rows = 1024;

/* --- values --------------------------------------------------------------- */

int fmt_rfc3339_ns(char *buf, size_t len, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000ULL);
	unsigned int frac = (unsigned int)(ns % 1000000000ULL);
	struct tm tm;
	char date[32];

	if (!gmtime_r(&sec, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return snprintf(buf, len, "%s.%09uZ", date, frac) < (int)len ? 0 : -1;
}

uint64_t now_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* json-c answers NULL when it cannot allocate: no value is lost silently */
static json_object *jchk(json_object *o)
{
	if (!o)
		oom_die();
	return o;
}

json_object *jobj(void)
{
	return jchk(json_object_new_object());
}

json_object *jarr(void)
{
	return jchk(json_object_new_array());
}

json_object *jnum(int64_t v)
{
	return jchk(json_object_new_int64(v));
}

json_object *ju64(uint64_t v)
{
	return jchk(json_object_new_uint64(v));
}

json_object *jstr(const char *s)
{
	return s ? jchk(json_object_new_string(s)) : NULL;
}

json_object *jbool(bool v)
{
	return jchk(json_object_new_boolean(v));
}

void jadd(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

json_object *jtime_ns(uint64_t ns)
{
	char buf[RFC3339_LEN];

	if (fmt_rfc3339_ns(buf, sizeof(buf), ns))
		return NULL;
	return jstr(buf);
}

static bool is_number(const json_object *o)
{
	return json_object_is_type(o, json_type_int) ||
	       json_object_is_type(o, json_type_double);
}

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A scalar as JSON text; @o may be NULL (null) */
static const char *scalar_json(const json_object *o)
{
	const char *s;

	if (!o)
		return "null";
	s = json_object_to_json_string_ext((json_object *)o, JSON_FLAGS);
	if (!s)
		oom_die();
	return s;
}

static void put_json_string(FILE *f, const char *s)
{
	json_object *tmp = jstr(s);

	fputs(scalar_json(tmp), f);
	json_object_put(tmp);
}

/*
 * A string as text.  As a field of a line (a table cell, an event's
 * key=value, an item of a list): as it is when it is a plain word, else in
 * double quotes, so that a value with spaces or quotes (a command name is
 * whatever a process calls itself) stays one field.  As the rest of a
 * "key: value" line, spaces need no quotes.  Either way '\\' and control
 * characters are escaped as C does, so that a value is one line.
 */
static void put_text_string(FILE *f, const char *s, bool field)
{
	const unsigned char *p;
	bool quote = false;

	if (field) {
		quote = !*s;
		for (p = (const unsigned char *)s; *p && !quote; p++)
			quote = *p <= ' ' || *p == '"' || *p == 0x7f;
	}
	if (quote)
		fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || (quote && *p == '"')) {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < ' ' || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else {
			fputc(*p, f);
		}
	}
	if (quote)
		fputc('"', f);
}

/* A scalar as text (@field: see above); lists of scalars joined by spaces */
static void put_text_value(FILE *f, const json_object *o, bool field)
{
	if (!o) {
		fputs("-", f);
		return;
	}
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		fputs(json_object_get_boolean(o) ? "yes" : "no", f);
		break;
	case json_type_string:
		put_text_string(f, json_object_get_string((json_object *)o),
				field);
		break;
	case json_type_array: {
		size_t n = json_object_array_length(o);

		if (!n)
			fputs("-", f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(' ', f);
			put_text_value(f, json_object_array_get_idx(o, i), true);
		}
		break;
	}
	default:
		fputs(scalar_json(o), f);
		break;
	}
}

static char *text_value(const json_object *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_text_value(f, o, true);
	fclose(f);
	return buf;
}

/* --- JSON ---------------------------------------------------------------- */

static void indent(FILE *f, int level)
{
	for (int i = 0; i < level; i++)
		fputs("  ", f);
}

static void emit(FILE *f, const json_object *o, int level, bool pretty)
{
	bool first = true;

	if (json_object_is_type(o, json_type_object)) {
		if (!json_object_object_length(o)) {
			fputs("{}", f);
			return;
		}
		fputc('{', f);
		json_object_object_foreach((json_object *)o, key, val) {
			if (!first)
				fputc(',', f);
			first = false;
			if (pretty) {
				fputc('\n', f);
				indent(f, level + 1);
			}
			put_json_string(f, key);
			fputs(pretty ? ": " : ":", f);
			emit(f, val, level + 1, pretty);
		}
		if (pretty) {
			fputc('\n', f);
			indent(f, level);
		}
		fputc('}', f);
	} else if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		if (!n) {
			fputs("[]", f);
			return;
		}
		fputc('[', f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', f);
			if (pretty) {
				fputc('\n', f);
				indent(f, level + 1);
			}
			emit(f, json_object_array_get_idx(o, i), level + 1,
			     pretty);
		}
		if (pretty) {
			fputc('\n', f);
			indent(f, level);
		}
		fputc(']', f);
	} else {
		fputs(scalar_json(o), f);
	}
}

void out_json(FILE *f, const json_object *o, bool pretty)
{
	emit(f, o, 0, pretty);
	fputc('\n', f);
}

/* --- tables -------------------------------------------------------------- */

struct table {
	FILE		*f;
	int		indent;
	size_t		ncols;
	char		**keys;
	char		**headers;
	size_t		*width;
	bool		*right;
	bool		fixed;		/* widths decided, header printed */
	json_object	**rows;		/* buffered until widths are fixed */
	size_t		nrows;
};

static void table_init(struct table *t, FILE *f, int ind,
		       const struct out_col *cols, const json_object *first)
{
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	t->f = f;
	t->indent = ind;
	if (cols) {
		while (cols[n].key)
			n++;
	} else if (first && json_object_is_type(first, json_type_object)) {
		n = (size_t)json_object_object_length(first);
	}
	t->ncols = n;
	t->keys = calloc(n + 1, sizeof(*t->keys));
	t->headers = calloc(n + 1, sizeof(*t->headers));
	t->width = calloc(n + 1, sizeof(*t->width));
	t->right = calloc(n + 1, sizeof(*t->right));
	t->rows = calloc(out_table_buffer_rows + 1, sizeof(*t->rows));
	if (!t->keys || !t->headers || !t->width || !t->right || !t->rows) {
		fputs(PROG_NAME ": out of memory\n", stderr);
		exit(EXIT_FAIL);
	}
	if (cols) {
		for (size_t i = 0; i < n; i++) {
			t->keys[i] = xstrdup(cols[i].key);
			t->headers[i] = xstrdup(cols[i].header ? cols[i].header
							      : cols[i].key);
		}
	} else if (n) {
		size_t i = 0;

		json_object_object_foreach((json_object *)first, key, val) {
			(void)val;
			t->keys[i] = xstrdup(key);
			t->headers[i++] = xstrdup(key);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!cols || !cols[i].header)
			for (char *p = t->headers[i]; *p; p++)
				*p = (char)toupper((unsigned char)*p);
		t->width[i] = strlen(t->headers[i]);
	}
}

static void table_measure(struct table *t, const json_object *row)
{
	for (size_t i = 0; i < t->ncols; i++) {
		json_object *v = NULL;
		char *s;

		json_object_object_get_ex(row, t->keys[i], &v);
		if (v && is_number(v))
			t->right[i] = true;
		s = text_value(v);
		if (s && strlen(s) > t->width[i])
			t->width[i] = strlen(s);
		free(s);
	}
}

static void table_line(struct table *t, char **cells)
{
	indent(t->f, t->indent / 2);
	for (size_t i = 0; i < t->ncols; i++) {
		bool last = i + 1 == t->ncols;
		int w = (int)t->width[i];

		if (i)
			fputs("  ", t->f);
		if (t->right[i])
			fprintf(t->f, "%*s", w, cells[i]);
		else if (last)
			fputs(cells[i], t->f);
		else
			fprintf(t->f, "%-*s", w, cells[i]);
	}
	fputc('\n', t->f);
}

static void table_print_row(struct table *t, const json_object *row)
{
	char *cells[t->ncols + 1];

	for (size_t i = 0; i < t->ncols; i++) {
		json_object *v = NULL;

		json_object_object_get_ex(row, t->keys[i], &v);
		cells[i] = text_value(v);
		if (!cells[i])
			cells[i] = xstrdup("");
	}
	table_line(t, cells);
	for (size_t i = 0; i < t->ncols; i++)
		free(cells[i]);
}

static void table_fix(struct table *t)
{
	t->fixed = true;
	if (t->ncols)
		table_line(t, t->headers);
	for (size_t i = 0; i < t->nrows; i++) {
		table_print_row(t, t->rows[i]);
		json_object_put(t->rows[i]);
	}
	t->nrows = 0;
}

/* Takes the reference to @row */
static void table_add(struct table *t, json_object *row)
{
	if (t->fixed) {
		table_print_row(t, row);
		json_object_put(row);
		return;
	}
	table_measure(t, row);
	t->rows[t->nrows++] = row;
	if (t->nrows >= out_table_buffer_rows)
		table_fix(t);
}

static void table_end(struct table *t)
{
	if (!t->fixed)
		table_fix(t);
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->headers[i]);
		free(t->keys[i]);
	}
	free(t->keys);
	free(t->headers);
	free(t->width);
	free(t->right);
	free(t->rows);
}

static void text_table(FILE *f, int ind, const json_object *arr,
		       const struct out_col *cols)
{
	size_t n = json_object_array_length(arr);
	struct table t;

	table_init(&t, f, ind, cols, n ? json_object_array_get_idx(arr, 0)
				       : NULL);
	for (size_t i = 0; i < n; i++)
		table_add(&t, json_object_get(json_object_array_get_idx(arr,
									  i)));
	table_end(&t);
}

/* --- key: value ---------------------------------------------------------- */

static bool is_object_list(const json_object *o)
{
	return json_object_is_type(o, json_type_array) &&
	       json_object_array_length(o) &&
	       json_object_is_type(json_object_array_get_idx(o, 0),
				   json_type_object);
}

static void text_block(FILE *f, const json_object *obj, int ind)
{
	int width = 0;

	json_object_object_foreach((json_object *)obj, k, v) {
		if (!json_object_is_type(v, json_type_object) &&
		    !is_object_list(v) && (int)strlen(k) + 1 > width)
			width = (int)strlen(k) + 1;
	}
	json_object_object_foreach((json_object *)obj, key, val) {
		if (json_object_is_type(val, json_type_object)) {
			fprintf(f, "%*s%s:\n", ind, "", key);
			text_block(f, val, ind + 2);
		} else if (is_object_list(val)) {
			fprintf(f, "%*s%s:\n", ind, "", key);
			text_table(f, ind + 2, val, NULL);
		} else {
			fprintf(f, "%*s%s:%*s ", ind, "", key,
				width - (int)strlen(key) - 1, "");
			put_text_value(f, val, false);
			fputc('\n', f);
		}
	}
}

void out_text(FILE *f, const json_object *o)
{
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_length(o) == 1) {
		json_object_object_foreach((json_object *)o, key, val) {
			(void)key;
			if (json_object_is_type(val, json_type_object)) {
				text_block(f, val, 0);
				return;
			}
			if (json_object_is_type(val, json_type_array) &&
			    (is_object_list(val) ||
			     !json_object_array_length(val))) {
				text_table(f, 0, val, NULL);
				return;
			}
		}
	}
	if (json_object_is_type(o, json_type_object))
		text_block(f, o, 0);
	else {
		put_text_value(f, o, false);
		fputc('\n', f);
	}
}

void out_print(const struct ctx *ctx, const json_object *root)
{
	if (ctx->json || ctx->pretty)
		out_json(stdout, root, ctx->pretty);
	else
		out_text(stdout, root);
	fflush(stdout);
}

static int flush_event(void)
{
	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		return errno ? errno : EIO;
	return 0;
}

int out_event(const struct ctx *ctx, const json_object *ev)
{
	json_object *v;

	if (ctx->json || ctx->pretty) {
		out_json(stdout, ev, ctx->pretty);
		return flush_event();
	}
	if (json_object_object_get_ex(ev, "time", &v)) {
		put_text_value(stdout, v, true);
		fputc(' ', stdout);
	}
	if (json_object_object_get_ex(ev, "event", &v))
		put_text_value(stdout, v, true);
	json_object_object_foreach((json_object *)ev, key, val) {
		char *s;

		if (!strcmp(key, "time") || !strcmp(key, "event"))
			continue;
		s = text_value(val);
		printf(" %s=%s", key, s ? s : "");
		free(s);
	}
	fputc('\n', stdout);
	return flush_event();
}

/* --- streamed lists ------------------------------------------------------ */

struct out_list {
	bool		json, pretty;
	bool		outer;
	int		level;		/* JSON nesting of the list's items */
	unsigned long	count;
	struct table	table;
	bool		table_ready;
	const struct out_col *cols;
	int		text_indent;
};

struct out_list *out_list_begin(const struct ctx *ctx, const char *outer_key,
				const json_object *head, const char *list_key,
				const struct out_col *cols)
{
	struct out_list *l = calloc(1, sizeof(*l));
	FILE *f = stdout;

	if (!l) {
		fputs(PROG_NAME ": out of memory\n", stderr);
		exit(EXIT_FAIL);
	}
	l->json = ctx->json || ctx->pretty;
	l->pretty = ctx->pretty;
	l->outer = outer_key != NULL;
	l->cols = cols;

	if (!l->json) {
		if (head && json_object_object_length(head))
			text_block(f, head, 0);
		if (outer_key) {
			fprintf(f, "%s:\n", list_key);
			l->text_indent = 2;
		}
		if (cols) {
			table_init(&l->table, f, l->text_indent, cols, NULL);
			l->table_ready = true;
		}
		return l;
	}

	fputc('{', f);
	l->level = 2;
	if (outer_key) {
		if (l->pretty) {
			fputs("\n", f);
			indent(f, 1);
		}
		put_json_string(f, outer_key);
		fputs(l->pretty ? ": {" : ":{", f);
		if (head) {
			json_object_object_foreach((json_object *)head, k, v) {
				if (l->pretty) {
					fputc('\n', f);
					indent(f, 2);
				}
				put_json_string(f, k);
				fputs(l->pretty ? ": " : ":", f);
				emit(f, v, 2, l->pretty);
				fputc(',', f);
			}
		}
		l->level = 3;
	}
	if (l->pretty) {
		fputc('\n', f);
		indent(f, l->level - 1);
	}
	put_json_string(f, list_key);
	fputs(l->pretty ? ": [" : ":[", f);
	return l;
}

void out_list_add(struct out_list *l, json_object *item)
{
	FILE *f = stdout;

	if (!l->json) {
		if (!l->table_ready) {
			table_init(&l->table, f, l->text_indent, NULL, item);
			l->table_ready = true;
		}
		l->count++;
		table_add(&l->table, item);
		return;
	}
	if (l->count++)
		fputc(',', f);
	if (l->pretty) {
		fputc('\n', f);
		indent(f, l->level);
	}
	emit(f, item, l->level, l->pretty);
	json_object_put(item);
}

unsigned long out_list_count(const struct out_list *l)
{
	return l->count;
}

void out_list_end(struct out_list *l)
{
	FILE *f = stdout;

	if (!l->json) {
		if (l->table_ready)
			table_end(&l->table);
	} else {
		if (l->pretty && l->count) {
			fputc('\n', f);
			indent(f, l->level - 1);
		}
		fputc(']', f);
		if (l->outer) {
			if (l->pretty) {
				fputc('\n', f);
				indent(f, 1);
			}
			fputc('}', f);
		}
		if (l->pretty)
			fputc('\n', f);
		fputs("}\n", f);
	}
	fflush(f);
	free(l);
}
