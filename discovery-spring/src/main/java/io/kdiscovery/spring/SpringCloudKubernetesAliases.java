package io.kdiscovery.spring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Lets an application that swapped Spring Cloud Kubernetes' discovery for kdiscovery keep its
 * {@code spring.cloud.kubernetes.discovery.*} settings: when Spring Cloud Kubernetes is not on the
 * classpath, each such property kdiscovery has an equivalent for is read as that {@code kdiscovery.*}
 * property, unless the {@code kdiscovery.*} one is set too (kdiscovery's own name wins). Says once at
 * start-up which properties it took and which it ignored, and why.
 *
 * <p>Runs once per environment, after the application's configuration files are loaded. Registered
 * in {@code META-INF/spring.factories}; not meant to be called by applications.
 */
public final class SpringCloudKubernetesAliases implements EnvironmentPostProcessor, Ordered {

  static final String SCK = "spring.cloud.kubernetes.discovery.";
  static final String SCK_MARKER = "org.springframework.cloud.kubernetes.commons.discovery.KubernetesDiscoveryProperties";
  static final String SOURCE_NAME = "kdiscovery-from-spring-cloud-kubernetes";

  private enum Kind { VALUE, LIST, MAP, SECONDS }

  private record Alias(String sck, String kdiscovery, Kind kind) {}

  private static final List<Alias> ALIASES = List.of(
      new Alias("enabled", "enabled", Kind.VALUE),
      new Alias("all-namespaces", "all-namespaces", Kind.VALUE),
      new Alias("namespaces", "namespaces", Kind.LIST),
      new Alias("service-labels", "service-labels", Kind.MAP),
      new Alias("filter", "filter", Kind.VALUE),
      new Alias("include-not-ready-addresses", "include-not-ready-addresses", Kind.VALUE),
      new Alias("include-external-name-services", "include-external-name-services", Kind.VALUE),
      new Alias("known-secure-ports", "known-secure-ports", Kind.LIST),
      new Alias("primary-port-name", "port-name", Kind.VALUE),
      new Alias("order", "order", Kind.VALUE),
      new Alias("cache-loading-timeout-seconds", "initial-wait-timeout", Kind.SECONDS),
      new Alias("metadata.add-labels", "metadata.add-labels", Kind.VALUE),
      new Alias("metadata.labels-prefix", "metadata.labels-prefix", Kind.VALUE),
      new Alias("metadata.add-annotations", "metadata.add-annotations", Kind.VALUE),
      new Alias("metadata.annotations-prefix", "metadata.annotations-prefix", Kind.VALUE),
      new Alias("metadata.add-ports", "metadata.add-ports", Kind.VALUE),
      new Alias("metadata.ports-prefix", "metadata.ports-prefix", Kind.VALUE),
      new Alias("metadata.add-pod-labels", "metadata.add-pod-labels", Kind.VALUE),
      new Alias("metadata.add-pod-annotations", "metadata.add-pod-annotations", Kind.VALUE),
      new Alias("catalog-services-watch.enabled", "heartbeat.enabled", Kind.VALUE));

  /** Spring Cloud Kubernetes settings with no kdiscovery equivalent, and why. */
  private static final Map<String, String> IGNORED = Map.of(
      "wait-cache-ready", "kdiscovery never blocks start-up; lookups wait at most kdiscovery.initial-wait-timeout",
      "use-endpoint-slices", "kdiscovery always watches EndpointSlices",
      "discovery-server-url", "kdiscovery talks to the API server itself; there is no discovery server",
      "catalog-services-watch-delay", "kdiscovery's HeartbeatEvents are pushed by the watches, not polled");

  private final Log log;

  public SpringCloudKubernetesAliases(DeferredLogFactory logs) {
    this.log = logs.getLog(SpringCloudKubernetesAliases.class);
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE; // after the configuration files
  }

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    if (ClassUtils.isPresent(SCK_MARKER, application.getClassLoader())) {
      return; // Spring Cloud Kubernetes reads its own properties
    }
    Binder binder = Binder.get(environment);
    Map<String, Object> taken = new LinkedHashMap<>();
    List<String> report = new ArrayList<>();
    for (Alias alias : ALIASES) {
      String from = SCK + alias.sck();
      String to = "kdiscovery." + alias.kdiscovery();
      Bindable<?> type = switch (alias.kind()) {
        case VALUE, SECONDS -> Bindable.of(String.class);
        case LIST -> Bindable.listOf(String.class);
        case MAP -> Bindable.mapOf(String.class, String.class);
      };
      var value = binder.bind(from, type);
      if (!value.isBound()) {
        continue;
      }
      if (binder.bind(to, type).isBound()) {
        report.add(from + " ignored: " + to + " is set");
        continue;
      }
      Object raw = value.get();
      switch (alias.kind()) {
        case VALUE -> taken.put(to, raw);
        case SECONDS -> taken.put(to, raw + "s");
        case LIST -> taken.put(to, String.join(",", ((List<?>) raw).stream().map(Object::toString).toList()));
        case MAP -> ((Map<?, ?>) raw).forEach((k, v) -> taken.put(to + "[" + k + "]", v));
      }
      report.add(from + " → " + to);
    }
    for (Map.Entry<String, String> ignored : IGNORED.entrySet()) {
      if (binder.bind(SCK + ignored.getKey(), Bindable.of(String.class)).isBound()) {
        report.add(SCK + ignored.getKey() + " ignored: " + ignored.getValue());
      }
    }
    if (!taken.isEmpty()) {
      environment.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME, taken));
    }
    if (!report.isEmpty()) {
      log.info("kdiscovery read Spring Cloud Kubernetes discovery settings (Spring Cloud Kubernetes is not on the "
          + "classpath): " + String.join("; ", report));
    }
  }

  /** The Spring Cloud Kubernetes names kdiscovery reads, for the documentation's table and its test. */
  static Set<String> aliasedNames() {
    return ALIASES.stream().map(a -> SCK + a.sck()).collect(Collectors.toUnmodifiableSet());
  }
}
