/*
 * test_k8s_ws.c: the WebSocket frame codec (RFC 6455, its section 5.7
 * examples byte for byte), and what the exec stream's error channel says.
 */
#include "config.h"

#include "kube/exec.h"
#include "kube/k8s_ws.h"
#include "base/util.h"

#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Feeds all of p into a fresh decoder and expects exactly one message. */
static void
decode_one(bool server, const uint8_t *p, size_t n, int opcode,
	   const void *want, size_t want_len)
{
	struct ml_ws_decoder d = { .server = server };
	struct ml_ws_msg m;

	ml_ws_decoder_feed(&d, p, n);
	ck_assert_int_eq(ml_ws_decoder_next(&d, &m), 1);
	ck_assert_int_eq(m.opcode, opcode);
	ck_assert_uint_eq(m.len, want_len);
	ck_assert(memcmp(m.data, want, want_len) == 0);
	ck_assert_int_eq(ml_ws_decoder_next(&d, &m), 0);
	ml_ws_decoder_release(&d);
}

START_TEST(test_k8s_ws_rfc_examples)
{
	static const uint8_t text[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const uint8_t masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					  0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const uint8_t pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct ml_buf b = { 0 };

	decode_one(false, text, sizeof(text), ML_WS_TEXT, "Hello", 5);
	decode_one(true, masked, sizeof(masked), ML_WS_TEXT, "Hello", 5);
	decode_one(false, ping, sizeof(ping), ML_WS_PING, "Hello", 5);
	decode_one(true, pong, sizeof(pong), ML_WS_PONG, "Hello", 5);

	ml_ws_encode(&b, ML_WS_TEXT, true, rfc_mask, "Hello", 5);
	ck_assert_uint_eq(b.len, sizeof(masked));
	ck_assert(memcmp(b.p, masked, sizeof(masked)) == 0);
	ml_buf_clear(&b);
	ml_ws_encode(&b, ML_WS_TEXT, true, NULL, "Hello", 5);
	ck_assert_uint_eq(b.len, sizeof(text));
	ck_assert(memcmp(b.p, text, sizeof(text)) == 0);
	ml_buf_release(&b);
}
END_TEST

/* Each length's header form, and the payload back through a decoder. */
static void
check_length(size_t len, size_t header)
{
	uint8_t *p = ml_xmalloc(len ? len : 1);
	struct ml_buf b = { 0 };

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	ml_ws_encode(&b, ML_WS_BINARY, true, rfc_mask, p, len);
	ck_assert_uint_eq(b.len, header + 4 + len);
	if (header == 2) {
		ck_assert_uint_eq((uint8_t)b.p[1], 0x80 | len);
	} else if (header == 4) {
		ck_assert_uint_eq((uint8_t)b.p[1], 0x80 | 126);
		ck_assert_uint_eq((uint8_t)b.p[2], len >> 8);
		ck_assert_uint_eq((uint8_t)b.p[3], len & 0xff);
	} else {
		ck_assert_uint_eq((uint8_t)b.p[1], 0x80 | 127);
		for (int i = 0; i < 8; i++)
			ck_assert_uint_eq((uint8_t)b.p[2 + i],
					  ((uint64_t)len >> (56 - 8 * i)) &
						  0xff);
	}
	decode_one(true, (const uint8_t *)b.p, b.len, ML_WS_BINARY, p, len);
	ml_buf_release(&b);
	free(p);
}

START_TEST(test_k8s_ws_lengths)
{
	check_length(0, 2);
	check_length(125, 2);
	check_length(126, 4);
	check_length(65535, 4);
	check_length(65536, 10);
}
END_TEST

/* Fragments joined, a ping between them returned on its own; the bytes
 * arrive one at a time. */
START_TEST(test_k8s_ws_fragments_and_ping)
{
	struct ml_ws_decoder d = { 0 };
	struct ml_buf b = { 0 };
	struct ml_ws_msg m;
	int got = 0;

	ml_ws_encode(&b, ML_WS_TEXT, false, NULL, "Hel", 3);
	ml_ws_encode(&b, ML_WS_PING, true, NULL, "p", 1);
	ml_ws_encode(&b, ML_WS_CONT, false, NULL, "l", 1);
	ml_ws_encode(&b, ML_WS_CONT, true, NULL, "o", 1);
	ml_ws_encode(&b, ML_WS_CLOSE, true, NULL, "\x03\xe8", 2);
	for (size_t i = 0; i < b.len; i++) {
		ml_ws_decoder_feed(&d, b.p + i, 1);
		while (ml_ws_decoder_next(&d, &m) == 1) {
			switch (got++) {
			case 0:
				ck_assert_int_eq(m.opcode, ML_WS_PING);
				ck_assert_uint_eq(m.len, 1);
				break;
			case 1:
				ck_assert_int_eq(m.opcode, ML_WS_TEXT);
				ck_assert_uint_eq(m.len, 5);
				ck_assert(memcmp(m.data, "Hello", 5) == 0);
				break;
			case 2:
				ck_assert_int_eq(m.opcode, ML_WS_CLOSE);
				ck_assert_uint_eq(m.len, 2);
				ck_assert_uint_eq(m.data[0] << 8 | m.data[1],
						  1000);
				break;
			default:
				ck_abort_msg("one message too many");
			}
		}
	}
	ck_assert_int_eq(got, 3);
	ml_ws_decoder_release(&d);
	ml_buf_release(&b);
}
END_TEST

static void
expect_bad(bool server, const uint8_t *p, size_t n, int err)
{
	struct ml_ws_decoder d = { .server = server };
	struct ml_ws_msg m;
	int r;

	ml_ws_decoder_feed(&d, p, n);
	while ((r = ml_ws_decoder_next(&d, &m)) == 1)
		;
	ck_assert_int_eq(r, err);
	ml_ws_decoder_release(&d);
}

START_TEST(test_k8s_ws_protocol_errors)
{
	static const uint8_t masked_from_server[] = {
		0x82, 0x81, 1, 2, 3, 4, 0
	};
	static const uint8_t unmasked_from_client[] = { 0x82, 0x01, 0 };
	static const uint8_t reserved[] = { 0xc2, 0x00 };
	static const uint8_t opcode3[] = { 0x83, 0x00 };
	static const uint8_t long_ping[] = { 0x89, 0x7e, 0x00, 0x80 };
	static const uint8_t split_ping[] = { 0x09, 0x00 };
	static const uint8_t lone_cont[] = { 0x80, 0x00 };
	static const uint8_t two_starts[] = { 0x02, 0x01, 'a', 0x82, 0x01, 'b' };
	static const uint8_t top_bit[] = {
		0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0
	};
	static const uint8_t huge[] = { 0x82, 0x7f, 0, 0, 0, 0, 0x10, 0, 0, 0 };

	expect_bad(false, masked_from_server, sizeof(masked_from_server),
		   -EBADMSG);
	expect_bad(true, unmasked_from_client, sizeof(unmasked_from_client),
		   -EBADMSG);
	expect_bad(false, reserved, sizeof(reserved), -EBADMSG);
	expect_bad(false, opcode3, sizeof(opcode3), -EBADMSG);
	expect_bad(false, long_ping, sizeof(long_ping), -EBADMSG);
	expect_bad(false, split_ping, sizeof(split_ping), -EBADMSG);
	expect_bad(false, lone_cont, sizeof(lone_cont), -EBADMSG);
	expect_bad(false, two_starts, sizeof(two_starts), -EBADMSG);
	expect_bad(false, top_bit, sizeof(top_bit), -EBADMSG);
	expect_bad(false, huge, sizeof(huge), -EMSGSIZE);
}
END_TEST

/* A frame cut anywhere waits for the rest. */
START_TEST(test_k8s_ws_partial)
{
	struct ml_buf b = { 0 };

	ml_ws_encode(&b, ML_WS_BINARY, true, NULL, "0123456789", 10);
	for (size_t cut = 0; cut < b.len; cut++) {
		struct ml_ws_decoder d = { 0 };
		struct ml_ws_msg m;

		ml_ws_decoder_feed(&d, b.p, cut);
		ck_assert_int_eq(ml_ws_decoder_next(&d, &m), 0);
		ml_ws_decoder_feed(&d, b.p + cut, b.len - cut);
		ck_assert_int_eq(ml_ws_decoder_next(&d, &m), 1);
		ck_assert_uint_eq(m.len, 10);
		ml_ws_decoder_release(&d);
	}
	ml_buf_release(&b);
}
END_TEST

START_TEST(test_k8s_ws_accept_key)
{
	char *a = ml_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==");

	ck_assert_str_eq(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	free(a);
}
END_TEST

START_TEST(test_k8s_ws_exec_status)
{
	static const char ok[] = "{\"metadata\":{},\"status\":\"Success\"}";
	static const char three[] =
		"{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: exit code 3\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}";
	static const char other[] =
		"{\"status\":\"Failure\",\"message\":\"container not found (\\\"c\\\")\",\"reason\":\"InternalError\"}";
	int st = -1;

	ck_assert_int_eq(ml_exec_read_status("v4.channel.k8s.io", ok,
					     strlen(ok), &st),
			 0);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(ml_exec_read_status("v5.channel.k8s.io", three,
					     strlen(three), &st),
			 0);
	ck_assert_int_eq(st, 3);
	st = -1;
	ck_assert_int_eq(ml_exec_read_status("v4.channel.k8s.io", other,
					     strlen(other), &st),
			 -EIO);
	ck_assert_int_eq(st, -1);
	ck_assert_str_eq(ml_err_msg(),
			 "exec failed: container not found (\"c\")");
	ck_assert_int_eq(ml_exec_read_status("channel.k8s.io", "boom\nmore", 9,
					     &st),
			 -EIO);
	ck_assert_str_eq(ml_err_msg(), "exec failed: boom");
	ck_assert_int_eq(ml_exec_read_status("v4.channel.k8s.io", "", 0, &st),
			 0);
	ck_assert_int_eq(st, 0);
}
END_TEST

static Suite *
k8s_ws_suite(void)
{
	Suite *s = suite_create("k8s_ws");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_k8s_ws_rfc_examples);
	tcase_add_test(tc, test_k8s_ws_lengths);
	tcase_add_test(tc, test_k8s_ws_fragments_and_ping);
	tcase_add_test(tc, test_k8s_ws_protocol_errors);
	tcase_add_test(tc, test_k8s_ws_partial);
	tcase_add_test(tc, test_k8s_ws_accept_key);
	tcase_add_test(tc, test_k8s_ws_exec_status);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ml_check_run(k8s_ws_suite());
}
