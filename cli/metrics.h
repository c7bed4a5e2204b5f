/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl metrics - the Prometheus text exposition format
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The metrics are one JSON object, {"metrics":[FAMILY...]}, each family
 * {"name","type","help","samples":[{"labels":{...},"value":N}]}, rendered
 * either as JSON (-j) or in the Prometheus text format, version 0.0.4 (what
 * a scrape and node_exporter's textfile collector read).  The pure parts are
 * here, for the unit tests.
 */
#ifndef VFIOPASIDCTL_METRICS_H
#define VFIOPASIDCTL_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <json.h>

/*
 * @s as valid UTF-8: every byte that does not start a well-formed sequence
 * (overlong forms, surrogates and code points above U+10FFFF included) is
 * replaced by U+FFFD.  Prometheus label values must be UTF-8; a command
 * name cut at 15 bytes may end in half a character.  malloc()ed; NULL
 * only when out of memory.
 */
char *utf8_clean(const char *s);

/* A label value in the text format: '\' '"' and newline escaped */
void prom_label_value(FILE *f, const char *s);

/* A HELP text in the text format: '\' and newline escaped */
void prom_help(FILE *f, const char *s);

/* {"metrics":[...]} in the Prometheus text format */
void prom_render(FILE *f, const json_object *root);

/*
 * Replace @path atomically with @len bytes of @buf, mode @mode: a temporary
 * file in the same directory, written, fsync()ed and renamed over @path.
 * 0, or a positive errno with *@step naming what failed ("create a
 * temporary file in its directory", "write", ...); nothing is left behind.
 */
int write_atomic(const char *path, const char *buf, size_t len, mode_t mode,
		 const char **step);

#endif /* VFIOPASIDCTL_METRICS_H */
