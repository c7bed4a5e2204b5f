// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - the policy file, /etc/vfio-pasid.conf
 *
 * Copyright (C) 2026 The vfio-pasid authors
 *
 * The parser reads the whole file before anything is applied and stops at
 * the first bad line, so that "config apply" can refuse a file without
 * having changed anything.  conf.h has the format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "conf.h"
#include "parse.h"

/* The most words a line may have that we look at: keyword, two, one extra */
#define MAX_WORDS	4

struct parser {
	const char	*name;
	unsigned int	line;
	struct conf	*c;
	char		*err;
	size_t		errlen;
};

static int bad_line(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad_line(struct parser *p, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, what);
	return EXIT_USAGE;
}

void conf_path_norm(char *path)
{
	char *r = path, *w = path;

	while (*r) {
		if (*r == '/' && w > path && w[-1] == '/') {
			r++;
			continue;
		}
		*w++ = *r++;
	}
	while (w > path + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

static bool is_octal(char ch)
{
	return ch >= '0' && ch <= '7';
}

/* A backslash at @s starts an escape: three octal digits follow */
static bool escape_at(const char *s)
{
	return s[0] == '\\' && is_octal(s[1]) && is_octal(s[2]) &&
	       is_octal(s[3]);
}

int conf_path_unescape(char *word)
{
	char *r = word, *w = word;

	while (*r) {
		if (escape_at(r)) {
			unsigned int v = (unsigned int)(r[1] - '0') * 64 +
					 (unsigned int)(r[2] - '0') * 8 +
					 (unsigned int)(r[3] - '0');

			if (v == 0 || v > 0xff)
				return -EINVAL;
			*w++ = (char)v;
			r += 4;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return 0;
}

char *conf_path_escape(const char *path)
{
	char *out = malloc(strlen(path) * 4 + 1), *w = out;

	if (!out)
		return NULL;
	for (const char *r = path; *r; r++) {
		unsigned char ch = (unsigned char)*r;

		if (ch <= 0x20 || ch == 0x7f || escape_at(r))
			w += sprintf(w, "\\%03o", ch);
		else
			*w++ = (char)ch;
	}
	*w = '\0';
	return out;
}

struct conf_limit *conf_find_limit(const struct conf *c, const char *path)
{
	for (size_t i = 0; i < c->nlimits; i++)
		if (!strcmp(c->limits[i].path, path))
			return &c->limits[i];
	return NULL;
}

int conf_add_limit(struct conf *c, const char *path, uint32_t max,
		   unsigned int line)
{
	struct conf_limit *l;
	char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	l = realloc(c->limits, (c->nlimits + 1) * sizeof(*l));
	if (!l) {
		free(copy);
		return -ENOMEM;
	}
	conf_path_norm(copy);
	c->limits = l;
	l[c->nlimits++] = (struct conf_limit){ copy, max, line };
	return 0;
}

void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->nlimits; i++)
		free(c->limits[i].path);
	free(c->limits);
	memset(c, 0, sizeof(*c));
}

static int parse_default_quota(struct parser *p, char **w, int nw)
{
	uint32_t n;
	int ret;

	if (nw < 2)
		return bad_line(p, "default_quota needs a number: default_quota N");
	if (nw > 2)
		return bad_line(p, "unexpected '%s' after default_quota N (a comment starts with '#')",
				w[2]);
	ret = parse_u32(w[1], &n);
	if (ret == -ERANGE)
		return bad_line(p, "'%s' is above 4294967295", w[1]);
	if (ret)
		return bad_line(p, "'%s' is not a quota (a number of PASIDs, decimal or 0x hexadecimal)",
				w[1]);
	if (p->c->has_default_quota)
		return bad_line(p, "default_quota is given again (first on line %u)",
				p->c->default_quota_line);
	p->c->has_default_quota = true;
	p->c->default_quota = n;
	p->c->default_quota_line = p->line;
	return 0;
}

static int parse_limit_line(struct parser *p, char **w, int nw)
{
	struct conf_limit *dup;
	char *path;
	uint32_t n;
	int ret;

	if (nw < 3)
		return bad_line(p, "limit needs a cgroup and a number: limit CGROUP N");
	if (nw > 3)
		return bad_line(p, "unexpected '%s' after limit CGROUP N (a comment starts with '#')",
				w[3]);
	path = strdup(w[1]);
	if (!path)
		return bad_line(p, "out of memory");
	if (conf_path_unescape(path)) {
		free(path);
		return bad_line(p, "'%s': an escape is a backslash and three octal digits, \\001 to \\377",
				w[1]);
	}
	ret = parse_cgroup_path(path);
	if (ret) {
		free(path);
		if (ret == -ENAMETOOLONG)
			return bad_line(p, "the cgroup path is longer than 4095 bytes");
		return bad_line(p, "'%s' is not a cgroup path: give it from the cgroup2 root, starting with '/', without '.' or '..'",
				w[1]);
	}
	ret = parse_limit(w[2], &n);
	if (ret) {
		free(path);
		if (ret == -ERANGE)
			return bad_line(p, "'%s' is above the largest limit, %u PASIDs",
					w[2], LIMIT_MAX_PASIDS);
		return bad_line(p, "'%s' is not a limit (a number of PASIDs, decimal or 0x hexadecimal)",
				w[2]);
	}
	conf_path_norm(path);
	dup = conf_find_limit(p->c, path);
	if (dup) {
		free(path);
		return bad_line(p, "a limit on %s is given again (first on line %u)",
				dup->path, dup->line);
	}
	ret = conf_add_limit(p->c, path, n, p->line);
	free(path);
	return ret ? bad_line(p, "out of memory") : 0;
}

/* One line of @len bytes, without its newline */
static int parse_line(struct parser *p, char *s, size_t len)
{
	char *w[MAX_WORDS];
	int nw = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\0')
			return bad_line(p, "a NUL byte: this is not a text file");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return bad_line(p, "a control character (0x%02x)%s", ch,
					ch == '\r' ? ": write the file with Unix line ends" : "");
	}
	while (*s && nw < MAX_WORDS) {
		s += strspn(s, " \t");
		if (!*s || *s == '#')
			break;
		w[nw++] = s;
		s += strcspn(s, " \t");
		if (*s)
			*s++ = '\0';
	}
	if (!nw)
		return 0;
	if (!strcmp(w[0], "default_quota"))
		return parse_default_quota(p, w, nw);
	if (!strcmp(w[0], "limit"))
		return parse_limit_line(p, w, nw);
	return bad_line(p, "unknown keyword '%s' (the keywords are default_quota and limit)",
			w[0]);
}

int conf_parse(FILE *f, const char *name, struct conf *c, char *err,
	       size_t errlen)
{
	struct parser p = { name, 0, c, err, errlen };
	size_t cap = 0;
	char *buf = NULL;
	ssize_t n;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	while ((n = getline(&buf, &cap, f)) >= 0) {
		p.line++;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		ret = parse_line(&p, buf, (size_t)n);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot read it: %s", name,
			 strerror(e));
		errno = e;
		ret = EXIT_FAIL;
	}
	free(buf);
	if (ret)
		conf_free(c);
	return ret;
}

int conf_parse_text(const char *text, const char *name, struct conf *c,
		    char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (!f) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return EXIT_FAIL;
	}
	ret = conf_parse(f, name, c, err, errlen);
	fclose(f);
	return ret;
}
