package io.kdiscovery.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Names one port of one Kubernetes Service: the unit kdiscovery keeps a live endpoint table for.
 *
 * <p>Immutable and thread-safe. The port is written the way a caller writes it for the Service's
 * ClusterIP: either the Service's port number ({@code 80}) or the port's name ({@code default}).
 * kdiscovery maps it to the pods' port (the Service port's {@code targetPort}, e.g. {@code 9376}).
 *
 * <p>{@link #parse(String, String)} accepts {@code service:port}, {@code service.namespace:port} and
 * {@code service.namespace.svc[.cluster-domain]:port}.
 */
public final class ServiceKey implements Comparable<ServiceKey> {

  // RFC 1123 label, as Kubernetes requires of namespaces and Service names.
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  // IANA_SVC_NAME, as Kubernetes requires of port names: lower case, digits, '-', at least one letter.
  private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private final String namespace;
  private final String name;
  private final String port;
  private final int portNumber;

  private ServiceKey(String namespace, String name, String port, int portNumber) {
    this.namespace = namespace;
    this.name = name;
    this.port = port;
    this.portNumber = portNumber;
  }

  /** A key for the Service port with this number (1-65535). */
  public static ServiceKey of(String namespace, String name, int port) {
    checkLabel("namespace", namespace);
    checkLabel("service name", name);
    checkPortNumber(port);
    return new ServiceKey(namespace, name, Integer.toString(port), port);
  }

  /** A key for the Service port given as a number ({@code "80"}) or a port name ({@code "http"}). */
  public static ServiceKey of(String namespace, String name, String port) {
    checkLabel("namespace", namespace);
    checkLabel("service name", name);
    Objects.requireNonNull(port, "port");
    if (!port.isEmpty() && port.chars().allMatch(Character::isDigit)) {
      int number;
      try {
        number = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port out of range 1-65535: " + port, e);
      }
      checkPortNumber(number);
      return new ServiceKey(namespace, name, Integer.toString(number), number);
    }
    if (port.length() > 15 || !PORT_NAME.matcher(port).matches()
        || port.chars().noneMatch(Character::isLetter)) {
      throw new IllegalArgumentException(
          "port must be a number 1-65535 or a Kubernetes port name (lower case letters, digits and"
              + " '-', at most 15 characters): '" + port + "'");
    }
    return new ServiceKey(namespace, name, port, 0);
  }

  /**
   * Parses {@code service:port}, {@code service.namespace:port} or
   * {@code service.namespace.svc[.cluster.domain]:port}; {@code defaultNamespace} fills in a missing
   * namespace.
   *
   * @throws IllegalArgumentException naming the accepted forms when {@code text} is none of them
   */
  public static ServiceKey parse(String text, String defaultNamespace) {
    Objects.requireNonNull(text, "text");
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(formsMessage(text));
    }
    String host = text.substring(0, colon);
    String port = text.substring(colon + 1);
    String[] labels = host.split("\\.", -1);
    String name = labels[0];
    String namespace;
    if (labels.length == 1) {
      namespace = defaultNamespace;
    } else if (labels.length == 2 || "svc".equals(labels[2])) {
      namespace = labels[1];
    } else {
      throw new IllegalArgumentException(formsMessage(text));
    }
    if (namespace == null) {
      throw new IllegalArgumentException(
          "'" + text + "' names no namespace and no default namespace is configured");
    }
    try {
      return of(namespace, name, port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(formsMessage(text) + ": " + e.getMessage(), e);
    }
  }

  private static String formsMessage(String text) {
    return "not a Service address: '" + text + "'; expected service:port, service.namespace:port or"
        + " service.namespace.svc.cluster.local:port, where port is the Service's port number or name";
  }

  private static void checkLabel(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " must be an RFC 1123 label (lower case letters,"
          + " digits and '-', at most 63 characters): '" + value + "'");
    }
  }

  private static void checkPortNumber(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1-65535: " + port);
    }
  }

  public String namespace() {
    return namespace;
  }

  public String name() {
    return name;
  }

  /** The port as given: a number such as {@code "80"} or a name such as {@code "http"}. */
  public String port() {
    return port;
  }

  /** Whether the port was given as a number. */
  public boolean hasPortNumber() {
    return portNumber != 0;
  }

  /** The port number, or 0 when the port was given by name. */
  public int portNumber() {
    return portNumber;
  }

  @Override
  public int compareTo(ServiceKey other) {
    int c = namespace.compareTo(other.namespace);
    if (c == 0) c = name.compareTo(other.name);
    if (c == 0) c = port.compareTo(other.port);
    return c;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceKey k
        && namespace.equals(k.namespace) && name.equals(k.name) && port.equals(k.port);
  }

  @Override
  public int hashCode() {
    return Objects.hash(namespace, name, port);
  }

  /** {@code name.namespace:port}, the form {@link #parse} reads back. */
  @Override
  public String toString() {
    return name + "." + namespace + ":" + port;
  }
}
