package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.spring.testing.Cluster;
import io.kdiscovery.testing.ApiServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.client.discovery.event.HeartbeatEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Each of Spring Cloud Kubernetes' discovery behaviours, in a real Boot application on the mock API
 * server, through the standard {@code DiscoveryClient} and {@code ReactiveDiscoveryClient}.
 */
class SpringCloudKubernetesParityTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<ApiServer> servers = new ArrayList<>();
  private final List<Consumer<Cluster>> given = new ArrayList<>();
  /** The cluster of the application started last. */
  private Cluster cluster;

  private static void base(Cluster cluster) {
    cluster.service("default", "web").label("app", "web").port("http", 80, 8080)
        .pods("127.0.0.31", "127.0.0.32").create();
    cluster.service("shop", "web").label("app", "web").label("tier", "backend").port("http", 80, 8080)
        .pods("127.0.0.41").create();
    cluster.service("shop", "cart").label("tier", "frontend").port("http", 80, 8080).pods("127.0.0.42").create();
    cluster.service("other", "web").port("http", 80, 8080).pods("127.0.0.51").create();
  }

  /** Something every application of this test finds in its cluster, besides the base Services. */
  private void given(Consumer<Cluster> setup) {
    given.add(setup);
  }

  @AfterEach
  void stop() {
    servers.forEach(ApiServer::close);
  }

  /**
   * An application on a cluster of its own: the mock server's event loop stalls for a while when a
   * closed application's watches close, so no two applications share one.
   */
  private ConfigurableApplicationContext app(String... properties) {
    return app(event -> {}, properties);
  }

  private ConfigurableApplicationContext app(ApplicationListener<HeartbeatEvent> listener, String... properties) {
    ApiServer api = new ApiServer();
    servers.add(api);
    cluster = new Cluster(api);
    base(cluster);
    given.forEach(setup -> setup.accept(cluster));
    return new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .listeners(listener)
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            "kdiscovery.initial-wait-timeout=5s")
        .properties(properties)
        .run();
  }

  private static List<String> hosts(List<ServiceInstance> instances) {
    return instances.stream().map(ServiceInstance::getHost).sorted().toList();
  }

  @Test
  void byDefaultOnlyTheApplicationsOwnNamespaceIsSearched() {
    try (ConfigurableApplicationContext app = app()) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("web"))).containsExactly("127.0.0.31", "127.0.0.32");
      assertThat(discovery.getServices()).containsExactly("web");
      // a service id may still name another namespace
      assertThat(hosts(discovery.getInstances("cart.shop"))).containsExactly("127.0.0.42");
    }
  }

  @Test
  void aListOfNamespacesIsSearchedAndMergedAndListedByPlainName() {
    try (ConfigurableApplicationContext app = app("kdiscovery.namespaces=default,shop")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("web"))).containsExactly("127.0.0.31", "127.0.0.32", "127.0.0.41");
      assertThat(discovery.getServices()).containsExactly("cart", "web");
      assertThat(hosts(discovery.getInstances("web.shop"))).containsExactly("127.0.0.41");
      assertThat(discovery.getInstances("web")).extracting(i -> i.getMetadata().get("k8s_namespace"))
          .containsExactlyInAnyOrder("default", "default", "shop");
      ReactiveDiscoveryClient reactive = app.getBean(ReactiveDiscoveryClient.class);
      assertThat(hosts(reactive.getInstances("web").collectList().block(WAIT)))
          .containsExactly("127.0.0.31", "127.0.0.32", "127.0.0.41");
      assertThat(reactive.getServices().collectList().block(WAIT)).containsExactly("cart", "web");
    }
  }

  @Test
  void theNamespaceWatchScopeServesTheSameInstances() {
    try (ConfigurableApplicationContext app = app("kdiscovery.namespaces=default,shop", "kdiscovery.watch-scope=namespace")) {
      assertThat(app.getBean(io.kdiscovery.KDiscovery.class).watchScope()).isEqualTo(io.kdiscovery.WatchScope.NAMESPACE);
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("web"))).containsExactly("127.0.0.31", "127.0.0.32", "127.0.0.41");
      assertThat(discovery.getServices()).containsExactly("cart", "web");
    }
  }

  @Test
  void allNamespacesSearchesTheWholeCluster() {
    try (ConfigurableApplicationContext app = app("kdiscovery.all-namespaces=true")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("web")))
          .containsExactly("127.0.0.31", "127.0.0.32", "127.0.0.41", "127.0.0.51");
      assertThat(discovery.getServices()).containsExactly("cart", "web");
    }
  }

  @Test
  void serviceLabelsAndTheSpelFilterSelectServices() {
    try (ConfigurableApplicationContext app = app("kdiscovery.all-namespaces=true",
        "kdiscovery.service-labels.app=web")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("web"))).containsExactly("127.0.0.31", "127.0.0.32", "127.0.0.41");
      assertThat(discovery.getServices()).containsExactly("web");
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.all-namespaces=true",
        "kdiscovery.filter=metadata.labels['tier'] == 'backend'")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("web"))).containsExactly("127.0.0.41");
      assertThat(discovery.getInstances("cart")).isEmpty();
      assertThat(discovery.getServices()).containsExactly("web");
    }
  }

  @Test
  void notReadyPodsAreListedOnlyWhenAskedFor() {
    given(c -> c.service("default", "starting").port("http", 80, 8080).pods("127.0.0.61").notReadyPod("127.0.0.62")
        .create());
    try (ConfigurableApplicationContext app = app()) {
      assertThat(hosts(app.getBean(DiscoveryClient.class).getInstances("starting"))).containsExactly("127.0.0.61");
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.include-not-ready-addresses=true")) {
      assertThat(hosts(app.getBean(DiscoveryClient.class).getInstances("starting")))
          .containsExactly("127.0.0.61", "127.0.0.62");
    }
  }

  @Test
  void instancesFollowTheModelsOneUsableRule() {
    // publishNotReadyAddresses: a terminating pod may say ready=true while serving=false; kube-proxy
    // routes to every ready endpoint, and so does the model's rule
    given(c -> c.service("default", "rolling").port("http", 80, 8080)
        .pod("127.0.0.65", true, true, false)      // in service
        .pod("127.0.0.66", true, false, true)      // ready (publishNotReadyAddresses) while terminating: in service
        .pod("127.0.0.67", false, true, true)      // serving while terminating: the fallback only
        .pod("127.0.0.68", false, false, false)    // starting
        .create());
    given(c -> c.service("default", "draining").port("http", 80, 8080)
        .pod("127.0.0.75", true, false, true)
        .pod("127.0.0.76", false, true, true)
        .create());
    given(c -> c.service("default", "drained").port("http", 80, 8080)
        .pod("127.0.0.77", false, false, true)
        .pod("127.0.0.78", false, true, true)
        .create());
    try (ConfigurableApplicationContext app = app()) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(hosts(discovery.getInstances("rolling"))).containsExactlyInAnyOrder("127.0.0.65", "127.0.0.66");
      // the one ready endpoint is in service, so the serving-terminating one is not used
      assertThat(hosts(discovery.getInstances("draining"))).containsExactly("127.0.0.75");
      // nothing ready: the pods serving while terminating, never the one that stopped serving
      assertThat(hosts(discovery.getInstances("drained"))).containsExactly("127.0.0.78");
    }
  }

  @Test
  void anExternalNameServiceIsOneInstanceWhenIncluded() {
    given(c -> c.service("default", "payments").label("vendor", "acme").externalName("payments.example.com").create());
    try (ConfigurableApplicationContext app = app()) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(discovery.getInstances("payments")).isEmpty();
      assertThat(discovery.getServices()).doesNotContain("payments");
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.include-external-name-services=true")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      List<ServiceInstance> instances = discovery.getInstances("payments");
      assertThat(instances).hasSize(1);
      ServiceInstance external = instances.get(0);
      assertThat(external.getHost()).isEqualTo("payments.example.com");
      assertThat(external.getPort()).isEqualTo(-1);
      assertThat(external.getMetadata()).containsEntry("type", "ExternalName").containsEntry("vendor", "acme")
          .containsEntry("k8s_namespace", "default");
      assertThat(discovery.getServices()).contains("payments");
    }
  }

  @Test
  void theInstanceCarriesSpringCloudKubernetesMetadataAndKeepsTheServicesOwnKeys() {
    given(c -> c.service("default", "meta").label("namespace", "a").label("team", "shop").annotation("owner", "ops")
        .port("http", 80, 8080).port("admin", 81, 8081).pods("127.0.0.71").create());
    try (ConfigurableApplicationContext app = app()) {
      ServiceInstance instance = app.getBean(DiscoveryClient.class).getInstances("meta").get(0);
      assertThat(instance.getMetadata())
          .containsEntry("k8s_namespace", "default")
          .containsEntry("type", "ClusterIP")
          .containsEntry("team", "shop")
          .containsEntry("owner", "ops")
          .containsEntry("port.http", "8080")
          .containsEntry("port.admin", "8081")
          .containsEntry("pod", "meta-1")
          // the Service's label is kept; kdiscovery's own "namespace" key does not replace it
          .containsEntry("namespace", "a");
      assertThat(instance.getPort()).isEqualTo(8080); // "http" is the primary port
      assertThat(instance.isSecure()).isFalse();
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.metadata.labels-prefix=label.",
        "kdiscovery.metadata.annotations-prefix=annotation.", "kdiscovery.metadata.ports-prefix=p.",
        "kdiscovery.metadata.add-ports=true")) {
      Map<String, String> metadata = app.getBean(DiscoveryClient.class).getInstances("meta").get(0).getMetadata();
      assertThat(metadata).containsEntry("label.team", "shop").containsEntry("annotation.owner", "ops")
          .containsEntry("p.http", "8080").doesNotContainKey("team").doesNotContainKey("port.http");
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.metadata.add-labels=false",
        "kdiscovery.metadata.add-annotations=false", "kdiscovery.metadata.add-ports=false")) {
      Map<String, String> metadata = app.getBean(DiscoveryClient.class).getInstances("meta").get(0).getMetadata();
      assertThat(metadata).doesNotContainKeys("team", "owner", "port.http")
          .containsEntry("k8s_namespace", "default").containsEntry("namespace", "default");
    }
  }

  @Test
  void securityAndThePrimaryPortFollowSpringCloudKubernetes() {
    given(c -> c.service("default", "labelled").label("primary-port-name", "admin").label("secured", "true")
        .port("http", 80, 8080).port("admin", 81, 8081).pods("127.0.0.81").create());
    given(c -> c.service("default", "tls").port("api", 443, 8443).pods("127.0.0.82").create());
    try (ConfigurableApplicationContext app = app("kdiscovery.port-name=http")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      ServiceInstance labelled = discovery.getInstances("labelled").get(0);
      assertThat(labelled.getPort()).isEqualTo(8081); // the label wins over kdiscovery.port-name
      assertThat(labelled.isSecure()).isTrue();
      assertThat(labelled.getUri()).hasToString("https://127.0.0.81:8081");
      assertThat(discovery.getInstances("tls").get(0).isSecure()).isTrue(); // pod port 8443 is known secure
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.known-secure-ports=9443")) {
      assertThat(app.getBean(DiscoveryClient.class).getInstances("tls").get(0).isSecure()).isFalse();
    }
  }

  @Test
  void theOrderIsConfigurable() {
    try (ConfigurableApplicationContext app = app()) {
      assertThat(app.getBean(KDiscoveryDiscoveryClient.class).getOrder()).isZero();
    }
    try (ConfigurableApplicationContext app = app("kdiscovery.order=7")) {
      assertThat(app.getBean(KDiscoveryDiscoveryClient.class).getOrder()).isEqualTo(7);
      assertThat(app.getBean(KDiscoveryReactiveDiscoveryClient.class).getOrder()).isEqualTo(7);
    }
  }

  @Test
  void aHeartbeatIsPublishedWhenServicesOrEndpointsChange() {
    List<HeartbeatEvent> beats = new CopyOnWriteArrayList<>();
    try (ConfigurableApplicationContext app = app(beats::add)) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      discovery.getInstances("web");
      await().atMost(WAIT).until(() -> !beats.isEmpty());
      int before = beats.size();
      cluster.service("default", "newcomer").port("http", 80, 8080).pods("127.0.0.91").create();
      await().atMost(WAIT).until(() -> beats.size() > before);
      int afterService = beats.size();
      cluster.service("default", "web").label("app", "web").port("http", 80, 8080)
          .pods("127.0.0.31", "127.0.0.32", "127.0.0.33").create();
      await().atMost(WAIT).until(() -> beats.size() > afterService);
      await().atMost(WAIT).until(() -> hosts(discovery.getInstances("web")).contains("127.0.0.33"));
      assertThat(beats).extracting(HeartbeatEvent::getValue).doesNotHaveDuplicates();
    }
  }
}
