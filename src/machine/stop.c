/* machine/stop.c: the stop policy over the driver's primitives. */
#include "config.h"

#include "machine/stop.h"

#include "machine/driver.h"
#include "machine/ssh.h"
#include "base/log.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#define PRESS_AGAIN_MS 10000

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
	int64_t t0, next_press;
	bool active;
	int r;

	ssh_poweroff(home, name, ssh_port);
	t0 = ml_now_ms();
	next_press = t0 + PRESS_AGAIN_MS;
	r = ml_driver_shutdown(d, name);
	while (r >= 0 && (r = ml_driver_active(d, name, &active)) >= 0 &&
	       active) {
		int64_t now = ml_now_ms();

		if (now - t0 >= (int64_t)timeout_s * 1000) {
			ml_log_warn("'%s' did not power off within %d s: forcing it off",
				    name, timeout_s);
			return ml_driver_kill(d, name);
		}
		/* the power button may be pressed before the guest listens */
		if (now >= next_press) {
			r = ml_driver_shutdown(d, name);
			next_press = now + PRESS_AGAIN_MS;
		}
		usleep(250000);
	}
	return r;
}
