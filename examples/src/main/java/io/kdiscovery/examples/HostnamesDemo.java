package io.kdiscovery.examples;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.Subscription;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
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

  private static final int POD_PORT = 9376;
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public static void main(String[] args) throws Exception {
    new HostnamesDemo().run();
  }

  private void run() throws IOException, InterruptedException {
    try (EmbeddedCluster cluster = new EmbeddedCluster();
         HostnamePod pod1 = new HostnamePod("hostnames-7d4c9-x2k8p", "127.0.0.11", POD_PORT);
         HostnamePod pod2 = new HostnamePod("hostnames-7d4c9-m5q7r", "127.0.0.12", POD_PORT);
         HostnamePod pod3 = new HostnamePod("hostnames-7d4c9-z9w4t", "127.0.0.13", POD_PORT);
         KubernetesClient client = cluster.newClient();
         KDiscovery discovery = KDiscovery.builder().kubernetesClient(client).build()) {

      cluster.apply("/hostnames.yaml");
      Map<HostnamePod, Boolean> pods = new LinkedHashMap<>();
      pods.put(pod1, true);
      pods.put(pod2, true);
      pods.put(pod3, true);
      cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);

      try (ServiceHandle hostnames = discovery.open("hostnames:80")) {
        step("kubectl get endpoints hostnames — as kdiscovery sees it");
        ServiceSnapshot snapshot = hostnames.awaitSnapshot(WAIT);
        print(snapshot);
        requests(snapshot, 6);

        step(pod2.name() + " fails its readinessProbe");
        pods.put(pod2, false);
        cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);
        snapshot = awaitSnapshot(hostnames, s -> s.readyEndpoints().size() == 2);
        print(snapshot);
        requests(snapshot, 6);

        step("a fourth pod joins on 127.0.0.14");
        try (HostnamePod pod4 = new HostnamePod("hostnames-7d4c9-k3j6v", "127.0.0.14", POD_PORT)) {
          pods.put(pod4, true);
          cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);
          snapshot = awaitSnapshot(hostnames, s -> s.readyEndpoints().size() == 3);
          print(snapshot);
          requests(snapshot, 6);
        }
      }
    }
  }

  private static ServiceSnapshot awaitSnapshot(ServiceHandle handle, Predicate<ServiceSnapshot> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    BlockingQueue<ServiceSnapshot> seen = new LinkedBlockingQueue<>();
    Subscription subscription = handle.subscribe(seen::add);
    try {
      while (System.nanoTime() < deadline) {
        ServiceSnapshot next = seen.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (next != null && condition.test(next)) {
          return next;
        }
      }
    } finally {
      subscription.close();
    }
    throw new IllegalStateException("the table did not reach the expected state within " + WAIT);
  }

  private static void step(String title) {
    System.out.println();
    System.out.println("== " + title);
  }

  private static void print(ServiceSnapshot snapshot) {
    System.out.printf("%s (version %d): %s%n", snapshot.key(), snapshot.version(),
        String.join(",", snapshot.readyEndpoints().stream().map(Endpoint::hostPort).toList()));
    for (Endpoint endpoint : snapshot.endpoints()) {
      System.out.printf("  %-22s %-24s %s%n", endpoint.hostPort(), endpoint.podName(),
          endpoint.conditions().ready() ? "ready" : "not ready");
    }
  }

  /** Sends requests straight to the pods, a pick per request, without a Service VIP in between. */
  private void requests(ServiceSnapshot snapshot, int count) throws IOException, InterruptedException {
    List<Endpoint> ready = snapshot.readyEndpoints();
    for (int i = 0; i < count; i++) {
      Endpoint endpoint = ready.get(i % ready.size());
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(URI.create("http://" + endpoint.hostPort() + "/")).timeout(WAIT).build(),
          HttpResponse.BodyHandlers.ofString());
      System.out.printf("  GET http://%s/ -> %s%n", endpoint.hostPort(), response.body().strip());
    }
  }
}
