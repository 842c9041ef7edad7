package io.kdiscovery.source.dns;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures how long a DNS change takes to reach the source's listener: a real dnsmasq with a 1 s TTL,
 * the hosts file rewritten and SIGHUP sent, until {@code onState} shows the new pod. Changes come at
 * random moments (seeded) within the refresh interval, as they would in a cluster; prints each delay
 * and the median. Run with:
 *
 * <pre>
 * mvn -q -pl discovery-core test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.kdiscovery.source.dns.DnsPropagationHarness
 * </pre>
 *
 * Not a test: it sleeps on purpose, and its figure depends on the machine.
 */
public final class DnsPropagationHarness {

  private static final int CHANGES = 20;
  private static final String WEB = "web.default.svc.cluster.local";

  private DnsPropagationHarness() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Path dir = Files.createTempDirectory("dns-propagation");
    Duration minRefresh = Duration.ofSeconds(1);
    double jitter = 0.1;
    Random random = new Random(42);
    LinkedBlockingQueue<Timed> states = new LinkedBlockingQueue<>();
    List<Long> delaysMicros = new ArrayList<>();

    try (Dnsmasq dns = Dnsmasq.start(dir, "127.0.0.11 " + WEB);
        DnsEndpointSource source = DnsEndpointSource.builder()
            .nameServer(dns.address())
            .minRefresh(minRefresh)
            .jitter(jitter)
            .build()) {
      EndpointSource.Watch watch = source.watch(ServiceKey.of("default", "web", 8080),
          new EndpointSource.Listener() {
            @Override
            public void onState(SourceState state) {
              states.add(new Timed(System.nanoTime(), state));
            }

            @Override
            public void onFailure(String reason, Throwable cause) {
              System.out.println("failure: " + reason);
            }
          });
      awaitPod(states, "127.0.0.11");

      System.out.printf("dnsmasq TTL %d s, minRefresh %s, maxRefresh 30 s, jitter %.0f%%, %d changes%n",
          Dnsmasq.TTL_SECONDS, minRefresh, jitter * 100, CHANGES);
      for (int i = 1; i <= CHANGES; i++) {
        // A change at a random moment within the 1.0-1.1 s refresh cycle.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(1100)));
        String pod = "127.0.0." + (20 + i);
        long changed = System.nanoTime();
        dns.hosts("127.0.0.11 " + WEB, pod + " " + WEB);
        long seen = awaitPod(states, pod);
        long micros = TimeUnit.NANOSECONDS.toMicros(seen - changed);
        delaysMicros.add(micros);
        System.out.printf("change %2d: pod %s seen after %7.1f ms%n", i, pod, micros / 1000.0);
      }
      watch.close();
    }

    Collections.sort(delaysMicros);
    double median = (delaysMicros.get(CHANGES / 2 - 1) + delaysMicros.get(CHANGES / 2)) / 2000.0;
    System.out.printf("DNS change -> onState over %d changes: median %.1f ms, min %.1f ms, max %.1f ms%n",
        CHANGES, median, delaysMicros.get(0) / 1000.0, delaysMicros.get(CHANGES - 1) / 1000.0);
  }

  /** Waits for the state that lists this pod, and returns when it arrived. */
  private static long awaitPod(LinkedBlockingQueue<Timed> states, String address) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      Timed next = states.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (next == null) {
        throw new IllegalStateException("pod " + address + " not seen within 30 s");
      }
      for (Endpoint e : next.state().endpoints()) {
        if (e.address().equals(address)) {
          return next.nanos();
        }
      }
    }
  }

  private record Timed(long nanos, SourceState state) {}
}
