/* test_tui_views_extra.c: a test build of src/tui/views.c with one more
 * entry in its table (ML_TUI_TEST_VIEW, a view of leases with a key of its
 * own) and no other change, then the cases of test_tui_views.c: the new
 * view is found, listed in the help and its key dispatched. This is the
 * check that adding a view is one table entry plus its functions. */
#include "config.h"

#include "tui/dash.h"

int test_view_key_runs;

static void
lease_key(struct dash *d, struct ml_tui_row *row)
{
	(void)d;
	(void)row;
	test_view_key_runs++;
}

#define ML_TUI_TEST_VIEW                                                       \
	{                                                                      \
		.name = "leases", .kind = "lease", .aliases = { "lease" },     \
		.api = { "/apis/coordination.k8s.io/v1" }, .namespaced = true, \
		.sort = "HOLDER", .sort_desc = true, .keys = {                 \
			{ 'h', "holder", "show the holder", lease_key }        \
		}                                                              \
	}

#include "../../src/tui/views.c"
#include "test_tui_views.c"
