package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.SourceType;
import io.kdiscovery.source.dns.DnsEndpointSource;
import io.kdiscovery.source.dns.Dnsmasq;
import io.kdiscovery.testing.FakeTicker;
import io.kdiscovery.time.Ticker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * Spring's DNS mode (no catalog: every name looked up could be a Service) keeps bounded state for the
 * names callers send, on fake time and a real dnsmasq: names that are no Service leave only brief
 * negative entries and no meter of their own; Services looked up by name are released once idle; the
 * cap holds under a flood of distinct names.
 */
class DnsModeBoundsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int REAL_SERVICES = 60;

  @TempDir
  Path dir;

  private Dnsmasq dnsmasq;
  private final FakeTicker ticker = new FakeTicker();
  private ConfigurableApplicationContext app;
  private KDiscovery discovery;
  private final MeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void dns() throws IOException {
    List<String> hosts = new ArrayList<>();
    hosts.add("127.0.0.11 web.default.svc.cluster.local");
    for (int i = 1; i <= REAL_SERVICES; i++) {
      hosts.add("127.0.0.12 real-" + i + ".default.svc.cluster.local");
    }
    dnsmasq = Dnsmasq.start(dir, hosts.toArray(String[]::new));
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
    if (discovery != null) {
      discovery.close(); // a registered singleton, which the context does not close
    }
    dnsmasq.close();
  }

  private void start(String... properties) {
    discovery = KDiscovery.builder().sourceType(SourceType.DNS).namespace("default")
        .dns(DnsEndpointSource.builder().nameServer(dnsmasq.address())).build();
    app = new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> {
          context.getBeanFactory().registerSingleton("dnsKDiscovery", discovery);
          context.getBeanFactory().registerSingleton("fakeTicker", (Ticker) ticker);
        })
        .properties("spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            "spring.cloud.loadbalancer.retry.enabled=false", "kdiscovery.source=dns",
            // a port number: the DNS source then reads A records, which dnsmasq's hosts file serves
            "kdiscovery.port-name=8080")
        .properties(properties)
        .run();
    app.getBean(KDiscoveryMetrics.class).bindTo(registry);
  }

  private ServiceDirectory directory() {
    return app.getBean(ServiceDirectory.class);
  }

  private int watched() {
    return discovery.table().services().size();
  }

  /** The values of the service tag over every kdiscovery meter. */
  private Set<String> serviceTags() {
    Set<String> tags = new TreeSet<>();
    for (Meter meter : registry.getMeters()) {
      String service = meter.getId().getTag("service");
      if (service != null) {
        tags.add(service);
      }
    }
    return tags;
  }

  private static void callFails(RestClient client, String url) {
    assertThat(catchThrowable(() -> client.get().uri(url).retrieve().body(String.class)))
        .as("a call to %s", url).isNotNull();
  }

  @Test
  void namesThatAreNoServiceLeaveNothingBehindOnceTheirNegativeEntryExpires() {
    start();
    DiscoveryClient lookups = app.getBean(DiscoveryClient.class);
    RestClient client = app.getBean(RestClient.Builder.class).build();
    // The fixed meters of names that are no Service exist after the first such call: the baseline.
    callFails(client, "http://ghost-warm-up/");
    ticker.advance(Duration.ofSeconds(31));
    directory().cleanUp();
    await().atMost(WAIT).until(() -> watched() == 0);
    long namesBefore = directory().namesHeld();
    int metersBefore = registry.getMeters().size();
    assertThat(namesBefore).isZero();

    for (int i = 0; i < 500; i++) {
      assertThat(lookups.getInstances("ghost-" + i)).isEmpty();
    }
    for (int i = 0; i < 20; i++) {
      callFails(client, "http://ghost-" + i + "/");
    }
    // Each name is answered NXDOMAIN once; its watch is closed at once, a negative entry stays.
    assertThat(directory().namesHeld()).isEqualTo(500);
    await().atMost(WAIT).until(() -> watched() == 0);
    assertThat(serviceTags()).containsOnly("unknown");
    assertThat(registry.getMeters()).hasSize(metersBefore);

    ticker.advance(Duration.ofSeconds(31));
    directory().cleanUp();
    assertThat(directory().namesHeld()).isEqualTo(namesBefore);
    assertThat(watched()).isZero();
    assertThat(registry.getMeters()).hasSize(metersBefore);
    assertThat(lookups.getServices()).isEmpty();
  }

  @Test
  void theInstanceListSupplierLeavesOnlyANegativeEntryForANameThatIsNoService() {
    start();
    KDiscoveryServiceInstanceListSupplier ghost = new KDiscoveryServiceInstanceListSupplier("ghost", directory());
    KDiscoveryServiceInstanceListSupplier web = new KDiscoveryServiceInstanceListSupplier("web", directory());

    assertThat(ghost.get().blockFirst(WAIT)).isEmpty();
    assertThat(web.get().blockFirst(WAIT)).extracting(i -> i.getHost()).containsExactly("127.0.0.11");
    await().atMost(WAIT).until(() -> watched() == 1);
    assertThat(directory().namesHeld()).isEqualTo(2); // web's entry, and ghost's negative one
    assertThat(serviceTags()).containsOnly("web");
  }

  @Test
  void aServiceLookedUpByNameIsReleasedWithItsGaugesOnceIdle() {
    start();
    DiscoveryClient lookups = app.getBean(DiscoveryClient.class);
    RestClient client = app.getBean(RestClient.Builder.class).build();
    assertThat(lookups.getInstances("web")).extracting(i -> i.getHost()).containsExactly("127.0.0.11");
    assertThat(lookups.getServices()).containsExactly("web");
    assertThat(registry.find("kdiscovery.endpoints").tag("service", "web").gauge()).isNotNull();

    // Requests keep it: a first call (the load balancer finds the entry), four minutes, a call on the
    // load balancer's fast path, four more: idle for four minutes only. Whatever the address answers,
    // only the pick matters.
    catchThrowable(() -> client.get().uri("http://web/").retrieve().toBodilessEntity());
    ticker.advance(Duration.ofMinutes(4));
    catchThrowable(() -> client.get().uri("http://web/").retrieve().toBodilessEntity());
    ticker.advance(Duration.ofMinutes(4));
    directory().cleanUp();
    assertThat(watched()).isEqualTo(1);

    ticker.advance(Duration.ofMinutes(5).plusSeconds(1));
    directory().cleanUp();
    await().atMost(WAIT).until(() -> watched() == 0);
    assertThat(directory().namesHeld()).isZero();
    assertThat(registry.find("kdiscovery.endpoints").gauges()).isEmpty();
    assertThat(lookups.getServices()).isEmpty();
    // and a later lookup opens it again
    assertThat(lookups.getInstances("web")).hasSize(1);
  }

  @Test
  void theCapHoldsUnderAFloodOfDistinctNames() {
    start("kdiscovery.names.max-services=20");
    DiscoveryClient lookups = app.getBean(DiscoveryClient.class);
    for (int i = 1; i <= REAL_SERVICES; i++) {
      assertThat(lookups.getInstances("real-" + i)).hasSize(1);
      assertThat(lookups.getInstances("nothing-" + i)).isEmpty();
    }
    directory().cleanUp();
    // at most 20 Services watched and 20 names remembered as no Service
    assertThat(directory().namesHeld()).isLessThanOrEqualTo(40);
    await().atMost(WAIT).until(() -> watched() <= 20);
    assertThat(registry.find("kdiscovery.endpoints").gauges()).hasSizeLessThanOrEqualTo(20);
    assertThat(lookups.getServices()).hasSizeLessThanOrEqualTo(20).allMatch(id -> id.startsWith("real-"));
  }
}
