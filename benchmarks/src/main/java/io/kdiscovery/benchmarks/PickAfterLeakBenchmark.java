package io.kdiscovery.benchmarks;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Picks after 1 000 picks were leaked (never completed) and reclaimed: the pool has its slots back, so
 * a pick allocates nothing ({@code -prof gc}: {@code gc.alloc.rate.norm} 0 B/op). Time is a hand-moved
 * ticker, so the reclaim happens at once rather than after the default five minutes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickAfterLeakBenchmark {

  @Param({"LEAST_REQUEST", "PEAK_EWMA", "LEAST_CONNECTION"})
  public Policy policy;

  @Param({"100"})
  public int endpoints;

  private LoadBalancer balancer;

  /** A clock that moves only when told. */
  static final class HandTicker implements Ticker {
    final AtomicLong nanos = new AtomicLong();

    @Override
    public long read() {
      return nanos.get();
    }
  }

  @Setup
  public void setUp() {
    HandTicker ticker = new HandTicker();
    Duration timeout = Duration.ofMinutes(1);
    balancer = LoadBalancer.builder().policy(policy).ticker(ticker).abandonedPickTimeout(timeout).build();
    ServiceSnapshot snapshot = Pods.snapshot(endpoints);
    balancer.update(snapshot);
    for (int i = 0; i < 1000; i++) {
      balancer.pick(); // leaked
    }
    ticker.nanos.addAndGet(timeout.multipliedBy(2).toNanos());
    balancer.update(snapshot); // an update runs a reclaim pass
    long inFlight = balancer.health().stream().mapToLong(h -> h.inFlight()).sum();
    if (inFlight != 0) {
      throw new IllegalStateException(inFlight + " picks still in flight after the reclaim");
    }
  }

  @Benchmark
  public Endpoint pickAndComplete() {
    Pick pick = balancer.pick();
    pick.success(1_000_000);
    return pick.endpoint();
  }
}
