/*
 * cmd/port_forward.c: `minilaunch port-forward`: a pod's ports on
 * 127.0.0.1 until Ctrl-C (kube/portforward.h), on the profile's context
 * or any other kubeconfig context.
 */
#include "config.h"

#include "cmd/command.h"
#include "cmd/kube_context.h"
#include "kube/k8s.h"
#include "kube/portforward.h"
#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PORTS 16

enum { OPT_NAMESPACE, OPT_CONTEXT, OPT_KUBECONFIG };

static const struct ml_option pf_options[] = {
	[OPT_NAMESPACE] = { "namespace", 'n', "NS",
			    "the pod's namespace (default: the context's)",
			    NULL },
	ML_KUBE_CONTEXT_OPTIONS(OPT_CONTEXT, OPT_KUBECONFIG),
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_port_forward;

static bool
read_port(const char *s, size_t n, bool zero_ok, int *ret)
{
	long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return false;
	*ret = (int)v;
	return true;
}

/* "[LOCAL:]REMOTE": LOCAL empty or 0 picks a free port, as kubectl's ":R". */
static bool
read_mapping(const char *s, int *ret_local, int *ret_remote)
{
	const char *colon = strchr(s, ':');

	if (!colon) {
		if (!read_port(s, strlen(s), false, ret_remote))
			return false;
		*ret_local = *ret_remote;
		return true;
	}
	if (colon == s)
		*ret_local = 0;
	else if (!read_port(s, (size_t)(colon - s), true, ret_local))
		return false;
	return read_port(colon + 1, strlen(colon + 1), false, ret_remote);
}

static int
check_args(const struct ml_args *a)
{
	int l, r;

	if (a->argc < 2)
		return ml_command_usage_error(
			&ml_cmd_port_forward,
			"port-forward needs a pod name and at least one [LOCAL:]REMOTE port");
	if (a->argc - 1 > MAX_PORTS)
		return ml_command_usage_error(&ml_cmd_port_forward,
					      "at most %d ports at once",
					      MAX_PORTS);
	for (int i = 1; i < a->argc; i++)
		if (!read_mapping(a->argv[i], &l, &r))
			return ml_command_usage_error(
				&ml_cmd_port_forward,
				"'%s' is not a port mapping: give [LOCAL:]REMOTE, ports in 1-65535",
				a->argv[i]);
	return ml_kube_context_check(&ml_cmd_port_forward,
				     a->opt[OPT_CONTEXT]);
}

static int
run_port_forward(const struct ml_globals *g, const struct ml_args *a)
{
	struct ml_portforward *pf[MAX_PORTS] = { 0 };
	struct ml_k8s_config *cfg = NULL;
	struct ml_k8s *c = NULL;
	sigset_t stop, old;
	int n = 0, sig = 0;
	int r;

	r = ml_kube_context_load(g, a->opt[OPT_CONTEXT], a->opt[OPT_KUBECONFIG],
				 &cfg);
	if (r < 0)
		return r;
	/* Blocked before the threads start, so that sigwait() gets them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	r = ml_k8s_new(cfg, &c);
	for (int i = 1; r >= 0 && i < a->argc; i++) {
		int local, remote, port;

		read_mapping(a->argv[i], &local, &remote);
		r = ml_portforward_open(c,
					a->opt[OPT_NAMESPACE]
						? a->opt[OPT_NAMESPACE]
						: cfg->namespace,
					a->argv[0], remote, local,
					ML_PORTFORWARD_LOG, &pf[n], &port);
		if (r < 0)
			break;
		n++;
		printf("Forwarding from 127.0.0.1:%d -> %d\n", port, remote);
	}
	if (r >= 0) {
		fflush(stdout);
		sigwait(&stop, &sig);
	}
	for (int i = 0; i < n; i++)
		ml_portforward_close(pf[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ml_k8s_free(c);
	ml_k8s_config_free(cfg);
	return r;
}

const struct ml_command ml_cmd_port_forward = {
	.name = "port-forward",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary = "Forward local ports to a pod's ports",
	.usage =
		"port-forward [-n NS] [--context NAME] [--kubeconfig FILE] POD [LOCAL:]REMOTE...",
	.description =
		"Listens on 127.0.0.1:LOCAL (the same as REMOTE when not given; ':REMOTE'\n"
		"or '0:REMOTE' picks a free port) and carries each connection to the\n"
		"pod's port REMOTE over the API server, as `kubectl port-forward` does.\n"
		"Runs in the foreground until Ctrl-C; prints \"Forwarding from\n"
		"127.0.0.1:LOCAL -> REMOTE\" per port once it listens. Without --context\n"
		"it uses the profile's context, and the profile must be running.",
	.options = pf_options,
	.run = run_port_forward,
};
