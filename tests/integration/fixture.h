/*
 * fixture.h: the control plane of tests/fixtures/control-plane (etcd and
 * kube-apiserver) for the Check programs of tests/integration.
 * fixture_main() starts it in a fresh directory under $TMPDIR, runs the
 * suite, stops it, and removes the directory when every case passed
 * (else it keeps it and says where). The cases reach it through the
 * paths and helpers below, which are valid only while the suite runs.
 */
#ifndef ML_TEST_FIXTURE_H
#define ML_TEST_FIXTURE_H

#include "kube/k8s.h"

#include <check.h>

extern char fixture_dir[];	  /* the fixture's state, pki/ and logs */
extern char fixture_kubeconfig[]; /* its kubeconfig (several contexts) */
extern char fixture_srcdir[];	  /* the source tree, for test data */

/*
 * Runs "control-plane VERB DIR" (stop-apiserver, start-apiserver, ...),
 * its output on stderr. Returns its system() status: 0 on success.
 */
int fixture_run(const char *verb);

/*
 * A client for CONTEXT of the fixture's kubeconfig; a failure fails the
 * running case. Caller frees with ml_k8s_free().
 */
struct ml_k8s *fixture_client(const char *context);

/*
 * The whole of a test program's main(): NAME (the program, for messages)
 * runs the suite that SUITE makes against a fresh control plane. Returns
 * the exit status: 0 when every case passed, 1 when one failed or the
 * control plane did not start (saying why on stderr).
 */
int fixture_main(const char *name, Suite *(*suite)(void));

#endif
