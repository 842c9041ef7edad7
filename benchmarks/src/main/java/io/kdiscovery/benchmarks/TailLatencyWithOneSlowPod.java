package io.kdiscovery.benchmarks;

import com.sun.net.httpserver.HttpServer;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tail latency with one slow pod: three real HTTP servers on 127.0.0.11, .12 and .13 (each its own
 * "pod IP" on the loopback network), the last one answering 50 ms late. For each policy, 8 client
 * threads send 2 000 requests in all, each to the pod the balancer picks, and report the outcome with
 * the measured latency. Prints p50, p99 and the slow pod's share of requests.
 *
 * <p>Bounded: 2 000 requests per policy, 4 policies, a 60 s cap per policy; only loopback addresses.
 * Run: {@code java -cp benchmarks/target/benchmarks.jar io.kdiscovery.benchmarks.TailLatencyWithOneSlowPod}
 */
public final class TailLatencyWithOneSlowPod {

  private static final int REQUESTS = 2_000;
  private static final int CLIENTS = 8;
  private static final long SLOW_MILLIS = 50;
  private static final String[] POD_IPS = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};

  private TailLatencyWithOneSlowPod() {}

  public static void main(String[] args) throws Exception {
    // Without TCP_NODELAY, the JDK server's small responses wait for delayed ACKs: +40 ms on every
    // request, which would hide the slow pod. Read once, when the server classes load.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    List<HttpServer> servers = new ArrayList<>();
    List<Endpoint> endpoints = new ArrayList<>();
    try {
      for (int i = 0; i < POD_IPS.length; i++) {
        boolean slow = i == POD_IPS.length - 1;
        HttpServer server = HttpServer.create(new InetSocketAddress(POD_IPS[i], 0), 64);
        server.createContext("/", exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
          }
          if (slow) {
            pause(SLOW_MILLIS); // the slow pod: a GC pause, a noisy neighbour, a cold cache
          }
          byte[] body = "ok\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
        server.setExecutor(Executors.newFixedThreadPool(CLIENTS * 2));
        server.start();
        servers.add(server);
        endpoints.add(Endpoint.of(POD_IPS[i], server.getAddress().getPort()));
      }
      System.out.printf("%d requests per policy, %d concurrent clients, pod %s adds %d ms%n%n",
          REQUESTS, CLIENTS, endpoints.get(2).hostPort(), SLOW_MILLIS);
      System.out.printf("%-15s %8s %8s %8s %10s%n", "policy", "p50 ms", "p99 ms", "max ms", "slow share");
      for (Policy policy : List.of(Policy.RANDOM, Policy.ROUND_ROBIN, Policy.LEAST_REQUEST, Policy.PEAK_EWMA)) {
        run(policy, endpoints);
      }
    } finally {
      for (HttpServer server : servers) {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
      }
    }
  }

  private static void run(Policy policy, List<Endpoint> endpoints) throws Exception {
    LoadBalancer balancer = LoadBalancer.builder().policy(policy)
        .outlierDetection(OutlierDetection.disabled()) // slow is not failing: measure the policy alone
        .build();
    ServiceKey key = ServiceKey.of("default", "tail", 80);
    balancer.update(new ServiceSnapshot(key, 1, Instant.now(), true, ServiceInfo.UNKNOWN, endpoints));
    warmUp(balancer);
    long[] latencies = new long[REQUESTS];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger toSlow = new AtomicInteger();
    String slowAddress = endpoints.get(endpoints.size() - 1).address();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        running.add(clients.submit(() -> {
          for (int i = next.getAndIncrement(); i < REQUESTS; i = next.getAndIncrement()) {
            Pick pick = balancer.pick();
            if (pick.endpoint().address().equals(slowAddress)) {
              toSlow.incrementAndGet();
            }
            long start = System.nanoTime();
            try {
              get(pick.endpoint());
              long latency = System.nanoTime() - start;
              latencies[i] = latency;
              pick.success(latency);
            } catch (IOException e) {
              latencies[i] = System.nanoTime() - start;
              pick.failure(latencies[i]);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    Arrays.sort(latencies);
    System.out.printf("%-15s %8.1f %8.1f %8.1f %9.1f%%%n", policy,
        latencies[REQUESTS / 2] / 1e6, latencies[(int) (REQUESTS * 0.99) - 1] / 1e6,
        latencies[REQUESTS - 1] / 1e6, 100.0 * toSlow.get() / REQUESTS);
  }

  /** A few requests to every pod first, so that class loading and connection set-up stay out of it. */
  private static void warmUp(LoadBalancer balancer) throws IOException {
    for (int i = 0; i < 30; i++) {
      Pick pick = balancer.pick();
      get(pick.endpoint());
      pick.cancel();
    }
  }

  private static void get(Endpoint endpoint) throws IOException {
    HttpURLConnection connection =
        (HttpURLConnection) URI.create("http://" + endpoint.hostPort() + "/").toURL().openConnection();
    connection.setConnectTimeout(2_000);
    connection.setReadTimeout(5_000);
    try (InputStream in = connection.getInputStream()) {
      in.readAllBytes(); // reading to the end lets the JDK keep the connection alive
    }
    if (connection.getResponseCode() != 200) {
      throw new IOException("HTTP " + connection.getResponseCode() + " from " + endpoint.hostPort());
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
