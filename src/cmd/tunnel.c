/*
 * cmd/tunnel.c: `minilaunch tunnel [--cleanup]`: LoadBalancer services on
 * 127.0.0.1, in the foreground, as minikube's tunnel (docs/tunnel.md).
 * The controller is kube/lb_tunnel.h; this file gives it the forwards of
 * the VM (machine/driver.h), the profile's lock and state file, and the
 * ends: Ctrl-C (SIGINT, SIGTERM) removes the forwards and clears the
 * statuses; a VM that stops ends the tunnel, saying so.
 */
#include "config.h"

#include "cmd/command.h"
#include "kube/cluster.h"
#include "kube/k8s.h"
#include "kube/lb_tunnel.h"
#include "machine/driver.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/profile.h"
#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_CLEANUP };

static const struct ml_option tunnel_options[] = {
	[OPT_CLEANUP] = { "cleanup", 0, NULL,
			  "remove the forwards and statuses a killed tunnel left, then exit",
			  NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

extern const struct ml_command ml_cmd_tunnel;

static int
check_args(const struct ml_args *a)
{
	if (a->argc)
		return ml_command_usage_error(&ml_cmd_tunnel,
					      "tunnel takes no arguments");
	return 0;
}

/* The forwarder of the controller: the VM's, through the driver. */
struct vm {
	struct ml_driver *d;
	const char *profile;
};

static int
vm_add(void *ud, int host_port, int node_port)
{
	struct vm *vm = ud;

	return ml_driver_forward(vm->d, vm->profile, host_port, node_port);
}

static int
vm_remove(void *ud, int host_port)
{
	struct vm *vm = ud;

	return ml_driver_unforward(vm->d, vm->profile, host_port);
}

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static bool
vm_running(struct vm *vm)
{
	enum ml_machine_state s = ML_MACHINE_NONE;

	if (ml_driver_state(vm->d, vm->profile, &s) < 0) {
		ml_err_clear();
		return true; /* cannot tell: keep going, the watch retries */
	}
	return s == ML_MACHINE_RUNNING;
}

static int
run_tunnel(const struct ml_globals *g, const struct ml_args *a)
{
	ml_autofree char *dir = ml_paths_profile_dir(g->home, g->profile);
	ml_autofree char *lock = ml_xasprintf("%s/tunnel.lock", dir);
	ml_autofree char *state = ml_xasprintf("%s/tunnel.json", dir);
	struct ml_profile *p = NULL;
	struct ml_k8s *c = NULL;
	struct ml_lb_tunnel *t = NULL;
	struct vm vm = { NULL, g->profile };
	struct ml_lb_forwarder fw = { vm_add, vm_remove, &vm };
	struct sigaction sa = { .sa_handler = on_signal };
	int64_t down_since = 0, last_check = 0;
	size_t n = 0;
	int lock_fd = -1, aport, r;

	/* no profile lock held: `service` and `status` write the profile
	 * while the tunnel runs */
	r = ml_profile_open(g->home, g->profile, 0, &p);
	if (r < 0)
		return r;
	aport = ml_profile_state_port(p, "apiserver");
	if (!aport) {
		r = ml_err(-EHOSTDOWN,
			   "profile '%s' has no API server port in its state: run 'minilaunch -p %s start' to repair it",
			   g->profile, g->profile);
		goto out;
	}
	r = lock_fd = ml_lb_tunnel_lock(lock, g->profile);
	if (r < 0)
		goto out;
	r = ml_driver_open(ml_profile_get_or_default(p, "driver-uri"), g->home,
			   &vm.d);
	if (r >= 0)
		r = ml_cluster_client(g->home, g->profile, aport, 10000, &c);
	/* what a killed tunnel left, first: its forwards hold the ports */
	if (r >= 0)
		r = ml_lb_tunnel_cleanup(c, &fw, state, stdout, &n);
	if (r < 0 || a->opt[OPT_CLEANUP]) {
		if (r >= 0)
			printf(n ? "tunnel of profile '%s' cleaned up\n"
				 : "nothing to clean up for profile '%s'\n",
			       g->profile);
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = ml_lb_tunnel_new(c, &fw, state, stdout, &t);
	if (r < 0)
		goto out;
	fprintf(stderr,
		"tunnel for profile '%s': LoadBalancer services get 127.0.0.1 and their ports on it; Ctrl-C to stop\n",
		g->profile);
	while (!stop_signal) {
		int64_t now;

		r = ml_lb_tunnel_poll(t, 1000, -1);
		if (stop_signal)
			break;
		if (r < 0)
			goto out;
		now = ml_now_ms();
		if (ml_lb_tunnel_connected(t)) {
			down_since = 0;
			continue;
		}
		if (!down_since)
			down_since = now;
		/* the API went away: ask the driver, at most every 2 s */
		if (now - last_check < 2000)
			continue;
		last_check = now;
		if (!vm_running(&vm)) {
			fprintf(stderr,
				"the VM of profile '%s' stopped: tunnel exiting (its forwards went with it; 'minilaunch -p %s tunnel --cleanup' after the next start clears the statuses)\n",
				g->profile, g->profile);
			r = ml_lb_tunnel_stop(t, false);
			if (r < 0)
				ml_err_clear();
			r = 0;
			goto out;
		}
	}
	r = ml_lb_tunnel_stop(t, true);
	if (r >= 0)
		fprintf(stderr,
			"tunnel stopped: forwards removed, statuses cleared\n");
out:
	ml_lb_tunnel_free(t);
	ml_k8s_free(c);
	ml_driver_close(vm.d);
	if (lock_fd >= 0)
		close(lock_fd);
	ml_profile_free(p);
	return r < 0 ? r : 0;
}

const struct ml_command ml_cmd_tunnel = {
	.name = "tunnel",
	.flags = ML_CMD_NEEDS_RUNNING,
	.check_args = check_args,
	.summary =
		"Give LoadBalancer services 127.0.0.1 and forward their ports",
	.usage = "tunnel [--cleanup]",
	.description =
		"Runs in the foreground until Ctrl-C. Every Service of type LoadBalancer,\n"
		"in every namespace, gets the ingress IP 127.0.0.1 in its status, and\n"
		"each of its TCP ports P is forwarded from 127.0.0.1:P to the port's\n"
		"NodePort (through the QEMU monitor). A port already taken on this host\n"
		"is reported on the service (a PortInUse event) and here, never moved.\n"
		"Ctrl-C removes the forwards and clears the statuses; the tunnel ends\n"
		"by itself when the VM stops. One tunnel per profile. --cleanup removes\n"
		"what a killed tunnel left.",
	.options = tunnel_options,
	.run = run_tunnel,
};
