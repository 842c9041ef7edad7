package io.kdiscovery;

import static io.kdiscovery.testing.FaultDispatcher.path;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.model.Location;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Where am I" with no zone setting: the mock API server holds the application's own Pod (named by
 * {@code HOSTNAME}, in the namespace of the service-account file) and its Node with a zone label.
 * The environment is injected, never the test JVM's.
 */
class LocationDetectionTest {

  private static final String POD = "app-7d9f";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  // One server for the class (each start costs a second or more on a loaded machine); each test sees
  // only the requests made since it began, and its own faults.
  private static ApiServer api;
  private Path namespaceFile;
  private int requestsBefore;

  @BeforeAll
  static void cluster() {
    api = new ApiServer();
    api.admin().resource(new PodBuilder().withNewMetadata().withName(POD).withNamespace("default").endMetadata()
        .withNewSpec().withNodeName("node-a").addNewContainer().withName("app").withImage("app").endContainer()
        .endSpec().build()).create();
    api.admin().resource(new NodeBuilder().withNewMetadata().withName("node-a")
        .addToLabels("topology.kubernetes.io/zone", "zone-a").endMetadata().build()).create();
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @BeforeEach
  void start() throws IOException {
    namespaceFile = Files.writeString(dir.resolve("namespace"), "default");
    requestsBefore = api.faults().requests().size();
  }

  @AfterEach
  void clear() {
    api.faults().clearFaults();
  }

  private List<String> requests() {
    List<String> all = api.faults().requests();
    return all.subList(requestsBefore, all.size());
  }

  private KDiscovery.Builder discovery(Map<String, String> environment) {
    return KDiscovery.builder().kubernetesClient(api.client()).environment(environment)
        .namespaceFile(namespaceFile).locationWait(WAIT);
  }

  @Test
  void noSettingPrefersTheSameZoneOfAPreferSameZoneService() {
    serve("PreferSameZone");
    try (KDiscovery discovery = discovery(Map.of("HOSTNAME", POD)).build();
         BalancedService service = discovery.balance("hostnames:80", LoadBalancer.builder())) {
      assertThat(discovery.location()).isEqualTo(new Location("zone-a", "node-a"));
      service.awaitSnapshot(WAIT);
      assertThat(picked(service)).containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
    }
  }

  @Test
  void noSettingPrefersTheSameNodeOfAPreferSameNodeService() {
    serve("PreferSameNode");
    try (KDiscovery discovery = discovery(Map.of("HOSTNAME", POD)).build();
         BalancedService service = discovery.balance("hostnames:80", LoadBalancer.builder())) {
      service.awaitSnapshot(WAIT);
      // 127.0.0.11 is the only pod on node-a; zone-a also holds 127.0.0.12 on node-b.
      assertThat(picked(service)).containsExactly("127.0.0.11");
    }
  }

  @Test
  void nodeNameFromTheDownwardApiNeedsNoPodRead() {
    api.faults().inject(path("/api/v1/namespaces/default/pods/"), status(403), -1);
    try (KDiscovery discovery = discovery(Map.of("NODE_NAME", "node-a", "HOSTNAME", POD)).build()) {
      assertThat(discovery.location()).isEqualTo(new Location("zone-a", "node-a"));
    }
    assertThat(requests()).noneMatch(r -> r.contains("/pods/"));
  }

  @Test
  void refusedNodesFallBackToTheZoneVariableAndSayWhatToGrantOnce() {
    api.faults().inject(path("/api/v1/nodes/"), status(403), -1);
    serve("PreferSameZone");
    try (LogCapture log = new LogCapture();
         KDiscovery discovery = discovery(Map.of("HOSTNAME", POD, "KDISCOVERY_ZONE", "zone-b")).build();
         BalancedService service = discovery.balance("hostnames:80", LoadBalancer.builder())) {
      assertThat(discovery.location()).isEqualTo(new Location("zone-b", "node-a"));
      service.awaitSnapshot(WAIT);
      assertThat(picked(service)).containsExactlyInAnyOrder("127.0.0.13", "127.0.0.14");
      assertThat(log.warnings("resources: [\"nodes\"], verbs: [\"get\"]")).hasSize(1);
    }
  }

  @Test
  void refusedNodesAndNoSettingMeanNoZoneAndOneLineOfWhatToGrant() {
    api.faults().inject(path("/api/v1/nodes/"), status(403), -1);
    serve("PreferSameZone");
    try (LogCapture log = new LogCapture();
         KDiscovery discovery = discovery(Map.of("HOSTNAME", POD)).build();
         BalancedService service = discovery.balance("hostnames:80", LoadBalancer.builder())) {
      assertThat(discovery.location()).isEqualTo(new Location(null, "node-a"));
      service.awaitSnapshot(WAIT);
      assertThat(picked(service)).hasSize(4);
      assertThat(log.warnings("ClusterRole with rules [{apiGroups: [\"\"], resources: [\"nodes\"], verbs: [\"get\"]}]"))
          .hasSize(1);
      assertThat(log.lines()).filteredOn(l -> l.contains("kdiscovery runs in zone unknown")).hasSize(1);
    }
  }

  @Test
  void theExplicitZoneSettingWinsWithoutAskingForTheNode() {
    try (KDiscovery discovery = discovery(Map.of("HOSTNAME", POD)).zone("zone-c").build()) {
      assertThat(discovery.location()).isEqualTo(new Location("zone-c", "node-a"));
    }
    assertThat(requests()).noneMatch(r -> r.contains("/nodes/"));
  }

  @Test
  void aBalancersOwnLocalZoneStaysAnOverride() {
    serve("PreferSameZone");
    try (KDiscovery discovery = discovery(Map.of("HOSTNAME", POD)).build();
         BalancedService service = discovery.balance("hostnames:80", LoadBalancer.builder().localZone("zone-b"))) {
      service.awaitSnapshot(WAIT);
      assertThat(picked(service)).containsExactlyInAnyOrder("127.0.0.13", "127.0.0.14");
    }
  }

  @Test
  void outsideAPodTheApiIsNotAskedAndTheLocationIsUnknown() {
    try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).environment(Map.of("HOSTNAME", "laptop"))
        .namespaceFile(dir.resolve("absent")).build()) {
      assertThat(discovery.location()).isEqualTo(Location.UNKNOWN);
    }
    assertThat(requests()).noneMatch(r -> r.contains("/pods/") || r.contains("/nodes/"));
  }

  @Test
  void theDetectionThreadIsGoneAfterTwentyInstancesAreBuiltAndClosed() {
    for (int i = 0; i < 20; i++) {
      try (KDiscovery discovery = discovery(Map.of("NODE_NAME", "node-a")).build()) {
        if (i % 2 == 0) {
          assertThat(discovery.location().zone()).isEqualTo("zone-a"); // every other one closed mid-detection
        }
      }
    }
    await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().startsWith("kdiscovery-location")));
  }

  @Test
  void hostileEnvironmentNamesNeverReachAnApiPath() {
    try (KDiscovery discovery = discovery(Map.of("NODE_NAME", "../../secrets", "HOSTNAME", "a/b")).build()) {
      assertThat(discovery.location()).isEqualTo(Location.UNKNOWN);
    }
    assertThat(requests()).noneMatch(r -> r.contains("secrets") || r.contains("a/b"));
  }

  /**
   * hostnames with {@code trafficDistribution}, two pods per zone: .11 (node-a) and .12 (node-b) in
   * zone-a, .13 and .14 (node-c) in zone-b.
   */
  private void serve(String trafficDistribution) {
    Service service = new ServiceBuilder(Hostnames.service()).editSpec().withTrafficDistribution(trafficDistribution)
        .endSpec().build();
    api.apply(service);
    EndpointSlice slice = Hostnames.slice("hostnames-zones").ready("p11", "127.0.0.11").ready("p12", "127.0.0.12")
        .ready("p13", "127.0.0.13").ready("p14", "127.0.0.14").build();
    String[][] placement = {{"zone-a", "node-a"}, {"zone-a", "node-b"}, {"zone-b", "node-c"}, {"zone-b", "node-c"}};
    for (int i = 0; i < placement.length; i++) {
      slice.getEndpoints().get(i).setZone(placement[i][0]);
      slice.getEndpoints().get(i).setNodeName(placement[i][1]);
    }
    api.apply(slice);
  }

  private static Set<String> picked(BalancedService service) {
    Set<String> addresses = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Pick pick = service.pick();
      addresses.add(pick.endpoint().address());
      pick.success(1_000);
    }
    return addresses;
  }
}
