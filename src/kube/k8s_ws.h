/*
 * kube/k8s_ws.h: a WebSocket client (RFC 6455) for the API server's
 * upgraded streams (exec, port-forward), and the frame codec under it.
 *
 * The connection is libcurl's CONNECT_ONLY over the client's own TLS
 * settings (ml_k8s_setup_curl(): the same CA, verification and client
 * certificate as every other call; Debian 12's libcurl has no WebSocket
 * API), then the HTTP/1.1 upgrade and the frames written here. A client
 * masks every frame; frames from the server must not be masked.
 *
 * A connection is used by one thread at a time. It reads only the
 * client's fixed settings, so another thread may own the client meanwhile.
 * Errors are -errno with one message (ml_err()), e.g. "GET
 * /api/v1/namespaces/x/pods/y/exec: 404 Not Found: pods \"y\" not found".
 */
#ifndef ML_K8S_WS_H
#define ML_K8S_WS_H

#include "base/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ml_k8s;

enum {
	ML_WS_CONT = 0x0,
	ML_WS_TEXT = 0x1,
	ML_WS_BINARY = 0x2,
	ML_WS_CLOSE = 0x8,
	ML_WS_PING = 0x9,
	ML_WS_PONG = 0xA,
};

/* The largest message the decoder assembles (fragments included). */
#define ML_WS_MAX_MESSAGE (16u << 20)

/* --- the codec: no I/O, for tests and fuzzing too --- */

/*
 * Appends one frame to out: opcode, FIN when fin, the payload masked with
 * mask (4 bytes) or unmasked when mask is NULL (what a server sends).
 * Lengths take the shortest form (7 bits, 16 or 64).
 */
void ml_ws_encode(struct ml_buf *out, int opcode, bool fin, const uint8_t *mask,
		  const void *payload, size_t len);

/* One message: a whole data message (fragments joined) or a control frame. */
struct ml_ws_msg {
	int opcode;	     /* ML_WS_TEXT, _BINARY, _CLOSE, _PING, _PONG */
	const uint8_t *data; /* borrowed: valid until the decoder's next call */
	size_t len;
};

/*
 * Turns bytes into messages. Zero-initialise it and set server when the
 * frames come from a client (then they must be masked; a client's
 * decoder refuses masked frames). Control frames may come between the
 * fragments of a message and are returned on their own.
 */
struct ml_ws_decoder {
	bool server;
	struct ml_buf in; /* bytes not consumed yet, from in_off */
	size_t in_off;
	struct ml_buf msg; /* the message being assembled */
	int msg_opcode;	   /* its opcode; 0 when none is open */
	struct ml_buf ctl; /* the last control frame's payload */
};

void ml_ws_decoder_feed(struct ml_ws_decoder *d, const void *p, size_t n);

/*
 * The next message in *ret: returns 1, 0 when more bytes are needed, or
 * -EBADMSG (message set) for a protocol error: reserved bits or opcode, a
 * mask where there must be none or none where there must be one, a
 * control frame fragmented or over 125 bytes, a continuation without a
 * message or a new message inside one, a 64-bit length with its top bit
 * set; -EMSGSIZE for a message over ML_WS_MAX_MESSAGE. After an error the
 * decoder is unusable (release it).
 */
int ml_ws_decoder_next(struct ml_ws_decoder *d, struct ml_ws_msg *ret);
void ml_ws_decoder_release(struct ml_ws_decoder *d);

/* Sec-WebSocket-Accept for key: base64(SHA-1(key GUID)). Caller frees. */
char *ml_ws_accept_key(const char *key);

/* --- the connection --- */

struct ml_ws;

/*
 * Opens path (an API path with its query) on c's server as a WebSocket,
 * offering protocols (NULL-terminated, in order of preference). Returns 0
 * and *ret (caller frees with ml_ws_free()), or -errno: the client's
 * transport errors, the API's HTTP status for a refused upgrade (its
 * Status message in the text), -EPROTO for a server that answers with
 * something else than a WebSocket of one of the offered protocols.
 * Connecting is bounded by 5 s and the upgrade by 30 s.
 */
int ml_ws_connect(struct ml_k8s *c, const char *path,
		  const char *const *protocols, struct ml_ws **ret);
struct ml_ws *ml_ws_free(struct ml_ws *ws); /* closes the socket */

/* The protocol the server chose (borrowed; "" when it named none). */
const char *ml_ws_protocol(const struct ml_ws *ws);

/* The socket, to poll for POLLIN before ml_ws_recv(). */
int ml_ws_fd(const struct ml_ws *ws);

/*
 * Sends one whole frame (masked), waiting until it is written (at most
 * 30 s). -EPIPE once the connection is closed, -errno otherwise.
 */
int ml_ws_send(struct ml_ws *ws, int opcode, const void *p, size_t n);

/*
 * Sends a binary message of the channel protocols: the channel's byte,
 * then p.
 */
int ml_ws_send_channel(struct ml_ws *ws, uint8_t channel, const void *p,
		       size_t n);

/*
 * The next data message, without blocking: returns 1 with *ret (borrowed
 * until the next call), 0 when none has arrived yet (poll ml_ws_fd()),
 * -EPIPE when the server closed the connection (a close frame, answered,
 * or the end of the stream; no message set), or -errno with a message. A
 * ping is answered with its pong here; pongs are dropped. Call it until
 * it returns 0 before polling again: a read may bring several messages.
 */
int ml_ws_recv(struct ml_ws *ws, struct ml_ws_msg *ret);

/* Sends a close frame (1000, normal) once; errors are ignored. */
void ml_ws_close(struct ml_ws *ws);

#endif
