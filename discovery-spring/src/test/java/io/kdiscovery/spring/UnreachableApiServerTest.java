package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * A new user's first run, with no cluster: every path (getInstances, getServices, a
 * {@code @LoadBalanced} call) gives up within {@code kdiscovery.initial-wait-timeout} with
 * {@link KDiscoveryUnavailableException} naming the API server's URL and the root cause, and later
 * calls fail at once instead of waiting again.
 *
 * <p>The bounds on time are generous (the machine is shared); what they catch is the old behaviour,
 * ~20 s per call, and a second wait per call.
 */
class UnreachableApiServerTest {

  private static final Duration INITIAL_WAIT = Duration.ofSeconds(1);
  /** The first call's bound: the initial wait plus room for a loaded machine. */
  private static final Duration FIRST_CALL_BOUND = INITIAL_WAIT.plusSeconds(4);
  /** A later call's bound: failing fast means no wait at all; this only allows for scheduling noise. */
  private static final Duration LATER_CALL_BOUND = Duration.ofMillis(300);

  private final Map<String, String> savedProperties = new HashMap<>();

  @TempDir
  Path home;

  private void setSystemProperty(String key, String value) {
    savedProperties.putIfAbsent(key, System.getProperty(key));
    System.setProperty(key, value);
  }

  @AfterEach
  void restoreSystemProperties() {
    savedProperties.forEach((key, value) -> {
      if (value == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, value);
      }
    });
  }

  private static int closedLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** fabric8's standard configuration, from a kubeconfig naming a closed loopback port. */
  private String kubeconfigAtClosedPort() throws IOException {
    String url = "https://127.0.0.1:" + closedLoopbackPort();
    Path kubeconfig = home.resolve("kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: nowhere
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        users:
        - name: someone
          user:
            token: not-a-real-token
        contexts:
        - name: nowhere
          context:
            cluster: nowhere
            user: someone
            namespace: default
        current-context: nowhere
        """.formatted(url));
    noOtherConfiguration();
    setSystemProperty("kubeconfig", kubeconfig.toString());
    return url;
  }

  /** No in-cluster service account, no master URL from the system properties, no kubeconfig. */
  private void noOtherConfiguration() {
    setSystemProperty("kubernetes.auth.tryServiceAccount", "false");
    setSystemProperty("kubernetes.master", "");
    System.clearProperty("kubernetes.master");
    setSystemProperty("kubeconfig", home.resolve("absent").toString());
  }

  private static ConfigurableApplicationContext app() {
    return new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .properties("kdiscovery.initial-wait-timeout=" + INITIAL_WAIT.toMillis() + "ms",
            "spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            // spring-retry is on the test classpath for RetryAndPerServiceSettingsTest only
            "spring.cloud.loadbalancer.retry.enabled=false")
        .run();
  }

  private static Throwable timed(Duration bound, Supplier<Object> call) {
    long start = System.nanoTime();
    Throwable thrown = catchThrowable(call::get);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).as("call took %s", took).isLessThan(bound);
    return thrown;
  }

  private static KDiscoveryUnavailableException unavailable(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof KDiscoveryUnavailableException e) {
        return e;
      }
    }
    throw new AssertionError("expected KDiscoveryUnavailableException in the causes of " + thrown, thrown);
  }

  @Test
  void aClosedPortFailsEveryPathWithinTheInitialWaitNamingTheUrlAndTheCause() throws IOException {
    String url = kubeconfigAtClosedPort();
    try (ConfigurableApplicationContext app = app()) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);
      RestClient client = app.getBean(RestClient.Builder.class).build();

      KDiscoveryUnavailableException first = unavailable(timed(FIRST_CALL_BOUND, () -> discovery.getInstances("web")));
      assertThat(first.apiServerUrl()).startsWith(url);
      assertThat(first).hasMessageContaining(url).hasMessageContaining("connection refused");

      KDiscoveryUnavailableException services = unavailable(timed(LATER_CALL_BOUND, discovery::getServices));
      assertThat(services).hasMessageContaining(url).hasMessageContaining("connection refused");
      unavailable(timed(LATER_CALL_BOUND, () -> discovery.getInstances("web")));
      unavailable(timed(LATER_CALL_BOUND, () -> discovery.getInstances("other")));
      KDiscoveryUnavailableException call = unavailable(timed(LATER_CALL_BOUND,
          () -> client.get().uri("http://web/").retrieve().body(String.class)));
      assertThat(call).hasMessageContaining(url);
    }
  }

  @Test
  void aLoadBalancedCallIsTheFirstToWaitAndItsBoundIsTheInitialWaitToo() throws IOException {
    String url = kubeconfigAtClosedPort();
    try (ConfigurableApplicationContext app = app()) {
      RestClient client = app.getBean(RestClient.Builder.class).build();

      KDiscoveryUnavailableException first = unavailable(timed(FIRST_CALL_BOUND,
          () -> client.get().uri("http://web/").retrieve().body(String.class)));
      assertThat(first).hasMessageContaining(url).hasMessageContaining("connection refused");
      unavailable(timed(LATER_CALL_BOUND, () -> client.get().uri("http://web/").retrieve().body(String.class)));
    }
  }

  @Test
  void noKubernetesConfigurationAtAllFailsFastNamingTheDefaultUrl() {
    noOtherConfiguration();
    try (ConfigurableApplicationContext app = app()) {
      DiscoveryClient discovery = app.getBean(DiscoveryClient.class);

      KDiscoveryUnavailableException first = unavailable(timed(FIRST_CALL_BOUND, discovery::getServices));
      // fabric8's default when nothing is configured: the in-cluster name, unknown outside a cluster
      assertThat(first.apiServerUrl()).contains("kubernetes.default.svc");
      assertThat(first).hasMessageContaining("kubernetes.default.svc");
      unavailable(timed(LATER_CALL_BOUND, () -> discovery.getInstances("web")));
    }
  }

  @Test
  void theExceptionIsTypedForCallers() {
    assertThatThrownBy(() -> {
      throw new KDiscoveryUnavailableException("m", "https://x", null);
    }).isInstanceOf(IllegalStateException.class);
  }
}
