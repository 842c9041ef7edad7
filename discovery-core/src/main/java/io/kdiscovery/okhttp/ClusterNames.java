package io.kdiscovery.okhttp;

import io.kdiscovery.model.ServiceKey;
import java.util.Locale;
import java.util.Objects;

/**
 * Which host names name a Service, the way a pod's resolver reads them: the full
 * {@code <service>.<namespace>.svc.<cluster domain>}, {@code <service>.<namespace>.svc}, and the short
 * forms its search path completes, {@code <service>.<namespace>} and {@code <service>} (the pod's own
 * namespace). Short forms are only candidates: they are a Service's name when such a Service exists,
 * and otherwise an ordinary host name. {@code <a>.<b>} is read as a Service only for the namespaces
 * given (by default the pod's own), so that {@code example.com} never opens a watch in a namespace
 * "com".
 *
 * <p>Immutable and thread-safe.
 */
final class ClusterNames {

  /** A host name read as a Service; {@code shortForm} when it could also be an ordinary name. */
  record ServiceName(String namespace, String name, boolean shortForm) {}

  private final String clusterDomain;
  private final String defaultNamespace;
  private final java.util.Set<String> shortFormNamespaces;

  ClusterNames(String clusterDomain, String defaultNamespace, java.util.Set<String> shortFormNamespaces) {
    this.shortFormNamespaces = java.util.Set.copyOf(shortFormNamespaces);
    this.clusterDomain = trimDots(Objects.requireNonNull(clusterDomain, "clusterDomain")).toLowerCase(Locale.ROOT);
    this.defaultNamespace = Objects.requireNonNull(defaultNamespace, "defaultNamespace");
    if (this.clusterDomain.isEmpty()) {
      throw new IllegalArgumentException("clusterDomain must not be empty (Kubernetes' default: cluster.local)");
    }
  }

  /** The Service {@code host} names, or null when it names none (an IP literal, a public name, localhost). */
  ServiceName parse(String host) {
    String h = trimDots(host).toLowerCase(Locale.ROOT);
    if (h.isEmpty() || h.equals("localhost") || h.indexOf(':') >= 0 || isIpv4(h)) {
      return null;
    }
    String suffix = ".svc." + clusterDomain;
    if (h.endsWith(suffix)) {
      return twoLabels(h.substring(0, h.length() - suffix.length()), false);
    }
    if (h.endsWith(".svc")) {
      return twoLabels(h.substring(0, h.length() - 4), false);
    }
    String[] labels = h.split("\\.", -1);
    if (labels.length == 1) {
      return valid(defaultNamespace, labels[0], true);
    }
    if (labels.length == 2 && shortFormNamespaces.contains(labels[1])) {
      return valid(labels[1], labels[0], true);
    }
    return null;
  }

  private ServiceName twoLabels(String rest, boolean shortForm) {
    String[] labels = rest.split("\\.", -1);
    return labels.length == 2 ? valid(labels[1], labels[0], shortForm) : null;
  }

  private static ServiceName valid(String namespace, String name, boolean shortForm) {
    try {
      ServiceKey.of(namespace, name, 1); // the same label rules as every other key
      return new ServiceName(namespace, name, shortForm);
    } catch (IllegalArgumentException notAServiceName) {
      return null; // e.g. "my_host": a name the cluster's DNS could not hold, so not one of its Services
    }
  }

  private static boolean isIpv4(String h) {
    return h.chars().allMatch(c -> c == '.' || Character.isDigit(c));
  }

  private static String trimDots(String s) {
    String t = s;
    while (t.endsWith(".")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }
}
