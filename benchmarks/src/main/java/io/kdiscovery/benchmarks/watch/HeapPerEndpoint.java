package io.kdiscovery.benchmarks.watch;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Issue 10, figure 2: heap retained per endpoint of a watched Service.
 *
 * <p>How: the mock API server (same JVM) holds two Services, {@code big} with N endpoints and
 * {@code small} with N/10, in slices of 100. For each run and each Service the heap in use after full
 * collections is read ("before"), a {@code KDiscovery} that owns its client opens the Service and
 * holds its first snapshot and the heap is read again ("held"); then the handle and the instance are
 * closed and it is read a third time ("after close"). held − before is what kdiscovery retains for
 * that Service (its table, the source's copies of the objects, the client); after close − before is
 * what a closed instance leaves behind (printed, not charted). The slope between the two Services,
 * (retained(N) − retained(N/10)) / (N − N/10), is the cost of one more endpoint with the fixed cost of
 * the client and threads taken out. The server's own store is there in every reading; each reading
 * waits until the heap stops moving ({@code Stats.usedHeapWhenQuiet}). Run it with {@code -XX:+UseSerialGC} so "in use after GC" is
 * exact; the median of the runs is reported, since a run that catches the server mid-response is off.
 *
 * <p>Arguments: {@code <label> [N=10000] [runs=5]}. Appends to {@code benchmarks/charts/data/heap.csv}.
 */
public final class HeapPerEndpoint {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private HeapPerEndpoint() {}

  public static void main(String[] args) throws Exception {
    String label = args.length > 0 ? args[0] : "run";
    int big = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int small = big / 10;
    System.out.printf("load before: %s%n", Stats.uptime());
    try (MockApi api = new MockApi()) {
      Kubeconfig.pointAt(api);
      publish(api, "big", 1, big);
      publish(api, "small", 2, small);
      retained("big", big); // warm-up: classes loaded, pools sized
      long[] bigBytes = new long[runs];
      long[] smallBytes = new long[runs];
      for (int r = 0; r < runs; r++) {
        bigBytes[r] = retained("big", big);
        smallBytes[r] = retained("small", small);
      }
      Arrays.sort(bigBytes);
      Arrays.sort(smallBytes);
      long bigMedian = bigBytes[runs / 2];
      long smallMedian = smallBytes[runs / 2];
      double perEndpointAll = bigMedian / (double) big;
      double slope = (bigMedian - smallMedian) / (double) (big - small);
      System.out.printf("[%s] retained with %d endpoints: median %.1f KiB (runs %s B); with %d: median %.1f KiB%n",
          label, big, bigMedian / 1024.0, Arrays.toString(bigBytes), small, smallMedian / 1024.0);
      System.out.printf("[%s] per endpoint: %.0f B including the fixed cost, %.0f B per additional endpoint "
          + "(slope %d→%d)%n", label, perEndpointAll, slope, small, big);
      Stats.csv(Path.of("benchmarks/charts/data/heap.csv"),
          "label,endpoints,retained_bytes_median,retained_small_bytes_median,per_endpoint_all_b,per_endpoint_slope_b",
          String.format(java.util.Locale.ROOT, "%s,%d,%d,%d,%.1f,%.1f",
              label, big, bigMedian, smallMedian, perEndpointAll, slope));
    }
    System.out.printf("load after: %s%n", Stats.uptime());
  }

  private static void publish(MockApi api, String name, int serviceIndex, int endpoints) {
    api.apply(Fixtures.service(name));
    for (int s = 0; s < Fixtures.slices(endpoints); s++) {
      api.apply(Fixtures.slice(name, serviceIndex, s, endpoints, true));
    }
  }

  private static long retained(String name, int endpoints) {
    long before = Stats.usedHeapWhenQuiet();
    long held;
    KDiscovery discovery = KDiscovery.builder().build();
    ServiceHandle handle = discovery.open(name + ".default:80");
    ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);
    if (snapshot.endpoints().size() != endpoints) {
      throw new IllegalStateException(name + ": " + snapshot.endpoints().size() + " endpoints");
    }
    held = Stats.usedHeapWhenQuiet(); // the LIST's buffers and the hand-offs are done by then
    if (handle.snapshot().isEmpty()) { // keeps handle and snapshot reachable until after the reading
      throw new IllegalStateException("lost the snapshot");
    }
    handle.close();
    discovery.close();
    snapshot = null;
    long afterClose = Stats.usedHeapWhenQuiet(); // closing stops threads and connections asynchronously
    System.out.printf("  %s: held %+d B, left after close %+d B%n", name, held - before, afterClose - before);
    return held - before;
  }

}
