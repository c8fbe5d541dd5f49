/*
 * fuzz_k8s_ws.c: the WebSocket frame decoder (src/kube/k8s_ws.c) and the
 * exec error channel's reader. The first byte picks the side (bit 0: the
 * frames come from a client, masked) and the chunk size; the rest is the
 * byte stream, fed in chunks of that size. Checks what a message may be,
 * that each data message encodes and decodes back to itself, and reads
 * every channel 3 message as an exec Status.
 */
#include "config.h"

#include "kube/exec.h"
#include "kube/k8s_ws.h"
#include "fuzz.h"

static void
check_roundtrip(const struct ml_ws_msg *m)
{
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	struct ml_ws_decoder d = { .server = true };
	struct ml_buf b = { 0 };
	struct ml_ws_msg back;

	ml_ws_encode(&b, m->opcode, true, mask, m->data, m->len);
	ml_ws_decoder_feed(&d, b.p, b.len);
	if (ml_ws_decoder_next(&d, &back) != 1 || back.opcode != m->opcode ||
	    back.len != m->len || memcmp(back.data, m->data, m->len) != 0)
		abort();
	ml_ws_decoder_release(&d);
	ml_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_ws_decoder d = { 0 };
	struct ml_ws_msg m;
	size_t chunk;
	int r = 0;

	if (size < 1)
		return 0;
	fuzz_quiet();
	d.server = data[0] & 1;
	chunk = (data[0] >> 1) + 1;
	data++;
	size--;
	for (size_t off = 0; off < size && r >= 0; off += chunk) {
		size_t len = size - off < chunk ? size - off : chunk;

		ml_ws_decoder_feed(&d, data + off, len);
		while ((r = ml_ws_decoder_next(&d, &m)) == 1) {
			int status;

			switch (m.opcode) {
			case ML_WS_PING:
			case ML_WS_PONG:
			case ML_WS_CLOSE:
				if (m.len > 125)
					abort();
				break;
			case ML_WS_TEXT:
			case ML_WS_BINARY:
				if (m.len > ML_WS_MAX_MESSAGE)
					abort();
				check_roundtrip(&m);
				if (m.len > 0 && m.data[0] == 3)
					ml_exec_read_status("v4.channel.k8s.io",
							    (const char *)m.data +
								    1,
							    m.len - 1, &status);
				break;
			default:
				abort();
			}
		}
	}
	ml_ws_decoder_release(&d);
	return 0;
}
