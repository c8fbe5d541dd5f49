/*
 * kube/kubeconfig.h: read, merge and remove minilaunch's entries in a
 * kubeconfig file, as kubectl does, with libyaml.
 *
 * Every cluster, user, context, preference and extension that is not ours
 * survives a merge or a removal. Ours are the entries minilaunch wrote,
 * marked as minikube marks its own: the cluster, context and user each
 * carry extensions: [{name: minilaunch, extension: {provider: minilaunch,
 * profile: NAME}}]. Older versions wrote no mark, so an unmarked entry is
 * also ours when it provably came from the minilaunch home the command runs
 * with (the functions' home, NULL: none): a cluster whose
 * certificate-authority is a file under home, a user whose
 * client-certificate and client-key (each when present) are, a context
 * whose cluster and user are ours; paths are compared realpath-normalised,
 * component by component. Such an entry is adopted: replaced (and so marked)
 * by a merge, removed by a removal. Only entries that are ours are replaced
 * or removed; any other of the same name (embedded data, files elsewhere)
 * is the user's. Writers take kubectl's lock (an
 * exclusive "FILE.lock" created with O_EXCL, removed after) and replace the
 * file atomically. A malformed file is reported by name and left untouched.
 *
 * Errors, each with a message naming the file and the fix: -EBADMSG for a
 * malformed file (with its line) or one nested more than 64 collections
 * deep, -EFBIG for a file over 16 MiB, -EWOULDBLOCK when FILE.lock stays held
 * for about 5 s, -ENOTSUP when our entry defines a YAML anchor another
 * entry refers to, -EINVAL for an entry with an empty field or a value that
 * is not UTF-8, else -errno of the failed call.
 */
#ifndef ML_KUBECONFIG_H
#define ML_KUBECONFIG_H

#include <stdbool.h>

/* The name and provider of the extension that marks our entries. */
#define ML_KUBECONFIG_PROVIDER "minilaunch"

struct ml_kubeconfig_entry {
	const char *name;    /* cluster, user and context name */
	const char *server;  /* https://127.0.0.1:PORT */
	const char *ca_file; /* absolute paths, as minikube writes them */
	const char *cert_file;
	const char *key_file;
	const char *namespace; /* NULL: none */
};

/*
 * The file minilaunch writes: the first entry of $KUBECONFIG (split on ':'),
 * else ~/.kube/config. Caller frees.
 */
char *ml_kubeconfig_default_path(void);

/*
 * Adds or replaces the cluster, user and context e->name in path (created
 * with its directory, mode 0600, when missing), marked as ours, and, with
 * set_current, makes it the current-context. Returns 0 or -errno with a
 * message; -EEXIST, changing nothing, when a cluster, context or user of
 * that name is not ours (the message names it and the fix).
 */
int ml_kubeconfig_merge(const char *path, const char *home,
			const struct ml_kubeconfig_entry *e, bool set_current);

/*
 * Removes our cluster, user and context called name; current-context is
 * cleared when it was name and the context was ours. Entries of that name
 * that are not ours are kept. A missing file or entry is not an error.
 */
int ml_kubeconfig_remove(const char *path, const char *home, const char *name);

/*
 * What a merge of name would meet, checked early (start, before booting):
 * 0 when path is missing or has no cluster, context or user called name
 * that is not ours; else -EEXIST as for ml_kubeconfig_merge, or an error
 * reading the file.
 */
int ml_kubeconfig_check_ours(const char *path, const char *home,
			     const char *name);

/*
 * Reads current-context (*ret_name NULL when unset) and, for the context
 * called name, its cluster's server (*ret_server NULL when there is no such
 * context). Either out-param may be NULL. Caller frees.
 */
int ml_kubeconfig_current_context(const char *path, char **ret_name);
int ml_kubeconfig_context_server(const char *path, const char *name,
				 char **ret_server);

/*
 * What one context says about reaching its cluster, as a client needs it.
 * Every string is NULL when the file does not set it; caller frees them
 * with ml_kubeconfig_context_clear(). File paths that are relative in the
 * file are made absolute against the file's directory, as kubectl does;
 * *_data fields are returned as written (base64).
 */
struct ml_kubeconfig_context {
	char *name;    /* the context's name */
	char *cluster; /* the names it refers to */
	char *user;
	char *namespace;  /* context.namespace */
	char *server;	  /* cluster.server */
	char *ca_file;	  /* cluster.certificate-authority */
	char *ca_data;	  /* cluster.certificate-authority-data */
	char *cert_file;  /* user.client-certificate */
	char *cert_data;  /* user.client-certificate-data */
	char *key_file;	  /* user.client-key */
	char *key_data;	  /* user.client-key-data */
	char *token;	  /* user.token */
	char *token_file; /* user.tokenFile */
	bool insecure;	  /* cluster.insecure-skip-tls-verify */
};

/*
 * Reads context name (NULL: the current-context) from path into *ret,
 * which is set only on success. Errors, each naming the file:
 * -ENOENT for a missing file, no current-context, or a context, cluster or
 * user that is not defined; -EINVAL for a cluster without a server; else
 * as for any read (-EBADMSG for a malformed file).
 */
int ml_kubeconfig_read_context(const char *path, const char *name,
			       struct ml_kubeconfig_context *ret);
void ml_kubeconfig_context_clear(struct ml_kubeconfig_context *ctx);

#endif
