/*
 * A DTLS 1.2 PSK client on mbedTLS (Debian's libmbedtls-dev, 2.28), the
 * stack most C LwM2M clients use, for the interop tests. It carries
 * datagrams for the test, which speaks CoAP (or plain text) through it:
 *
 *   dtls-client <host> <port> <identity> <key hex> [--suite ccm8|cbc|any] [--min-version ssl3]
 *
 * --min-version ssl3 sets mbedTLS's minimum protocol version to SSL 3.0, which
 * mbedTLS writes into the record version of its ClientHellos as {254, 0}: what
 * Anjay's ClientHello carries. Everything else is mbedTLS's default.
 *
 * stdin, one command a line:  send <hex> | close | reconnect | quit
 *   close: close_notify, keeping the session; reconnect: a new socket and a
 *   handshake that offers that session (resumption).
 * stdout: connected <suite> resumed=<0|1> | recv <hex> | closed (the peer's
 *   close_notify) | closed-local | error <what> <code> <text>
 */
#include <poll.h>
#include <unistd.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/timing.h>

#include "peer-common.h"

struct client {
	const char *host, *port;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_net_context net;
	mbedtls_timing_delay_context timer;
	mbedtls_ssl_session saved;
	int have_saved, connected;
};

static int same_session_id(const mbedtls_ssl_session *a, const mbedtls_ssl_session *b)
{
	return a->id_len > 0 && a->id_len == b->id_len && memcmp(a->id, b->id, a->id_len) == 0;
}

/* A new socket and a handshake; with a saved session, mbedTLS offers it. */
static int connect_peer(struct client *c)
{
	int ret = mbedtls_ssl_session_reset(&c->ssl);
	if (ret != 0) { say_error("session_reset", ret); return ret; }
	mbedtls_net_free(&c->net);
	mbedtls_net_init(&c->net);
	ret = mbedtls_net_connect(&c->net, c->host, c->port, MBEDTLS_NET_PROTO_UDP);
	if (ret != 0) { say_error("net_connect", ret); return ret; }
	mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
	if (c->have_saved && (ret = mbedtls_ssl_set_session(&c->ssl, &c->saved)) != 0) { say_error("set_session", ret); return ret; }
	do ret = mbedtls_ssl_handshake(&c->ssl);
	while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (ret != 0) { say_error("handshake", ret); return ret; }
	mbedtls_ssl_session now;
	mbedtls_ssl_session_init(&now);
	ret = mbedtls_ssl_get_session(&c->ssl, &now);
	if (ret != 0) { say_error("get_session", ret); mbedtls_ssl_session_free(&now); return ret; }
	int resumed = c->have_saved && same_session_id(&now, &c->saved);
	mbedtls_ssl_session_free(&c->saved);
	c->saved = now;
	c->have_saved = 1;
	c->connected = 1;
	say("connected %s resumed=%d", mbedtls_ssl_get_ciphersuite(&c->ssl), resumed);
	return 0;
}

static void close_local(struct client *c)
{
	if (!c->connected) return;
	mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_net_free(&c->net);
	c->connected = 0;
	say("closed-local");
}

/* Everything the session has for us now: each application datagram as a line. */
static void read_records(struct client *c)
{
	unsigned char buf[PEER_MAX_DATAGRAM];
	do {
		int ret = mbedtls_ssl_read(&c->ssl, buf, sizeof buf);
		if (ret > 0) { say_hex("recv ", buf, (size_t)ret); continue; }
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
			mbedtls_net_free(&c->net);
			c->connected = 0;
			say("closed");
			return;
		}
		if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_TIMEOUT) say_error("read", ret);
		return;
	} while (c->connected && mbedtls_ssl_check_pending(&c->ssl));
}

/* One command line; returns 0 to stop. */
static int command(struct client *c, char *line)
{
	if (strncmp(line, "send ", 5) == 0) {
		unsigned char data[PEER_MAX_DATAGRAM];
		int n = from_hex(line + 5, data, sizeof data);
		if (n < 0) { say("error send 0 not hex"); return 1; }
		if (!c->connected) { say("error send 0 not connected"); return 1; }
		int ret = mbedtls_ssl_write(&c->ssl, data, (size_t)n);
		if (ret < 0) say_error("write", ret);
	} else if (strcmp(line, "close") == 0) {
		close_local(c);
	} else if (strcmp(line, "reconnect") == 0) {
		close_local(c);
		connect_peer(c);
	} else if (strcmp(line, "quit") == 0) {
		close_local(c);
		return 0;
	} else {
		say("error command 0 unknown: %s", line);
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: dtls-client <host> <port> <identity> <key hex> [--suite ccm8|cbc|any] [--min-version ssl3]\n");
		return 2;
	}
	struct client c;
	memset(&c, 0, sizeof c);
	c.host = argv[1];
	c.port = argv[2];
	unsigned char key[PEER_MAX_KEY];
	int key_len = from_hex(argv[4], key, sizeof key);
	int suites[2];
	int use_suites = 0, ssl3_floor = 0;
	for (int i = 5; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--suite") == 0) use_suites = suite_list(argv[i + 1], suites);
		else if (strcmp(argv[i], "--min-version") == 0) ssl3_floor = strcmp(argv[i + 1], "ssl3") == 0;
		else use_suites = -1;
	}
	if (key_len <= 0 || use_suites < 0) { fprintf(stderr, "dtls-client: bad key or option\n"); return 2; }

	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	if (seed_drbg(&entropy, &drbg, "xs-lwm2m interop client") != 0) return 1;
	mbedtls_ssl_config_init(&c.conf);
	mbedtls_ssl_init(&c.ssl);
	mbedtls_net_init(&c.net);
	mbedtls_ssl_session_init(&c.saved);
	int ret = mbedtls_ssl_config_defaults(&c.conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) { say_error("config_defaults", ret); return 1; }
	mbedtls_ssl_conf_rng(&c.conf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_read_timeout(&c.conf, 200);
	if (ssl3_floor) mbedtls_ssl_conf_min_version(&c.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_0);
	if (use_suites > 0) mbedtls_ssl_conf_ciphersuites(&c.conf, suites);
	ret = mbedtls_ssl_conf_psk(&c.conf, key, (size_t)key_len, (const unsigned char *)argv[3], strlen(argv[3]));
	if (ret != 0) { say_error("conf_psk", ret); return 1; }
	if ((ret = mbedtls_ssl_setup(&c.ssl, &c.conf)) != 0) { say_error("setup", ret); return 1; }
	mbedtls_ssl_set_timer_cb(&c.ssl, &c.timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);
	if (connect_peer(&c) != 0) return 1;

	char line[2 * PEER_MAX_DATAGRAM + 32];
	size_t have = 0;
	for (;;) {
		struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = c.connected ? c.net.fd : -1, .events = POLLIN } };
		if (poll(fds, 2, -1) < 0) break;
		if (fds[1].revents & POLLIN) read_records(&c);
		if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
		ssize_t n = read(0, line + have, sizeof line - 1 - have);
		if (n <= 0) break;
		have += (size_t)n;
		line[have] = 0;
		char *start = line, *nl;
		int go = 1;
		while (go && (nl = strchr(start, '\n')) != NULL) {
			*nl = 0;
			go = command(&c, start);
			start = nl + 1;
		}
		if (!go) break;
		have = strlen(start);
		memmove(line, start, have);
		if (have == sizeof line - 1) have = 0; /* an over-long line is dropped */
	}
	close_local(&c);
	mbedtls_ssl_session_free(&c.saved);
	mbedtls_ssl_free(&c.ssl);
	mbedtls_ssl_config_free(&c.conf);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return 0;
}
