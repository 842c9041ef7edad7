package io.kdiscovery.source.kubernetes;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ProgrammingLatency;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.time.Instant;
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
 * <p>Side by side, for the same changes: the programming latency kdiscovery measures itself
 * ({@link ProgrammingLatency}, trigger to table), from the {@code last-change-trigger-time} each slice
 * is stamped with just before it is written, as the EndpointSlice controller stamps what it writes.
 * It spans the write itself too, so it is the larger of the two by the PUT's round trip.
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
        BlockingQueue<Long> programming = new LinkedBlockingQueue<>();
        discovery.onProgrammingLatency(latency -> {
          if (latency.stage() == ProgrammingLatency.Stage.TABLE) {
            programming.add(latency.latency().toNanos() / 1_000);
          }
        });
        BlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
        BlockingQueue<ServiceSnapshot> snapshots = new LinkedBlockingQueue<>();
        handle.subscribe(s -> {
          arrivals.add(System.nanoTime());
          snapshots.add(s);
        });
        snapshots.poll(10, TimeUnit.SECONDS); // the current snapshot, delivered on subscribe
        arrivals.clear();

        long[] micros = new long[changes];
        long[] programmedMicros = new long[changes];
        long[] writeMicros = new long[changes];
        for (int i = 1; i <= warmup + changes; i++) {
          long stampedAt = System.nanoTime();
          api.apply(stamped(slice(i), Instant.now()));
          long accepted = api.faults().lastWriteAcceptedNanos();
          Long arrived = arrivals.poll(10, TimeUnit.SECONDS);
          ServiceSnapshot snapshot = snapshots.poll(10, TimeUnit.SECONDS);
          if (arrived == null || snapshot == null || snapshot.readyEndpoints().size() != 2 + i % 2) {
            throw new IllegalStateException("change " + i + " did not arrive as expected: " + snapshot);
          }
          Long programmed = programming.poll(10, TimeUnit.SECONDS);
          if (programmed == null) {
            throw new IllegalStateException("change " + i + " was not timed by kdiscovery: " + snapshot);
          }
          if (i > warmup) {
            micros[i - warmup - 1] = (arrived - accepted) / 1_000;
            programmedMicros[i - warmup - 1] = programmed;
            writeMicros[i - warmup - 1] = (accepted - stampedAt) / 1_000;
          }
        }
        Arrays.sort(micros);
        Arrays.sort(programmedMicros);
        Arrays.sort(writeMicros);
        System.out.printf("propagation delay over %d EndpointSlice changes (after %d warm-up): "
                + "median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
            changes, warmup, percentile(micros, 50), percentile(micros, 90), percentile(micros, 99),
            micros[changes - 1] / 1000.0);
        System.out.printf("programming latency measured by kdiscovery (trigger -> table) over the same %d changes: "
                + "median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
            changes, percentile(programmedMicros, 50), percentile(programmedMicros, 90),
            percentile(programmedMicros, 99), programmedMicros[changes - 1] / 1000.0);
        System.out.printf("of which the write (trigger -> the server accepting it): median %.2f ms, p90 %.2f ms,"
                + " p99 %.2f ms, max %.2f ms%n", percentile(writeMicros, 50), percentile(writeMicros, 90),
            percentile(writeMicros, 99), writeMicros[changes - 1] / 1000.0);
      }
    }
  }

  /** {@code slice} stamped as the EndpointSlice controller stamps what it writes. */
  private static io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice stamped(
      io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice, Instant trigger) {
    slice.getMetadata().getAnnotations().put("endpoints.kubernetes.io/last-change-trigger-time", trigger.toString());
    return slice;
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
