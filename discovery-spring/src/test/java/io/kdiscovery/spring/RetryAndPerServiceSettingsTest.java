package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.balancing.Policy;
import io.kdiscovery.spring.testing.Pods;
import io.kdiscovery.spring.testing.WebService;
import io.kdiscovery.testing.ApiServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * Spring Cloud LoadBalancer's conventions on real HTTP pods: a retry goes to another pod, never the
 * one that just failed, also under 64 threads with pooled pick handles; client-IP affinity believes
 * only the trusted right-most X-Forwarded-For entry; {@code kdiscovery.services.<id>.*} settings apply
 * to their id over the global ones; pick meters are built once and a Timer records latency by outcome.
 */
class RetryAndPerServiceSettingsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private ApiServer api;
  private Pods pods;
  private ConfigurableApplicationContext app;

  @BeforeEach
  void cluster() {
    api = new ApiServer();
    pods = Pods.start("web", 3);
    new WebService(api, pods).create();
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
    pods.close();
    api.close();
  }

  private RestClient start(String... properties) {
    app = new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false")
        .properties(properties)
        .run();
    return app.getBean(RestClient.Builder.class).build();
  }

  private static String call(RestClient client, String user) {
    return client.get().uri("http://web/").header("X-User", user).retrieve().body(String.class);
  }

  @Test
  void aRetryGoesToAnotherPodNeverTheOneThatJustFailed() {
    // Sticky affinity would send the user straight back to its pod, and with outlier detection off
    // nothing ejects it: only the retry's exclusion of the failed pod can make the call succeed.
    RestClient client = start("kdiscovery.affinity.header=X-User", "kdiscovery.outlier-detection.enabled=false",
        "spring.cloud.loadbalancer.retry.enabled=true",
        "spring.cloud.loadbalancer.retry.max-retries-on-same-service-instance=0",
        "spring.cloud.loadbalancer.retry.max-retries-on-next-service-instance=1");
    String home = call(client, "alice");
    assertThat(call(client, "alice")).isEqualTo(home);
    int homeIndex = Integer.parseInt(home.substring("web-".length()));

    pods.kill(homeIndex);

    for (int i = 0; i < 20; i++) {
      assertThat(call(client, "alice")).isNotEqualTo(home).startsWith("web-");
    }
  }

  @Test
  void underSixtyFourThreadsWithLeastRequestNoRetryGoesBackToThePodThatAnswered503() throws Exception {
    // Least-request hands out pooled pick handles: a retry that read its previous attempt's endpoint
    // from the completed handle would read another request's pod and could go back to web-1. The
    // retry's backoff leaves the other threads time to take that handle from the pool again, and the
    // small pool (8 handles instead of 1024) makes that happen at this test's rate of requests.
    RestClient client = start("kdiscovery.policy=least-request", "kdiscovery.outlier-detection.enabled=false",
        "kdiscovery.max-outstanding-picks=8",
        "spring.cloud.loadbalancer.retry.enabled=true",
        "spring.cloud.loadbalancer.retry.backoff.enabled=true",
        "spring.cloud.loadbalancer.retry.backoff.min-backoff=20ms",
        "spring.cloud.loadbalancer.retry.backoff.max-backoff=40ms",
        "spring.cloud.loadbalancer.retry.retryable-status-codes=503",
        "spring.cloud.loadbalancer.retry.max-retries-on-same-service-instance=0",
        "spring.cloud.loadbalancer.retry.max-retries-on-next-service-instance=1");
    call(client, "warm-up");
    pods.answerWith(1, 503);
    int before = pods.requests(1) + pods.requests(2) + pods.requests(3);
    int beforeOnFailing = pods.requests(1);
    int threads = 64;
    int callsEach = 12;
    java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(threads);
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    try {
      java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(callers.submit(() -> {
          for (int i = 0; i < callsEach; i++) {
            try {
              assertThat(call(client, "u")).isIn("web-2", "web-3");
            } catch (RuntimeException e) {
              failed.incrementAndGet();
            }
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
    int calls = threads * callsEach;
    int onFailing = pods.requests(1) - beforeOnFailing;
    int total = pods.requests(1) + pods.requests(2) + pods.requests(3) - before;
    assertThat(onFailing).as("first attempts that reached the failing pod").isPositive();
    // Each call is one attempt, plus one retry exactly when its first attempt reached web-1; a retry
    // that went back to web-1 would count there twice for one call and end the call in a 503.
    assertThat(total - calls).as("retries").isEqualTo(onFailing);
    assertThat(failed).hasValue(0);
  }

  @Test
  void aSpoofedLeftMostForwardedForEntryDoesNotChooseThePodTheTrustedRightMostDoes() {
    RestClient client = start("kdiscovery.affinity.client-ip=true");
    Set<String> reached = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      // the client writes any left-most entry it likes; the proxy in front appends what it saw
      reached.add(client.get().uri("http://web/").header("X-Forwarded-For", "10.9.0." + i + ", 198.51.100.7")
          .retrieve().body(String.class));
    }
    assertThat(reached).hasSize(1);
    String pod = reached.iterator().next();
    Set<String> byClient = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      byClient.add(client.get().uri("http://web/").header("X-Forwarded-For", "198.51.100." + (100 + i))
          .retrieve().body(String.class));
    }
    assertThat(byClient).as("distinct trusted client IPs spread over the pods").hasSizeGreaterThan(1);
    assertThat(client.get().uri("http://web/").header("X-Forwarded-For", "198.51.100.7")
        .retrieve().body(String.class)).isEqualTo(pod);
  }

  @Test
  void perServiceSettingsApplyToTheirIdOverTheGlobalOnes() {
    RestClient client = start("kdiscovery.services.web.affinity.header=X-User",
        "kdiscovery.services.web.policy=least-request",
        "kdiscovery.services.web.outlier-detection.consecutive-failures=3",
        "kdiscovery.services[web.default].policy=random");
    // web: the per-service header keeps a user on one pod; the global settings have no affinity
    String first = call(client, "bob");
    for (int i = 0; i < 20; i++) {
      assertThat(call(client, "bob")).isEqualTo(first);
    }
    ServiceDirectory directory = app.getBean(ServiceDirectory.class);
    KDiscoveryProperties.ServiceSettings web = app.getBean(ServiceDirectory.class).settingsOf("web");
    assertThat(web.getPolicy()).isEqualTo(Policy.LEAST_REQUEST);
    assertThat(web.getOutlierDetection().getConsecutiveFailures()).isEqualTo(3);
    assertThat(web.getOutlierDetection().getBaseEjectionTime()).isEqualTo(Duration.ofSeconds(30)); // global
    assertThat(directory.settingsOf("web.default").getPolicy()).isEqualTo(Policy.RANDOM);
    assertThat(directory.settingsOf("web.default").getAffinity().isConfigured()).isFalse();
    assertThat(directory.settingsOf("other").getPolicy()).isEqualTo(Policy.ROUND_ROBIN);
  }

  @Test
  void withoutPerServiceAffinityRequestsSpreadOverThePods() {
    RestClient client = start("kdiscovery.services.other.affinity.header=X-User");
    Set<String> reached = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      reached.add(call(client, "bob"));
    }
    assertThat(reached).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
  }

  @Test
  void pickMetersAreBuiltOnceAndATimerRecordsLatencyByOutcome() {
    RestClient client = start();
    MeterRegistry registry = new SimpleMeterRegistry();
    app.getBean(KDiscoveryMetrics.class).bindTo(registry);
    for (int i = 0; i < 30; i++) {
      call(client, "carol");
    }
    pods.kill(1);
    pods.kill(2);
    pods.kill(3);
    for (int i = 0; i < 3; i++) {
      try {
        call(client, "carol");
      } catch (RuntimeException expected) {
        // every pod refuses: the outcomes are what this test counts
      }
    }

    await().atMost(WAIT).untilAsserted(() -> {
      Counter success = registry.get("kdiscovery.picks").tags("service", "web", "outcome", "success").counter();
      assertThat(success.count()).isEqualTo(30);
      Timer latency = registry.get("kdiscovery.requests").tags("service", "web", "outcome", "success").timer();
      assertThat(latency.count()).isEqualTo(30);
      assertThat(latency.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
      assertThat(registry.get("kdiscovery.requests").tags("service", "web", "outcome", "connect_failure")
          .timer().count()).isPositive();
    });
    // one counter and one timer per (service, outcome), however many picks
    assertThat(registry.find("kdiscovery.picks").counters()).extracting(c -> c.getId().getTag("outcome"))
        .doesNotHaveDuplicates();
  }
}
