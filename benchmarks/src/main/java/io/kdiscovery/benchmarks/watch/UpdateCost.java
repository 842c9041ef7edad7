package io.kdiscovery.benchmarks.watch;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Issue 10, figure 1: what one EndpointSlice change costs in a big Service, side by side with a full
 * build of the same Service, at several Service sizes.
 *
 * <ul>
 *   <li><b>one-slice change</b>: from the mock API server accepting an update of one slice (one pod's
 *       readiness flipped; the server runs in this JVM, so both timestamps come from one clock) until a
 *       table subscriber receives the snapshot that shows it: watch event over HTTP, translation, the
 *       merge, the table, the listener hand-off. Median and p99 over the measured changes, after a
 *       warm-up. The slices changed go round all slices of the Service.
 *   <li><b>cold open</b> (the full build): a new {@code KDiscovery} on the same warm client opens the
 *       Service and waits for its first snapshot: LIST of the Service and all its slices, translation of
 *       all of them, the first snapshot. <b>plain LIST</b>: the same LIST of the slices made with the
 *       fabric8 client alone, so that "cold open − plain LIST" is roughly the library's own full build.
 * </ul>
 *
 * <p>Uses only the public API, so it runs unchanged before and after the watch-layer rewrite.
 * Arguments: {@code <label> [endpoint counts, comma separated] [changes] [cold opens]}, e.g.
 * {@code before 100,1000,10000 200 5}. Appends one CSV row per size to
 * {@code benchmarks/charts/data/update-cost.csv}.
 */
public final class UpdateCost {

  private static final String NAME = "big";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private UpdateCost() {}

  public static void main(String[] args) throws Exception {
    String label = args.length > 0 ? args[0] : "run";
    String[] sizes = (args.length > 1 ? args[1] : "100,1000,10000").split(",");
    int changes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int coldOpens = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    int warmup = Math.max(20, changes / 5);
    System.out.printf("load before: %s%n", Stats.uptime());
    for (String size : sizes) {
      measure(label, Integer.parseInt(size.trim()), changes, warmup, coldOpens);
    }
    System.out.printf("load after: %s%n", Stats.uptime());
  }

  private static void measure(String label, int endpoints, int changes, int warmup, int coldOpens)
      throws Exception {
    int slices = Fixtures.slices(endpoints);
    try (MockApi api = new MockApi(); KubernetesClient client = api.client()) {
      api.apply(Fixtures.service(NAME));
      boolean[] firstReady = new boolean[slices];
      for (int s = 0; s < slices; s++) {
        firstReady[s] = true;
        api.apply(Fixtures.slice(NAME, 0, s, endpoints, true));
      }

      long[] list = new long[coldOpens];
      long[] cold = new long[coldOpens];
      for (int r = 0; r < coldOpens; r++) {
        long t0 = System.nanoTime();
        int listed = client.discovery().v1().endpointSlices().inNamespace(Fixtures.NAMESPACE)
            .withLabel("kubernetes.io/service-name", NAME).list().getItems().size();
        list[r] = System.nanoTime() - t0;
        if (listed != slices) {
          throw new IllegalStateException("listed " + listed + " slices, expected " + slices);
        }
        try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(client).build()) {
          long t1 = System.nanoTime();
          try (ServiceHandle handle = discovery.open(NAME + ".default:80")) {
            ServiceSnapshot first = handle.awaitSnapshot(WAIT);
            cold[r] = System.nanoTime() - t1;
            if (first.endpoints().size() != endpoints) {
              throw new IllegalStateException("first snapshot has " + first.endpoints().size() + " endpoints");
            }
          }
        }
      }

      long[] change = new long[changes];
      try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(client).build();
           ServiceHandle handle = discovery.open(NAME + ".default:80")) {
        handle.awaitSnapshot(WAIT);
        BlockingQueue<long[]> arrivals = new LinkedBlockingQueue<>(); // {nanos, ready count}
        handle.subscribe(s -> arrivals.add(new long[] {System.nanoTime(), s.readyEndpoints().size()}));
        int notReady = 0;
        for (int i = 0; i < warmup + changes; i++) {
          int s = i % slices;
          firstReady[s] = !firstReady[s];
          notReady += firstReady[s] ? -1 : 1;
          api.apply(Fixtures.slice(NAME, 0, s, endpoints, firstReady[s]));
          long accepted = api.lastWriteAcceptedNanos();
          long arrived = awaitReady(arrivals, endpoints - notReady, i);
          if (i >= warmup) {
            change[i - warmup] = arrived - accepted;
          }
        }
      }

      double changeMedian = Stats.percentileMs(change, 50);
      double changeP99 = Stats.percentileMs(change, 99);
      double coldMedian = Stats.percentileMs(cold, 50);
      double listMedian = Stats.percentileMs(list, 50);
      System.out.printf("[%s] %d endpoints in %d slices: one-slice change median %.2f ms, p99 %.2f ms "
              + "(%d changes after %d warm-up); cold open (LIST + full build) median %.1f ms, "
              + "plain LIST median %.1f ms (%d runs)%n",
          label, endpoints, slices, changeMedian, changeP99, changes, warmup, coldMedian, listMedian, coldOpens);
      Stats.csv(Path.of("benchmarks/charts/data/update-cost.csv"),
          "label,endpoints,slices,change_median_ms,change_p99_ms,cold_open_median_ms,plain_list_median_ms",
          String.format(java.util.Locale.ROOT, "%s,%d,%d,%.3f,%.3f,%.3f,%.3f",
              label, endpoints, slices, changeMedian, changeP99, coldMedian, listMedian));
    }
  }

  /** Waits for the snapshot with this many ready endpoints (skipping any before it); its arrival time. */
  private static long awaitReady(BlockingQueue<long[]> arrivals, int ready, int change) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      long[] next = arrivals.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (next == null) {
        throw new IllegalStateException("change " + change + " did not arrive within " + WAIT);
      }
      if (next[1] == ready) {
        return next[0];
      }
    }
  }
}
