/* machine/stop.c: the stop policy over the driver's primitives. */
#include "config.h"

#include "machine/stop.h"

#include "machine/driver.h"
#include "machine/node.h"
#include "machine/ssh.h"
#include "base/log.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void
ssh_poweroff(const char *home, const char *name, int port)
{
	char *out = NULL;

	if (port && ml_tcp_port_open(port) &&
	    ml_ssh_capture(home, name, port, "sudo systemctl poweroff", &out) <
		    0)
		ml_log_debug("poweroff over ssh failed: %s", ml_err_msg());
	free(out);
	ml_err_clear();
}

int
ml_machine_stop(struct ml_driver *d, const char *home, const char *name,
		int ssh_port, int timeout_s)
{
	struct timespec t0, now;
	bool active;
	int r;

	ssh_poweroff(home, name, ssh_port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ml_driver_shutdown(d, name);
	while (r >= 0 && (r = ml_driver_active(d, name, &active)) >= 0 &&
	       active) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= timeout_s) {
			ml_log_warn("'%s' did not power off within %d s: forcing it off",
				    name, timeout_s);
			return ml_driver_kill(d, name);
		}
		/* the power button may be pressed before the guest listens */
		if ((now.tv_sec - t0.tv_sec) % 10 == 9)
			r = ml_driver_shutdown(d, name);
		usleep(250000);
	}
	return r;
}
