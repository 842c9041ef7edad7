package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns EndpointSlices (or a legacy Endpoints object) into the endpoints of one Service port.
 *
 * <p>Anything malformed is skipped with one log line and never fails the rest: a missing or invalid
 * address, a port out of range, a slice without ports, an FQDN or unknown address type. An endpoint
 * listed by two slices (as happens while the controller moves it) appears once, with its best
 * conditions. The result is sorted by address, then port, so equal states compare equal.
 */
final class EndpointTranslator {

  private static final Comparator<Endpoint> ORDER = Comparator
      .comparing((Endpoint e) -> e.socketAddress().getAddress().getAddress(), EndpointTranslator::compareBytes)
      .thenComparingInt(Endpoint::port);

  private EndpointTranslator() {}

  static List<Endpoint> fromSlices(Collection<EndpointSlice> slices, PortMatch match, OnceLog onceLog) {
    Map<String, Endpoint> byHostPort = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      String sliceName = slice.getMetadata() == null ? "?" : slice.getMetadata().getName();
      String addressType = slice.getAddressType();
      if ("FQDN".equals(addressType)) {
        onceLog.info("EndpointSlice " + sliceName + " has addressType FQDN, which names hosts rather"
            + " than pods; ignored");
        continue;
      }
      if (!"IPv4".equals(addressType) && !"IPv6".equals(addressType)) {
        onceLog.warn("EndpointSlice " + sliceName + " has unknown addressType '" + addressType + "'; ignored");
        continue;
      }
      List<EndpointPort> ports = slice.getPorts();
      if (ports == null || ports.isEmpty()) {
        onceLog.warn("EndpointSlice " + sliceName + " has no ports; ignored");
        continue;
      }
      for (EndpointPort port : ports) {
        if (!match.matches(port.getName(), port.getPort(), port.getProtocol())) {
          continue;
        }
        if (port.getPort() < 1 || port.getPort() > 65535) {
          onceLog.warn("EndpointSlice " + sliceName + " port '" + port.getName() + "' is out of range ("
              + port.getPort() + "); ignored");
          continue;
        }
        if (slice.getEndpoints() == null) {
          continue;
        }
        for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
          Endpoint endpoint = fromSliceEndpoint(e, port.getPort(), sliceName, onceLog);
          if (endpoint != null) {
            byHostPort.merge(endpoint.hostPort(), endpoint, EndpointTranslator::better);
          }
        }
      }
    }
    return sorted(byHostPort.values());
  }

  private static Endpoint fromSliceEndpoint(
      io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e, int port, String sliceName, OnceLog onceLog) {
    String address = e.getAddresses() == null || e.getAddresses().isEmpty() ? null : e.getAddresses().get(0);
    if (address == null) {
      onceLog.warn("EndpointSlice " + sliceName + " has an endpoint without an address (pod "
          + podName(e.getTargetRef()) + "); skipped");
      return null;
    }
    EndpointConditions c = e.getConditions();
    try {
      return Endpoint.builder(address, port)
          .conditions(c == null ? io.kdiscovery.model.EndpointConditions.READY
              : io.kdiscovery.model.EndpointConditions.of(c.getReady(), c.getServing(), c.getTerminating()))
          .zone(e.getZone())
          .nodeName(e.getNodeName())
          .hostname(e.getHostname())
          .podName(podName(e.getTargetRef()))
          .zoneHints(zoneHints(e.getHints()))
          .build();
    } catch (IllegalArgumentException invalid) {
      onceLog.warn("EndpointSlice " + sliceName + ": " + invalid.getMessage() + " (pod "
          + podName(e.getTargetRef()) + "); skipped");
      return null;
    }
  }

  static List<Endpoint> fromEndpoints(Endpoints endpoints, PortMatch match, OnceLog onceLog) {
    Map<String, Endpoint> byHostPort = new LinkedHashMap<>();
    String name = endpoints.getMetadata() == null ? "?" : endpoints.getMetadata().getName();
    if (endpoints.getSubsets() == null) {
      return List.of();
    }
    for (EndpointSubset subset : endpoints.getSubsets()) {
      if (subset.getPorts() == null) {
        continue;
      }
      for (io.fabric8.kubernetes.api.model.EndpointPort port : subset.getPorts()) {
        if (!match.matches(port.getName(), port.getPort(), port.getProtocol())) {
          continue;
        }
        addAll(byHostPort, subset.getAddresses(), port.getPort(), true, name, onceLog);
        addAll(byHostPort, subset.getNotReadyAddresses(), port.getPort(), false, name, onceLog);
      }
    }
    return sorted(byHostPort.values());
  }

  private static void addAll(Map<String, Endpoint> into, List<EndpointAddress> addresses, int port,
      boolean ready, String name, OnceLog onceLog) {
    if (addresses == null) {
      return;
    }
    for (EndpointAddress a : addresses) {
      try {
        Endpoint endpoint = Endpoint.builder(a.getIp(), port)
            .conditions(ready ? io.kdiscovery.model.EndpointConditions.READY
                : new io.kdiscovery.model.EndpointConditions(false, false, false))
            .nodeName(a.getNodeName())
            .hostname(a.getHostname())
            .podName(podName(a.getTargetRef()))
            .build();
        into.merge(endpoint.hostPort(), endpoint, EndpointTranslator::better);
      } catch (IllegalArgumentException invalid) {
        onceLog.warn("Endpoints " + name + ": " + invalid.getMessage() + "; skipped");
      }
    }
  }

  /** Of two records of one address and port, the one more fit for traffic. */
  private static Endpoint better(Endpoint a, Endpoint b) {
    return rank(b) > rank(a) ? b : a;
  }

  private static int rank(Endpoint e) {
    return (e.conditions().ready() ? 4 : 0) + (e.conditions().serving() ? 2 : 0)
        + (e.conditions().terminating() ? 0 : 1);
  }

  private static Set<String> zoneHints(EndpointHints hints) {
    if (hints == null || hints.getForZones() == null) {
      return Set.of();
    }
    Set<String> zones = new LinkedHashSet<>();
    for (ForZone zone : hints.getForZones()) {
      if (zone.getName() != null) {
        zones.add(zone.getName());
      }
    }
    return zones;
  }

  private static String podName(ObjectReference ref) {
    return ref == null || (ref.getKind() != null && !"Pod".equals(ref.getKind())) ? null : ref.getName();
  }

  private static List<Endpoint> sorted(Collection<Endpoint> endpoints) {
    List<Endpoint> list = new ArrayList<>(endpoints);
    list.sort(ORDER);
    return List.copyOf(list);
  }

  private static int compareBytes(byte[] a, byte[] b) {
    if (a.length != b.length) {
      return Integer.compare(a.length, b.length); // IPv4 before IPv6
    }
    return Arrays.compareUnsigned(a, b);
  }
}
