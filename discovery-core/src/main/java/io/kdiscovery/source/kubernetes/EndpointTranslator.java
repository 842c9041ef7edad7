package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.kdiscovery.model.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns EndpointSlices (or a legacy Endpoints object) into the endpoints of one Service port.
 *
 * <p>Anything malformed is skipped with one log line and never fails the rest: a missing or invalid
 * address, a port out of range, a slice without ports, an FQDN or unknown address type. An endpoint
 * listed by two slices (as happens while the controller moves it) appears once, with its best
 * conditions. The result is sorted by address, then port, so equal states compare equal.
 */
final class EndpointTranslator {

  /** An endpoint with its address bytes, read once: {@link Endpoint#socketAddress()} builds anew. */
  private record Keyed(byte[] bytes, Endpoint endpoint) {}

  private static final Comparator<Keyed> ORDER = Comparator
      .comparing(Keyed::bytes, EndpointTranslator::compareBytes)
      .thenComparingInt(k -> k.endpoint().port());

  private EndpointTranslator() {}

  /**
   * Every slice merged; for tests and for comparing with the incremental path. An address listed by
   * several slices keeps its {@link #better(Endpoint, String, Endpoint, String) best} record, whatever
   * order the slices come in.
   */
  static List<Endpoint> fromSlices(Collection<SliceRecord> slices, PortMatch match, OnceLog onceLog) {
    Map<String, Endpoint> byHostPort = new LinkedHashMap<>();
    List<SliceRecord> byKey = new ArrayList<>(slices);
    byKey.sort(Comparator.comparing((SliceRecord s) -> s.key));
    for (SliceRecord slice : byKey) { // by key: of equal records, better() keeps the first slice's
      for (Endpoint endpoint : fromSlice(slice, match, onceLog)) {
        byHostPort.merge(endpoint.hostPort(), endpoint, EndpointTranslator::better);
      }
    }
    return sorted(byHostPort.values());
  }

  /**
   * The endpoints one slice gives one Service port, distinct by address and port, in no particular
   * order. Whatever cannot be read (a null element, an invalid address, a port out of range) is
   * skipped with one warning naming the slice; the rest of the slice still counts.
   */
  static List<Endpoint> fromSlice(SliceRecord slice, PortMatch match, OnceLog onceLog) {
    String sliceName = slice.key;
    String addressType = slice.addressType;
    if ("FQDN".equals(addressType)) {
      onceLog.info("EndpointSlice " + sliceName + " has addressType FQDN, which names hosts rather"
          + " than pods; ignored");
      return List.of();
    }
    if (!"IPv4".equals(addressType) && !"IPv6".equals(addressType)) {
      onceLog.warn("EndpointSlice " + sliceName + " has unknown addressType '" + addressType + "'; ignored");
      return List.of();
    }
    List<SliceRecord.Port> ports = slice.ports;
    if (ports == null || ports.isEmpty()) {
      onceLog.warn("EndpointSlice " + sliceName + " has no ports; ignored");
      return List.of();
    }
    if (slice.endpoints.isEmpty()) {
      return List.of();
    }
    Map<String, Endpoint> byHostPort = new LinkedHashMap<>();
    for (SliceRecord.Port port : ports) {
      if (port == null) {
        onceLog.warn("EndpointSlice " + sliceName + " has a null element in its ports; skipped");
        continue;
      }
      if (!match.matches(port.name(), port.port(), port.protocol())) {
        continue;
      }
      if (port.port() < 1 || port.port() > 65535) {
        onceLog.warn("EndpointSlice " + sliceName + " port '" + port.name() + "' is out of range ("
            + port.port() + "); ignored");
        continue;
      }
      for (SliceRecord.Entry e : slice.endpoints) {
        if (e == null) {
          onceLog.warn("EndpointSlice " + sliceName + " has a null element in its endpoints; skipped");
          continue;
        }
        Endpoint endpoint = fromSliceEndpoint(e, port.port(), sliceName, onceLog);
        if (endpoint != null) {
          byHostPort.merge(endpoint.hostPort(), endpoint, EndpointTranslator::better);
        }
      }
    }
    return List.copyOf(byHostPort.values());
  }

  private static Endpoint fromSliceEndpoint(SliceRecord.Entry e, int port, String sliceName, OnceLog onceLog) {
    String address = e.address();
    if (address != null && address.length() > 64) {
      onceLog.warn("EndpointSlice " + sliceName + " has an endpoint address of " + address.length()
          + " characters, which is no IP address (pod " + e.podName() + "); skipped");
      return null;
    }
    if (address == null) {
      onceLog.warn("EndpointSlice " + sliceName + " has an endpoint without an address (pod "
          + e.podName() + "); skipped");
      return null;
    }
    try {
      return Endpoint.builder(address, port)
          .conditions(e.conditions())
          .zone(e.zone())
          .nodeName(e.nodeName())
          .hostname(e.hostname())
          .podName(e.podName())
          .podUid(e.podUid())
          .zoneHints(e.zoneHints())
          .build();
    } catch (RuntimeException invalid) { // IllegalArgumentException, or a null where a value belongs
      onceLog.warn("EndpointSlice " + sliceName + ": " + invalid + " (pod " + e.podName() + "); skipped");
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
      if (subset == null || subset.getPorts() == null) {
        continue;
      }
      for (io.fabric8.kubernetes.api.model.EndpointPort port : subset.getPorts()) {
        if (port == null || !match.matches(port.getName(), port.getPort(), port.getProtocol())) {
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
      if (a == null) {
        onceLog.warn("Endpoints " + name + " has a null element in its addresses; skipped");
        continue;
      }
      try {
        Endpoint endpoint = Endpoint.builder(a.getIp(), port)
            .conditions(ready ? io.kdiscovery.model.EndpointConditions.READY
                : io.kdiscovery.model.EndpointConditions.of(false, false, false))
            .nodeName(a.getNodeName())
            .hostname(a.getHostname())
            .podName(podName(a.getTargetRef()))
            .podUid(podUid(a.getTargetRef()))
            .build();
        into.merge(endpoint.hostPort(), endpoint, EndpointTranslator::better);
      } catch (IllegalArgumentException invalid) {
        onceLog.warn("Endpoints " + name + ": " + invalid.getMessage() + "; skipped");
      }
    }
  }

  /** Of two records of one address and port, the one more fit for traffic; {@code a} when equal. */
  static Endpoint better(Endpoint a, Endpoint b) {
    return rank(b) > rank(a) ? b : a;
  }

  /**
   * Of two records of one address and port from two sources (slices), the one more fit for traffic;
   * of two equally fit, the one whose source sorts first. The record kept (its pod name, zone, node,
   * uid) is so a function of the current slices alone, never of the order of past events: the
   * incremental merge ({@link MergedEndpoints}) and a full translation ({@link #fromSlices}) agree.
   */
  static boolean isBetter(Endpoint candidate, String candidateSource, Endpoint current, String currentSource) {
    int byRank = Integer.compare(rank(candidate), rank(current));
    return byRank > 0 || (byRank == 0 && candidateSource.compareTo(currentSource) < 0);
  }

  private static int rank(Endpoint e) {
    return (e.conditions().ready() ? 4 : 0) + (e.conditions().serving() ? 2 : 0)
        + (e.conditions().terminating() ? 0 : 1);
  }

  private static String podName(ObjectReference ref) {
    return SliceRecord.podName(ref);
  }

  private static String podUid(ObjectReference ref) {
    return SliceRecord.podUid(ref);
  }

  static List<Endpoint> sorted(Collection<Endpoint> endpoints) {
    List<Keyed> keyed = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      keyed.add(new Keyed(e.socketAddress().getAddress().getAddress(), e));
    }
    keyed.sort(ORDER);
    Endpoint[] array = new Endpoint[keyed.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = keyed.get(i).endpoint();
    }
    return List.of(array);
  }

  private static int compareBytes(byte[] a, byte[] b) {
    if (a.length != b.length) {
      return Integer.compare(a.length, b.length); // IPv4 before IPv6
    }
    return Arrays.compareUnsigned(a, b);
  }
}
