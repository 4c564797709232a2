package xslwm2m.interop;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.leshan.core.SecurityMode;
import org.eclipse.leshan.core.request.BootstrapDownlinkRequest;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.server.bootstrap.BootstrapConfig;
import org.eclipse.leshan.server.bootstrap.BootstrapFailureCause;
import org.eclipse.leshan.server.bootstrap.BootstrapSession;
import org.eclipse.leshan.server.bootstrap.BootstrapSessionAdapter;
import org.eclipse.leshan.server.bootstrap.InMemoryBootstrapConfigStore;
import org.eclipse.leshan.server.bootstrap.InvalidConfigurationException;
import org.eclipse.leshan.server.californium.bootstrap.LeshanBootstrapServer;
import org.eclipse.leshan.server.californium.bootstrap.LeshanBootstrapServerBuilder;
import org.eclipse.leshan.server.security.BootstrapSecurityStore;
import org.eclipse.leshan.server.security.SecurityInfo;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSerializer;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Leshan's LeshanBootstrapServer (CoAP, and CoAPS with PSK when -slp is given) with a REST
 * API shaped like the Leshan bsserver demo's BootstrapServlet:
 *   GET    /api/bootstrap             all configs, keyed by endpoint
 *   POST   /api/bootstrap/{endpoint}  add/replace one BootstrapConfig (Leshan's JSON field names)
 *   DELETE /api/bootstrap/{endpoint}
 * plus what the tests need and the demo shows only in its web UI:
 *   GET    /api/sessions              bootstrap session events, oldest first (bounded)
 *   GET    /api/server                {"unsecuredEndpointPort": n, "securedEndpointPort": n|null} (readiness probe)
 *
 * Options: -lh coap host, -lp coap port, -slh coaps host, -slp coaps port (no coaps without it),
 * -wh web host, -wp web port.
 *
 * CoAPS: as in Leshan's own bsserver demo (its BootstrapConfigSecurityStore), the credentials a
 * client uses towards this server are the PSK identity/key of the Bootstrap-Server account
 * (bootstrapServer: true, securityMode PSK) in that endpoint's config; a client that connects
 * without DTLS is refused if its config has such an account.
 */
public final class BsServer {
    /** Bound on remembered session events; older ones are dropped (counted). */
    private static final int MAX_EVENTS = 500;
    private static final Deque<Map<String, Object>> events = new ArrayDeque<>();
    private static int droppedEvents = 0;

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String coapHost = args.get("lh", "127.0.0.1");
        int coapPort = args.getInt("lp", 5683);
        String coapsHost = args.get("slh", coapHost);
        int coapsPort = args.getInt("slp", -1);
        String webHost = args.get("wh", "127.0.0.1");
        int webPort = args.getInt("wp", 8080);

        InMemoryBootstrapConfigStore store = new InMemoryBootstrapConfigStore();
        LeshanBootstrapServerBuilder builder = new LeshanBootstrapServerBuilder();
        builder.setLocalAddress(coapHost, coapPort);
        if (coapsPort >= 0) {
            builder.setLocalSecureAddress(coapsHost, coapsPort);
        } else {
            builder.disableSecuredEndpoint();
        }
        // Also consulted for clients on plain CoAP: a config with a PSK bootstrap account refuses them.
        builder.setSecurityStore(new ConfigPskStore(store));
        builder.setConfigStore(store);
        LeshanBootstrapServer bs = builder.build();
        bs.addListener(new BootstrapSessionAdapter() {
            @Override
            public void authorized(BootstrapSession s) {
                record(s, "authorized", null);
            }

            @Override
            public void noConfig(BootstrapSession s) {
                record(s, "noConfig", null);
            }

            @Override
            public void sendRequest(BootstrapSession s, BootstrapDownlinkRequest<? extends LwM2mResponse> r) {
                record(s, "request", r.getClass().getSimpleName() + " " + r.getPath());
            }

            @Override
            public void onResponseSuccess(BootstrapSession s, BootstrapDownlinkRequest<? extends LwM2mResponse> r,
                    LwM2mResponse resp) {
                record(s, "response", r.getClass().getSimpleName() + " " + r.getPath() + " " + resp.getCode());
            }

            @Override
            public void onResponseError(BootstrapSession s, BootstrapDownlinkRequest<? extends LwM2mResponse> r,
                    LwM2mResponse resp) {
                record(s, "responseError", r.getClass().getSimpleName() + " " + r.getPath() + " " + resp.getCode()
                        + " " + resp.getErrorMessage());
            }

            @Override
            public void onRequestFailure(BootstrapSession s, BootstrapDownlinkRequest<? extends LwM2mResponse> r,
                    Throwable t) {
                record(s, "requestFailure", r.getClass().getSimpleName() + " " + r.getPath() + " " + t);
            }

            @Override
            public void end(BootstrapSession s) {
                record(s, "finished", null);
            }

            @Override
            public void failed(BootstrapSession s, BootstrapFailureCause cause) {
                record(s, "failed", String.valueOf(cause));
            }
        });

        Gson gson = new GsonBuilder()
                // bytes as unsigned numbers, as the Leshan demo does
                .registerTypeHierarchyAdapter(Byte.class,
                        (JsonSerializer<Byte>) (src, t, c) -> new JsonPrimitive(src & 0xff))
                .registerTypeHierarchyAdapter(Byte.class,
                        (JsonDeserializer<Byte>) (json, t, c) -> (byte) json.getAsInt())
                // content format by name ("TLV", "SENML_CBOR") or by number
                .registerTypeAdapter(ContentFormat.class,
                        (JsonSerializer<ContentFormat>) (src, t, c) -> new JsonPrimitive(src.getName()))
                .registerTypeAdapter(ContentFormat.class, (JsonDeserializer<ContentFormat>) (json, t, c) -> {
                    JsonPrimitive p = json.getAsJsonPrimitive();
                    return p.isNumber() ? ContentFormat.fromCode(p.getAsInt())
                            : ContentFormat.fromName(p.getAsString().toUpperCase());
                }).create();

        HttpServer http = HttpServer.create(new InetSocketAddress(webHost, webPort), 16);
        http.createContext("/api/bootstrap", ex -> {
            try {
                String rest = ex.getRequestURI().getPath().substring("/api/bootstrap".length());
                String endpoint = rest.replaceAll("^/+|/+$", "");
                String method = ex.getRequestMethod();
                if (method.equals("GET") && endpoint.isEmpty()) {
                    send(ex, 200, "application/json", gson.toJson(store.getAll()));
                } else if (method.equals("POST") && !endpoint.isEmpty() && !endpoint.contains("/")) {
                    BootstrapConfig cfg;
                    try {
                        cfg = gson.fromJson(new InputStreamReader(ex.getRequestBody(), StandardCharsets.UTF_8),
                                BootstrapConfig.class);
                    } catch (JsonParseException e) {
                        send(ex, 400, "text/plain", "bad JSON: " + e.getMessage());
                        return;
                    }
                    if (cfg == null) {
                        send(ex, 400, "text/plain", "no content");
                        return;
                    }
                    try {
                        store.add(endpoint, cfg);
                    } catch (InvalidConfigurationException e) {
                        send(ex, 400, "text/plain", e.getMessage());
                        return;
                    }
                    send(ex, 200, "text/plain", "");
                } else if (method.equals("DELETE") && !endpoint.isEmpty()) {
                    if (store.remove(endpoint) != null) send(ex, 204, null, null);
                    else send(ex, 404, "text/plain", "no config for " + endpoint);
                } else {
                    send(ex, 400, "text/plain", "unsupported: " + method + " " + ex.getRequestURI());
                }
            } catch (RuntimeException | Error e) {
                e.printStackTrace();
                send(ex, 500, "text/plain", String.valueOf(e));
            }
        });
        http.createContext("/api/sessions", ex -> {
            List<Map<String, Object>> copy;
            int dropped;
            synchronized (events) {
                copy = new ArrayList<>(events);
                dropped = droppedEvents;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("dropped", dropped);
            body.put("events", copy);
            send(ex, 200, "application/json", gson.toJson(body));
        });
        http.createContext("/api/server", ex -> send(ex, 200, "application/json",
                "{\"unsecuredEndpointPort\":" + bs.getUnsecuredAddress().getPort() + ",\"securedEndpointPort\":"
                        + (bs.getSecuredAddress() == null ? "null" : String.valueOf(bs.getSecuredAddress().getPort()))
                        + "}"));

        bs.start();
        http.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            http.stop(0);
            bs.destroy();
        }));
        System.out.println("XS-LWM2M-LAUNCHER READY bsserver coap=" + bs.getUnsecuredAddress() + " coaps="
                + bs.getSecuredAddress() + " web=" + http.getAddress());
    }

    /**
     * PSK credentials of bootstrap clients taken from the configs (the Bootstrap-Server account
     * with securityMode PSK), like Leshan's bsserver demo. Keys are never printed.
     */
    private static final class ConfigPskStore implements BootstrapSecurityStore {
        private final InMemoryBootstrapConfigStore configs;

        ConfigPskStore(InMemoryBootstrapConfigStore configs) {
            this.configs = configs;
        }

        private static SecurityInfo pskOf(String endpoint, BootstrapConfig cfg) {
            if (cfg == null) return null;
            for (BootstrapConfig.ServerSecurity s : cfg.security.values()) {
                if (s.bootstrapServer && s.securityMode == SecurityMode.PSK && s.publicKeyOrId != null
                        && s.secretKey != null) {
                    return SecurityInfo.newPreSharedKeyInfo(endpoint,
                            new String(s.publicKeyOrId, StandardCharsets.UTF_8), s.secretKey);
                }
            }
            return null;
        }

        @Override
        public Iterator<SecurityInfo> getAllByEndpoint(String endpoint) {
            SecurityInfo info = pskOf(endpoint, configs.getAll().get(endpoint));
            return info == null ? null : List.of(info).iterator();
        }

        @Override
        public SecurityInfo getByIdentity(String identity) {
            for (Map.Entry<String, BootstrapConfig> e : configs.getAll().entrySet()) {
                SecurityInfo info = pskOf(e.getKey(), e.getValue());
                if (info != null && info.getIdentity().equals(identity)) return info;
            }
            return null;
        }
    }

    private static void record(BootstrapSession s, String event, String detail) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", System.currentTimeMillis());
        e.put("endpoint", s.getEndpoint());
        e.put("session", s.getId());
        e.put("event", event);
        if (detail != null) e.put("detail", detail);
        synchronized (events) {
            if (events.size() >= MAX_EVENTS) {
                events.removeFirst();
                droppedEvents++;
            }
            events.addLast(e);
        }
        System.out.println("BS " + s.getEndpoint() + " " + event + (detail != null ? " " + detail : ""));
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        if (body == null) {
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type + "; charset=UTF-8");
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
        ex.close();
    }
}
