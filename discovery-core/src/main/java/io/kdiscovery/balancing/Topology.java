package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * Which endpoints a caller in a given zone (and on a given node) should prefer, following Kubernetes:
 * <ol>
 *   <li>{@code trafficDistribution: PreferSameNode}: the endpoints on the caller's node;
 *   <li>when every endpoint carries topology hints ({@code hints.forZones}, set by the EndpointSlice
 *       controller for {@code PreferClose} or topology-aware routing): those hinted for the caller's zone;
 *   <li>else, for {@code PreferClose}, {@code PreferSameZone} and {@code PreferSameNode}: the endpoints
 *       whose own zone is the caller's;
 *   <li>else, or when the preferred set is too small: all endpoints.
 * </ol>
 * <b>Too small</b>: a preferred set is used only when it holds at least half of a fair share of the
 * endpoints, {@code members >= total / (2 * k)} where k is the number of distinct zones (or nodes) the
 * endpoints are spread over. Three zones of four pods each pass; one pod in a zone of a 30-pod, three-zone
 * Service does not, because that pod would receive a third of the zone's clients' traffic alone.
 * Kube-proxy trusts the hints blindly; a client library can afford the check.
 */
final class Topology {

  private Topology() {}

  /** Whether any zone preference can apply to these endpoints at all. */
  static boolean applies(Endpoint[] endpoints, ServiceInfo service) {
    return service.trafficDistribution() != TrafficDistribution.NONE || allHinted(endpoints);
  }

  /** The indices of the preferred endpoints, or null to use all of them. */
  static int[] preferred(Endpoint[] endpoints, ServiceInfo service, String zone, String node) {
    TrafficDistribution distribution = service.trafficDistribution();
    if (distribution == TrafficDistribution.PREFER_SAME_NODE && node != null) {
      int[] sameNode = members(endpoints, e -> node.equals(e.nodeName()));
      if (largeEnough(sameNode.length, endpoints.length, distinct(endpoints, Endpoint::nodeName))) {
        return sameNode;
      }
    }
    if (zone == null) {
      return null;
    }
    int[] sameZone;
    int zones;
    if (allHinted(endpoints)) {
      sameZone = members(endpoints, e -> e.zoneHints().contains(zone));
      Set<String> hinted = new HashSet<>();
      for (Endpoint e : endpoints) {
        hinted.addAll(e.zoneHints());
      }
      zones = hinted.size();
    } else if (distribution != TrafficDistribution.NONE) {
      sameZone = members(endpoints, e -> zone.equals(e.zone()));
      zones = distinct(endpoints, Endpoint::zone);
    } else {
      return null;
    }
    return largeEnough(sameZone.length, endpoints.length, zones) ? sameZone : null;
  }

  /** Every zone that a preference could name: the endpoints' zones and hinted zones. */
  static Set<String> zonesOf(Endpoint[] endpoints) {
    Set<String> zones = new HashSet<>();
    for (Endpoint e : endpoints) {
      if (e.zone() != null) {
        zones.add(e.zone());
      }
      zones.addAll(e.zoneHints());
    }
    return zones;
  }

  static boolean largeEnough(int members, int total, int groups) {
    return members > 0 && (long) members * 2 * Math.max(1, groups) >= total;
  }

  private static boolean allHinted(Endpoint[] endpoints) {
    for (Endpoint e : endpoints) {
      if (e.zoneHints().isEmpty()) {
        return false;
      }
    }
    return endpoints.length > 0;
  }

  private static int[] members(Endpoint[] endpoints, Predicate<Endpoint> test) {
    return IntStream.range(0, endpoints.length).filter(i -> test.test(endpoints[i])).toArray();
  }

  private static int distinct(Endpoint[] endpoints, java.util.function.Function<Endpoint, String> attribute) {
    Set<String> values = new HashSet<>();
    for (Endpoint e : endpoints) {
      values.add(Objects.toString(attribute.apply(e), ""));
    }
    return values.size();
  }
}
