package io.kdiscovery.examples;

import static io.kdiscovery.examples.Hostnames.POD_1;
import static io.kdiscovery.examples.Hostnames.POD_2;
import static io.kdiscovery.examples.Hostnames.POD_3;
import static io.kdiscovery.examples.Hostnames.POD_PORT;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.grpc.KubernetesNameResolverProvider;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The hostnames scenario over gRPC: one channel to {@code kubernetes:///hostnames.default:80} reaches
 * all three pods and balances per call, where a channel to the ClusterIP would send every call of its
 * one connection to one pod. When a pod turns unready, the channel stops calling it at once.
 *
 * <p>Run it with {@code bin/demo --example grpc}.
 */
public final class GrpcHostnamesDemo {

  private static final int CALLS = 300;
  private static final long WAIT_NANOS = Duration.ofSeconds(10).toNanos();

  private final PrintStream out;

  GrpcHostnamesDemo(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    new GrpcHostnamesDemo(System.out).run();
  }

  /** Runs the scenario; returns the calls each pod answered, before and after pod 2 turned unready. */
  Map<String, Map<String, Integer>> run() throws InterruptedException {
    Map<String, Map<String, Integer>> results = new LinkedHashMap<>();
    try (EmbeddedCluster cluster = new EmbeddedCluster();
         GrpcHostnamePod pod1 = new GrpcHostnamePod(POD_1, "127.0.0.11", POD_PORT);
         GrpcHostnamePod pod2 = new GrpcHostnamePod(POD_2, "127.0.0.12", POD_PORT);
         GrpcHostnamePod pod3 = new GrpcHostnamePod(POD_3, "127.0.0.13", POD_PORT);
         // A client passed to kdiscovery stays the caller's to close: its OkHttp threads would keep
         // the JVM up for a minute after main returns.
         KubernetesClient client = cluster.newClient();
         KDiscovery discovery = KDiscovery.builder().kubernetesClient(client).build()) {
      cluster.apply("/hostnames.yaml");
      publish(cluster, pod1, pod2, pod3, true);

      // In a cluster: just forTarget(...); the resolver is found through META-INF/services and
      // builds its own KDiscovery from the pod's service account. Here it reads the embedded server.
      ManagedChannel channel = ManagedChannelBuilder.forTarget("kubernetes:///hostnames.default:80")
          .setNameResolverArg(KubernetesNameResolverProvider.KDISCOVERY, discovery)
          .defaultLoadBalancingPolicy("round_robin")
          .usePlaintext()
          .build();
      try {
        out.println("== " + CALLS + " calls over one channel to kubernetes:///hostnames.default:80");
        awaitAnswering(channel, Map.of(POD_1, true, POD_2, true, POD_3, true));
        results.put("all ready", calls(channel));

        out.println("== " + POD_2 + " fails its readinessProbe; " + CALLS + " more calls");
        publish(cluster, pod1, pod2, pod3, false);
        awaitAnswering(channel, Map.of(POD_1, true, POD_2, false, POD_3, true));
        results.put(POD_2 + " unready", calls(channel));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    return results;
  }

  private static void publish(EmbeddedCluster cluster, GrpcHostnamePod pod1, GrpcHostnamePod pod2,
      GrpcHostnamePod pod3, boolean pod2Ready) {
    Map<GrpcHostnamePod, Boolean> ready = new LinkedHashMap<>();
    ready.put(pod1, true);
    ready.put(pod2, pod2Ready);
    ready.put(pod3, true);
    cluster.publishEndpoints("hostnames", "default", POD_PORT, ready);
  }

  /** Calls until the channel's answers show exactly the pods expected to be in rotation. */
  private static void awaitAnswering(ManagedChannel channel, Map<String, Boolean> expected) {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (System.nanoTime() < deadline) {
      Map<String, Integer> recent = new TreeMap<>();
      for (int i = 0; i < 30; i++) {
        recent.merge(GrpcHostnamePod.whoami(channel), 1, Integer::sum);
      }
      boolean settled = expected.entrySet().stream()
          .allMatch(e -> recent.containsKey(e.getKey()) == e.getValue());
      if (settled) {
        return;
      }
    }
    throw new IllegalStateException("the channel did not settle on " + expected + " within 10 s");
  }

  private Map<String, Integer> calls(ManagedChannel channel) {
    Map<String, Integer> answered = new TreeMap<>();
    for (int i = 0; i < CALLS; i++) {
      answered.merge(GrpcHostnamePod.whoami(channel), 1, Integer::sum);
    }
    answered.forEach((pod, count) -> out.printf("  %-24s %4d calls%n", pod, count));
    return answered;
  }
}
