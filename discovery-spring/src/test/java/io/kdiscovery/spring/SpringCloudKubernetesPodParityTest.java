package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kdiscovery.spring.testing.Cluster;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.FaultDispatcher;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Spring Cloud Kubernetes' pod-level behaviours, in a real Boot application on the mock API server,
 * through the standard {@code DiscoveryClient}: the pod uid as instance id, pod labels and annotations
 * (opt-in, from a watch of the pods, never a request per lookup).
 */
class SpringCloudKubernetesPodParityTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<ApiServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(ApiServer::close);
  }

  /** An application on a cluster of its own (the mock server stalls when a closed application's watches close). */
  private ConfigurableApplicationContext app(ApiServer api, String... properties) {
    return new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            "kdiscovery.initial-wait-timeout=5s")
        .properties(properties)
        .run();
  }

  private ApiServer cluster() {
    ApiServer api = new ApiServer();
    servers.add(api);
    // Cluster names the pods web-1, web-2 and gives their targetRefs the uids default-web-uid-1, -2.
    new Cluster(api).service("default", "web").port("http", 80, 8080).pods("127.0.0.31", "127.0.0.32").create();
    return api;
  }

  private static Pod pod(String name, Map<String, String> labels, Map<String, String> annotations) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
        .withLabels(labels).withAnnotations(annotations).endMetadata()
        .withNewSpec().addNewContainer().withName("app").withImage("web").endContainer().endSpec()
        .build();
  }

  private static ServiceInstance instanceOfPod(DiscoveryClient discovery, String pod) {
    return discovery.getInstances("web").stream().filter(i -> pod.equals(i.getMetadata().get("pod")))
        .findFirst().orElseThrow();
  }

  @Test
  void theInstanceIdIsThePodsUidFromTheEndpointSlice() {
    try (ConfigurableApplicationContext app = app(cluster())) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(discovery.getInstances("web")).extracting(ServiceInstance::getInstanceId)
          .containsExactlyInAnyOrder("default-web-uid-1", "default-web-uid-2");
      assertThat(discovery.getInstances("web")).allSatisfy(i ->
          assertThat(((KDiscoveryInstance) i).getNamespace()).isEqualTo("default"));
    }
  }

  @Test
  void podLabelsAndAnnotationsAreLeftOutUnlessAskedFor() {
    ApiServer api = cluster();
    api.admin().resource(pod("web-1", Map.of("app", "web", "zone", "z-pod"), Map.of("build", "42"))).create();
    try (ConfigurableApplicationContext app = app(api)) {
      ServiceInstance instance = instanceOfPod(app.getBean(DiscoveryClient.class), "web-1");
      assertThat(((KDiscoveryInstance) instance).podMetadata()).isEmpty();
      assertThat(instance.getMetadata()).doesNotContainEntry("zone", "z-pod");
    }
  }

  @Test
  void podLabelsAndAnnotationsAreAddedOnceThePodWatchKnowsThemAndFollowChanges() {
    ApiServer api = cluster();
    api.admin().resource(pod("web-1", Map.of("app", "web", "zone", "z-pod"), Map.of("build", "42"))).create();
    try (ConfigurableApplicationContext app = app(api, "kdiscovery.metadata.add-pod-labels=true",
        "kdiscovery.metadata.add-pod-annotations=true")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      await().atMost(WAIT).untilAsserted(() -> {
        KDiscoveryInstance instance = (KDiscoveryInstance) instanceOfPod(discovery, "web-1");
        assertThat(instance.podMetadata()).containsOnly(
            Map.entry("labels", Map.of("app", "web", "zone", "z-pod")),
            Map.entry("annotations", Map.of("build", "42")));
        // as in Spring Cloud Kubernetes, a pod's "zone" label is the instance's zone
        assertThat(instance.getMetadata()).containsEntry("zone", "z-pod");
      });
      // a pod the watch has not seen (web-2 has no Pod object) is listed without pod metadata
      assertThat(((KDiscoveryInstance) instanceOfPod(discovery, "web-2")).podMetadata()).isEmpty();

      api.admin().resource(pod("web-2", Map.of("app", "web", "track", "canary"), Map.of())).create();
      api.admin().pods().inNamespace("default").withName("web-1")
          .edit(p -> new PodBuilder(p).editMetadata().addToLabels("version", "2").endMetadata().build());
      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(((KDiscoveryInstance) instanceOfPod(discovery, "web-2")).podMetadata())
            .containsOnly(Map.entry("labels", Map.of("app", "web", "track", "canary")));
        assertThat(((KDiscoveryInstance) instanceOfPod(discovery, "web-1")).podMetadata().get("labels"))
            .containsEntry("version", "2");
      });
    }
  }

  @Test
  void onlyPodLabelsWhenOnlyTheyAreAskedFor() {
    ApiServer api = cluster();
    api.admin().resource(pod("web-1", Map.of("app", "web"), Map.of("build", "42"))).create();
    try (ConfigurableApplicationContext app = app(api, "kdiscovery.metadata.add-pod-labels=true")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(((KDiscoveryInstance) instanceOfPod(discovery, "web-1")).podMetadata())
              .containsOnly(Map.entry("labels", Map.of("app", "web"))));
    }
  }

  @Test
  void aHeadlessServiceWithoutPortsListsItsPodsWithPortZero() {
    ApiServer api = cluster();
    Cluster cluster = new Cluster(api);
    cluster.service("default", "db").headless().label("secured", "true")
        .pods("127.0.0.61").notReadyPod("127.0.0.62").create();
    try (ConfigurableApplicationContext app = app(api)) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(discovery.getServices()).contains("db");
      List<ServiceInstance> instances = discovery.getInstances("db");
      assertThat(instances).singleElement().satisfies(i -> {
        assertThat(i.getHost()).isEqualTo("127.0.0.61");
        assertThat(i.getPort()).isZero();
        assertThat(i.getUri()).hasToString("https://127.0.0.61"); // the "secured" label; no port in the URI
        assertThat(i.getInstanceId()).isEqualTo("default-db-uid-1");
        assertThat(i.getMetadata()).containsEntry("k8s_namespace", "default").containsEntry("pod", "db-1")
            .containsEntry("secured", "true");
      });

      // a pod that becomes ready is listed as soon as the slice says so
      cluster.service("default", "db").headless().label("secured", "true")
          .pods("127.0.0.61", "127.0.0.62").create();
      await().atMost(WAIT).untilAsserted(() -> assertThat(discovery.getInstances("db"))
          .extracting(ServiceInstance::getHost).containsExactlyInAnyOrder("127.0.0.61", "127.0.0.62"));
    }
    ApiServer another = cluster();
    new Cluster(another).service("default", "db").headless().pods("127.0.0.61").notReadyPod("127.0.0.62").create();
    try (ConfigurableApplicationContext app = app(another, "kdiscovery.include-not-ready-addresses=true")) {
      assertThat(app.getBean(DiscoveryClient.class).getInstances("db")).extracting(ServiceInstance::getPort)
          .containsOnly(0).hasSize(2);
    }
  }

  @Test
  void aPortlessServiceWhoseSlicesCannotBeListedFailsFastWithoutARequestPerLookupAndRecovers() {
    ApiServer api = cluster();
    new Cluster(api).service("default", "db").headless().pods("127.0.0.61").create();
    Predicate<RecordedRequest> dbSlices = request -> {
      String path = URLDecoder.decode(request.getPath(), StandardCharsets.UTF_8);
      return path.contains("endpointslices") && path.contains("kubernetes.io/service-name=db");
    };
    api.faults().inject(dbSlices, FaultDispatcher.status(403), -1);
    try (ConfigurableApplicationContext app = app(api, "kdiscovery.initial-wait-timeout=1s")) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      assertThat(discovery.getInstances("web")).hasSize(2);

      assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
          assertThatThrownBy(() -> discovery.getInstances("db"))
              .isInstanceOf(KDiscoveryUnavailableException.class)
              .hasMessageContaining("default/db").hasMessageContaining("403"));
      Predicate<String> dbSliceRequest = line -> URLDecoder.decode(line, StandardCharsets.UTF_8)
          .contains("endpointslices?labelSelector=kubernetes.io/service-name=db");
      assertThat(api.faults().count(dbSliceRequest)).as("the first lookup asked for db's slices").isPositive();
      long before = api.faults().count(dbSliceRequest);
      for (int i = 0; i < 100; i++) {
        assertThatThrownBy(() -> discovery.getInstances("db")).isInstanceOf(KDiscoveryUnavailableException.class);
      }
      long after = api.faults().count(dbSliceRequest);
      assertThat(after - before).as("requests for db's slices during 100 lookups").isLessThan(10);

      api.faults().clearFaults();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
          assertThat(discovery.getInstances("db")).extracting(ServiceInstance::getHost).containsExactly("127.0.0.61"));
    }
  }
}
