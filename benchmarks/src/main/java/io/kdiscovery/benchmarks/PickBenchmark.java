package io.kdiscovery.benchmarks;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of one pick plus its completion, as an integration pays it per request, for every policy.
 * Ring hash and Maglev are measured with a hash key (from 1024 prebuilt contexts, as a caller would
 * reuse them), since without one they pick at random. Run with {@code -prof gc} to see the bytes
 * allocated per pick, and with {@code -t 2} for the cost under contention.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickBenchmark {

  @Param({"ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "RANDOM", "LEAST_REQUEST", "PEAK_EWMA",
      "LEAST_CONNECTION", "SHORTEST_EXPECTED_DELAY", "NEVER_QUEUE", "RING_HASH", "MAGLEV"})
  public Policy policy;

  @Param({"3", "100", "10000"})
  public int endpoints;

  private LoadBalancer balancer;
  private PickContext[] contexts;

  @Setup
  public void setUp() {
    balancer = LoadBalancer.builder().policy(policy).build();
    balancer.update(Pods.snapshot(endpoints));
    contexts = new PickContext[1024];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = policy.isConsistentHashing() ? PickContext.forKey("user-" + i) : PickContext.none();
    }
  }

  /** Per thread: which prebuilt context comes next. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Benchmark
  public Endpoint pickAndComplete(Cursor cursor) {
    Pick pick = balancer.pick(contexts[cursor.next++ & 1023]);
    pick.success(1_000_000);
    return pick.endpoint();
  }
}
