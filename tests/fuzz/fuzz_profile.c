/*
 * fuzz_profile.c: a profile's config.json loader (src/base/profile.c). The
 * input is the file; an opened profile has every key and state read, and
 * is saved and opened again, which must then succeed.
 */
#include "config.h"

#include "base/profile.h"
#include "fuzz.h"

#include <sys/stat.h>

static void
read_all(struct ml_profile *p)
{
	for (const struct ml_profile_key *k = ml_profile_keys; k->name; k++) {
		ml_profile_get(p, k->name);
		ml_profile_get_or_default(p, k->name);
	}
	ml_profile_state_str(p, "status");
	ml_profile_state_port(p, "apiserver");
	ml_profile_state_port(p, "nodeport-30080");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *home = fuzz_scratch();
	char *dir = ml_xasprintf("%s/profiles", home);
	char *path = ml_xasprintf("%s/fuzz/config.json", dir);
	struct ml_profile *p = NULL;

	fuzz_quiet();
	mkdir(dir, 0700);
	free(dir);
	dir = ml_xasprintf("%s/profiles/fuzz", home);
	mkdir(dir, 0700);
	fuzz_write(path, data, size);
	if (ml_profile_open(home, "fuzz", ML_PROFILE_LOCK, &p) >= 0) {
		read_all(p);
		ml_profile_state_set_port(p, "apiserver", 8443);
		if (ml_profile_save(p) < 0) {
			fprintf(stderr, "opened, then: %s\n", ml_err_msg());
			abort();
		}
		p = ml_profile_free(p);
		if (ml_profile_open(home, "fuzz", 0, &p) < 0) {
			fprintf(stderr, "saved, then: %s\n", ml_err_msg());
			abort();
		}
		read_all(p);
		p = ml_profile_free(p);
	}
	free(dir);
	free(path);
	return 0;
}
