/* test_driver_hostfwd.c: the QEMU monitor commands that add and remove a
 * forward on 127.0.0.1 (minilaunch service, minilaunch tunnel), and how a
 * removal's reply is read: a forward that is not there is no error. */
#include "config.h"

#include "base/util.h"
#include "machine/driver.h"
#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_driver_hostfwd_add_is_loopback_tcp)
{
	ml_autofree char *cmd = ml_driver_libvirt_hostfwd_cmd(8080, 31234);

	ck_assert_str_eq(cmd, "hostfwd_add mlnet0 tcp:127.0.0.1:8080-:31234");
}
END_TEST

START_TEST(test_driver_hostfwd_remove_names_the_netdev)
{
	ml_autofree char *cmd = ml_driver_libvirt_hostfwd_cmd(8080, 0);

	ck_assert_str_eq(cmd, "hostfwd_remove mlnet0 tcp:127.0.0.1:8080");
}
END_TEST

START_TEST(test_driver_hostfwd_remove_replies)
{
	/* QEMU's two answers (net/slirp.c hmp_hostfwd_remove) */
	ck_assert_int_eq(
		ml_driver_libvirt_read_hostfwd_remove(
			"dev", 8080,
			"host forwarding rule for tcp:127.0.0.1:8080 removed\r\n"),
		0);
	ck_assert_int_eq(
		ml_driver_libvirt_read_hostfwd_remove(
			"dev", 8080,
			"host forwarding rule for tcp:127.0.0.1:8080 not found\r\n"),
		0);
	/* a syntax error, or nothing at all, is a failure naming the port */
	ck_assert_int_eq(ml_driver_libvirt_read_hostfwd_remove(
				 "dev", 8080, "invalid format\r\n"),
			 -EIO);
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "127.0.0.1:8080 of 'dev'"));
	ck_assert_ptr_nonnull(strstr(ml_err_msg(), "invalid format"));
	ck_assert_int_eq(ml_driver_libvirt_read_hostfwd_remove("dev", 80, ""),
			 -EIO);
	ck_assert_int_eq(ml_driver_libvirt_read_hostfwd_remove("dev", 80, NULL),
			 -EIO);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("driver_hostfwd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_driver_hostfwd_add_is_loopback_tcp);
	tcase_add_test(tc, test_driver_hostfwd_remove_names_the_netdev);
	tcase_add_test(tc, test_driver_hostfwd_remove_replies);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
