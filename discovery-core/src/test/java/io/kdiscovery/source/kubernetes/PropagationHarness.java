package io.kdiscovery.source.kubernetes;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Measures propagation delay on loopback: from the moment the mock API server accepts an
 * EndpointSlice update (its dispatcher has stored it; it runs in this JVM, so the clocks agree) until
 * a table listener receives the snapshot that shows it. The path measured is the real one: watch
 * event over a WebSocket, the source's serial executor, the table's control thread, the listener's
 * delivery thread.
 *
 * <p>Run: {@code mvn -B -q -pl discovery-core test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.kdiscovery.source.kubernetes.PropagationHarness [-Dexec.args="500"]}
 */
public final class PropagationHarness {

  private PropagationHarness() {}

  public static void main(String[] args) throws InterruptedException {
    int changes = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int warmup = 50;
    try (ApiServer api = new ApiServer();
         KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).build()) {
      api.apply(Hostnames.service());
      api.apply(slice(0));
      try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
        handle.awaitSnapshot(Duration.ofSeconds(10));
        BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
        BlockingQueue<ServiceSnapshot> snapshots = new LinkedBlockingQueue<>();
        handle.subscribe(s -> {
          arrivals.add(System.nanoTime());
          snapshots.add(s);
        });
        snapshots.poll(10, TimeUnit.SECONDS); // the current snapshot, delivered on subscribe
        arrivals.clear();

        long[] micros = new long[changes];
        for (int i = 1; i <= warmup + changes; i++) {
          api.apply(slice(i));
          long accepted = api.faults().lastWriteAcceptedNanos();
          Long arrived = arrivals.poll(10, TimeUnit.SECONDS);
          ServiceSnapshot snapshot = snapshots.poll(10, TimeUnit.SECONDS);
          if (arrived == null || snapshot == null || snapshot.readyEndpoints().size() != 2 + i % 2) {
            throw new IllegalStateException("change " + i + " did not arrive as expected: " + snapshot);
          }
          if (i > warmup) {
            micros[i - warmup - 1] = (arrived - accepted) / 1_000;
          }
        }
        Arrays.sort(micros);
        System.out.printf("propagation delay over %d EndpointSlice changes (after %d warm-up): "
                + "median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
            changes, warmup, percentile(micros, 50), percentile(micros, 90), percentile(micros, 99),
            micros[changes - 1] / 1000.0);
      }
    }
  }

  /** Alternates the third pod's readiness, so every change is a real change of the table. */
  private static io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice(int change) {
    Hostnames.SliceBuilder slice = Hostnames.slice("hostnames-abc")
        .ready("hostnames-1", "10.244.0.5").ready("hostnames-2", "10.244.0.6");
    return (change % 2 == 1 ? slice.ready("hostnames-3", "10.244.0.7") : slice.notReady("hostnames-3", "10.244.0.7"))
        .build();
  }

  private static double percentile(long[] sortedMicros, int percent) {
    int index = (int) Math.ceil(percent / 100.0 * sortedMicros.length) - 1;
    return sortedMicros[Math.max(0, index)] / 1000.0;
  }
}
