/*
 * tui/dashboard.h: the terminal dashboard over one API server (ncursesw).
 *
 * Lists come from watches (ml_k8s_watch with the Table form), never from
 * polling. The main loop waits in ml_k8s_poll() on the watches and the
 * terminal at once, applies what arrived, then repaints only the screen
 * lines whose content changed: with nothing changing, nothing is written
 * to the terminal.
 *
 * On a profile's own cluster, the selected pod's fix for an image it
 * cannot get (kube/pod_hints.h) replaces the key line at the bottom, and
 * heads its describe view.
 */
#ifndef ML_TUI_DASHBOARD_H
#define ML_TUI_DASHBOARD_H

#include "kube/k8s.h"

#include <stdbool.h>

struct ml_tui_dashboard_opts {
	const struct ml_k8s_config *cfg; /* borrowed: context and server shown
					  */
	const char *ns;			 /* namespace, or NULL for all */
	const char *view;		 /* first view name or alias, or NULL */
	const char *profile; /* borrowed: the minilaunch profile whose cluster
			      * this is, or NULL for another cluster (then no
			      * pod hints) */
	bool offline;	     /* that profile's network is offline */
};

/*
 * Runs the dashboard on the terminal with client c until the user quits;
 * the caller has checked that stdin and stdout are a terminal (the one
 * place that check is made is cmd/dashboard.c). The terminal is restored
 * on return.
 * Returns 0, or -errno with a message when the screen could not be set up
 * or the first requests failed.
 */
int ml_tui_dashboard_run(struct ml_k8s *c,
			 const struct ml_tui_dashboard_opts *o);

/* Finds a view by name or alias ("po", "deploy", "svc", ...); its
 * canonical name (static) or NULL. */
const char *ml_tui_view_lookup(const char *name);

/* The views' names, NULL-ended (static): the completion of --view. */
extern const char *const ml_tui_view_words[];

#endif
