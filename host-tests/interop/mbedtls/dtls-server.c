/*
 * A DTLS 1.2 PSK server on mbedTLS (Debian's libmbedtls-dev, 2.28) for the
 * interop tests: HelloVerifyRequest cookies, a session cache for
 * resumption, one client at a time, every application datagram echoed back.
 *
 *   dtls-server --psk <identity>:<key hex> [--psk …] [--suite ccm8|cbc|any] [--port <n>]
 *
 * stdout: listening <port> | handshake <suite> identity=<text> resumed=<0|1> |
 *   recv <hex> | closed | error <what> <code> <text>
 * A client that stays silent for 30 s is dropped; then the next one is served.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/timing.h>

#include "peer-common.h"

#define MAX_KEYS 8
#define SEEN_SESSIONS 16
#define IDLE_READS 150 /* × the 200 ms read timeout */

struct psk_entry { char identity[PEER_MAX_IDENTITY + 1]; unsigned char key[PEER_MAX_KEY]; size_t key_len; };

struct server {
	struct psk_entry keys[MAX_KEYS];
	int key_count;
	char identity[PEER_MAX_IDENTITY + 1];
	unsigned char seen[SEEN_SESSIONS][32];
	size_t seen_len[SEEN_SESSIONS];
	int seen_next;
};

/* mbedTLS asks for the key of the identity in the ClientKeyExchange; unknown identities fail the handshake. */
static int psk_for(void *arg, mbedtls_ssl_context *ssl, const unsigned char *identity, size_t len)
{
	struct server *s = arg;
	for (int i = 0; i < s->key_count; i++) {
		if (strlen(s->keys[i].identity) == len && memcmp(s->keys[i].identity, identity, len) == 0) {
			memcpy(s->identity, identity, len);
			s->identity[len] = 0;
			return mbedtls_ssl_set_hs_psk(ssl, s->keys[i].key, s->keys[i].key_len);
		}
	}
	return -1;
}

/* A full handshake gives a new session_id; an abbreviated one the id of a session it made before. */
static int remember_session(struct server *s, const mbedtls_ssl_session *session)
{
	for (int i = 0; i < SEEN_SESSIONS; i++) {
		if (s->seen_len[i] > 0 && s->seen_len[i] == session->id_len && memcmp(s->seen[i], session->id, session->id_len) == 0) return 1;
	}
	if (session->id_len == 0 || session->id_len > 32) return 0;
	memcpy(s->seen[s->seen_next], session->id, session->id_len);
	s->seen_len[s->seen_next] = session->id_len;
	s->seen_next = (s->seen_next + 1) % SEEN_SESSIONS;
	return 0;
}

/* Echoes until the client's close_notify (answered) or silence. */
static void serve(mbedtls_ssl_context *ssl)
{
	unsigned char buf[PEER_MAX_DATAGRAM];
	for (int idle = 0; idle < IDLE_READS;) {
		int ret = mbedtls_ssl_read(ssl, buf, sizeof buf);
		if (ret > 0) {
			idle = 0;
			say_hex("recv ", buf, (size_t)ret);
			int w = mbedtls_ssl_write(ssl, buf, (size_t)ret);
			if (w < 0) say_error("write", w);
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_TIMEOUT || ret == MBEDTLS_ERR_SSL_WANT_READ) { idle++; continue; }
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
			mbedtls_ssl_close_notify(ssl);
			say("closed");
			return;
		}
		say_error("read", ret);
		return;
	}
	say("closed idle");
}

int main(int argc, char **argv)
{
	static struct server s;
	const char *port = "0";
	int suites[2];
	int use_suites = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0) port = argv[i + 1];
		else if (strcmp(argv[i], "--suite") == 0) use_suites = suite_list(argv[i + 1], suites);
		else if (strcmp(argv[i], "--psk") == 0 && s.key_count < MAX_KEYS) {
			const char *colon = strrchr(argv[i + 1], ':');
			struct psk_entry *e = &s.keys[s.key_count];
			size_t id_len = colon ? (size_t)(colon - argv[i + 1]) : 0;
			int n = colon ? from_hex(colon + 1, e->key, sizeof e->key) : -1;
			if (id_len == 0 || id_len > PEER_MAX_IDENTITY || n <= 0) use_suites = -1;
			else { memcpy(e->identity, argv[i + 1], id_len); e->key_len = (size_t)n; s.key_count++; }
		} else use_suites = -1;
	}
	if (use_suites < 0 || s.key_count == 0) {
		fprintf(stderr, "usage: dtls-server --psk <identity>:<key hex> [--psk …] [--suite ccm8|cbc|any] [--port <n>]\n");
		return 2;
	}

	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	if (seed_drbg(&entropy, &drbg, "xs-lwm2m interop server") != 0) return 1;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_cookie_ctx cookies;
	mbedtls_ssl_cache_context cache;
	mbedtls_timing_delay_context timer;
	mbedtls_net_context listener, client;
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	mbedtls_ssl_cookie_init(&cookies);
	mbedtls_ssl_cache_init(&cache);
	mbedtls_net_init(&listener);
	mbedtls_net_init(&client);

	int ret = mbedtls_net_bind(&listener, "127.0.0.1", port, MBEDTLS_NET_PROTO_UDP);
	if (ret != 0) { say_error("net_bind", ret); return 1; }
	struct sockaddr_in bound;
	socklen_t bound_len = sizeof bound;
	if (getsockname(listener.fd, (struct sockaddr *)&bound, &bound_len) != 0) return 1;

	ret = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) { say_error("config_defaults", ret); return 1; }
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_read_timeout(&conf, 200);
	mbedtls_ssl_conf_psk_cb(&conf, psk_for, &s);
	if (use_suites > 0) mbedtls_ssl_conf_ciphersuites(&conf, suites);
	mbedtls_ssl_conf_session_cache(&conf, &cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
	if ((ret = mbedtls_ssl_cookie_setup(&cookies, mbedtls_ctr_drbg_random, &drbg)) != 0) { say_error("cookie_setup", ret); return 1; }
	mbedtls_ssl_conf_dtls_cookies(&conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &cookies);
	if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0) { say_error("setup", ret); return 1; }
	mbedtls_ssl_set_timer_cb(&ssl, &timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);
	say("listening %d", ntohs(bound.sin_port));

	for (;;) {
		mbedtls_net_free(&client);
		mbedtls_ssl_session_reset(&ssl);
		unsigned char ip[16];
		size_t ip_len = 0;
		ret = mbedtls_net_accept(&listener, &client, ip, sizeof ip, &ip_len);
		if (ret != 0) { say_error("net_accept", ret); return 1; }
		/* The cookie binds the client's address (RFC 6347 §4.2.1). */
		if ((ret = mbedtls_ssl_set_client_transport_id(&ssl, ip, ip_len)) != 0) { say_error("transport_id", ret); continue; }
		mbedtls_ssl_set_bio(&ssl, &client, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
		s.identity[0] = 0;
		do ret = mbedtls_ssl_handshake(&ssl);
		while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
		if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) continue; /* the cookie went out; its echo comes to the listener */
		if (ret != 0) { say_error("handshake", ret); continue; }
		int resumed = remember_session(&s, ssl.session);
		say("handshake %s identity=%s resumed=%d", mbedtls_ssl_get_ciphersuite(&ssl), s.identity, resumed);
		serve(&ssl);
	}
}
