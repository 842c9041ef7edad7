package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A benchmark, not a test: how the calls of gRPC channels spread over the three hostnames pods
 * through a per-connection L4 proxy (what a ClusterIP gives) and through a {@code kubernetes:///}
 * target. Prints the calls each pod received. Usage: {@code ClusterIpContrast [calls]} (default 3000).
 *
 * <pre>
 * mvn -B -q -pl discovery-grpc -am test-compile -Pcontrast -Dcontrast.calls=3000
 * </pre>
 */
public final class ClusterIpContrast {

  /** Calls each channel makes before counting, so that every connection it will make is up. */
  private static final int WARM_UP_CALLS = 30;

  private ClusterIpContrast() {}

  public static void main(String[] args) throws InterruptedException {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    List<String[]> rows = new ArrayList<>();
    try (Cluster cluster = Cluster.withThreeReadyPods()) {
      List<InetSocketAddress> podAddresses = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        podAddresses.add(new InetSocketAddress(ip(i), cluster.pods.port()));
      }
      try (RandomL4Proxy clusterIp = new RandomL4Proxy(podAddresses, 42)) {
        rows.add(row("one channel to the ClusterIP-like L4 proxy", calls, 1,
            () -> plaintext(clusterIp.target(), "pick_first")));
        rows.add(row("ten channels to the L4 proxy, calls split evenly", calls, 10,
            () -> plaintext(clusterIp.target(), "pick_first")));
      }
      rows.add(row("one channel, kubernetes:/// + round_robin", calls, 1,
          () -> cluster.channel("round_robin")));
      rows.add(row("one channel, kubernetes:/// + kdiscovery (least_request)", calls, 1,
          () -> cluster.channel("kdiscovery")));
    }
    System.out.printf("%d calls per line, one after another, after %d uncounted warm-up calls per channel;"
        + " calls answered by each pod%n", calls, WARM_UP_CALLS);
    System.out.printf("%-58s %12s %12s %12s%n", "", pod(1), pod(2), pod(3));
    for (String[] row : rows) {
      System.out.printf("%-58s %12s %12s %12s%n", (Object[]) row);
    }
  }

  private static String[] row(String label, int calls, int channelCount, Supplier<ManagedChannel> channels)
      throws InterruptedException {
    Map<String, Integer> spread = new TreeMap<>();
    for (int c = 0; c < channelCount; c++) {
      ManagedChannel channel = channels.get();
      try {
        Cluster.spread(channel, WARM_UP_CALLS); // connect first; not counted
        Cluster.spread(channel, calls / channelCount).forEach((pod, n) -> spread.merge(pod, n, Integer::sum));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    String[] row = new String[4];
    row[0] = label;
    for (int i = 1; i <= 3; i++) {
      row[i] = String.valueOf(spread.getOrDefault(pod(i), 0));
    }
    return row;
  }

  private static ManagedChannel plaintext(String target, String policy) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
        .defaultLoadBalancingPolicy(policy)
        .build();
  }
}
