/*
 * tests/unit/iso_entry.h: reading an ISO back in the unit tests of what
 * writes one (the config drive): the mode an entry records. Included by
 * the test programs.
 */
#ifndef ML_TEST_ISO_ENTRY_H
#define ML_TEST_ISO_ENTRY_H

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <string.h>

/* The permission bits the ISO at path records for name, or -1. */
static int
entry_perm(const char *path, const char *name)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int perm = -1;

	archive_read_support_format_iso9660(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);

		if (strncmp(p, "./", 2) == 0)
			p += 2;
		if (strcmp(p, name) == 0) {
			perm = (int)(archive_entry_perm(e) & 07777);
			break;
		}
	}
	archive_read_free(a);
	return perm;
}

#endif
