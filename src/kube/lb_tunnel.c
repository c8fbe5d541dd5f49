/* kube/lb_tunnel.c: LoadBalancer Services to forwards on 127.0.0.1. */
#include "config.h"

#include "kube/lb_tunnel.h"

#include "base/util.h"
#include "kube/k8s.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LB_IP "127.0.0.1"

/* One service port: forwarded (active), or reported and left alone. */
struct fwd {
	char *ns, *name, *uid;
	int port, node_port;
	bool active;
};

/* A Service whose status we set. */
struct owned {
	char *ns, *name, *uid;
};

struct ml_lb_tunnel {
	struct ml_k8s *c;
	struct ml_lb_forwarder fw;
	char *state_path;
	FILE *out;
	struct ml_k8s_watch *w;
	bool connected;
	struct fwd *fwds;
	size_t nfwds;
	struct owned *owned;
	size_t nowned;
	int64_t last_retry_ms;
};

static void line(FILE *out, const char *fmt, ...) ML_PRINTF(2, 3);

static void
line(FILE *out, const char *fmt, ...)
{
	va_list ap;

	if (!out)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

int
ml_lb_tunnel_lock(const char *path, const char *profile)
{
	char buf[32];
	int fd = ml_lock_file(path, true, false);
	ssize_t n;

	if (fd == -EWOULDBLOCK) {
		ml_autofree char *pid = NULL;

		if (ml_read_file(path, &pid, NULL) >= 0)
			pid[strcspn(pid, "\n")] = '\0';
		return ml_err(
			-EBUSY,
			"a tunnel already runs for profile '%s' (pid %s): stop it first, or give another profile with -p",
			profile, pid && *pid ? pid : "unknown");
	}
	if (fd < 0)
		return ml_err(fd, "cannot lock '%s': %s", path, strerror(-fd));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
		int e = errno;

		close(fd);
		return ml_err(-e, "cannot write '%s': %s", path, strerror(e));
	}
	return fd;
}

/* --- the state file --- */

static int
save_state(struct ml_lb_tunnel *t)
{
	struct json_object *root = json_object_new_object();
	struct json_object *fa = json_object_new_array();
	struct json_object *sa = json_object_new_array();
	const char *text;
	int r;

	for (size_t i = 0; i < t->nfwds; i++) {
		struct json_object *o;

		if (!t->fwds[i].active)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "namespace",
				       json_object_new_string(t->fwds[i].ns));
		json_object_object_add(o, "name",
				       json_object_new_string(t->fwds[i].name));
		json_object_object_add(o, "port",
				       json_object_new_int(t->fwds[i].port));
		json_object_object_add(o, "nodePort",
				       json_object_new_int(
					       t->fwds[i].node_port));
		json_object_array_add(fa, o);
	}
	for (size_t i = 0; i < t->nowned; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "namespace",
				       json_object_new_string(t->owned[i].ns));
		json_object_object_add(o, "name",
				       json_object_new_string(
					       t->owned[i].name));
		json_object_object_add(o, "uid",
				       json_object_new_string(t->owned[i].uid));
		json_object_array_add(sa, o);
	}
	json_object_object_add(root, "pid", json_object_new_int64(getpid()));
	json_object_object_add(root, "forwards", fa);
	json_object_object_add(root, "statuses", sa);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	r = ml_write_file_atomic(t->state_path, text, strlen(text), 0600);
	json_object_put(root);
	return r;
}

/* The file is written before each forward is added and each status set,
 * so a tunnel killed at any moment leaves one naming all it made (and
 * perhaps one it had not made yet: cleanup finds that gone, which is
 * fine). Written after, a kill -9 between the two left a status and a
 * forward that no cleanup knew of. */
static void
remember(struct ml_lb_tunnel *t)
{
	if (save_state(t) < 0)
		line(t->out, "%s, ignoring", ml_err_msg());
}

/* --- the API side --- */

static char *
svc_path(const char *ns, const char *name, const char *sub)
{
	return ml_xasprintf("/api/v1/namespaces/%s/services/%s%s", ns, name,
			    sub);
}

/* status.loadBalancer.ingress is exactly [{ip: 127.0.0.1}] */
static bool
has_our_ingress(struct json_object *svc)
{
	struct json_object *in =
		ml_json_get(svc, "status.loadBalancer.ingress");

	if (!in || !json_object_is_type(in, json_type_array) ||
	    json_object_array_length(in) != 1)
		return false;
	return ml_json_str(json_object_array_get_idx(in, 0), "ip") &&
	       strcmp(ml_json_str(json_object_array_get_idx(in, 0), "ip"),
		      LB_IP) == 0;
}

static int
set_status(struct ml_k8s *c, const char *ns, const char *name, bool on)
{
	ml_autofree char *path = svc_path(ns, name, "/status");

	return ml_k8s_patch(c, path, "application/merge-patch+json",
			    on ? "{\"status\":{\"loadBalancer\":{\"ingress\":"
				 "[{\"ip\":\"" LB_IP "\"}]}}}"
			       : "{\"status\":{\"loadBalancer\":"
				 "{\"ingress\":null}}}",
			    NULL);
}

/* Clears the status of ns/name if it is still the one with uid and says
 * 127.0.0.1; a Service gone is fine. */
static int
clear_status(struct ml_k8s *c, const char *ns, const char *name,
	     const char *uid)
{
	ml_autofree char *path = svc_path(ns, name, "");
	struct json_object *svc = NULL;
	const char *cur;
	int r = ml_k8s_get(c, path, &svc);

	if (r == -ENOENT) {
		ml_err_clear();
		return 0;
	}
	if (r < 0)
		return r;
	cur = ml_json_str(svc, "metadata.uid");
	if (cur && uid && strcmp(cur, uid) == 0 && has_our_ingress(svc))
		r = set_status(c, ns, name, false);
	json_object_put(svc);
	return r;
}

static void
post_event(struct ml_lb_tunnel *t, struct json_object *svc, const char *reason,
	   const char *msg)
{
	struct json_object *ev = json_object_new_object();
	struct json_object *md = json_object_new_object();
	struct json_object *io = json_object_new_object();
	struct json_object *src = json_object_new_object();
	const char *ns = ml_json_str(svc, "metadata.namespace");
	const char *name = ml_json_str(svc, "metadata.name");
	const char *uid = ml_json_str(svc, "metadata.uid");
	const char *rv = ml_json_str(svc, "metadata.resourceVersion");
	ml_autofree char *gen = ml_xasprintf("%s.", name);
	ml_autofree char *path =
		ml_xasprintf("/api/v1/namespaces/%s/events", ns);
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(md, "generateName", json_object_new_string(gen));
	json_object_object_add(md, "namespace", json_object_new_string(ns));
	json_object_object_add(io, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(io, "kind", json_object_new_string("Service"));
	json_object_object_add(io, "namespace", json_object_new_string(ns));
	json_object_object_add(io, "name", json_object_new_string(name));
	if (uid)
		json_object_object_add(io, "uid", json_object_new_string(uid));
	if (rv)
		json_object_object_add(io, "resourceVersion",
				       json_object_new_string(rv));
	json_object_object_add(src, "component",
			       json_object_new_string("minilaunch-tunnel"));
	json_object_object_add(ev, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(ev, "kind", json_object_new_string("Event"));
	json_object_object_add(ev, "metadata", md);
	json_object_object_add(ev, "involvedObject", io);
	json_object_object_add(ev, "reason", json_object_new_string(reason));
	json_object_object_add(ev, "message", json_object_new_string(msg));
	json_object_object_add(ev, "type", json_object_new_string("Warning"));
	json_object_object_add(ev, "source", src);
	json_object_object_add(ev, "firstTimestamp",
			       json_object_new_string(ts));
	json_object_object_add(ev, "lastTimestamp", json_object_new_string(ts));
	json_object_object_add(ev, "count", json_object_new_int(1));
	if (ml_k8s_create(t->c, path, json_object_to_json_string(ev), NULL) < 0)
		line(t->out,
		     "cannot record the event on service %s/%s: %s, ignoring",
		     ns, name, ml_err_msg());
	json_object_put(ev);
}

/* --- the controller --- */

static bool
same_svc(const char *ns, const char *name, const char *ns2, const char *name2)
{
	return strcmp(ns, ns2) == 0 && strcmp(name, name2) == 0;
}

static void
fwd_drop(struct ml_lb_tunnel *t, size_t i)
{
	struct fwd *f = &t->fwds[i];

	if (f->active) {
		if (t->fw.remove(t->fw.ud, f->port) < 0)
			line(t->out,
			     "cannot remove the forward of 127.0.0.1:%d: %s, ignoring",
			     f->port, ml_err_msg());
		else
			line(t->out,
			     "stopped forwarding 127.0.0.1:%d (service %s/%s)",
			     f->port, f->ns, f->name);
	}
	free(f->ns);
	free(f->name);
	free(f->uid);
	t->fwds[i] = t->fwds[--t->nfwds];
}

static ssize_t
owned_find(struct ml_lb_tunnel *t, const char *ns, const char *name)
{
	for (size_t i = 0; i < t->nowned; i++)
		if (same_svc(t->owned[i].ns, t->owned[i].name, ns, name))
			return (ssize_t)i;
	return -1;
}

static void
owned_drop(struct ml_lb_tunnel *t, size_t i)
{
	free(t->owned[i].ns);
	free(t->owned[i].name);
	free(t->owned[i].uid);
	t->owned[i] = t->owned[--t->nowned];
}

/* ns/name's status as ours, written to the state file before the caller
 * sets it; its index. */
static size_t
own(struct ml_lb_tunnel *t, const char *ns, const char *name, const char *uid)
{
	ssize_t o = owned_find(t, ns, name);

	if (o >= 0)
		return (size_t)o;
	t->owned = ml_xrealloc(t->owned, (t->nowned + 1) * sizeof(*t->owned));
	t->owned[t->nowned] = (struct owned){
		.ns = ml_xstrdup(ns),
		.name = ml_xstrdup(name),
		.uid = ml_xstrdup(uid),
	};
	remember(t);
	return t->nowned++;
}

/* A Service gone: its forwards go; its status went with it. */
static bool
forget_svc(struct ml_lb_tunnel *t, const char *ns, const char *name)
{
	bool changed = false;
	ssize_t o;

	for (size_t i = t->nfwds; i-- > 0;)
		if (same_svc(t->fwds[i].ns, t->fwds[i].name, ns, name)) {
			fwd_drop(t, i);
			changed = true;
		}
	o = owned_find(t, ns, name);
	if (o >= 0) {
		owned_drop(t, (size_t)o);
		changed = true;
	}
	return changed;
}

/* Something on this host holds 127.0.0.1:port (a bind fails with
 * EADDRINUSE; a port we may not bind, below 1024, is left to the
 * forwarder to try). SO_REUSEADDR, as QEMU's listener has: the closed
 * connections of an earlier forward wait in TIME_WAIT on the port for a
 * minute, and they do not keep a new listener off it. */
static bool
host_port_taken(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool taken;

	if (fd < 0)
		return false;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
			 sizeof(int));
	taken = bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 &&
		errno == EADDRINUSE;
	close(fd);
	return taken;
}

static void
add_port(struct ml_lb_tunnel *t, struct json_object *svc, int port,
	 int node_port)
{
	const char *ns = ml_json_str(svc, "metadata.namespace");
	const char *name = ml_json_str(svc, "metadata.name");
	const char *uid = ml_json_str(svc, "metadata.uid");
	ml_autofree char *msg = NULL;
	const char *reason = NULL;
	struct fwd *f;

	for (size_t i = 0; i < t->nfwds; i++)
		if (t->fwds[i].active && t->fwds[i].port == port) {
			msg = ml_xasprintf(
				"port %d is taken on 127.0.0.1 by service %s/%s: not forwarded; give this service another port",
				port, t->fwds[i].ns, t->fwds[i].name);
			reason = "PortInUse";
			break;
		}
	if (!msg && host_port_taken(port)) {
		msg = ml_xasprintf(
			"port %d is taken on 127.0.0.1 by another program: not forwarded; free it or give this service another port",
			port);
		reason = "PortInUse";
	}
	t->fwds = ml_xrealloc(t->fwds, (t->nfwds + 1) * sizeof(*t->fwds));
	f = &t->fwds[t->nfwds++];
	*f = (struct fwd){ .ns = ml_xstrdup(ns),
			   .name = ml_xstrdup(name),
			   .uid = ml_xstrdup(uid ? uid : ""),
			   .port = port,
			   .node_port = node_port,
			   .active = !msg };
	if (!msg) {
		remember(t);
		if (t->fw.add(t->fw.ud, port, node_port) < 0) {
			msg = ml_xasprintf("port %d not forwarded: %s", port,
					   ml_err_msg());
			reason = "ForwardFailed";
			f->active = false;
		}
	}
	if (msg) {
		/* the event first: whoever reads the line finds it */
		post_event(t, svc, reason, msg);
		line(t->out, "service %s/%s: %s", ns, name, msg);
	} else {
		line(t->out,
		     "forwarding 127.0.0.1:%d to service %s/%s (node port %d)",
		     port, ns, name, node_port);
	}
}

/* The (port, nodePort) pairs a LoadBalancer Service wants forwarded. */
static size_t
wanted_ports(struct json_object *svc, int (*ret)[2], size_t max)
{
	struct json_object *ports = ml_json_get(svc, "spec.ports");
	const char *type = ml_json_str(svc, "spec.type");
	size_t n = 0;

	if (!type || strcmp(type, "LoadBalancer") != 0 ||
	    ml_json_get(svc, "metadata.deletionTimestamp") || !ports ||
	    !json_object_is_type(ports, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ports) && n < max;
	     i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		struct json_object *port = ml_json_get(p, "port");
		struct json_object *np = ml_json_get(p, "nodePort");
		const char *proto = ml_json_str(p, "protocol");

		if (proto && strcmp(proto, "TCP") != 0)
			continue;
		if (!port || !np || !json_object_is_type(port, json_type_int) ||
		    !json_object_is_type(np, json_type_int))
			continue;
		ret[n][0] = json_object_get_int(port);
		ret[n][1] = json_object_get_int(np);
		if (ret[n][0] < 1 || ret[n][0] > 65535 || ret[n][1] < 1 ||
		    ret[n][1] > 65535)
			continue;
		n++;
	}
	return n;
}

#define MAX_PORTS 64

/* Makes the forwards and status of svc what its spec asks. */
static bool
reconcile(struct ml_lb_tunnel *t, struct json_object *svc)
{
	const char *ns = ml_json_str(svc, "metadata.namespace");
	const char *name = ml_json_str(svc, "metadata.name");
	const char *uid = ml_json_str(svc, "metadata.uid");
	int want[MAX_PORTS][2];
	size_t nwant, active = 0;
	bool changed = false;
	ssize_t o;

	if (!ns || !name)
		return false;
	uid = uid ? uid : "";
	nwant = wanted_ports(svc, want, MAX_PORTS);
	/* a Service of the same name made anew is another one */
	for (size_t i = 0; i < t->nfwds; i++)
		if (same_svc(t->fwds[i].ns, t->fwds[i].name, ns, name) &&
		    strcmp(t->fwds[i].uid, uid) != 0) {
			changed |= forget_svc(t, ns, name);
			break;
		}
	o = owned_find(t, ns, name);
	if (o >= 0 && strcmp(t->owned[o].uid, uid) != 0) {
		owned_drop(t, (size_t)o);
		changed = true;
	}
	/* forwards no longer wanted */
	for (size_t i = t->nfwds; i-- > 0;) {
		struct fwd *f = &t->fwds[i];
		bool keep = false;

		if (!same_svc(f->ns, f->name, ns, name))
			continue;
		for (size_t j = 0; j < nwant; j++)
			keep |= want[j][0] == f->port &&
				want[j][1] == f->node_port;
		if (!keep) {
			fwd_drop(t, i);
			changed = true;
		}
	}
	/* forwards wanted and not yet tried */
	for (size_t j = 0; j < nwant; j++) {
		bool have = false;

		for (size_t i = 0; i < t->nfwds; i++)
			have |= same_svc(t->fwds[i].ns, t->fwds[i].name, ns,
					 name) &&
				t->fwds[i].port == want[j][0];
		if (!have) {
			add_port(t, svc, want[j][0], want[j][1]);
			changed = true;
		}
	}
	for (size_t i = 0; i < t->nfwds; i++)
		if (same_svc(t->fwds[i].ns, t->fwds[i].name, ns, name) &&
		    t->fwds[i].active)
			active++;
	/* the status: 127.0.0.1 while at least one port is forwarded */
	o = owned_find(t, ns, name);
	if (active && !has_our_ingress(svc)) {
		size_t i = own(t, ns, name, uid);

		if (set_status(t->c, ns, name, true) < 0) {
			line(t->out,
			     "cannot set the status of service %s/%s: %s, ignoring",
			     ns, name, ml_err_msg());
			if (o < 0)
				owned_drop(t, i);
		}
		changed |= o < 0;
	} else if (active && o < 0) {
		/* ours from before (a restarted tunnel): keep it as ours */
		own(t, ns, name, uid);
		changed = true;
	} else if (!active && o >= 0) {
		if (has_our_ingress(svc) &&
		    set_status(t->c, ns, name, false) < 0)
			line(t->out,
			     "cannot clear the status of service %s/%s: %s, ignoring",
			     ns, name, ml_err_msg());
		owned_drop(t, (size_t)o);
		changed = true;
	}
	return changed;
}

static void
on_event(const struct ml_k8s_event *ev, void *ud)
{
	struct ml_lb_tunnel *t = ud;
	bool changed = false;

	switch (ev->type) {
	case ML_K8S_CONNECTED:
		t->connected = true;
		return;
	case ML_K8S_DISCONNECTED:
		t->connected = false;
		return;
	case ML_K8S_RELISTED: {
		struct json_object *items = ml_json_get(ev->obj, "items");
		size_t n = items && json_object_is_type(items, json_type_array)
				   ? json_object_array_length(items)
				   : 0;

		/* Services gone while we did not watch */
		for (size_t i = t->nfwds; i-- > 0;) {
			bool seen = false;

			if (i >= t->nfwds)
				continue;
			for (size_t j = 0; j < n && !seen; j++) {
				struct json_object *s =
					json_object_array_get_idx(items, j);
				const char *sns =
					ml_json_str(s, "metadata.namespace");
				const char *sn =
					ml_json_str(s, "metadata.name");

				seen = sns && sn &&
				       same_svc(sns, sn, t->fwds[i].ns,
						t->fwds[i].name);
			}
			if (!seen) {
				ml_autofree char *ns =
					ml_xstrdup(t->fwds[i].ns);
				ml_autofree char *name =
					ml_xstrdup(t->fwds[i].name);

				changed |= forget_svc(t, ns, name);
			}
		}
		for (size_t j = 0; j < n; j++)
			changed |= reconcile(t, json_object_array_get_idx(items,
									  j));
		break;
	}
	case ML_K8S_ADDED:
	case ML_K8S_MODIFIED:
		changed = reconcile(t, ev->obj);
		break;
	case ML_K8S_DELETED: {
		const char *ns = ml_json_str(ev->obj, "metadata.namespace");
		const char *name = ml_json_str(ev->obj, "metadata.name");

		if (ns && name)
			changed = forget_svc(t, ns, name);
		break;
	}
	default:
		return;
	}
	if (changed)
		remember(t);
}

int
ml_lb_tunnel_new(struct ml_k8s *c, const struct ml_lb_forwarder *fw,
		 const char *state_path, FILE *out, struct ml_lb_tunnel **ret)
{
	struct ml_lb_tunnel *t = ml_xcalloc(1, sizeof(*t));
	int r;

	t->c = c;
	t->fw = *fw;
	t->state_path = ml_xstrdup(state_path);
	t->out = out;
	r = ml_k8s_watch(c, "/api/v1/services", false, on_event, t, &t->w);
	if (r < 0) {
		ml_lb_tunnel_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

/* Ports reported taken: forwarded once they are free (the report is not
 * repeated while they stay taken). */
static void
retry_taken(struct ml_lb_tunnel *t)
{
	bool changed = false;
	size_t o;

	for (size_t i = 0; i < t->nfwds; i++) {
		struct fwd *f = &t->fwds[i];
		bool taken = false;

		if (f->active)
			continue;
		for (size_t j = 0; j < t->nfwds; j++)
			taken |= t->fwds[j].active &&
				 t->fwds[j].port == f->port;
		if (taken || host_port_taken(f->port))
			continue;
		f->active = true;
		remember(t);
		if (t->fw.add(t->fw.ud, f->port, f->node_port) < 0) {
			ml_err_clear();
			f->active = false;
			changed = true;
			continue;
		}
		changed = true;
		line(t->out,
		     "forwarding 127.0.0.1:%d to service %s/%s (node port %d): the port is free now",
		     f->port, f->ns, f->name, f->node_port);
		if (owned_find(t, f->ns, f->name) >= 0)
			continue;
		o = own(t, f->ns, f->name, f->uid);
		if (set_status(t->c, f->ns, f->name, true) < 0) {
			line(t->out,
			     "cannot set the status of service %s/%s: %s, ignoring",
			     f->ns, f->name, ml_err_msg());
			owned_drop(t, o);
		}
	}
	if (changed)
		remember(t);
}

int
ml_lb_tunnel_poll(struct ml_lb_tunnel *t, int timeout_ms, int extra_fd)
{
	int64_t now = ml_now_ms();

	if (now - t->last_retry_ms >= ML_LB_TUNNEL_RETRY_MS) {
		t->last_retry_ms = now;
		retry_taken(t);
	}
	return ml_k8s_poll(t->c, timeout_ms, extra_fd);
}

bool
ml_lb_tunnel_connected(const struct ml_lb_tunnel *t)
{
	return t->connected;
}

size_t
ml_lb_tunnel_nforwards(const struct ml_lb_tunnel *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nfwds; i++)
		n += t->fwds[i].active;
	return n;
}

int
ml_lb_tunnel_stop(struct ml_lb_tunnel *t, bool api)
{
	int first = 0, r;

	ml_k8s_watch_stop(t->w);
	t->w = NULL;
	while (t->nfwds > 0) {
		struct fwd *f = &t->fwds[t->nfwds - 1];

		if (f->active) {
			r = t->fw.remove(t->fw.ud, f->port);
			if (r < 0 && !first)
				first = r;
			f->active = false;
		}
		fwd_drop(t, t->nfwds - 1);
	}
	/* the VM is gone, and its forwards with it: keep the statuses in
	 * the file for a cleanup on the next boot */
	if (!api) {
		r = save_state(t);
		return first ? first : r;
	}
	while (t->nowned > 0) {
		struct owned *o = &t->owned[t->nowned - 1];

		r = clear_status(t->c, o->ns, o->name, o->uid);
		if (r < 0 && !first)
			first = r;
		owned_drop(t, t->nowned - 1);
	}
	if (first)
		return first;
	if (unlink(t->state_path) < 0 && errno != ENOENT)
		return ml_err(-errno, "cannot remove '%s': %s", t->state_path,
			      strerror(errno));
	return 0;
}

struct ml_lb_tunnel *
ml_lb_tunnel_free(struct ml_lb_tunnel *t)
{
	if (!t)
		return NULL;
	ml_k8s_watch_stop(t->w);
	for (size_t i = 0; i < t->nfwds; i++) {
		free(t->fwds[i].ns);
		free(t->fwds[i].name);
		free(t->fwds[i].uid);
	}
	for (size_t i = 0; i < t->nowned; i++) {
		free(t->owned[i].ns);
		free(t->owned[i].name);
		free(t->owned[i].uid);
	}
	free(t->fwds);
	free(t->owned);
	free(t->state_path);
	free(t);
	return NULL;
}

int
ml_lb_tunnel_cleanup(struct ml_k8s *c, const struct ml_lb_forwarder *fw,
		     const char *state_path, FILE *out, size_t *ret_n)
{
	ml_autofree char *text = NULL;
	struct json_object *root, *fa, *sa;
	size_t n = 0;
	int first = 0, r;

	if (ret_n)
		*ret_n = 0;
	r = ml_read_file(state_path, &text, NULL);
	if (r == -ENOENT) {
		ml_err_clear();
		return 0;
	}
	if (r < 0)
		return r;
	root = json_tokener_parse(text);
	fa = ml_json_get(root, "forwards");
	sa = ml_json_get(root, "statuses");
	if (!root || !json_object_is_type(root, json_type_object) ||
	    (fa && !json_object_is_type(fa, json_type_array)) ||
	    (sa && !json_object_is_type(sa, json_type_array))) {
		json_object_put(root);
		return ml_err(-EBADMSG,
			      "'%s' is not a tunnel's state: remove it by hand",
			      state_path);
	}
	for (size_t i = 0; fa && i < json_object_array_length(fa); i++) {
		struct json_object *f = json_object_array_get_idx(fa, i);
		int port = json_object_get_int(ml_json_get(f, "port"));

		if (port < 1 || port > 65535)
			continue;
		r = fw->remove(fw->ud, port);
		if (r < 0 && !first)
			first = r;
		else if (r >= 0)
			line(out,
			     "removed the forward of 127.0.0.1:%d (service %s/%s)",
			     port, ml_json_str(f, "namespace"),
			     ml_json_str(f, "name"));
		n++;
	}
	for (size_t i = 0; sa && i < json_object_array_length(sa); i++) {
		struct json_object *s = json_object_array_get_idx(sa, i);
		const char *ns = ml_json_str(s, "namespace");
		const char *name = ml_json_str(s, "name");

		if (!ns || !name)
			continue;
		r = clear_status(c, ns, name, ml_json_str(s, "uid"));
		if (r < 0 && !first)
			first = r;
		else if (r >= 0)
			line(out, "cleared the status of service %s/%s", ns,
			     name);
		n++;
	}
	json_object_put(root);
	if (ret_n)
		*ret_n = n;
	if (first)
		return first;
	if (unlink(state_path) < 0 && errno != ENOENT)
		return ml_err(-errno, "cannot remove '%s': %s", state_path,
			      strerror(errno));
	return 0;
}
