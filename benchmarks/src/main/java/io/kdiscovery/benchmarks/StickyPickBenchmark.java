package io.kdiscovery.benchmarks;

import io.kdiscovery.affinity.Affinity;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import java.time.Duration;
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
 * The cost of one pick plus its completion with sticky affinity, for keys the table already holds
 * (1024 prebuilt contexts of 8 KiB keys, as a caller reusing them): the table is keyed by the
 * context's precomputed {@code KeyHash}, so a pick of a known key should allocate nothing. Run with
 * {@code -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StickyPickBenchmark {

  @Param({"ROUND_ROBIN", "LEAST_REQUEST"})
  public Policy policy;

  @Param({"3", "100"})
  public int endpoints;

  private LoadBalancer balancer;
  private PickContext[] contexts;

  @Setup
  public void setUp() {
    balancer = LoadBalancer.builder().policy(policy).affinity(Affinity.sticky(Duration.ofMinutes(30))).build();
    balancer.update(Pods.snapshot(endpoints));
    contexts = new PickContext[1024];
    String padding = "k".repeat(8 * 1024);
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = PickContext.forKey("user-" + i + "-" + padding);
      balancer.pick(contexts[i]).success(1_000_000); // the key is in the table from here
    }
  }

  /** Per thread: which prebuilt context comes next. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Benchmark
  public Endpoint stickyPickAndComplete(Cursor cursor) {
    Pick pick = balancer.pick(contexts[cursor.next++ & 1023]);
    pick.success(1_000_000);
    return pick.endpoint();
  }
}
