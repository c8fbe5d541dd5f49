/*
 * fixture.c: starting, driving and stopping the control plane of
 * tests/fixtures/control-plane for the Check programs (see fixture.h).
 */
#include "config.h"

#include "fixture.h"

#include "base/util.h"
#include "../unit/check_run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

char fixture_dir[PATH_MAX];
char fixture_kubeconfig[PATH_MAX + 32];
char fixture_srcdir[PATH_MAX];
static char script[PATH_MAX]; /* the control-plane script */

int
fixture_run(const char *verb)
{
	ml_autofree char *cmd =
		ml_xasprintf("'%s' %s '%s' >&2", script, verb, fixture_dir);

	return system(cmd);
}

struct ml_k8s *
fixture_client(const char *context)
{
	struct ml_k8s_config *cfg = NULL;
	struct ml_k8s *c = NULL;
	int r;

	r = ml_k8s_config_load(fixture_kubeconfig, context, &cfg);
	ck_assert_msg(r == 0, "config_load %s: %s", context, ml_err_msg());
	r = ml_k8s_new(cfg, &c);
	ck_assert_msg(r == 0, "new: %s", ml_err_msg());
	ml_k8s_config_free(cfg);
	return c;
}

/* Starts the control plane; on failure says why and returns -1. */
static int
fixture_start(const char *name)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	ml_autofree char *cmd = NULL;
	char line[PATH_MAX + 64] = "";
	FILE *p;
	int st;

	const char *stem = strncmp(name, "test_", 5) == 0 ? name + 5 : name;

	snprintf(fixture_dir, PATH_MAX, "%s/ml-%s-XXXXXX", tmp, stem);
	if (!mkdtemp(fixture_dir)) {
		fprintf(stderr, "%s: mkdtemp: %s\n", name, strerror(errno));
		return -1;
	}
	cmd = ml_xasprintf("'%s' start '%s'", script, fixture_dir);
	p = popen(cmd, "r");
	if (!p) {
		fprintf(stderr, "%s: cannot run %s: %s\n", name, script,
			strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	st = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (st != 0 || !*line) {
		fprintf(stderr,
			"%s: FAIL: the control plane did not start (%s exited with status %d; its reason is above, logs in %s)\n",
			name, cmd, WEXITSTATUS(st), fixture_dir);
		return -1;
	}
	snprintf(fixture_kubeconfig, PATH_MAX + 32, "%s", line);
	return 0;
}

int
fixture_main(const char *name, Suite *(*suite)(void))
{
	const char *top = getenv("ML_TOP_SRCDIR");
	int rc;

#ifdef ML_SRCDIR
	if (!top)
		top = ML_SRCDIR;
#endif
	if (!top)
		top = ".";
	snprintf(fixture_srcdir, PATH_MAX, "%s", top);
	snprintf(script, sizeof(script), "%s/tests/fixtures/control-plane",
		 top);
	unsetenv("KUBECONFIG");
	if (fixture_start(name) < 0) {
		fixture_run("stop");
		return 1;
	}
	rc = ml_check_run(suite());
	fixture_run("stop");
	if (rc == EXIT_SUCCESS) {
		ml_autofree char *rm = ml_xasprintf("rm -rf '%s'", fixture_dir);

		if (system(rm) != 0)
			fprintf(stderr, "%s: cannot remove %s, ignoring\n",
				name, fixture_dir);
	} else {
		fprintf(stderr, "%s: logs kept in %s\n", name, fixture_dir);
	}
	return rc == EXIT_SUCCESS ? 0 : 1;
}
