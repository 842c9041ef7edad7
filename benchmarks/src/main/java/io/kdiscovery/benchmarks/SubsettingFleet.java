package io.kdiscovery.benchmarks;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Connections per pod and load imbalance for a fleet of clients, with and without subsetting: 1 000
 * clients (each a real balancer) over 100 pods, k = 10. For each placement it prints the clients
 * (connections) per pod, the requests per pod when each client makes 100 round-robin picks, and the
 * connections moved by a rolling update that replaces every pod in four waves of 25 (maxSurge 25 %:
 * 25 new pods join, then 25 old ones leave), against the least possible (the new pods' own share).
 * A last line mixes ages: half the fleet went through the rollout, half started after it.
 *
 * <p>No I/O: simulated pods (10.244.x.y), real balancers. Deterministic for a given run.
 * Run: {@code java -cp benchmarks/target/benchmarks.jar io.kdiscovery.benchmarks.SubsettingFleet}
 */
public final class SubsettingFleet {

  private static final ServiceKey KEY = ServiceKey.of("default", "backend", 80);
  private static final int CLIENTS = 1_000;
  private static final int PODS = 100;
  private static final int K = 10;
  private static final int PICKS_PER_CLIENT = 100;

  private SubsettingFleet() {}

  public static void main(String[] args) {
    System.out.printf("%d clients, %d pods, k = %d; %d round-robin picks per client%n%n", CLIENTS, PODS, K,
        PICKS_PER_CLIENT);
    System.out.printf("%-22s %8s %8s %8s %8s %8s %8s %10s %10s%n", "placement", "conn/pod", "min", "max",
        "max dev", "req dev", "conn", "rollout", "least");
    report("no subsetting", i -> LoadBalancer.builder());
    report("subsetIndex (aperture)", i -> LoadBalancer.builder().subset(K).subsetIndex(i));
    report("subsetSeed (random)", i -> LoadBalancer.builder().subset(K).subsetSeed("backend-client-" + i));
    mixedAges();
  }

  private static void report(String name, IntFunction<LoadBalancer.Builder> builder) {
    List<LoadBalancer> fleet = fleet(builder);
    List<Endpoint> pods = pods(0, PODS);
    long version = 1;
    update(fleet, version++, pods);
    Map<Endpoint, Integer> clients = clientsPerPod(fleet);
    Map<Endpoint, Integer> requests = requestsPerPod(fleet);
    int connections = clients.values().stream().mapToInt(Integer::intValue).sum();

    // A rolling update in waves of 25: new pods join, then as many old ones leave.
    long moved = 0;
    long least = 0;
    double worst = 0; // the largest deviation at any step of the rollout
    List<Endpoint> current = new ArrayList<>(pods);
    for (int wave = 0; wave < 4; wave++) {
      List<Endpoint> joining = pods(PODS + wave * 25, 25);
      List<Set<Endpoint>> before = subsets(fleet);
      current.addAll(joining);
      update(fleet, version++, current);
      moved += moves(before, fleet);
      least += least(fleet, joining);
      worst = Math.max(worst, deviation(clientsPerPod(fleet)));
      before = subsets(fleet);
      current.removeAll(pods.subList(wave * 25, wave * 25 + 25));
      update(fleet, version++, current);
      moved += moves(before, fleet);
      least += movesForced(before, fleet, pods.subList(wave * 25, wave * 25 + 25));
      worst = Math.max(worst, deviation(clientsPerPod(fleet)));
    }
    Map<Endpoint, Integer> after = clientsPerPod(fleet);
    System.out.printf("%-22s %8.0f %8d %8d %7.1f%% %7.1f%% %8d %10d %10d%n", name, mean(clients),
        min(clients), max(clients), deviation(clients), deviation(requests), connections, moved, least);
    System.out.printf("%-22s %8.0f %8d %8d %7.1f%%   (after the rollout; worst step during it: %.1f%%)%n", "",
        mean(after), min(after), max(after), deviation(after), worst);
  }

  /** Half the fleet went through the rollout of {@link #report}; the other half started after it. */
  private static void mixedAges() {
    IntFunction<LoadBalancer.Builder> builder = i -> LoadBalancer.builder().subset(K).subsetIndex(i);
    List<LoadBalancer> fleet = fleet(builder);
    List<Endpoint> current = new ArrayList<>(pods(0, PODS));
    long version = 1;
    update(fleet, version++, current);
    for (int wave = 0; wave < 4; wave++) {
      current.addAll(pods(PODS + wave * 25, 25));
      update(fleet, version++, current);
      current.removeAll(pods(wave * 25, 25));
      update(fleet, version++, current);
    }
    List<LoadBalancer> mixed = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      if (i % 2 == 0) {
        mixed.add(fleet.get(i));
      } else {
        LoadBalancer fresh = builder.apply(i).build();
        fresh.update(snapshot(version, current));
        mixed.add(fresh);
      }
    }
    Map<Endpoint, Integer> clients = clientsPerPod(mixed);
    System.out.printf("%n%-22s %8.0f %8d %8d %7.1f%%   (half the clients rolled, half started after)%n",
        "subsetIndex, mixed age", mean(clients), min(clients), max(clients), deviation(clients));
  }

  private static List<LoadBalancer> fleet(IntFunction<LoadBalancer.Builder> builder) {
    List<LoadBalancer> fleet = new ArrayList<>(CLIENTS);
    for (int i = 0; i < CLIENTS; i++) {
      fleet.add(builder.apply(i).service(KEY).build());
    }
    return fleet;
  }

  /** Pods {@code 10.244.x.y:8080} numbered from {@code first}. */
  private static List<Endpoint> pods(int first, int count) {
    List<Endpoint> pods = new ArrayList<>(count);
    for (int n = first; n < first + count; n++) {
      pods.add(Endpoint.of("10.244." + (n / 250) + "." + (n % 250 + 1), 8080));
    }
    return pods;
  }

  private static ServiceSnapshot snapshot(long version, List<Endpoint> pods) {
    return new ServiceSnapshot(KEY, version, Instant.EPOCH, true, ServiceInfo.UNKNOWN, List.copyOf(pods));
  }

  private static void update(List<LoadBalancer> fleet, long version, List<Endpoint> pods) {
    ServiceSnapshot snapshot = snapshot(version, pods);
    fleet.forEach(client -> client.update(snapshot));
  }

  private static List<Set<Endpoint>> subsets(List<LoadBalancer> fleet) {
    return fleet.stream().map(client -> (Set<Endpoint>) new HashSet<>(client.endpoints())).toList();
  }

  /** Connections opened to a pod a client did not use before. */
  private static long moves(List<Set<Endpoint>> before, List<LoadBalancer> fleet) {
    long moves = 0;
    for (int i = 0; i < fleet.size(); i++) {
      for (Endpoint e : fleet.get(i).endpoints()) {
        if (!before.get(i).contains(e)) {
          moves++;
        }
      }
    }
    return moves;
  }

  /** The least a join must move: the connections the joining pods now hold. */
  private static long least(List<LoadBalancer> fleet, List<Endpoint> joining) {
    Set<Endpoint> joined = new HashSet<>(joining);
    return fleet.stream().flatMap(c -> c.endpoints().stream()).filter(joined::contains).count();
  }

  /** The least a removal must move: per client, the pods it needs beyond those it kept. */
  private static long movesForced(List<Set<Endpoint>> before, List<LoadBalancer> fleet, List<Endpoint> leaving) {
    long forced = 0;
    for (int i = 0; i < fleet.size(); i++) {
      Set<Endpoint> kept = new HashSet<>(before.get(i));
      leaving.forEach(kept::remove);
      forced += Math.max(0, fleet.get(i).endpoints().size() - kept.size());
    }
    return forced;
  }

  private static Map<Endpoint, Integer> clientsPerPod(List<LoadBalancer> fleet) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (LoadBalancer client : fleet) {
      for (Endpoint e : client.endpoints()) {
        counts.merge(e, 1, Integer::sum);
      }
    }
    return counts;
  }

  private static Map<Endpoint, Integer> requestsPerPod(List<LoadBalancer> fleet) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (LoadBalancer client : fleet) {
      for (int n = 0; n < PICKS_PER_CLIENT; n++) {
        Pick pick = client.pick();
        counts.merge(pick.endpoint(), 1, Integer::sum);
        pick.success(1_000_000);
      }
    }
    return counts;
  }

  private static double mean(Map<Endpoint, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).average().orElse(0);
  }

  private static int min(Map<Endpoint, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
  }

  private static int max(Map<Endpoint, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
  }

  /** How far the busiest or idlest pod is from the mean, in percent of the mean. */
  private static double deviation(Map<Endpoint, Integer> counts) {
    double mean = mean(counts);
    return 100 * Math.max(max(counts) - mean, mean - min(counts)) / mean;
  }
}
