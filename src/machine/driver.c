/* machine/driver.c: dispatch to the driver's slots; NULL means not supported.
 */
#include "config.h"

#include "machine/driver.h"

#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct ml_driver_ops ml_driver_libvirt;

struct ml_driver {
	const struct ml_driver_ops *ops;
	void *priv;
};

int
ml_driver_open(const char *uri, const char *home, struct ml_driver **ret)
{
	struct ml_driver *d;
	ml_autofree char *abs = NULL;
	int r;

	if (home[0] != '/') {
		char *cwd = getcwd(NULL, 0);

		if (!cwd)
			return ml_err(-errno,
				      "cannot read the working directory: %s",
				      strerror(errno));
		abs = ml_xasprintf("%s/%s", cwd, home);
		free(cwd);
		home = abs;
	}
	d = ml_xcalloc(1, sizeof(*d));
	d->ops = &ml_driver_libvirt;
	r = d->ops->open(uri, home, &d->priv);
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

struct ml_driver *
ml_driver_close(struct ml_driver *d)
{
	if (!d)
		return NULL;
	if (d->ops->close)
		d->ops->close(d->priv);
	free(d);
	return NULL;
}

#define SLOT(d, fn)                                                            \
	do {                                                                   \
		if (!(d)->ops->fn)                                             \
			return ml_err(-ENOTSUP,                                \
				      "the %s driver cannot " #fn " machines", \
				      (d)->ops->name);                         \
	} while (0)

int
ml_driver_host(struct ml_driver *d, struct ml_driver_host *ret)
{
	*ret = (struct ml_driver_host){ 0 };
	if (!d->ops->host)
		return ml_err(-ENOTSUP, "the %s driver cannot say what it runs",
			      d->ops->name);
	return d->ops->host(d->priv, ret);
}

void
ml_driver_host_clear(struct ml_driver_host *h)
{
	free(h->emulator);
	free(h->version);
	*h = (struct ml_driver_host){ 0 };
}

int
ml_driver_define(struct ml_driver *d, const struct ml_machine_spec *spec,
		 bool *ret_new_disk)
{
	SLOT(d, define);
	return d->ops->define(d->priv, spec, ret_new_disk);
}

int
ml_driver_start(struct ml_driver *d, const char *name)
{
	SLOT(d, start);
	return d->ops->start(d->priv, name);
}

int
ml_driver_shutdown(struct ml_driver *d, const char *name)
{
	SLOT(d, shutdown);
	return d->ops->shutdown(d->priv, name);
}

int
ml_driver_active(struct ml_driver *d, const char *name, bool *ret)
{
	SLOT(d, active);
	return d->ops->active(d->priv, name, ret);
}

int
ml_driver_kill(struct ml_driver *d, const char *name)
{
	SLOT(d, kill);
	return d->ops->kill(d->priv, name);
}

int
ml_driver_remove(struct ml_driver *d, const char *name)
{
	SLOT(d, remove);
	return d->ops->remove(d->priv, name);
}

int
ml_driver_state(struct ml_driver *d, const char *name,
		enum ml_machine_state *ret)
{
	SLOT(d, state);
	return d->ops->state(d->priv, name, ret);
}

int
ml_driver_forward(struct ml_driver *d, const char *name, int host_port,
		  int guest_port)
{
	SLOT(d, forward);
	return d->ops->forward(d->priv, name, host_port, guest_port);
}

int
ml_driver_unforward(struct ml_driver *d, const char *name, int host_port)
{
	SLOT(d, unforward);
	return d->ops->unforward(d->priv, name, host_port);
}

const char *
ml_machine_state_name(enum ml_machine_state s)
{
	switch (s) {
	case ML_MACHINE_NONE:
		return "Nonexistent";
	case ML_MACHINE_STOPPED:
		return "Stopped";
	case ML_MACHINE_RUNNING:
		return "Running";
	case ML_MACHINE_PAUSED:
		return "Paused";
	case ML_MACHINE_CRASHED:
		return "Crashed";
	}
	return "Unknown";
}

char *
ml_driver_owner_key(const char *home)
{
	/* FNV-1a, 64 bits, over "UID:HOME": short and stable across
	 * versions; the home is compared as well wherever it matters */
	ml_autofree char *key = ml_xasprintf("%u:%s", (unsigned)getuid(), home);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return ml_xasprintf("%08x", (unsigned)(h ^ (h >> 32)));
}
