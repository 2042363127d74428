package dev.sluice.stack.es8;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginBundle;
import org.elasticsearch.plugins.PluginsLoader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Runs one real Elasticsearch 8.x or 9.x node in this JVM, for local development and tests.
 *
 * <p>The server jars are on the module path (as in the distribution's lib/); this class runs
 * from the class path and reads them. Modules (transport-netty4 and our own root plugin) are
 * loaded the way the distribution loads its modules/ directory: each as a bundle directory
 * holding its jars and plugin-descriptor.properties. Their published jars carry that
 * descriptor under META-INF/es-plugins/NAME/, so the bundle is assembled from the jars.
 *
 * <p>Usage: {@code java --module-path <server jars> --add-modules ALL-MODULE-PATH -cp <this>
 * dev.sluice.stack.es8.Es8Launcher --module NAME=JAR[:JAR...] ... key=value ...}. Every
 * key=value argument is a node setting ({@code path.home} is required); later ones override
 * earlier ones and the defaults below. Runs until SIGTERM/SIGINT, then closes the node.
 */
public final class Es8Launcher {

    private Es8Launcher() {}

    public static void main(String[] args) throws Exception {
        // Elasticsearch's own logging facade must have its provider before anything logs.
        LogConfigurator.configureESLogging();

        Settings.Builder builder = Settings.builder()
                .put("cluster.name", "sluice-local")
                .put("node.name", "sluice-es")
                .put("network.host", "127.0.0.1")
                .put("discovery.type", "single-node")
                .put("action.auto_create_index", "true")
                // A nearly full developer disk must not make indices read-only.
                .put("cluster.routing.allocation.disk.threshold_enabled", "false");
        Map<String, List<Path>> modules = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--module") && i + 1 < args.length) {
                String spec = args[++i];
                int eq = spec.indexOf('=');
                List<Path> jars = new ArrayList<>();
                for (String p : spec.substring(eq + 1).split(java.io.File.pathSeparator)) jars.add(Paths.get(p));
                modules.put(spec.substring(0, eq), jars);
                continue;
            }
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("sluice-es: expected key=value or --module NAME=JARS, got: " + arg);
                System.exit(2);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        String home = settings.get("path.home");
        if (home == null) {
            System.err.println("sluice-es: path.home=... is required");
            System.exit(2);
        }
        Path homeDir = Paths.get(home);
        assembleModules(homeDir.resolve("modules"), modules);
        Files.createDirectories(homeDir.resolve("plugins"));

        Path configDir = homeDir.resolve("config");
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), configDir, () -> settings.get("node.name"));
        LogConfigurator.setNodeName(environment.settings().get("node.name"));
        LogConfigurator.registerErrorListener();
        LogConfigurator.configure(environment, true);

        PluginsLoader pluginsLoader = PluginsLoader.createPluginsLoader(
                loadBundles("loadModulesBundles", environment.modulesDir()),
                loadBundles("loadPluginsBundles", environment.pluginsDir()),
                Map.of());
        // A failed start leaves non-daemon threads behind; exit so the stack scripts see it at once.
        final Node node;
        try {
            node = new Node(environment, pluginsLoader);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
            return;
        }
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    System.err.println("sluice-es: node did not close within 30s");
                }
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "sluice-es-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1); // the shutdown hook closes what was started
        }
        System.out.println("sluice-es: node started");
        closed.await();
    }

    /**
     * PluginsLoader.loadModulesBundles / loadPluginsBundles: (Path) in 8.x, (Path, boolean) in
     * 9.x. Called reflectively so one launcher source serves both; the 9.x flag stays false
     * (no entitlement policies: the node runs without the entitlements agent, as in tests).
     */
    @SuppressWarnings("unchecked")
    private static Set<PluginBundle> loadBundles(String method, Path dir) throws Exception {
        try {
            return (Set<PluginBundle>) PluginsLoader.class.getMethod(method, Path.class).invoke(null, dir);
        } catch (NoSuchMethodException e) {
            return (Set<PluginBundle>) PluginsLoader.class.getMethod(method, Path.class, boolean.class).invoke(null, dir, false);
        }
    }

    /** Re-creates modules/NAME/ for every module: its jars plus the descriptor found in one of them. */
    private static void assembleModules(Path modulesDir, Map<String, List<Path>> modules) throws IOException {
        if (Files.exists(modulesDir)) {
            try (Stream<Path> walk = Files.walk(modulesDir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
        Files.createDirectories(modulesDir);
        for (Map.Entry<String, List<Path>> module : modules.entrySet()) {
            String name = module.getKey();
            Path dir = Files.createDirectories(modulesDir.resolve(name));
            boolean haveDescriptor = false;
            for (Path jar : module.getValue()) {
                Files.copy(jar, dir.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                try (JarFile jf = new JarFile(jar.toFile())) {
                    var entry = jf.getEntry("META-INF/es-plugins/" + name + "/plugin-descriptor.properties");
                    if (entry != null) {
                        try (InputStream in = jf.getInputStream(entry)) {
                            Files.copy(in, dir.resolve("plugin-descriptor.properties"), StandardCopyOption.REPLACE_EXISTING);
                        }
                        haveDescriptor = true;
                    }
                }
            }
            if (!haveDescriptor) {
                throw new IllegalStateException("no META-INF/es-plugins/" + name + "/plugin-descriptor.properties in " + module.getValue());
            }
        }
    }
}
