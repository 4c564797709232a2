package xslwm2m.interop;

import java.util.EnumSet;

import org.eclipse.leshan.client.californium.LeshanClient;
import org.eclipse.leshan.client.californium.LeshanClientBuilder;
import org.eclipse.leshan.client.object.Device;
import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.client.servers.ServerIdentity;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.BootstrapRequest;
import org.eclipse.leshan.core.request.DeregisterRequest;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.core.request.UpdateRequest;
import org.eclipse.leshan.core.util.Hex;

/**
 * Leshan's LeshanClient with Security, Server and Device objects, taking the same options as
 * the Leshan client demo:
 *   -n endpoint name, -u server URI (coap:// or coaps://host:port), -b "the URI is a bootstrap
 *   server", -lh / -lp local address, -l lifetime (s, direct registration only),
 *   -i PSK identity and -p PSK key in hex, or the key in $XS_LWM2M_PSK_KEY_HEX (both, for a
 *   coaps:// URI: DTLS with that PSK).
 * Prints one "EVENT <name> [detail]" line per client event on stdout, so a test can wait
 * for "EVENT registration-success".
 */
public final class Client {
    private static final int SHORT_SERVER_ID = 123;

    public static void main(String[] argv) {
        Args args = new Args(argv, "b");
        String endpoint = args.get("n", "xs-lwm2m-leshan-client");
        String uri = args.get("u", "coap://127.0.0.1:5683");
        boolean bootstrap = args.has("b");
        String localHost = args.get("lh", "127.0.0.1");
        int localPort = args.getInt("lp", 0);
        int lifetime = args.getInt("l", 300);
        String pskIdentity = args.get("i", null);
        // -p as in the Leshan client demo, or XS_LWM2M_PSK_KEY_HEX (the harness: no key on a command line)
        String pskKeyHex = args.get("p", pskIdentity != null ? System.getenv("XS_LWM2M_PSK_KEY_HEX") : null);
        if ((pskIdentity == null) != (pskKeyHex == null)) {
            throw new IllegalArgumentException("-i (PSK identity) and -p (PSK key, hex) go together");
        }
        byte[] id = pskIdentity == null ? null : pskIdentity.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] key = pskKeyHex == null ? null : Hex.decodeHex(pskKeyHex.toCharArray());

        ObjectsInitializer init = new ObjectsInitializer();
        if (bootstrap) {
            init.setInstancesForObject(0, id != null ? Security.pskBootstrap(uri, id, key) : Security.noSecBootstap(uri));
            init.setClassForObject(1, Server.class);
        } else {
            init.setInstancesForObject(0,
                    id != null ? Security.psk(uri, SHORT_SERVER_ID, id, key) : Security.noSec(uri, SHORT_SERVER_ID));
            init.setInstancesForObject(1, new Server(SHORT_SERVER_ID, lifetime));
        }
        init.setInstancesForObject(3,
                new Device("Eclipse Leshan", "leshan-client (xs-lwm2m interop)", "LESHAN-0001",
                        EnumSet.of(BindingMode.U)));

        LeshanClientBuilder builder = new LeshanClientBuilder(endpoint);
        builder.setLocalAddress(localHost, localPort);
        builder.setObjects(init.create(0, 1, 3));
        LeshanClient client = builder.build();
        client.addObserver(new LwM2mClientObserverAdapter() {
            @Override
            public void onBootstrapSuccess(ServerIdentity bsserver, BootstrapRequest request) {
                event("bootstrap-success", null);
            }

            @Override
            public void onBootstrapFailure(ServerIdentity bsserver, BootstrapRequest request, ResponseCode code,
                    String msg, Exception e) {
                event("bootstrap-failure", code + " " + msg);
            }

            @Override
            public void onBootstrapTimeout(ServerIdentity bsserver, BootstrapRequest request) {
                event("bootstrap-timeout", null);
            }

            @Override
            public void onRegistrationSuccess(ServerIdentity server, RegisterRequest request, String regId) {
                event("registration-success", regId);
            }

            @Override
            public void onRegistrationFailure(ServerIdentity server, RegisterRequest request, ResponseCode code,
                    String msg, Exception e) {
                event("registration-failure", code + " " + msg);
            }

            @Override
            public void onRegistrationTimeout(ServerIdentity server, RegisterRequest request) {
                event("registration-timeout", null);
            }

            @Override
            public void onUpdateSuccess(ServerIdentity server, UpdateRequest request) {
                event("update-success", null);
            }

            @Override
            public void onDeregistrationSuccess(ServerIdentity server, DeregisterRequest request) {
                event("deregistration-success", null);
            }

            @Override
            public void onUnexpectedError(Throwable t) {
                event("unexpected-error", String.valueOf(t));
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> client.destroy(true)));
        client.start();
        // the identity may be printed, never the key
        event("started", endpoint + " " + (bootstrap ? "bootstrap " : "server ") + uri
                + (pskIdentity != null ? " psk-identity " + pskIdentity : ""));
    }

    private static void event(String name, String detail) {
        System.out.println("EVENT " + name + (detail != null ? " " + detail : ""));
        System.out.flush();
    }
}
