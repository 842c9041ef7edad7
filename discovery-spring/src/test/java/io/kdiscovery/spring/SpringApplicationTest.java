package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kdiscovery.spring.testing.Pods;
import io.kdiscovery.spring.testing.WebService;
import io.kdiscovery.testing.ApiServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

/**
 * A real Spring Boot application on the mock API server, calling real HTTP pods on 127.0.0.11-13
 * through a {@code @LoadBalanced RestClient.Builder}.
 */
class SpringApplicationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Set<String> ALL_PODS = Set.of("web-1", "web-2", "web-3");

  private static ApiServer api;
  private static Pods pods;
  private static WebService web;
  private static ConfigurableApplicationContext app;
  private static RestClient client;
  private static KDiscoveryDiscoveryClient discovery;

  @BeforeAll
  static void startClusterAndApplication() {
    api = new ApiServer();
    pods = Pods.start("web", 3);
    web = new WebService(api, pods);
    web.create();
    app = new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties(
            "kdiscovery.affinity.header=X-User",
            "management.endpoints.web.exposure.include=kdiscovery,health",
            "management.endpoint.health.show-details=always",
            // Spring Cloud Kubernetes is on the test classpath for the side-by-side figure only.
            "spring.cloud.kubernetes.enabled=false",
            "spring.cloud.kubernetes.discovery.enabled=false",
            // spring-retry is on the test classpath for RetryAndPerServiceSettingsTest only
            "spring.cloud.loadbalancer.retry.enabled=false")
        .run();
    client = app.getBean(RestClient.Builder.class).build();
    discovery = app.getBean(KDiscoveryDiscoveryClient.class);
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    if (pods != null) {
      pods.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @BeforeEach
  void everyPodIsReady() {
    web.readyPods(pods.podByIp().keySet());
    await().atMost(WAIT).until(() -> pods(discovery.getInstances("web")).equals(ALL_PODS));
  }

  @Test
  void discoveryClientListsThePodsWithTheirOwnPortNotTheServicePort() {
    List<ServiceInstance> instances = discovery.getInstances("web");

    assertThat(instances).extracting(ServiceInstance::getHost)
        .containsExactlyInAnyOrder(Pods.ip(1), Pods.ip(2), Pods.ip(3));
    assertThat(instances).extracting(ServiceInstance::getPort)
        .containsOnly(pods.port())
        .doesNotContain(WebService.SERVICE_PORT);
    assertThat(instances).extracting(ServiceInstance::getInstanceId).containsExactlyInAnyOrderElementsOf(ALL_PODS);
    ServiceInstance first = instances.get(0);
    assertThat(first.getServiceId()).isEqualTo("web");
    assertThat(first.isSecure()).isFalse();
    assertThat(first.getUri()).hasToString("http://" + first.getHost() + ":" + pods.port());
    assertThat(first.getMetadata())
        .containsEntry("app", "web")
        .containsEntry("namespace", "default")
        .containsEntry("zone", "zone-a")
        .containsEntry("node", "node-1")
        .containsEntry("pod", first.getInstanceId())
        .containsEntry("port.http", Integer.toString(pods.port()))
        .containsEntry("port.metrics", Integer.toString(WebService.METRICS_TARGET_PORT));
  }

  @Test
  void aServiceIdMayNameItsNamespace() {
    assertThat(pods(discovery.getInstances("web.default"))).isEqualTo(ALL_PODS);
    assertThat(discovery.getInstances("absent")).isEmpty();
    assertThat(discovery.getServices()).contains("web");
  }

  @Test
  void anEndpointSliceChangeIsVisibleWithinASecond() {
    web.readyPods(Set.of(Pods.ip(1), Pods.ip(2)));

    await().atMost(Duration.ofSeconds(1))
        .until(() -> pods(discovery.getInstances("web")).equals(Set.of("web-1", "web-2")));
  }

  @Test
  void aLoadBalancedRestClientSpreads300RequestsEvenly() {
    Map<String, Integer> hits = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      hits.merge(get(null), 1, Integer::sum);
    }

    assertThat(hits).containsOnlyKeys(ALL_PODS);
    assertThat(hits.values()).allSatisfy(count -> assertThat(count).isBetween(90, 110));
  }

  @Test
  void aRemovedPodIsNotReachedByTheNextRequest() {
    get(null); // the balancer of "web" exists and holds all three pods

    web.readyPods(Set.of(Pods.ip(1), Pods.ip(2)));
    await().atMost(WAIT).until(() -> pods(discovery.getInstances("web")).equals(Set.of("web-1", "web-2")));

    Set<String> reached = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      reached.add(get(null));
    }
    assertThat(reached).containsExactlyInAnyOrder("web-1", "web-2");
  }

  @Test
  void affinityByHeaderKeepsEachUserOnOnePod() {
    Set<String> podsOfAlice = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      podsOfAlice.add(get("alice"));
    }
    Set<String> podsOfUsers = new HashSet<>();
    for (int user = 0; user < 30; user++) {
      podsOfUsers.add(get("user-" + user));
    }

    assertThat(podsOfAlice).hasSize(1);
    assertThat(podsOfUsers).as("different users still spread over the pods").hasSizeGreaterThan(1);
  }

  @Test
  void aLoadBalancedRestTemplateAndWebClientPickThroughKDiscoveryToo() {
    RestTemplate template = app.getBean(RestTemplate.class);
    WebClient webClient = app.getBean(WebClient.Builder.class).build();
    Set<String> reached = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      reached.add(template.getForObject("http://web/", String.class));
      reached.add(webClient.get().uri("http://web/").retrieve().bodyToMono(String.class).block(WAIT));
    }

    assertThat(reached).isEqualTo(ALL_PODS);
  }

  @Test
  void theReactiveDiscoveryClientListsTheSamePods() {
    KDiscoveryReactiveDiscoveryClient reactive = app.getBean(KDiscoveryReactiveDiscoveryClient.class);

    List<ServiceInstance> instances = reactive.getInstances("web").collectList().block(WAIT);

    assertThat(pods(instances)).isEqualTo(ALL_PODS);
    assertThat(reactive.getServices().collectList().block(WAIT)).contains("web");
  }

  @Test
  void theInstanceListSupplierEmitsANewListOnEverySnapshot() {
    ServiceInstanceListSupplier supplier = app.getBean(LoadBalancerClientFactory.class)
        .getInstance("web", ServiceInstanceListSupplier.class);
    List<Set<String>> lists = new java.util.concurrent.CopyOnWriteArrayList<>();
    Disposable subscription = supplier.get().subscribe(list -> lists.add(pods(list)));
    try {
      await().atMost(WAIT).until(() -> lists.contains(ALL_PODS));

      web.readyPods(Set.of(Pods.ip(1)));
      await().atMost(WAIT).until(() -> lists.contains(Set.of("web-1")));
      web.readyPods(pods.podByIp().keySet());
      await().atMost(WAIT).until(() -> lists.size() >= 3 && lists.get(lists.size() - 1).equals(ALL_PODS));

      assertThat(lists).containsSubsequence(ALL_PODS, Set.of("web-1"), ALL_PODS);
    } finally {
      subscription.dispose();
    }
  }

  @Test
  void theActuatorEndpointShowsTheLiveTable() {
    get(null);
    KDiscoveryEndpoint endpoint = app.getBean(KDiscoveryEndpoint.class);

    Map<String, Object> table = endpoint.table();

    assertThat(table).containsEntry("source", "kubernetes");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> services = (List<Map<String, Object>>) table.get("services");
    Map<String, Object> webTable = services.stream()
        .filter(s -> s.get("service").equals("web.default:80")).findFirst().orElseThrow();
    assertThat(webTable).extractingByKey("status").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("state", "SYNCED");
    @SuppressWarnings("unchecked")
    Map<String, Object> snapshot = (Map<String, Object>) webTable.get("snapshot");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> endpoints = (List<Map<String, Object>>) snapshot.get("endpoints");
    assertThat(endpoints).extracting(e -> e.get("pod")).containsExactlyInAnyOrderElementsOf(ALL_PODS);
    assertThat(endpoints).allSatisfy(e -> assertThat(e)
        .containsEntry("port", pods.port()).containsEntry("ready", true).containsEntry("zone", "zone-a"));
  }

  @Test
  void theHealthIndicatorReportsEveryWatchedServiceUp() {
    get(null);
    HealthEndpoint health = app.getBean(HealthEndpoint.class);

    IndicatedHealthDescriptor kdiscovery = (IndicatedHealthDescriptor) health.healthForPath("kdiscovery");

    assertThat(kdiscovery.getStatus()).isEqualTo(Status.UP);
    assertThat(kdiscovery.getDetails()).containsKey("services");
    assertThat(kdiscovery.getDetails().get("services").toString()).contains("web.default:80", "SYNCED");
  }

  @Test
  void theApplicationUsesTheGivenKubernetesClient() {
    assertThat(app.getBeansOfType(KubernetesClient.class)).containsOnlyKeys("kubernetesClient");
  }

  private static String get(String user) {
    RestClient.RequestHeadersSpec<?> request = client.get().uri("http://web/");
    if (user != null) {
      request = request.header("X-User", user);
    }
    return request.retrieve().body(String.class);
  }

  private static Set<String> pods(List<ServiceInstance> instances) {
    Set<String> names = new HashSet<>();
    instances.forEach(i -> names.add(i.getInstanceId()));
    return names;
  }
}
