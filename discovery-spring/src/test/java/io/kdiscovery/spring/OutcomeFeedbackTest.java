package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.spring.testing.Pods;
import io.kdiscovery.spring.testing.WebService;
import io.kdiscovery.testing.ApiServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
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
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * How requests end reaches kdiscovery's balancer through Spring Cloud LoadBalancer's lifecycle: a pod
 * that refuses a connection is ejected at once, while the API server still lists it, and every
 * outcome is counted.
 */
class OutcomeFeedbackTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private Pods pods;
  private ConfigurableApplicationContext app;
  private RestClient client;
  private SimpleMeterRegistry meters;

  @BeforeEach
  void start() {
    api = new ApiServer();
    pods = Pods.start("web", 3);
    new WebService(api, pods).create();
    app = new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            // spring-retry is on the test classpath for RetryAndPerServiceSettingsTest only
            "spring.cloud.loadbalancer.retry.enabled=false")
        .run();
    meters = new SimpleMeterRegistry();
    app.getBean(KDiscoveryMetrics.class).bindTo(meters);
    client = app.getBean(RestClient.Builder.class).build();
  }

  @AfterEach
  void stop() {
    app.close();
    pods.close();
    api.close();
  }

  @Test
  void aPodThatRefusesConnectionsIsEjectedAfterItsFirstFailure() {
    await().atMost(WAIT).until(() -> app.getBean(KDiscoveryDiscoveryClient.class).getInstances("web").size() == 3);
    pods.kill(3);

    int failures = 0;
    Set<String> reached = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      Throwable error = catchThrowable(() -> reached.add(get()));
      if (error != null) {
        assertThat(error).isInstanceOf(ResourceAccessException.class);
        failures++;
      }
    }

    assertThat(failures).as("requests that reached the dead pod").isEqualTo(1);
    assertThat(reached).containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(meters.get("kdiscovery.picks").tags("service", "web", "outcome", "connect_failure").counter().count())
        .isEqualTo(1.0);
    assertThat(meters.get("kdiscovery.picks").tags("service", "web", "outcome", "success").counter().count())
        .isEqualTo(29.0);
    assertThat(meters.get("kdiscovery.ejections").tags("service", "web").functionCounter().count()).isEqualTo(1.0);

    // The Actuator endpoint shows the ejection while the API server still lists the pod as ready.
    Map<String, Object> web = webTable(new KDiscoveryEndpoint(app.getBean(ServiceDirectory.class), Clock.systemUTC()));
    assertThat(web).containsEntry("ejections", 1L);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> endpoints = (List<Map<String, Object>>) ((Map<String, Object>) web.get("snapshot"))
        .get("endpoints");
    assertThat(endpoints).filteredOn(e -> e.get("pod").equals("web-3")).singleElement().satisfies(dead -> {
      assertThat(dead).containsEntry("ready", true).containsEntry("ejected", true).containsEntry("ejections", 1);
      assertThat(Duration.parse((String) dead.get("ejectedFor"))).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30));
    });
    assertThat(endpoints).filteredOn(e -> !e.get("pod").equals("web-3"))
        .hasSize(2).allSatisfy(live -> assertThat(live).containsEntry("ejected", false).containsEntry("inFlight", 0));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> webTable(KDiscoveryEndpoint endpoint) {
    List<Map<String, Object>> services = (List<Map<String, Object>>) endpoint.table().get("services");
    return services.stream().filter(s -> s.get("service").equals("web.default:80")).findFirst().orElseThrow();
  }

  @Test
  void theTableIsMeasured() {
    get();

    assertThat(meters.get("kdiscovery.endpoints").tags("service", "web").gauge().value()).isEqualTo(3.0);
    assertThat(meters.get("kdiscovery.watch.synced").tags("service", "web").gauge().value()).isEqualTo(1.0);
    assertThat(meters.get("kdiscovery.watch.staleness").tags("service", "web").gauge().value()).isZero();
    assertThat(meters.get("kdiscovery.snapshot.age").tags("service", "web").gauge().value()).isNotNegative();
    assertThat(meters.get("kdiscovery.ejections").tags("service", "web").functionCounter().count()).isZero();
    assertThat(meters.get("kdiscovery.watch.reconnects").tags("service", "web").functionCounter().count()).isZero();
  }

  private String get() {
    return client.get().uri("http://web/").retrieve().body(String.class);
  }
}
