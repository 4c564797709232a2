package xslwm2m.interop;

import java.util.HashMap;
import java.util.Map;

/** Tiny "-opt value" / "-flag" parser shared by the launchers (no extra dependency). */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] argv, String... flags) {
        java.util.Set<String> flagSet = java.util.Set.of(flags);
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("-")) throw new IllegalArgumentException("unexpected argument: " + a);
            String key = a.replaceFirst("^-+", "");
            if (flagSet.contains(key)) {
                values.put(key, "true");
            } else {
                if (i + 1 >= argv.length) throw new IllegalArgumentException("missing value for " + a);
                values.put(key, argv[++i]);
            }
        }
    }

    String get(String key, String def) {
        return values.getOrDefault(key, def);
    }

    int getInt(String key, int def) {
        String v = values.get(key);
        return v == null ? def : Integer.parseInt(v);
    }

    boolean has(String key) {
        return values.containsKey(key);
    }
}
