package dev.sluice.stack.opensearch;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one real OpenSearch 2.19 node in this JVM, for local development and tests.
 *
 * <p>OpenSearch is a fork of Elasticsearch 7.10 and starts the same way: the distribution's
 * Bootstrap loads module zips that are not on Maven Central, but the server jar and some
 * modules are, so this launcher builds the node itself and hands the modules to it as
 * classpath plugins (as our Elasticsearch 7.17 launcher does, and OpenSearch's test framework).
 *
 * <p>Usage: {@code java -cp <classpath> dev.sluice.stack.opensearch.OpenSearchLauncher key=value ...}. Every argument
 * is a node setting ({@code path.home} is required); later arguments override earlier ones and
 * the defaults below, so callers can pass e.g. {@code thread_pool.write.queue_size=2}.
 * The node runs until the JVM gets SIGTERM/SIGINT, then closes cleanly (flushing shards).
 */
public final class OpenSearchLauncher {

    /** Modules that are on Maven Central and therefore on our classpath. */
    private static final List<Class<? extends Plugin>> PLUGINS =
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    /** Node's constructor that accepts classpath plugins is protected. */
    private static final class LocalNode extends Node {
        LocalNode(Environment environment) {
            super(environment, PLUGINS, true);
        }
    }

    private OpenSearchLauncher() {}

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder()
                .put("cluster.name", "sluice-local")
                .put("node.name", "sluice-opensearch")
                .put("network.host", "127.0.0.1")
                .put("discovery.type", "single-node")
                .put("action.auto_create_index", "true")
                // A nearly full developer disk must not turn indices read-only or leave
                // shards unassigned: tests would fail for reasons unrelated to the code.
                .put("cluster.routing.allocation.disk.threshold_enabled", "false");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("sluice-opensearch: expected key=value, got: " + arg);
                System.exit(2);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        String home = settings.get("path.home");
        if (home == null) {
            System.err.println("sluice-opensearch: path.home=... is required");
            System.exit(2);
        }
        Path configDir = Paths.get(home, "config");
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Collections.emptyMap(), configDir, () -> settings.get("node.name"));

        // Same logging set-up as the real distribution: reads config/log4j2.properties. The
        // node name must be known first, the %node_name pattern converter needs it.
        LogConfigurator.setNodeName(environment.settings().get("node.name"));
        LogConfigurator.registerErrorListener();
        if (Files.exists(configDir.resolve("log4j2.properties"))) {
            LogConfigurator.configure(environment);
        } else {
            LogConfigurator.configureWithoutConfig(environment.settings());
        }

        // PluginsService scans these directories; they must exist even though they stay empty.
        Files.createDirectories(environment.modulesFile());
        Files.createDirectories(environment.pluginsFile());

        // A failed start leaves non-daemon threads behind; exit so the stack scripts see it at once.
        final Node node;
        try {
            node = new LocalNode(environment);
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
                    System.err.println("sluice-opensearch: node did not close within 30s");
                }
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "sluice-opensearch-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1); // the shutdown hook closes what was started
        }
        System.out.println("sluice-opensearch: node started");
        closed.await();
    }
}
