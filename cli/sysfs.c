// SPDX-License-Identifier: GPL-2.0
/*
 * vfiopasidctl - reading sysfs: an attribute's text, a directory's names
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfiopasidctl.h"
#include "error.h"
#include "sysfs.h"

char *read_trimmed(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return xstrdup(buf);
}

static int not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int dir_sorted(const char *dir, struct dirent ***ents)
{
	return scandir(dir, ents, not_hidden, versionsort);
}
