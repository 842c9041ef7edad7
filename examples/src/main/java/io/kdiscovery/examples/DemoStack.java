package io.kdiscovery.examples;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.BalancedService;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Everything one run of the demo holds, opened in order and closed in reverse: the embedded API
 * server (or a real cluster's client), the pods and their controllers, kdiscovery with two balancers
 * of the hostnames Service (round robin, and a ring hash for the header-key chapter), the table
 * listener that feeds the view and the propagation clock, and the load.
 *
 * <p>Not thread-safe: built and closed by the demo's main thread.
 */
final class DemoStack implements AutoCloseable {

  static final String SERVICE = "hostnames";
  static final String TARGET = "hostnames.default:80";
  /** Each of the 4 load workers waits this long between requests: a few hundred a second in all. */
  private static final Duration LOAD_PAUSE = Duration.ofMillis(4);

  final EmbeddedCluster cluster;
  final PodController controller;
  final KubernetesClient client;
  final KDiscovery discovery;
  final BalancedService hostnames;
  final BalancedService byUser;
  final TrafficStats stats = new TrafficStats();
  final PropagationClock clock;
  final ProgrammingLatencies programming;
  final LiveView view;
  final LoadGenerator load;
  private final Subscription tableListener;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private volatile boolean sawServingTerminating;

  /** The embedded cluster with the scenario's Service and Deployment, its pods started and ready. */
  static DemoStack embedded(DemoTiming timing, LiveView view) {
    EmbeddedCluster cluster = new EmbeddedCluster();
    try {
      cluster.apply("/hostnames.yaml");
      PropagationClock clock = new PropagationClock();
      PodController controller = new PodController(cluster.admin(), EmbeddedCluster.NAMESPACE, SERVICE, SERVICE,
          "default", Hostnames.POD_PORT, timing, clock, view::event);
      return new DemoStack(cluster, controller, clock, cluster.newClient(), TARGET, timing, view, true);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** A real cluster's Service, read-only; requests only when {@code send}. */
  static DemoStack watching(KubernetesClient client, String target, LiveView view, boolean send) {
    // No API change is marked in a real cluster: the view shows no propagation figure there.
    return new DemoStack(null, null, null, client, target, DemoTiming.FULL, view, send);
  }

  private DemoStack(EmbeddedCluster cluster, PodController controller, PropagationClock clock,
      KubernetesClient client, String target, DemoTiming timing, LiveView view, boolean send) {
    this.cluster = cluster;
    this.controller = controller;
    this.clock = clock;
    this.client = client;
    this.view = view;
    opened.add(client);
    this.discovery = KDiscovery.builder().kubernetesClient(client).build();
    opened.add(discovery);
    this.hostnames = discovery.balance(target, LoadBalancer.builder().policy(Policy.ROUND_ROBIN));
    opened.add(hostnames);
    this.programming = new ProgrammingLatencies(hostnames.key());
    opened.add(discovery.onProgrammingLatency(programming::record)::close);
    this.byUser = discovery.balance(target, LoadBalancer.builder().policy(Policy.RING_HASH));
    opened.add(byUser);
    this.tableListener = hostnames.handle().subscribe(snapshot -> {
      if (snapshot.endpoints().stream().anyMatch(e -> e.conditions().servingTerminating())) {
        sawServingTerminating = true;
      }
      view.tableChanged(snapshot, clock == null ? Optional.empty() : clock.observe(signature(snapshot)));
    });
    this.load = send ? new LoadGenerator(hostnames.balancer(), byUser.balancer(), stats, 4, LOAD_PAUSE) : null;
    view.show(hostnames.balancer(), send ? stats : null, clock, hostnames.handle()::status);
    view.showProgrammingLatency(programming);
    if (controller != null) {
      controller.start();
    }
  }

  boolean sawServingTerminating() {
    return sawServingTerminating;
  }

  void resetServingTerminating() {
    sawServingTerminating = false;
  }

  /** The table as the balancer picks from it now (null before its first snapshot). */
  ServiceSnapshot balanced() {
    return hostnames.balancer().snapshot();
  }

  /** Waits until the balancer picks from a snapshot that meets {@code condition}. */
  ServiceSnapshot awaitBalanced(String what, Predicate<ServiceSnapshot> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      ServiceSnapshot now = balanced();
      if (now != null && condition.test(now)) {
        return now;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the table did not reach '" + what + "' within " + timeout + ": " + now);
      }
      Thread.sleep(1);
    }
  }

  /** The ready pods' names in the balancer's snapshot, in address order. */
  List<String> readyPods() {
    ServiceSnapshot s = balanced();
    if (s == null) {
      return List.of();
    }
    return s.endpoints().stream().filter(e -> e.conditions().ready()).map(LiveView::name).toList();
  }

  /** The same signature the controller marks, computed from a table snapshot. */
  static String signature(ServiceSnapshot snapshot) {
    return snapshot.endpoints().stream().sorted(Comparator.comparing(Endpoint::address, SlicePlan::compareIps))
        .map(e -> e.address() + "=" + (e.conditions().ready() ? "R" : "-") + (e.conditions().serving() ? "S" : "-")
            + (e.conditions().terminating() ? "T" : "-"))
        .reduce((a, b) -> a + "," + b).orElse("");
  }

  @Override
  public void close() {
    if (load != null) {
      load.close();
    }
    view.freeze();
    tableListener.close();
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(DemoStack.class).warn("could not close {}", opened.get(i), e);
      }
    }
    if (controller != null) {
      controller.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }
}
