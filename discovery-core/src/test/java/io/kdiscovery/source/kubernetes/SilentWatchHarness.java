package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the silent-watch figure: from the moment the watch connections go silent without closing
 * (the proxy in front of the mock API server stops forwarding on them, as a NAT or a load balancer
 * that dropped its entries; new connections still pass) until the table shows a change made right
 * after. With fabric8's default configuration (a 30 s WebSocket ping interval, which the transport may or
 * may not honour; the JDK's java.net.http since issue 20) and with a client whose ping interval is 0, each
 * in a fresh mock API server.
 *
 * <p>Run: {@code mvn -B -q -pl discovery-core test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.kdiscovery.source.kubernetes.SilentWatchHarness -Dexec.args="3 30"} (runs per
 * client, the watch idle bound in seconds; give no more than 120 s per run).
 */
public final class SilentWatchHarness {

  private static final Duration GIVE_UP = Duration.ofSeconds(120);

  private SilentWatchHarness() {}

  public static void main(String[] args) throws InterruptedException {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Duration idle = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 30);
    for (boolean pings : new boolean[] {true, false}) {
      List<String> seconds = new ArrayList<>();
      for (int run = 0; run < runs; run++) {
        Duration took = oneRun(pings, idle);
        seconds.add(took == null ? "> " + GIVE_UP.toSeconds() : String.format("%.1f", took.toMillis() / 1000.0));
      }
      System.out.printf("silent watch, watchIdleTimeout %d s, %s: change in the table after %s s%n",
          idle.toSeconds(), pings ? "default client (ping interval 30 s)" : "client with ping interval 0",
          String.join(", ", seconds));
    }
  }

  private static Duration oneRun(boolean pings, Duration idle) throws InterruptedException {
    try (ApiServer api = new ApiServer()) {
      api.apply(Hostnames.service());
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
          .ready("hostnames-2", "10.244.0.6").build());
      KubernetesClient client = pings ? api.client() : new KubernetesClientBuilder().withConfig(new ConfigBuilder()
          .withMasterUrl("http://127.0.0.1:" + api.proxy().port()).withNamespace("default")
          .withWebsocketPingInterval(0L).build()).build();
      try (KDiscovery discovery = KDiscovery.builder().source(KubernetesEndpointSource.builder().client(client)
              .watchIdleTimeout(idle).build()).build();
           ServiceHandle handle = discovery.open("hostnames.default:80")) {
        handle.awaitSnapshot(Duration.ofSeconds(10));
        Thread.sleep(3_000); // the watches stay up past the stability check before the silence
        api.proxy().freeze();
        long frozen = System.nanoTime();
        api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
        while (System.nanoTime() - frozen < GIVE_UP.toNanos()) {
          List<Endpoint> ready = handle.snapshot().orElseThrow().readyEndpoints();
          if (ready.size() == 1) {
            return Duration.ofNanos(System.nanoTime() - frozen);
          }
          Thread.sleep(50);
        }
        return null;
      } finally {
        if (!pings) {
          client.close();
        }
      }
    }
  }
}
