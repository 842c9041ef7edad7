package io.kdiscovery.benchmarks;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
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
 * What a snapshot update costs the balancer, side by side with building one from scratch:
 * {@code updateOneEndpointChanged} alternates between the full Service and the Service with one pod
 * gone (so every call is a one-endpoint change: a pod leaves, then comes back), on one long-lived
 * balancer; {@code buildFromScratch} makes a new balancer and gives it the full Service. The
 * snapshots are prebuilt and share their {@link Endpoint} objects, as the table's incremental
 * translation shares them, and both carry the same version, because a balancer drops only snapshots
 * older than its current one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class UpdateBenchmark {

  @Param({"ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "RANDOM", "LEAST_REQUEST", "PEAK_EWMA",
      "LEAST_CONNECTION", "SHORTEST_EXPECTED_DELAY", "NEVER_QUEUE", "RING_HASH", "MAGLEV"})
  public Policy policy;

  @Param({"10000"})
  public int endpoints;

  private LoadBalancer balancer;
  private ServiceSnapshot full;
  private ServiceSnapshot onePodGone;
  private boolean gone;

  @Setup
  public void setUp() {
    List<Endpoint> all = new ArrayList<>(endpoints);
    for (int i = 1; i <= endpoints; i++) {
      all.add(Endpoint.of(Pods.address(i), 8080));
    }
    List<Endpoint> fewer = new ArrayList<>(all);
    fewer.remove(endpoints / 2);
    full = new ServiceSnapshot(Pods.KEY, 1, Instant.now(), true, ServiceInfo.UNKNOWN, all);
    onePodGone = new ServiceSnapshot(Pods.KEY, 1, Instant.now(), true, ServiceInfo.UNKNOWN, fewer);
    balancer = LoadBalancer.builder().policy(policy).build();
    balancer.update(full);
  }

  @Benchmark
  public LoadBalancer updateOneEndpointChanged() {
    gone = !gone;
    balancer.update(gone ? onePodGone : full);
    return balancer;
  }

  @Benchmark
  public LoadBalancer buildFromScratch() {
    LoadBalancer fresh = LoadBalancer.builder().policy(policy).build();
    fresh.update(full);
    return fresh;
  }
}
