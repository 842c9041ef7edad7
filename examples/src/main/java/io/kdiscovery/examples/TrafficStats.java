package io.kdiscovery.examples;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the demo's requests did: who answered, what failed, what was retried, how long it took.
 *
 * <p>Thread-safe: the load's workers record, the view and the scenario read. Counters only grow;
 * a chapter takes a {@link #counts()} at its start and subtracts it at its end.
 */
final class TrafficStats {

  /** Counters at one moment. */
  record Counts(long requests, long failures, long retried, long noEndpoint, Map<String, Long> answered) {

    Counts minus(Counts earlier) {
      Map<String, Long> diff = new TreeMap<>();
      answered.forEach((pod, n) -> {
        long d = n - earlier.answered.getOrDefault(pod, 0L);
        if (d > 0) {
          diff.put(pod, d);
        }
      });
      return new Counts(requests - earlier.requests, failures - earlier.failures, retried - earlier.retried,
          noEndpoint - earlier.noEndpoint, diff);
    }

    long answeredTotal() {
      return answered.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static final int LATENCY_SAMPLES = 4096;

  private final LongAdder requests = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder retried = new LongAdder();
  private final LongAdder noEndpoint = new LongAdder();
  private final Map<String, LongAdder> answered = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> lastPicked = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> podsByKey = new ConcurrentHashMap<>();
  private final AtomicReference<String> lastNoEndpoint = new AtomicReference<>();
  private final AtomicReference<String> lastFailure = new AtomicReference<>();
  private final long[] latencies = new long[LATENCY_SAMPLES];
  private final AtomicLong latencyCount = new AtomicLong();

  /** A pick for {@code pod} was made now (before the request was sent). */
  void picked(String pod) {
    lastPicked.computeIfAbsent(pod, p -> new AtomicLong()).set(System.nanoTime());
  }

  /** A request answered by {@code pod} after {@code attempts} attempts, {@code key} its affinity key or null. */
  void answered(String pod, long latencyNanos, int attempts, String key) {
    requests.increment();
    if (attempts > 1) {
      retried.increment();
    }
    answered.computeIfAbsent(pod, p -> new LongAdder()).increment();
    if (key != null) {
      podsByKey.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(pod);
    }
    long slot = latencyCount.getAndIncrement();
    latencies[(int) (slot % LATENCY_SAMPLES)] = latencyNanos;
  }

  /** A request that failed on every attempt. */
  void failed(String why) {
    requests.increment();
    failures.increment();
    lastFailure.set(why);
  }

  /** A request refused before sending: the balancer had no endpoint, with its typed reason. */
  void noEndpoint(String message) {
    requests.increment();
    noEndpoint.increment();
    lastNoEndpoint.set(message);
  }

  Counts counts() {
    Map<String, Long> byPod = new TreeMap<>();
    answered.forEach((pod, n) -> byPod.put(pod, n.sum()));
    return new Counts(requests.sum(), failures.sum(), retried.sum(), noEndpoint.sum(), byPod);
  }

  /** When {@code pod} was last picked ({@link System#nanoTime()}), or {@link Long#MIN_VALUE} if never. */
  long lastPicked(String pod) {
    AtomicLong at = lastPicked.get(pod);
    return at == null ? Long.MIN_VALUE : at.get();
  }

  /** Every pod that answered each affinity key since {@link #clearKeys()}. */
  Map<String, Set<String>> podsByKey() {
    Map<String, Set<String>> copy = new TreeMap<>();
    podsByKey.forEach((k, v) -> copy.put(k, Set.copyOf(v)));
    return copy;
  }

  void clearKeys() {
    podsByKey.clear();
  }

  String lastNoEndpoint() {
    return lastNoEndpoint.get();
  }

  String lastFailure() {
    return lastFailure.get();
  }

  /** The latency quantile {@code q} (0..1) of the most recent answered requests, in nanoseconds; 0 if none. */
  long latencyQuantile(double q) {
    int n = (int) Math.min(latencyCount.get(), LATENCY_SAMPLES);
    if (n == 0) {
      return 0;
    }
    long[] copy = Arrays.copyOf(latencies, n);
    Arrays.sort(copy);
    return copy[(int) Math.min(n - 1, Math.floor(q * n))];
  }
}
