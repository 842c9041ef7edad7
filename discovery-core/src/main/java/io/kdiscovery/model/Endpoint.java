package io.kdiscovery.model;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;

/**
 * One pod address of a Service port: the thing a picker returns.
 *
 * <p>Immutable and thread-safe. The address is a validated IP literal in canonical form, so two
 * endpoints for the same pod compare equal whichever slice or record they came from. Optional
 * attributes (zone, node, hostname, pod name, pod uid) are {@code null} when unknown.
 */
public final class Endpoint {

  private final String address;
  private final int port;
  private final String hostPort; // the endpoint's identity: integrations look pods up by it per request
  private final EndpointConditions conditions;
  private final String zone;
  private final String nodeName;
  private final String hostname;
  private final String podName;
  private final String podUid;
  private final Set<String> zoneHints;
  private final int weight;

  private Endpoint(Builder b, InetAddress inet) {
    this.address = IpAddresses.canonical(inet, b.rawAddress); // the caller's string when already canonical
    this.port = b.port;
    this.hostPort = address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
    this.conditions = b.conditions;
    this.zone = b.zone;
    this.nodeName = b.nodeName;
    this.hostname = b.hostname;
    this.podName = b.podName;
    this.podUid = b.podUid;
    this.zoneHints = Set.copyOf(b.zoneHints);
    this.weight = b.weight;
  }

  /** Starts an endpoint at this IP literal and port; both are checked by {@link Builder#build()}. */
  public static Builder builder(String address, int port) {
    return new Builder(address, port);
  }

  /** A ready endpoint with no other attributes. */
  public static Endpoint of(String address, int port) {
    return builder(address, port).build();
  }

  /** The IP address in canonical text form, e.g. {@code 10.244.0.5} or {@code fd00::5}. */
  public String address() {
    return address;
  }

  /** The pod's port (the Service port's target port), 1-65535. */
  public int port() {
    return port;
  }

  /**
   * The address and port as a resolved socket address, built from the validated literal on each call
   * (never a lookup). Not kept, to save ≈90 bytes per endpoint: it is read when addresses are handed
   * to a transport (a gRPC resolver update), not per request; per request, read {@link #hostPort()}
   * and {@link #address()}, which are fields.
   */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(IpAddresses.parse(address), port);
  }

  public EndpointConditions conditions() {
    return conditions;
  }

  /** The zone of the pod's node ({@code topology.kubernetes.io/zone}), or null. */
  public String zone() {
    return zone;
  }

  /** The node the pod runs on, or null. */
  public String nodeName() {
    return nodeName;
  }

  /** The pod's hostname (a StatefulSet pod's name, or an SRV target), or null. */
  public String hostname() {
    return hostname;
  }

  /** The pod's name from the endpoint's {@code targetRef}, or null. */
  public String podName() {
    return podName;
  }

  /**
   * The pod's uid ({@code metadata.uid}) from the endpoint's {@code targetRef}, or null when the source
   * does not say (DNS, an endpoint without a targetRef, one that refers to something other than a pod).
   * Unlike the name, it changes when a pod of the same name (a StatefulSet's) is recreated.
   */
  public String podUid() {
    return podUid;
  }

  /** The zones this endpoint's topology hints ({@code hints.forZones}) assign it to; often empty. */
  public Set<String> zoneHints() {
    return zoneHints;
  }

  /** A relative weight, 1 unless the source knows better (an SRV record's weight, for one). */
  public int weight() {
    return weight;
  }

  /** {@code address:port}, with IPv6 addresses in brackets. */
  public String hostPort() {
    return hostPort;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Endpoint e
        && port == e.port && weight == e.weight && address.equals(e.address)
        && conditions.equals(e.conditions) && Objects.equals(zone, e.zone)
        && Objects.equals(nodeName, e.nodeName) && Objects.equals(hostname, e.hostname)
        && Objects.equals(podName, e.podName) && Objects.equals(podUid, e.podUid)
        && zoneHints.equals(e.zoneHints);
  }

  @Override
  public int hashCode() {
    return Objects.hash(address, port, conditions, podName);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(hostPort());
    if (podName != null) s.append(" pod=").append(podName);
    if (!conditions.ready()) s.append(" not-ready");
    if (conditions.terminating()) s.append(conditions.serving() ? " serving-terminating" : " terminating");
    if (zone != null) s.append(" zone=").append(zone);
    return s.toString();
  }

  /** Builds an {@link Endpoint}; not thread-safe. */
  public static final class Builder {
    private final String rawAddress;
    private final int port;
    private EndpointConditions conditions = EndpointConditions.READY;
    private String zone;
    private String nodeName;
    private String hostname;
    private String podName;
    private String podUid;
    private Set<String> zoneHints = Set.of();
    private int weight = 1;

    private Builder(String address, int port) {
      this.rawAddress = address;
      this.port = port;
    }

    public Builder conditions(EndpointConditions conditions) {
      this.conditions = Objects.requireNonNull(conditions, "conditions");
      return this;
    }

    public Builder zone(String zone) {
      this.zone = zone;
      return this;
    }

    public Builder nodeName(String nodeName) {
      this.nodeName = nodeName;
      return this;
    }

    public Builder hostname(String hostname) {
      this.hostname = hostname;
      return this;
    }

    public Builder podName(String podName) {
      this.podName = podName;
      return this;
    }

    /** The pod's uid ({@code targetRef.uid}); null when unknown. */
    public Builder podUid(String podUid) {
      this.podUid = podUid;
      return this;
    }

    public Builder zoneHints(Set<String> zoneHints) {
      this.zoneHints = Objects.requireNonNull(zoneHints, "zoneHints");
      return this;
    }

    public Builder weight(int weight) {
      this.weight = weight;
      return this;
    }

    /**
     * @throws IllegalArgumentException when the address is not an IP literal, the port is outside
     *     1-65535 or the weight is below 1
     */
    public Endpoint build() {
      InetAddress inet = IpAddresses.parse(rawAddress);
      if (inet == null) {
        throw new IllegalArgumentException("not an IPv4 or IPv6 address: '" + rawAddress + "'");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port out of range 1-65535: " + port);
      }
      if (weight < 1) {
        throw new IllegalArgumentException("weight must be at least 1: " + weight);
      }
      return new Endpoint(this, inet);
    }
  }
}
