/*
 * machine/bundle.c: the log bundle, a tar.gz written with libarchive, with
 * credentials redacted; the console filtered for a terminal.
 */
#include "config.h"

#include "machine/bundle.h"

#include "machine/node.h"
#include "machine/ssh.h"
#include "base/profile.h"
#include "base/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* What ends a URL inside text. */
#define URL_END " \t\r\n\"'<>\\"

/* Whether a query parameter's name says it holds a secret. */
static bool
secret_name(const char *s, size_t n)
{
	static const char *const words[] = { "token",	   "key",    "pass",
					     "secret",	   "sig",    "auth",
					     "credential", "session" };

	for (size_t w = 0; w < ML_ARRAY_SIZE(words); w++) {
		size_t wl = strlen(words[w]);
		for (size_t i = 0; i + wl <= n; i++)
			if (strncasecmp(s + i, words[w], wl) == 0)
				return true;
	}
	return false;
}

static void
puts_(struct ml_buf *b, const char *s)
{
	ml_buf_add(b, s, strlen(s));
}

/* Appends the query q[0..end) (after the '?') with secret values
 * redacted. */
static void
redact_query(struct ml_buf *b, const char *q, const char *end)
{
	const char *k = q;

	while (k < end) {
		const char *pe = k + strcspn(k, "&;");
		const char *eq;

		if (pe > end)
			pe = end;
		eq = memchr(k, '=', (size_t)(pe - k));
		if (eq && secret_name(k, (size_t)(eq - k))) {
			ml_buf_add(b, k, (size_t)(eq + 1 - k));
			puts_(b, "***");
		} else {
			ml_buf_add(b, k, (size_t)(pe - k));
		}
		if (pe == end)
			break;
		ml_buf_add(b, pe, 1);
		k = pe + 1;
	}
}

char *
ml_bundle_redact_urls(const char *s)
{
	struct ml_buf b = { NULL, 0, 0 };
	const char *p = s, *m;

	while ((m = strstr(p, "://"))) {
		const char *host = m + 3;
		const char *end = host + strcspn(host, URL_END);
		const char *auth_end = host + strcspn(host, "/?#" URL_END);
		const char *q, *frag;

		ml_buf_add(&b, p, (size_t)(host - p));
		/* the last '@': a password may hold one unencoded */
		for (const char *c = auth_end; c > host; c--)
			if (c[-1] == '@') {
				puts_(&b, "***");
				host = c - 1;
				break;
			}
		q = memchr(host, '?', (size_t)(end - host));
		if (!q) {
			ml_buf_add(&b, host, (size_t)(end - host));
			p = end;
			continue;
		}
		ml_buf_add(&b, host, (size_t)(q + 1 - host));
		frag = memchr(q, '#', (size_t)(end - q));
		if (!frag)
			frag = end;
		redact_query(&b, q + 1, frag);
		ml_buf_add(&b, frag, (size_t)(end - frag));
		p = end;
	}
	puts_(&b, p);
	return b.p ? b.p : ml_xstrdup("");
}

static void
redact_tree(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string: {
		ml_autofree char *r =
			ml_bundle_redact_urls(json_object_get_string(o));
		if (strcmp(r, json_object_get_string(o)) != 0)
			json_object_set_string(o, r);
		break;
	}
	case json_type_object: {
		for (struct lh_entry *e = json_object_get_object(o)->head; e;
		     e = e->next)
			redact_tree((struct json_object *)lh_entry_v(e));
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			redact_tree(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

char *
ml_bundle_redact_config(const char *json)
{
	struct json_object *o = json_tokener_parse(json);
	char *r;

	if (!o)
		return ml_bundle_redact_urls(json);
	redact_tree(o);
	r = ml_xasprintf("%s\n",
			 json_object_to_json_string_ext(
				 o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

enum { TTY_TEXT, TTY_ESC, TTY_CSI, TTY_INTER, TTY_STR, TTY_STR_ESC };

static void
add_hex(struct ml_buf *out, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x[8];
		int len = snprintf(x, sizeof(x), "\\x%02x", b[i]);
		ml_buf_add(out, x, (size_t)len);
	}
}

/* Whether the whole sequence s[0..n) is UTF-8 for a character to show:
 * not overlong, no surrogate, not beyond U+10FFFF, not a C1 control. */
static bool
utf8_printable(const unsigned char *s, size_t n)
{
	unsigned cp;

	switch (n) {
	case 2:
		cp = (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
		return cp >= 0xa0;
	case 3:
		cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 |
		     (s[2] & 0x3fu);
		return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
	case 4:
		cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 |
		     (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
		return cp >= 0x10000 && cp <= 0x10ffff;
	default:
		return false;
	}
}

/* Text: one byte outside any escape sequence. */
static void
tty_text(struct ml_bundle_tty *t, unsigned char c, struct ml_buf *out)
{
	if (t->npend) {
		if ((c & 0xc0) == 0x80) {
			t->pend[t->npend++] = c;
			if (t->npend < t->need)
				return;
			if (utf8_printable(t->pend, t->npend))
				ml_buf_add(out, t->pend, t->npend);
			else
				add_hex(out, t->pend, t->npend);
			t->npend = 0;
			return;
		}
		/* cut short: shown as it is, and c starts afresh */
		add_hex(out, t->pend, t->npend);
		t->npend = 0;
	}
	if (c >= 0x80) {
		t->need = c >= 0xc2 && c <= 0xdf   ? 2
			  : c >= 0xe0 && c <= 0xef ? 3
			  : c >= 0xf0 && c <= 0xf4 ? 4
						   : 0;
		if (t->need) {
			t->pend[0] = c;
			t->npend = 1;
		} else {
			add_hex(out, &c, 1);
		}
	} else if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
		ml_buf_add(out, &c, 1);
	} else if (c == 0x1b) {
		t->state = TTY_ESC;
	} else if (c != '\r') {
		char caret[2] = { '^', c == 0x7f ? '?' : (char)(c + 0x40) };
		ml_buf_add(out, caret, 2);
	}
}

/* One byte; false when it ended an escape sequence without belonging to
 * it, and must be taken again as text. */
static bool
tty_byte(struct ml_bundle_tty *t, unsigned char c, struct ml_buf *out)
{
	switch (t->state) {
	case TTY_TEXT:
		tty_text(t, c, out);
		return true;
	case TTY_ESC:
		if (c == '[')
			t->state = TTY_CSI;
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' ||
			 c == '_')
			t->state = TTY_STR;
		else if (c >= 0x20 && c <= 0x2f)
			t->state = TTY_INTER;
		else if (c >= 0x30 && c <= 0x7e)
			t->state = TTY_TEXT;
		else
			break;
		return true;
	case TTY_CSI:
		if (c >= 0x40 && c <= 0x7e)
			t->state = TTY_TEXT;
		else if (c < 0x20 || c > 0x3f)
			break;
		return true;
	case TTY_INTER:
		if (c >= 0x30 && c <= 0x7e)
			t->state = TTY_TEXT;
		else if (c < 0x20 || c > 0x2f)
			break;
		return true;
	case TTY_STR:
		/* a newline ends it too, so that a string never closed
		 * cannot hide the rest of the log */
		if (c == 0x07)
			t->state = TTY_TEXT;
		else if (c == 0x1b)
			t->state = TTY_STR_ESC;
		else if (c == '\n')
			break;
		return true;
	case TTY_STR_ESC:
		if (c == '\\') {
			t->state = TTY_TEXT;
			return true;
		}
		t->state = TTY_ESC; /* a new sequence begins */
		return tty_byte(t, c, out);
	}
	t->state = TTY_TEXT;
	return false;
}

void
ml_bundle_tty_filter(struct ml_bundle_tty *t, const char *in, size_t len,
		     struct ml_buf *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!tty_byte(t, c, out))
			tty_text(t, c, out);
	}
}

void
ml_bundle_tty_flush(struct ml_bundle_tty *t, struct ml_buf *out)
{
	add_hex(out, t->pend, t->npend);
	t->npend = 0;
	t->state = TTY_TEXT;
}

static int
add(struct archive *a, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int ok;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	ok = archive_write_header(a, e) == ARCHIVE_OK &&
	     archive_write_data(a, data, len) == (la_ssize_t)len;
	archive_entry_free(e);
	return ok ? 0 : -EIO;
}

/* Adds command's output on the node as name; a command that fails is
 * left out. */
static int
add_ssh(struct archive *a, const char *home, const char *profile, int port,
	const char *command, const char *name)
{
	ml_autofree char *text = NULL;

	if (ml_ssh_capture(home, profile, port, command, &text) < 0)
		return 0;
	return add(a, name, text, strlen(text));
}

static int
add_node_logs(struct archive *a, const char *home, const char *profile,
	      int port)
{
	static const char *const units[] = {
		"ml-setup",	  "docker",	    "containerd",
		"ml-etcd",	  "kube-apiserver", "kube-controller-manager",
		"kube-scheduler", "kubelet",	    "kube-proxy"
	};
	int r = add_ssh(a, home, profile, port, "sudo journalctl -b --no-pager",
			"node/journal.txt");

	for (size_t i = 0; r >= 0 && i < ML_ARRAY_SIZE(units); i++) {
		ml_autofree char *cmd =
			ml_xasprintf("sudo journalctl -b --no-pager -u %s",
				     units[i]);
		ml_autofree char *name =
			ml_xasprintf("node/units/%s.log", units[i]);

		r = add_ssh(a, home, profile, port, cmd, name);
	}
	return r;
}

static int
add_all(struct archive *a, const char *home, const struct ml_profile *p)
{
	const char *profile = ml_profile_name(p);
	int port = ml_profile_state_port(p, "ssh");
	struct ml_node_paths paths;
	ml_autofree char *serial = NULL, *config = NULL, *redacted = NULL;
	size_t len;
	int r = 0;

	ml_node_paths_init(&paths, home, profile);
	/* config.json holds settings and state, never keys; a URL in it may
	 * carry a password or a token */
	if (ml_read_file(ml_profile_path(p), &config, &len) >= 0) {
		redacted = ml_bundle_redact_config(config);
		r = add(a, "profile/config.json", redacted, strlen(redacted));
	}
	if (r >= 0 && ml_read_file(paths.serial_log, &serial, &len) >= 0)
		r = add(a, "console/serial.log", serial, len);
	ml_node_paths_clear(&paths);
	if (r >= 0 && port && ml_tcp_port_open(port))
		r = add_node_logs(a, home, profile, port);
	ml_err_clear();
	return r;
}

int
ml_bundle_write(const char *home, const struct ml_profile *p, const char *out)
{
	struct ml_atomic_file f;
	struct archive *a;
	int r;

	r = ml_atomic_open(&f, out, 0600);
	if (r < 0)
		return r;
	a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	r = archive_write_open_fd(a, f.fd) == ARCHIVE_OK ? 0 : -EIO;
	if (r >= 0)
		r = add_all(a, home, p);
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		r = ml_err(r, "cannot write the log bundle '%s': %s", out,
			   archive_error_string(a) ? archive_error_string(a)
						   : strerror(-r));
	archive_write_free(a);
	if (r < 0)
		ml_atomic_abort(&f);
	else
		r = ml_atomic_commit(&f);
	return r;
}
