/* test_driver_xml.c: the libvirt domain's network per mode: outbound NAT
 * online, restrict=on offline, the forwards on 127.0.0.1 either way. */
#include "config.h"

#include "base/util.h"
#include "machine/driver.h"
#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *
xml_for(bool offline)
{
	struct ml_machine_spec spec = {
		.name = "dev",
		.machine_dir = "/home/u/.minilaunch/machines/dev",
		.kernel = "/k/vmlinuz",
		.initrd = "/k/initrd.img",
		.cmdline = "console=ttyS0",
		.iso = "/k/node.iso",
		.config_iso = "/k/config.iso",
		.serial_log = "/k/serial.log",
		.cpus = 2,
		.memory_mib = 3072,
		.disk_mib = 20480,
		.accel = ML_ACCEL_TCG,
		.ssh_port = 40022,
		.docker_port = 40023,
		.apiserver_port = 40024,
		.offline = offline,
	};

	return ml_driver_libvirt_domain_xml("/home/u/.minilaunch", &spec);
}

/* The value of the netdev's qemu:arg: "user,..." */
static char *
netdev(const char *xml)
{
	const char *a = strstr(xml, "<qemu:arg value='user,");
	const char *b;

	ck_assert_ptr_nonnull(a);
	a += strlen("<qemu:arg value='");
	b = strchr(a, '\'');
	ck_assert_ptr_nonnull(b);
	/* one user-mode network only */
	ck_assert_ptr_null(strstr(b, "value='user,"));
	return ml_xasprintf("%.*s", (int)(b - a), a);
}

static const char forwards[] = "hostfwd=tcp:127.0.0.1:40022-:22,"
			       "hostfwd=tcp:127.0.0.1:40023-:2376,"
			       "hostfwd=tcp:127.0.0.1:40024-:8443";

START_TEST(test_driver_xml_online_has_outbound_nat)
{
	ml_autofree char *xml = xml_for(false);
	ml_autofree char *net = netdev(xml);
	ml_autofree char *want =
		ml_xasprintf("user,id=mlnet0,restrict=off,%s", forwards);

	ck_assert_str_eq(net, want);
	/* QEMU's own resolver and addresses: no dns=, net= or guestfwd */
	ck_assert_ptr_null(strstr(xml, "dns="));
	ck_assert_ptr_null(strstr(xml, "guestfwd"));
	ck_assert_ptr_null(strstr(xml, "restrict=on"));
}
END_TEST

START_TEST(test_driver_xml_offline_is_restricted)
{
	ml_autofree char *xml = xml_for(true);
	ml_autofree char *net = netdev(xml);
	ml_autofree char *want =
		ml_xasprintf("user,id=mlnet0,restrict=on,%s", forwards);

	ck_assert_str_eq(net, want);
	ck_assert_ptr_null(strstr(xml, "restrict=off"));
}
END_TEST

START_TEST(test_driver_xml_names_the_profile)
{
	ml_autofree char *xml = xml_for(false);
	ml_autofree char *owner = ml_driver_owner_key("/home/u/.minilaunch");
	ml_autofree char *name = ml_xasprintf("<name>ml-%s-dev</name>", owner);

	ck_assert_ptr_nonnull(strstr(xml, name));
	ck_assert_ptr_nonnull(strstr(xml, "<domain type='qemu'"));
	ck_assert_ptr_nonnull(strstr(xml, "<kernel>/k/vmlinuz</kernel>"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("driver_xml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_driver_xml_online_has_outbound_nat);
	tcase_add_test(tc, test_driver_xml_offline_is_restricted);
	tcase_add_test(tc, test_driver_xml_names_the_profile);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
