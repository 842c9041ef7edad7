package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.WatchScope;
import io.kdiscovery.catalog.CatalogSnapshot;
import io.kdiscovery.catalog.ServiceCatalog;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SourceStatus;
import io.kdiscovery.table.Subscription;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One watch per Service whatever its ports and handles; one per namespace in namespace scope; the catalog. */
class WatchScopeTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  private ApiServer api;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() {
    api = new ApiServer();
    for (int i = 0; i < 5; i++) {
      String name = "web-" + i;
      api.apply(Hostnames.service(name));
      api.apply(Hostnames.slice(name + "-abc").forService(name).ready(name + "-pod", "10.244.1." + (i + 1)).build());
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    api.close();
  }

  private KDiscovery discovery(WatchScope scope) {
    KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).watchScope(scope).build();
    closing.add(discovery);
    return discovery;
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    closing.add(closeable);
    return closeable;
  }

  @Test
  void everyPortAndHandleOfAServiceSharesOneWatchOfItsSlicesAndOneOfTheService() {
    KDiscovery discovery = discovery(WatchScope.SERVICE);
    ServiceHandle byNumber = closeLater(discovery.open("web-0.default:80"));
    ServiceHandle byName = closeLater(discovery.open("web-0.default:default"));
    ServiceHandle again = closeLater(discovery.open("web-0.default:80"));
    ServiceHandle byPodPort = closeLater(discovery.open("web-0.default:9376"));
    for (ServiceHandle handle : List.of(byNumber, byName, again)) {
      assertThat(handle.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::address).containsExactly("10.244.1.1");
    }
    assertThat(byPodPort.awaitSnapshot(WAIT).endpoints()).isEmpty(); // the Service has no port 9376

    await().atMost(WAIT).until(() -> api.faults().openWatches() == 2);
    assertThat(api.faults().lists("endpointslices")).isEqualTo(1);
  }

  @Test
  void namespaceScopeServesEveryServiceOfTheNamespaceFromTwoWatches() {
    KDiscovery discovery = discovery(WatchScope.NAMESPACE);
    List<ServiceHandle> handles = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      handles.add(closeLater(discovery.open("web-" + i + ".default:80")));
    }
    for (int i = 0; i < 5; i++) {
      assertThat(handles.get(i).awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::address)
          .containsExactly("10.244.1." + (i + 1));
    }
    await().atMost(WAIT).until(() -> api.faults().openWatches() == 2);

    // A change of one Service's slice reaches that Service only.
    long before = handles.get(1).snapshot().orElseThrow().version();
    api.apply(Hostnames.slice("web-3-abc").forService("web-3").ready("web-3-pod", "10.244.1.4")
        .ready("web-3-pod-2", "10.244.1.40").build());
    await().atMost(WAIT).untilAsserted(() -> assertThat(handles.get(3).snapshot().orElseThrow().endpoints())
        .extracting(Endpoint::address).containsExactly("10.244.1.4", "10.244.1.40"));
    assertThat(handles.get(1).snapshot().orElseThrow().version()).isEqualTo(before);
    assertThat(handles.get(1).status().state()).isEqualTo(SourceStatus.State.SYNCED);

    // A Service that does not exist is told so, from the same watches.
    ServiceHandle missing = closeLater(discovery.open("nothing.default:80"));
    assertThat(missing.awaitSnapshot(WAIT).serviceFound()).isFalse();
    assertThat(api.faults().lists("endpointslices")).isEqualTo(1);
  }

  @Test
  void theCatalogListsTheServicesLiveWithTheirIdentityAndAnnotations() {
    KDiscovery discovery = discovery(WatchScope.SERVICE);
    api.apply(new io.fabric8.kubernetes.api.model.ServiceBuilder(Hostnames.service("annotated"))
        .editMetadata().addToAnnotations("team", "search").endMetadata().build());
    ServiceCatalog catalog = closeLater(discovery.catalog("default"));
    CatalogSnapshot first = catalog.awaitSnapshot(WAIT);
    assertThat(first.names("default")).containsExactly("annotated", "web-0", "web-1", "web-2", "web-3", "web-4");
    ServiceInfo annotated = first.service("default", "annotated").orElseThrow();
    assertThat(annotated.namespace()).isEqualTo("default");
    assertThat(annotated.name()).isEqualTo("annotated");
    assertThat(annotated.annotations()).containsEntry("team", "search");
    assertThat(annotated.ports()).extracting(p -> p.port()).containsExactly(80);

    List<CatalogSnapshot> seen = new CopyOnWriteArrayList<>();
    Subscription subscription = closeLater(catalog.subscribe(seen::add));
    api.apply(Hostnames.service("newcomer"));
    api.admin().services().inNamespace("default").withName("web-0").delete();
    await().atMost(WAIT).untilAsserted(() -> assertThat(seen.get(seen.size() - 1).names("default"))
        .containsExactly("annotated", "newcomer", "web-1", "web-2", "web-3", "web-4"));
    assertThat(seen).extracting(CatalogSnapshot::version).isSorted().doesNotHaveDuplicates();
    subscription.close();

    long lists = api.faults().lists("/services");
    for (int i = 0; i < 100; i++) {
      assertThat(catalog.snapshot()).isPresent();
    }
    assertThat(api.faults().lists("/services")).isEqualTo(lists);
    assertThat(catalog.status().state()).isEqualTo(SourceStatus.State.SYNCED);
  }

  @Test
  void theCatalogOfAllNamespacesAndTheNamespaceScopeShareTheirWatches() {
    api.admin().namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
        .withNewMetadata().withName("other").endMetadata().build()).create();
    api.admin().resource(new io.fabric8.kubernetes.api.model.ServiceBuilder(Hostnames.service("elsewhere"))
        .editMetadata().withNamespace("other").endMetadata().build()).create();
    KDiscovery discovery = discovery(WatchScope.CLUSTER);
    ServiceCatalog all = closeLater(discovery.catalogOfAllNamespaces());
    ServiceCatalog other = closeLater(discovery.catalog("other"));
    ServiceHandle web = closeLater(discovery.open("web-2.default:80"));

    assertThat(all.awaitSnapshot(WAIT).services()).extracting(s -> s.namespace() + "/" + s.name())
        .contains("default/web-0", "other/elsewhere");
    assertThat(other.awaitSnapshot(WAIT).services()).extracting(ServiceInfo::name).containsExactly("elsewhere");
    assertThat(web.awaitSnapshot(WAIT).endpoints()).extracting(Endpoint::address).containsExactly("10.244.1.3");
    await().atMost(WAIT).until(() -> api.faults().openWatches() == 2);
  }

  @Test
  void anInlineListenerHoldsEachSnapshotBeforeAnyReaderSeesIt() {
    KDiscovery discovery = discovery(WatchScope.SERVICE);
    ServiceHandle handle = closeLater(discovery.open("web-0.default:80"));
    handle.awaitSnapshot(WAIT);
    List<Long> delivered = new CopyOnWriteArrayList<>();
    List<Boolean> visibleAlready = new CopyOnWriteArrayList<>();
    closeLater(handle.subscribeInline(snapshot -> {
      delivered.add(snapshot.version());
      visibleAlready.add(handle.snapshot().map(ServiceSnapshot::version).orElse(0L) >= snapshot.version());
    }));
    // The current snapshot comes first, on the table's update thread, before any later update.
    await().atMost(WAIT).untilAsserted(() -> assertThat(delivered).hasSize(1));
    for (int i = 2; i <= 6; i++) {
      api.apply(Hostnames.slice("web-0-abc").forService("web-0").ready("web-0-pod", "10.244.1." + i).build());
      int n = i;
      await().atMost(WAIT).untilAsserted(() -> assertThat(handle.snapshot().orElseThrow().endpoints())
          .extracting(Endpoint::address).containsExactly("10.244.1." + n));
    }
    assertThat(delivered).hasSizeGreaterThanOrEqualTo(6).isSorted().doesNotHaveDuplicates();
    assertThat(visibleAlready.subList(1, visibleAlready.size())).containsOnly(false);
  }
}
