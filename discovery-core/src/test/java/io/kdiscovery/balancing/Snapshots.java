package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceInfo.SessionAffinity;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds the snapshots and endpoints the balancing tests feed their balancers. */
public final class Snapshots {

  public static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);

  private Snapshots() {}

  /** The pod {@code 10.244.0.i:9376}. */
  public static Endpoint pod(int i) {
    return Endpoint.of("10.244.0." + i, 9376);
  }

  /** Pods 1..n. */
  public static List<Endpoint> pods(int n) {
    List<Endpoint> pods = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      pods.add(pod(i));
    }
    return pods;
  }

  public static ServiceSnapshot snapshot(long version, List<Endpoint> endpoints) {
    return snapshot(version, ServiceInfo.UNKNOWN, endpoints);
  }

  public static ServiceSnapshot snapshot(long version, ServiceInfo service, List<Endpoint> endpoints) {
    return new ServiceSnapshot(KEY, version, Instant.EPOCH, true, service, endpoints);
  }

  public static ServiceInfo service(SessionAffinity affinity, Duration timeout, TrafficDistribution distribution) {
    return new ServiceInfo(ServiceInfo.Type.CLUSTER_IP, affinity, timeout, distribution, false,
        List.of(), Map.of(), null);
  }

  public static ServiceInfo service(TrafficDistribution distribution) {
    return service(SessionAffinity.NONE, ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, distribution);
  }

  /** Picks {@code picks} times, completing each pick at once, and counts the endpoints picked. */
  public static Map<Endpoint, Integer> countPicks(LoadBalancer balancer, int picks, PickContext context) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      Pick pick = balancer.pick(context);
      counts.merge(pick.endpoint(), 1, Integer::sum);
      pick.success(1_000_000);
    }
    return counts;
  }

  public static Map<Endpoint, Integer> countPicks(LoadBalancer balancer, int picks) {
    return countPicks(balancer, picks, PickContext.none());
  }
}
