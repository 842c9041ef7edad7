package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.model.Location;
import io.kdiscovery.spring.testing.Pods;
import io.kdiscovery.spring.testing.WebService;
import io.kdiscovery.testing.ApiServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * Zone and programming latency in a real Spring application with no kdiscovery setting: its node is
 * named by {@code NODE_NAME} (as the downward API sets it; here through Spring's environment, not the
 * JVM's), the mock API server holds that node with a zone label, and the {@code @LoadBalanced} client
 * keeps a {@code PreferSameZone} Service's requests in that zone. Slices stamped with the EndpointSlice
 * controller's trigger time are timed into Micrometer and shown by the Actuator endpoint.
 */
class ZoneAndProgrammingLatencyTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private Pods pods;
  private ConfigurableApplicationContext app;
  private RestClient client;

  @BeforeEach
  void start() {
    api = new ApiServer();
    api.admin().resource(new NodeBuilder().withNewMetadata().withName("node-b")
        .addToLabels("topology.kubernetes.io/zone", "zone-b").endMetadata().build()).create();
    pods = Pods.start("web", 4);
    new WebService(api, pods).create();
    api.apply(new ServiceBuilder(api.admin().services().inNamespace("default").withName("web").get())
        .editSpec().withTrafficDistribution("PreferSameZone").endSpec().build());
    publish(null);
    app = new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            "spring.cloud.loadbalancer.retry.enabled=false", "NODE_NAME=node-b",
            "management.endpoints.web.exposure.include=kdiscovery")
        .run();
    client = app.getBean(RestClient.Builder.class).build();
  }

  @AfterEach
  void stop() {
    app.close();
    pods.close();
    api.close();
  }

  @Test
  void aPreferSameZoneServiceIsCalledInTheDetectedZoneWithNoSetting() {
    assertThat(app.getBean(io.kdiscovery.KDiscovery.class).location()).isEqualTo(new Location("zone-b", "node-b"));
    Set<String> reached = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      reached.add(get());
    }
    assertThat(reached).containsExactlyInAnyOrder("web-3", "web-4");
  }

  @Test
  void stampedChangesAreTimedAndTheActuatorShowsTheirPercentiles() {
    get(); // the load balancer now holds the Service, and its watch has started
    // A trigger from before the watch started is not counted (it predates what this client can see):
    // let 250 ms pass on the clock the library measures with, so that "200 ms ago" is after the start.
    Instant watching = Instant.now();
    await().atMost(WAIT).until(() -> Duration.between(watching, Instant.now()).toMillis() >= 250);
    MeterRegistry registry = new SimpleMeterRegistry(); // as Boot binds every registry it has
    app.getBean(KDiscoveryMetrics.class).bindTo(registry);
    for (int i = 1; i <= 3; i++) {
      publish(Instant.now().minusMillis(200));
      int changes = i;
      await().atMost(WAIT).untilAsserted(() -> assertThat(List.of(count(registry, "kdiscovery.programming.latency"),
          count(registry, "kdiscovery.programming.latency.balancer"))).containsExactly((long) changes, (long) changes));
    }
    Timer toTable = registry.get("kdiscovery.programming.latency").tags("service", "web.default").timer();
    assertThat(toTable.getId().getTags()).hasSize(1);
    assertThat(toTable.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(200);

    publish(Instant.now().plusSeconds(3600)); // the control plane's clock an hour ahead of ours
    await().atMost(WAIT).until(() -> count(registry, "kdiscovery.programming.latency") == 4);
    assertThat(registry.get("kdiscovery.programming.clock.skew").tags("service", "web.default").counter().count())
        .isEqualTo(1.0);

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> services = (List<Map<String, Object>>) app.getBean(KDiscoveryEndpoint.class).table()
        .get("services");
    Map<String, Object> web = services.stream().filter(s -> s.get("service").equals("web.default:80")).findFirst()
        .orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> latency = (Map<String, Object>) web.get("programmingLatency");
    assertThat(latency).containsEntry("clockSkewed", 1L);
    @SuppressWarnings("unchecked")
    Map<String, Object> toTableView = (Map<String, Object>) latency.get("toTable");
    assertThat(toTableView).containsEntry("count", 4L).containsKeys("median", "p90", "p99", "max");
    assertThat(Duration.parse((String) toTableView.get("p99"))).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    assertThat(latency).containsKey("toBalancer");
  }

  private static long count(MeterRegistry registry, String name) {
    Timer timer = registry.find(name).tags("service", "web.default").timer();
    return timer == null ? 0 : timer.count();
  }

  /**
   * The slice with pods 1-2 in zone-a and 3-4 in zone-b; pod 4's readiness flips with every call
   * after the first, so that each is a change; stamped with {@code trigger} when given.
   */
  private int published;

  private void publish(Instant trigger) {
    published++;
    EndpointSliceBuilder slice = new EndpointSliceBuilder()
        .withNewMetadata().withName("web-abcde").withNamespace("default")
        .addToLabels("kubernetes.io/service-name", "web")
        .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(pods.port()).withProtocol("TCP").endPort();
    if (trigger != null) {
      slice.editMetadata().addToAnnotations("endpoints.kubernetes.io/last-change-trigger-time", trigger.toString())
          .endMetadata();
    }
    for (int i = 1; i <= 4; i++) {
      boolean ready = i != 4 || published % 2 == 1;
      slice.addToEndpoints(new EndpointBuilder().withAddresses(Pods.ip(i))
          .withNewConditions().withReady(ready).withServing(ready).withTerminating(false).endConditions()
          .withNodeName(i <= 2 ? "node-a" : "node-b").withZone(i <= 2 ? "zone-a" : "zone-b")
          .withNewTargetRef().withKind("Pod").withName("web-" + i).withNamespace("default").endTargetRef()
          .build());
    }
    api.apply(slice.build());
  }

  private String get() {
    return client.get().uri("http://web/").retrieve().body(String.class);
  }
}
