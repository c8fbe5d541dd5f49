/* check_run.h: the end of every Check suite's main(). */
#ifndef ML_CHECK_RUN_H
#define ML_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

/*
 * Runs every case of s (which the runner then owns and frees), printing
 * Check's summary line. Returns EXIT_SUCCESS when all passed.
 */
static inline int
ml_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
