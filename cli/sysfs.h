/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiopasidctl - reading sysfs: an attribute's text, a directory's names
 *
 * Copyright (C) 2026 The vfio-pasid authors
 */
#ifndef VFIOPASIDCTL_SYSFS_H
#define VFIOPASIDCTL_SYSFS_H

#include <dirent.h>

/*
 * The text of the file at @path (at most 4 KiB) without its trailing
 * white space, malloc()ed; NULL when it cannot be read.
 */
char *read_trimmed(const char *path);

/*
 * The entries of directory @dir but the ones whose names start with ".",
 * in natural order (dmar2 before dmar10), as scandir() returns them: free
 * each and then *@ents.  Their number, or -1 when @dir cannot be read.
 */
int dir_sorted(const char *dir, struct dirent ***ents);

#endif /* VFIOPASIDCTL_SYSFS_H */
