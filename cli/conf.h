/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - the policy file, /etc/vfio-pasid.conf (pure functions,
 * unit-tested)
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * One setting per line, words separated by blanks (spaces, tabs):
 *
 *	# a comment, to the end of the line (also after a setting)
 *	default_quota N
 *	limit CGROUP N
 *
 * N is a number as the command line takes it (decimal, or hexadecimal with
 * 0x).  CGROUP is a path from the cgroup2 root, as "limit set" takes it; in
 * it a backslash and three octal digits stand for one byte ("\040" is a
 * space), as in fstab(5), and any other backslash is itself.  Every line is
 * checked strictly: an unknown keyword, a missing or extra word, a bad
 * number or path, a setting given twice, a control character, all name
 * their line.  vfio-pasid.conf(5) is the reader's version of this.
 */
#ifndef VFIOPASIDCTL_CONF_H
#define VFIOPASIDCTL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_DEFAULT_PATH	"/etc/vfio-pasid.conf"

struct conf_limit {
	char		*path;	/* normalised: no empty component, no final '/' */
	uint32_t	max;
	unsigned int	line;	/* of the file; 0 for a limit in force */
};

/* A policy: a file's, or the one in force */
struct conf {
	bool			has_default_quota;
	uint32_t		default_quota;
	unsigned int		default_quota_line;
	struct conf_limit	*limits;
	size_t			nlimits;
};

/*
 * Parse @f, named @name in messages, into @c (zeroed here).  Returns 0, or
 * an exit status with "NAME:LINE: what is wrong" in @err: EXIT_USAGE for a
 * bad line, EXIT_FAIL when the file cannot be read (@err then ends with the
 * reason, and errno is kept).
 */
int conf_parse(FILE *f, const char *name, struct conf *c, char *err,
	       size_t errlen);

/* Parse the text @text (for tests), named @name */
int conf_parse_text(const char *text, const char *name, struct conf *c,
		    char *err, size_t errlen);

void conf_free(struct conf *c);

/* Append a limit (a copy of @path, normalised); 0 or -ENOMEM */
int conf_add_limit(struct conf *c, const char *path, uint32_t max,
		   unsigned int line);

/* The limit of @c on @path (normalised), or NULL */
struct conf_limit *conf_find_limit(const struct conf *c, const char *path);

/*
 * Normalise a cgroup path in place: repeated slashes become one, a final
 * slash goes ("/" stays "/").  The kernel names the same cgroup either way.
 */
void conf_path_norm(char *path);

/*
 * @path as a word of the file: a byte below 0x21 or 0x7f, and a backslash
 * that three octal digits follow, written as a backslash and three octal
 * digits.  malloc()ed; NULL when out of memory.
 */
char *conf_path_escape(const char *path);

/* Decode a word's escapes in place; 0, or -EINVAL for "\000" or above "\377" */
int conf_path_unescape(char *word);

#endif /* VFIOPASIDCTL_CONF_H */
