/* test_node.c: which build tree, if any, the running program belongs to
 * (an installed one never looks in the tree it was built in). */
#include "config.h"

#include "machine/node.h"
#include "base/util.h"
#include "check_run.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_node_exe_in_build_tree)
{
	char dir[] = "/tmp/ml-test-node.XXXXXX";
	ml_autofree char *tree = NULL, *exe = NULL, *sibling = NULL;
	ml_autofree char *link = NULL, *gone = NULL, *gone_exe = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	tree = ml_xasprintf("%s/build", dir);
	ck_assert_int_eq(ml_mkdir_p(tree, 0755), 0);
	exe = ml_xasprintf("%s/build/src/minilaunch-core", dir);
	ck_assert(ml_node_exe_in_build_tree(exe, tree));
	/* a name that only starts like the tree is elsewhere */
	sibling = ml_xasprintf("%s/build2/src/minilaunch-core", dir);
	ck_assert(!ml_node_exe_in_build_tree(sibling, tree));
	ck_assert(!ml_node_exe_in_build_tree(tree, tree));
	ck_assert(
		!ml_node_exe_in_build_tree("/usr/local/bin/minilaunch", tree));
	ck_assert(!ml_node_exe_in_build_tree(NULL, tree));
	/* the tree is compared resolved: the kernel's exe path has no links */
	link = ml_xasprintf("%s/link", dir);
	ck_assert_int_eq(symlink(tree, link), 0);
	ck_assert(ml_node_exe_in_build_tree(exe, link));
	/* a tree that is gone holds nothing, even a path that names it */
	gone = ml_xasprintf("%s/gone", dir);
	gone_exe = ml_xasprintf("%s/src/minilaunch", gone);
	ck_assert(!ml_node_exe_in_build_tree(gone_exe, gone));
	ck_assert(!ml_node_exe_in_build_tree("/usr/bin/minilaunch", "/"));
	ml_rm_rf(dir);
}
END_TEST

/* This program runs from the build tree's tests/unit. */
START_TEST(test_node_build_tree_of_this_program)
{
	ck_assert_ptr_nonnull(ml_node_build_tree());
	ck_assert_str_eq(ml_node_build_tree(), ML_BUILDDIR);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_node_exe_in_build_tree);
	tcase_add_test(tc, test_node_build_tree_of_this_program);
	suite_add_tcase(s, tc);
	return ml_check_run(s);
}
