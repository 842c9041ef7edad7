package io.kdiscovery.okhttp;

import io.kdiscovery.model.ServiceKey;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The options {@link KDiscoveryDns} and {@link KDiscoveryInterceptor} share, held by each one's builder:
 * how a host name is read as a Service (the cluster domain and the namespaces of short forms, for
 * {@link ClusterNames}), how long a Service's first use waits for its table, and the bounds on what
 * names in calls may keep open ({@link ServiceLeases}). Each setter checks its
 * argument at once, so that a builder fails on the bad call and not at {@code build()}.
 *
 * <p>Not thread-safe, like the builders that hold it.
 */
final class ServiceNameOptions {

  private String clusterDomain = "cluster.local";
  private Duration initialWait = Duration.ofSeconds(5);
  private Duration serviceIdleTimeout = Duration.ofMinutes(5);
  private int maxServices = 1000;
  private Duration notAServiceTtl = Duration.ofSeconds(30);
  private final Set<String> extraShortFormNamespaces = new HashSet<>();

  void clusterDomain(String domain) {
    new ClusterNames(domain, "default", Set.of()); // validates
    this.clusterDomain = domain;
  }

  void initialWait(Duration wait) {
    Objects.requireNonNull(wait, "initialWait");
    if (wait.isNegative() || wait.isZero()) {
      throw new IllegalArgumentException("initialWait must be positive: " + wait);
    }
    this.initialWait = wait;
  }

  void shortFormNamespaces(String... namespaces) {
    for (String ns : namespaces) {
      ServiceKey.of(ns, "validation", 1); // the same label rules as every key
      extraShortFormNamespaces.add(ns);
    }
  }

  void serviceIdleTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "serviceIdleTimeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("serviceIdleTimeout must be positive: " + timeout);
    }
    this.serviceIdleTimeout = timeout;
  }

  void maxServices(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("maxServices must be at least 1: " + max);
    }
    this.maxServices = max;
  }

  void notAServiceTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "notAServiceTtl");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("notAServiceTtl must not be negative: " + ttl);
    }
    this.notAServiceTtl = ttl;
  }

  Duration initialWait() {
    return initialWait;
  }

  Duration serviceIdleTimeout() {
    return serviceIdleTimeout;
  }

  int maxServices() {
    return maxServices;
  }

  Duration notAServiceTtl() {
    return notAServiceTtl;
  }

  /** The names as the pod's resolver reads them: short forms in the default namespace and the extra ones. */
  ClusterNames names(String defaultNamespace) {
    Set<String> shortFormNamespaces = new HashSet<>(extraShortFormNamespaces);
    shortFormNamespaces.add(defaultNamespace);
    return new ClusterNames(clusterDomain, defaultNamespace, shortFormNamespaces);
  }
}
