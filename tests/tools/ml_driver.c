/*
 * ml_driver: machine/driver.h from the shell, without booting, for
 * tests/e2e/test_names.sh: what a start defines and a delete removes.
 *
 *   ml_driver URI HOME PROFILE define FILES_DIR [offline]
 *       defines the machine (and its pool and data disk) with the kernel,
 *       initrd, node image and config drive FILES_DIR/{vmlinuz,initrd.img,
 *       node.iso,config.iso}, online unless offline is given; prints
 *       "new disk" or "kept disk"
 *   ml_driver URI HOME PROFILE remove|state
 *   ml_driver HOME owner
 *       prints the owner key of HOME
 * Errors: the one-line message on stderr, exit 1.
 */
#include "config.h"

#include "machine/driver.h"
#include "base/paths.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
	fprintf(stderr,
		"usage: ml_driver URI HOME PROFILE define FILES_DIR [offline]\n"
		"       ml_driver URI HOME PROFILE remove|state\n"
		"       ml_driver HOME owner\n");
	return 64;
}

static int
define(struct ml_driver *d, const char *home, const char *profile,
       const char *files, bool offline)
{
	ml_autofree char *dir = ml_paths_machine_dir(home, profile);
	ml_autofree char *kernel = ml_xasprintf("%s/vmlinuz", files);
	ml_autofree char *initrd = ml_xasprintf("%s/initrd.img", files);
	ml_autofree char *iso = ml_xasprintf("%s/node.iso", files);
	ml_autofree char *config = ml_xasprintf("%s/config.iso", files);
	ml_autofree char *serial = ml_xasprintf("%s/serial.log", dir);
	struct ml_machine_spec spec = {
		.name = profile,
		.machine_dir = dir,
		.kernel = kernel,
		.initrd = initrd,
		.cmdline = "console=ttyS0",
		.iso = iso,
		.config_iso = config,
		.serial_log = serial,
		.cpus = 1,
		.memory_mib = 256,
		.disk_mib = 64,
		.accel = ML_ACCEL_TCG,
		.ssh_port = 40022,
		.docker_port = 40023,
		.apiserver_port = 40024,
		.offline = offline,
	};
	bool made = false;
	int r = ml_mkdir_p(dir, 0700);

	if (r >= 0)
		r = ml_driver_define(d, &spec, &made);
	if (r >= 0)
		printf("%s\n", made ? "new disk" : "kept disk");
	return r;
}

int
main(int argc, char **argv)
{
	struct ml_driver *d = NULL;
	enum ml_machine_state st;
	int r;

	if (argc == 3 && strcmp(argv[2], "owner") == 0) {
		ml_autofree char *key = ml_driver_owner_key(argv[1]);

		printf("%s\n", key);
		return 0;
	}
	if (argc < 5)
		return usage();
	r = ml_driver_open(argv[1], argv[2], &d);
	if (r >= 0 && strcmp(argv[4], "define") == 0 &&
	    (argc == 6 || (argc == 7 && strcmp(argv[6], "offline") == 0)))
		r = define(d, argv[2], argv[3], argv[5], argc == 7);
	else if (r >= 0 && strcmp(argv[4], "remove") == 0 && argc == 5)
		r = ml_driver_remove(d, argv[3]);
	else if (r >= 0 && strcmp(argv[4], "state") == 0 && argc == 5) {
		r = ml_driver_state(d, argv[3], &st);
		if (r >= 0)
			printf("%s\n", ml_machine_state_name(st));
	} else if (r >= 0) {
		ml_driver_close(d);
		return usage();
	}
	ml_driver_close(d);
	if (r < 0) {
		fprintf(stderr, "error: %s\n", ml_err_msg());
		return 1;
	}
	return 0;
}
