package io.kdiscovery.benchmarks;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * Subsetting's cost, against the same balancer without it ({@code subset = 0}): a pick on a balancer
 * that uses 10 of the Service's endpoints (the picker holds only the subset, so the pick is the plain
 * pick over 10 endpoints and allocates nothing: run with {@code -prof gc}), and an update in which one
 * pod leaves or comes back (the snapshot is made in the benchmark, its usable-endpoint pass
 * included), which with subsetting also re-reads the endpoints once and repairs the ring.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SubsetBenchmark {

  @Param({"ROUND_ROBIN", "LEAST_REQUEST"})
  public Policy policy;

  @Param({"100", "10000"})
  public int endpoints;

  /** 0: no subsetting, the baseline. */
  @Param({"0", "10"})
  public int subset;

  private LoadBalancer balancer;
  private ServiceSnapshot[] snapshots;
  private long version = 2;

  @Setup
  public void setUp() {
    ServiceSnapshot all = Pods.snapshot(endpoints);
    List<Endpoint> without = new ArrayList<>(all.endpoints());
    without.remove(endpoints / 2);
    snapshots = new ServiceSnapshot[] {all,
        new ServiceSnapshot(Pods.KEY, 1, Instant.now(), true, all.service(), without)};
    LoadBalancer.Builder builder = LoadBalancer.builder().policy(policy);
    balancer = (subset == 0 ? builder : builder.subset(subset).subsetIndex(7)).build();
    balancer.update(all);
  }

  @Benchmark
  public Endpoint pickAndComplete() {
    Pick pick = balancer.pick();
    pick.success(1_000_000);
    return pick.endpoint();
  }

  /** One pod leaves, or comes back: alternately. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public LoadBalancer updateOnePodChanges() {
    ServiceSnapshot next = snapshots[(int) (version & 1)];
    balancer.update(new ServiceSnapshot(Pods.KEY, version++, next.createdAt(), true, next.service(),
        next.endpoints()));
    return balancer;
  }
}
