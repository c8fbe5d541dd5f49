/*
 * fuzz_kubeconfig.c: the kubeconfig reader and writer
 * (src/kube/kubeconfig.c). The input is the file: every read is made on
 * it, then minilaunch's entry is merged into it and removed again, which
 * parses and re-emits every node, with the scratch directory as the
 * minilaunch home (so entries whose files lie under it are adopted). No
 * certificate or token file is opened; their paths are only resolved.
 */
#include "config.h"

#include "kube/kubeconfig.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ml_kubeconfig_entry e = {
		.name = "minilaunch",
		.server = "https://127.0.0.1:8443",
		.ca_file = "/nonexistent/ca.crt",
		.cert_file = "/nonexistent/client.crt",
		.key_file = "/nonexistent/client.key",
		.namespace = "default",
	};
	char *path = ml_xasprintf("%s/config", fuzz_scratch());
	struct ml_kubeconfig_context ctx = { 0 };
	char *s = NULL;

	fuzz_quiet();
	fuzz_write(path, data, size);
	if (ml_kubeconfig_read_context(path, NULL, &ctx) >= 0)
		ml_kubeconfig_context_clear(&ctx);
	if (ml_kubeconfig_read_context(path, "minilaunch", &ctx) >= 0)
		ml_kubeconfig_context_clear(&ctx);
	if (ml_kubeconfig_current_context(path, &s) >= 0)
		free(s);
	s = NULL;
	if (ml_kubeconfig_context_server(path, "minilaunch", &s) >= 0)
		free(s);
	if (ml_kubeconfig_merge(path, fuzz_scratch(), &e, true) >= 0) {
		/* what we wrote we must read back */
		if (ml_kubeconfig_read_context(path, "minilaunch", &ctx) < 0) {
			fprintf(stderr, "merged, then: %s\n", ml_err_msg());
			abort();
		}
		ml_kubeconfig_context_clear(&ctx);
		ml_kubeconfig_remove(path, fuzz_scratch(), "minilaunch");
	}
	free(path);
	return 0;
}
