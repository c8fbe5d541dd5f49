/*
 * machine/docker_api.h: a small client of the Docker Engine API of a
 * profile's node (libcurl), for `minilaunch image`: list, remove, load and
 * build images without a docker CLI.
 *
 * It reaches the daemon exactly as a docker CLI pointed there by
 * `minilaunch docker-env` does: https://127.0.0.1:PORT (the profile's
 * forwarded Docker port), the profile's Docker client certificate and key
 * (DOCKER_CERT_PATH's cert.pem, key.pem), and the daemon's certificate
 * checked against DOCKER_CERT_PATH's ca.pem, the profile's Docker CA, and
 * for the name 127.0.0.1. Verification is always on; proxies are never
 * used.
 *
 * Every error message names the daemon ("the Docker daemon of 'PROFILE' at
 * https://127.0.0.1:PORT") and what was asked of it, and passes on the
 * Engine API's own message. Request bodies are streamed from a reader, and
 * streamed responses (load, build) are handed over message by message:
 * nothing is held whole in memory.
 */
#ifndef ML_DOCKER_API_H
#define ML_DOCKER_API_H

#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct ml_docker;

/*
 * Opens a client of profile's daemon: reads its Docker port from the
 * profile's state and checks that something answers there and that the
 * client certificates exist, as `docker-env` does. Nothing is sent yet.
 * Returns 0 and *ret (free with ml_docker_free), or -ENOENT / -EHOSTDOWN
 * with a message naming the profile and 'minilaunch -p PROFILE start'.
 */
int ml_docker_open(const char *home, const char *profile,
		   struct ml_docker **ret);
/* Frees d (NULL is fine); returns NULL. */
struct ml_docker *ml_docker_free(struct ml_docker *d);

/* "the Docker daemon of 'PROFILE' at https://127.0.0.1:PORT". Borrowed. */
const char *ml_docker_name(const struct ml_docker *d);

/* One image of the daemon's store. */
struct ml_docker_image {
	char *id;	 /* "sha256:HEX" */
	char **tags;	 /* "repository:tag", NULL-terminated (may be empty) */
	int64_t size;	 /* bytes */
	int64_t created; /* seconds since the epoch */
};

/*
 * GET /images/json: the daemon's images (not the intermediate ones), in
 * *ret, *ret_n of them (free with ml_docker_images_free). Returns 0 or
 * -errno with a message.
 */
int ml_docker_images(struct ml_docker *d, struct ml_docker_image **ret,
		     size_t *ret_n);
void ml_docker_images_free(struct ml_docker_image *v, size_t n);

/*
 * DELETE /images/NAME (not forced: an image a container uses stays).
 * on_deleted, when not NULL, gets each line of the daemon's answer as the
 * docker CLI prints it ("Untagged: NAME", "Deleted: sha256:..."). Returns
 * 0; -ENOENT when the daemon has no such image, -EBUSY when it refuses
 * (in use), -EINVAL for a name that is not one, or another -errno, each
 * with a message naming the image and the daemon.
 */
int ml_docker_image_remove(struct ml_docker *d, const char *name,
			   void (*on_deleted)(void *ud, const char *line),
			   void *ud);

/* What a request sends: read is called until it returns 0. */
struct ml_docker_body {
	/* Fills buf with up to len bytes: returns their count, 0 at the end,
	 * or -errno with a message (the request then fails with it). */
	ssize_t (*read)(void *ud, char *buf, size_t len);
	void *ud;
	int64_t size; /* bytes, or -1 when unknown (sent chunked) */
};

/* What a streamed request reports while it runs; any field may be NULL. */
struct ml_docker_events {
	/* One message of the daemon's JSON stream ({"stream": TEXT},
	 * {"status": ...}, {"aux": ...}), errors excepted. Borrowed. */
	void (*message)(void *ud, struct json_object *msg);
	/* The body's bytes handed to the connection so far, and its size
	 * (-1 when unknown). */
	void (*sent)(void *ud, int64_t sent, int64_t size);
	void *ud;
};

/*
 * POST /images/load?quiet=1 with body, an archive `docker save` wrote
 * (checked beforehand: machine/image_archive.h), streamed. what names it
 * in messages ("'app.tar' (app:1)"). The daemon's messages say what it
 * loaded ({"stream": "Loaded image: app:1\n"}). Returns 0, or -EIO with
 * the daemon's error (an HTTP error or an error message in the stream),
 * -errno of the body's reader, or of the connection, each naming what and
 * the daemon.
 */
int ml_docker_image_load(struct ml_docker *d, const struct ml_docker_body *body,
			 const char *what, const struct ml_docker_events *ev);

/*
 * POST /build?t=TAG&dockerfile=DOCKERFILE&rm=1 with body, a tar of the
 * build context, streamed. dockerfile is the Dockerfile's path inside the
 * context (NULL: "Dockerfile"). The daemon's messages are the build's
 * output ({"stream": "Step 1/2 : FROM scratch\n"}, ...). Returns 0, or
 * -EIO when the build fails (the stream's errorDetail: a failing RUN, a
 * Dockerfile error) or the daemon refuses, with its message, naming tag
 * and the daemon; or -errno of the body's reader or the connection.
 */
int ml_docker_image_build(struct ml_docker *d,
			  const struct ml_docker_body *body, const char *tag,
			  const char *dockerfile,
			  const struct ml_docker_events *ev);

#endif
