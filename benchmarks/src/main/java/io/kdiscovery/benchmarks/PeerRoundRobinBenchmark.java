package io.kdiscovery.benchmarks;

import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import com.linecorp.armeria.client.endpoint.EndpointSelector;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.model.Endpoint;
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
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;
import org.springframework.cloud.loadbalancer.support.SimpleObjectProvider;

/**
 * Round robin side by side: kdiscovery's pick (with completion), Spring Cloud LoadBalancer's
 * {@code RoundRobinLoadBalancer.choose()} over a fixed instance list (blocking on the Mono, as a
 * blocking client does), and Armeria's round-robin {@code EndpointSelector.selectNow()} over a static
 * endpoint group.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PeerRoundRobinBenchmark {

  @Param({"3", "100", "10000"})
  public int endpoints;

  private LoadBalancer kdiscovery;
  private RoundRobinLoadBalancer springCloud;
  private EndpointSelector armeria;

  @Setup
  public void setUp() {
    kdiscovery = LoadBalancer.builder().build();
    kdiscovery.update(Pods.snapshot(endpoints));

    ServiceInstance[] instances = new ServiceInstance[endpoints];
    List<com.linecorp.armeria.client.Endpoint> armeriaEndpoints = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      instances[i] = new DefaultServiceInstance("bench-" + i, "bench", Pods.address(i + 1), 8080, false);
      armeriaEndpoints.add(com.linecorp.armeria.client.Endpoint.of(Pods.address(i + 1), 8080));
    }
    springCloud = new RoundRobinLoadBalancer(
        new SimpleObjectProvider<>(ServiceInstanceListSuppliers.from("bench", instances)), "bench");
    armeria = EndpointSelectionStrategy.roundRobin().newSelector(EndpointGroup.of(armeriaEndpoints));
    if (armeria.selectNow(null) == null) {
      throw new IllegalStateException("Armeria selector returned no endpoint");
    }
  }

  @Benchmark
  public Endpoint kdiscoveryRoundRobin() {
    Pick pick = kdiscovery.pick();
    pick.success(1_000_000);
    return pick.endpoint();
  }

  /**
   * The pick alone, without the completion: Armeria's selector has no completion step, so this is
   * the like-for-like figure, and the difference to {@link #kdiscoveryRoundRobin} is what feeding
   * outcomes back (passive health) costs.
   */
  @Benchmark
  public Endpoint kdiscoveryRoundRobinPickOnly() {
    return kdiscovery.pick().endpoint();
  }

  @Benchmark
  public ServiceInstance springCloudRoundRobin() {
    Response<ServiceInstance> response = springCloud.choose().block();
    return response.getServer();
  }

  @Benchmark
  public com.linecorp.armeria.client.Endpoint armeriaRoundRobin() {
    return armeria.selectNow(null);
  }
}
