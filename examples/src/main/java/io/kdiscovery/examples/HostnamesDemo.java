package io.kdiscovery.examples;

import static io.kdiscovery.examples.Hostnames.POD_1;
import static io.kdiscovery.examples.Hostnames.POD_2;
import static io.kdiscovery.examples.Hostnames.POD_3;
import static io.kdiscovery.examples.Hostnames.POD_4;
import static io.kdiscovery.examples.Hostnames.POD_PORT;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.BalancedService;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.Subscription;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The hostnames scenario end to end, with no cluster: an embedded API server holds the Service of
 * {@code hostnames.yaml}, three real HTTP servers on 127.0.0.11-13 play its pods, and kdiscovery
 * keeps the live table and reaches the pods directly while one turns unready and another joins.
 *
 * <p>Run it with {@code bin/demo}.
 */
public final class HostnamesDemo {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final PrintStream out;

  HostnamesDemo(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    new HostnamesDemo(System.out).run();
  }

  void run() throws IOException, InterruptedException {
    try (EmbeddedCluster cluster = new EmbeddedCluster();
         HostnamePod pod1 = new HostnamePod(POD_1, "127.0.0.11", POD_PORT);
         HostnamePod pod2 = new HostnamePod(POD_2, "127.0.0.12", POD_PORT);
         HostnamePod pod3 = new HostnamePod(POD_3, "127.0.0.13", POD_PORT);
         KubernetesClient client = cluster.newClient();
         KDiscovery discovery = KDiscovery.builder().kubernetesClient(client).build()) {

      cluster.apply("/hostnames.yaml");
      Map<HostnamePod, Boolean> pods = new LinkedHashMap<>();
      pods.put(pod1, true);
      pods.put(pod2, true);
      pods.put(pod3, true);
      cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);

      try (BalancedService hostnames = discovery.balance("hostnames:80",
          LoadBalancer.builder().policy(Policy.ROUND_ROBIN))) {
        step("kubectl get endpoints hostnames — as kdiscovery sees it");
        ServiceSnapshot snapshot = hostnames.awaitSnapshot(WAIT);
        print(snapshot);
        requests(hostnames, 6);

        step(pod2.name() + " fails its readinessProbe");
        pods.put(pod2, false);
        cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);
        print(awaitSnapshot(hostnames, s -> s.readyEndpoints().size() == 2));
        requests(hostnames, 6);

        step("a fourth pod joins on 127.0.0.14");
        try (HostnamePod pod4 = new HostnamePod(POD_4, "127.0.0.14", POD_PORT)) {
          pods.put(pod4, true);
          cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);
          print(awaitSnapshot(hostnames, s -> s.readyEndpoints().size() == 3));
          requests(hostnames, 6);
        }
      }
    }
  }

  /** Waits until the balancer picks from a snapshot that meets {@code condition}. */
  private static ServiceSnapshot awaitSnapshot(BalancedService service, Predicate<ServiceSnapshot> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    BlockingQueue<ServiceSnapshot> seen = new LinkedBlockingQueue<>();
    Subscription subscription = service.handle().subscribe(seen::add);
    try {
      while (System.nanoTime() < deadline) {
        ServiceSnapshot next = seen.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (next != null && condition.test(next)) {
          while (service.balancer().snapshot().version() < next.version()) {
            Thread.onSpinWait(); // its own subscription hands the balancer the same snapshot
          }
          return next;
        }
      }
    } finally {
      subscription.close();
    }
    throw new IllegalStateException("the table did not reach the expected state within " + WAIT);
  }

  private void step(String title) {
    out.println();
    out.println("== " + title);
  }

  private void print(ServiceSnapshot snapshot) {
    out.printf("%s (version %d): %s%n", snapshot.key(), snapshot.version(),
        String.join(",", snapshot.readyEndpoints().stream().map(Endpoint::hostPort).toList()));
    for (Endpoint endpoint : snapshot.endpoints()) {
      out.printf("  %-22s %-24s %s%n", endpoint.hostPort(), endpoint.podName(),
          endpoint.conditions().ready() ? "ready" : "not ready");
    }
  }

  /**
   * Sends requests straight to the pods, without a Service VIP in between: a pick per request, and
   * each pick completed with how the request went, which feeds passive health.
   */
  private void requests(BalancedService service, int count) throws IOException, InterruptedException {
    for (int i = 0; i < count; i++) {
      Pick pick = service.pick();
      Endpoint endpoint = pick.endpoint();
      long start = System.nanoTime();
      try {
        HttpResponse<String> response = http.send(
            HttpRequest.newBuilder(URI.create("http://" + endpoint.hostPort() + "/")).timeout(WAIT).build(),
            HttpResponse.BodyHandlers.ofString());
        pick.success(System.nanoTime() - start);
        out.printf("  GET http://%s/ -> %s%n", endpoint.hostPort(), response.body().strip());
      } catch (IOException e) {
        pick.failure(System.nanoTime() - start);
        throw e;
      }
    }
  }
}
