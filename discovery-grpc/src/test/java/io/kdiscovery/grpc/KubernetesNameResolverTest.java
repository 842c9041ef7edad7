package io.kdiscovery.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The resolver on its own, against the mock API server: what it pushes to a channel, and when. */
class KubernetesNameResolverTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final URI TARGET = URI.create("kubernetes:///hostnames.default:80");

  private final SynchronizationContext syncContext = new SynchronizationContext((thread, e) -> {
    throw new AssertionError("uncaught in the synchronization context", e);
  });
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final RecordingListener2 listener = new RecordingListener2();
  private ApiServer api;
  private KDiscovery discovery;
  private NameResolver resolver;

  @BeforeEach
  void start() {
    api = new ApiServer();
    discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
    api.apply(Hostnames.service());
  }

  @AfterEach
  void stop() {
    if (resolver != null) {
      syncContext.execute(resolver::shutdown);
    }
    timer.shutdownNow();
    discovery.close();
    api.close();
  }

  private void startResolver(Duration firstSnapshotGrace) {
    KubernetesTarget target = KubernetesTarget.parse(TARGET, discovery::defaultNamespace);
    resolver = new KubernetesNameResolver(target, discovery, syncContext, timer, firstSnapshotGrace);
    syncContext.execute(() -> resolver.start(listener));
  }

  private void startResolver() {
    startResolver(Duration.ofMinutes(1));
  }

  @Test
  void everyReadyPodBecomesOneAddressGroupCarryingItsZoneNodeAndPodName() {
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").notReady("hostnames-3", "10.244.0.7").build());

    startResolver();

    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(listener.lastAddresses()).containsExactly("10.244.0.5:9376", "10.244.0.6:9376");
    EquivalentAddressGroup first = listener.last().getAddressesOrError().getValue().get(0);
    assertThat(first.getAttributes().get(EndpointAttributes.POD_NAME)).isEqualTo("hostnames-1");
    assertThat(first.getAttributes().get(EndpointAttributes.ZONE)).isEqualTo("zone-a");
    assertThat(first.getAttributes().get(EndpointAttributes.NODE)).isEqualTo("node-1");
    assertThat(first.getAttributes().get(EndpointAttributes.HOSTNAME)).isNull();
    assertThat(resolver.getServiceAuthority()).isEqualTo("hostnames.default:80");
  }

  @Test
  void everyChangeIsPushedWithoutARefresh() {
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    startResolver();
    await().atMost(WAIT).until(() -> listener.last() != null);

    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").build());
    await().atMost(WAIT).until(() -> List.of("10.244.0.5:9376", "10.244.0.6:9376").equals(listener.lastAddresses()));
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-2", "10.244.0.6").build());
    await().atMost(WAIT).until(() -> List.of("10.244.0.6:9376").equals(listener.lastAddresses()));
  }

  @Test
  void whenNoPodIsReadyThePodsServingWhileTerminatingAreUsed() {
    api.apply(Hostnames.slice("hostnames-abc").terminating("hostnames-1", "10.244.0.5")
        .endpoint("hostnames-2", "10.244.0.6", false, false, true)
        .notReady("hostnames-3", "10.244.0.7").build());

    startResolver();

    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(listener.lastAddresses()).containsExactly("10.244.0.5:9376");
  }

  /**
   * With {@code publishNotReadyAddresses} the EndpointSlice controller publishes every pod ready, and
   * kube-proxy routes to every ready endpoint: the Service asked for its pods to be reached whatever
   * their state. The resolver uses the core's one usable rule, kube-proxy's, so the channel reaches
   * the same pods as the Service's VIP.
   */
  @Test
  void withPublishNotReadyAddressesEveryPublishedPodGetsAnAddressAsThroughTheServiceVip() {
    api.apply(new ServiceBuilder(Hostnames.service()).editSpec().withPublishNotReadyAddresses(true).endSpec().build());
    api.apply(Hostnames.slice("hostnames-abc")
        .endpoint("hostnames-1", "10.244.0.5", true, true, false)   // running
        .endpoint("hostnames-2", "10.244.0.6", true, false, false)  // starting
        .endpoint("hostnames-3", "10.244.0.7", true, false, true)   // shutting down, failing readiness
        .endpoint("hostnames-4", "10.244.0.8", true, true, true)    // shutting down, still serving
        .build());

    startResolver();

    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(listener.lastAddresses())
        .containsExactlyInAnyOrder("10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376", "10.244.0.8:9376");
  }

  @Test
  void aServiceWithoutEndpointsIsReportedUnavailableNamingTheService() {
    api.apply(Hostnames.slice("hostnames-abc").notReady("hostnames-1", "10.244.0.5").build());

    startResolver();

    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(listener.lastError().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(listener.lastError().getDescription())
        .isEqualTo("Service default/hostnames port 80 has no ready endpoints (nor any serving while terminating)");
  }

  @Test
  void aMissingServiceIsReportedUnavailableAndRecoversWhenItAppears() {
    api.admin().services().inNamespace("default").withName("hostnames").delete();

    startResolver();
    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(listener.lastError().getDescription()).isEqualTo("Service default/hostnames port 80 does not exist");

    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    await().atMost(WAIT).until(() -> List.of("10.244.0.5:9376").equals(listener.lastAddresses()));
  }

  @Test
  void theLastGoodAddressesStayWhileTheApiServerIsUnreachable() {
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    startResolver();
    await().atMost(WAIT).until(() -> listener.last() != null);

    api.proxy().stop();
    try (ServiceHandle handle = discovery.open("hostnames.default:80")) {
      await().atMost(WAIT).until(() -> handle.status().state() == SourceStatus.State.DISCONNECTED);
    }
    syncContext.execute(resolver::refresh);

    assertThat(listener.results()).allSatisfy(r -> assertThat(r.getAddressesOrError().hasValue()).isTrue());
    assertThat(listener.lastAddresses()).containsExactly("10.244.0.5:9376");
  }

  @Test
  void refreshPushesTheCurrentAddressesAgainWithoutAskingTheApiServer() {
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    startResolver();
    await().atMost(WAIT).until(() -> listener.last() != null);
    int requests = api.faults().requests().size();

    syncContext.execute(resolver::refresh);

    assertThat(listener.results()).hasSize(2);
    assertThat(listener.lastAddresses()).containsExactly("10.244.0.5:9376");
    assertThat(api.faults().requests()).hasSize(requests);
  }

  @Test
  void anApiServerThatNeverAnswersIsReportedAfterTheGracePeriod() {
    api.proxy().stop();

    startResolver(Duration.ofMillis(200));

    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(listener.lastError().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(listener.lastError().getDescription())
        .startsWith("no endpoints of Service default/hostnames port 80 known yet: the Kubernetes API has not answered");
  }

  @Test
  void aClosedKDiscoveryFailsTheCallsNotTheChannel() {
    discovery.close();

    startResolver();

    assertThat(listener.lastError().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(listener.lastError().getDescription()).startsWith("cannot watch Service default/hostnames port 80: ");
  }

  @Test
  void aRefreshBeforeTheFirstSnapshotReportsNothing() {
    api.proxy().stop();
    startResolver();

    syncContext.execute(resolver::refresh);

    assertThat(listener.results()).isEmpty();
  }

  @Test
  void shutdownReleasesTheServiceWatch() {
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
    startResolver();
    await().atMost(WAIT).until(() -> listener.last() != null);
    assertThat(discovery.table().services()).hasSize(1);

    syncContext.execute(resolver::shutdown);

    await().atMost(WAIT).until(() -> discovery.table().services().isEmpty());
    int results = listener.results().size();
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-2", "10.244.0.6").build());
    syncContext.execute(resolver::refresh);
    assertThat(listener.results()).hasSize(results);
  }
}
