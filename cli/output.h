/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - output: one data path for text and JSON
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * Every command builds its result as a json-c object once, then hands it
 * here: with -j it is printed as JSON (indented with -p), otherwise it is
 * rendered as a table or as "key: value" lines from the same object, so the
 * two can never disagree.  Lists that may be huge (PASID dumps) are streamed
 * element by element, so memory stays flat.
 */
#ifndef VFIOPASIDCTL_OUTPUT_H
#define VFIOPASIDCTL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

struct ctx;

/* A table column: the object key, and its header (NULL: the key upper-cased) */
struct out_col {
	const char *key;
	const char *header;
};

/* RFC 3339, UTC, with nanoseconds: "2026-11-23T22:41:52.123456789Z" */
#define RFC3339_LEN 40
int fmt_rfc3339_ns(char *buf, size_t len, uint64_t ns);
uint64_t now_realtime_ns(void);

/* JSON value helpers (NULL is JSON null) */
/* New JSON values; out of memory ends the program with one line */
json_object *jobj(void);
json_object *jarr(void);
json_object *jnum(int64_t v);
json_object *ju64(uint64_t v);
json_object *jstr(const char *s);
json_object *jbool(bool v);
json_object *jtime_ns(uint64_t ns);

/* Set @key of object @o to @v (NULL: null), which @o then owns */
void jadd(json_object *o, const char *key, json_object *v);

/* JSON text of @o: compact on one line, or indented by two spaces */
void out_json(FILE *f, const json_object *o, bool pretty);

/* Human text of @o (see output.c for the layout rules) */
void out_text(FILE *f, const json_object *o);

/* Print @root on stdout as the global options say, then flush */
void out_print(const struct ctx *ctx, const json_object *root);

/*
 * One line for an event stream (monitor): JSON on one line with -j, else
 * "<time> <event> key=value ...".  Flushed at once.  0, or the errno of the
 * write that failed (EPIPE: the reader has gone).
 */
int out_event(const struct ctx *ctx, const json_object *ev);

/*
 * A streamed list: prints {"<list_key>":[ ... ]} or, with @outer_key,
 * {"<outer_key>":{<fields of head>, "<list_key>":[ ... ]}}.  In text, the
 * head fields come first as "key: value" lines, then the list as a table
 * with @cols (NULL-terminated; NULL @cols: the keys of the first item).
 */
struct out_list;
struct out_list *out_list_begin(const struct ctx *ctx, const char *outer_key,
				const json_object *head, const char *list_key,
				const struct out_col *cols);
/* Adds @item and drops the reference (json_object_put) */
void out_list_add(struct out_list *l, json_object *item);
unsigned long out_list_count(const struct out_list *l);
void out_list_end(struct out_list *l);

/* For tests: rows buffered before column widths are fixed */
extern unsigned int out_table_buffer_rows;

#endif /* VFIOPASIDCTL_OUTPUT_H */
