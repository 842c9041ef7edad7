package io.kdiscovery.balancing;

import io.kdiscovery.affinity.StickyTable;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything a pick reads for one snapshot: the usable endpoints and the topology-preferred groups with
 * their selectors. Built on the balancer's serial thread, published through a volatile field, and never
 * changed afterwards, so a pick sees one consistent snapshot throughout.
 *
 * <p>Built incrementally from the previous picker ({@link #next}): a group whose members did not change
 * is taken over whole, selector and all; a group that changed gets its selector's {@link Selector#next
 * update}, which for the hashing policies reuses the ring or table.
 */
final class Picker {

  final ServiceSnapshot snapshot;
  /** All usable endpoints; null when there are none. */
  final EndpointGroup all;
  /** The group for the balancer's own zone and node; {@link #all} when there is no preference. */
  final EndpointGroup local;
  /** The group for a caller-supplied zone; a zone that is missing here uses {@link #all}. */
  private final Map<String, EndpointGroup> zones;
  /** Sticky affinity, or null when off. */
  final StickyTable<EndpointState> sticky;
  /** Why there is nothing to pick, when {@link #all} is null. */
  final NoEndpointException.Reason emptyReason;
  final String emptyDetail;

  private Picker(ServiceSnapshot snapshot, EndpointGroup all, EndpointGroup local,
      Map<String, EndpointGroup> zones, StickyTable<EndpointState> sticky,
      NoEndpointException.Reason emptyReason, String emptyDetail) {
    this.snapshot = snapshot;
    this.all = all;
    this.local = local;
    this.zones = zones;
    this.sticky = sticky;
    this.emptyReason = emptyReason;
    this.emptyDetail = emptyDetail;
  }

  static Picker empty(ServiceSnapshot snapshot, NoEndpointException.Reason reason, String detail) {
    return new Picker(snapshot, null, null, Map.of(), null, reason, detail);
  }

  /**
   * @param previous the picker this one follows, or null to build everything
   * @param usable the endpoints a pick may return, in snapshot order
   * @param states their states, in the same order
   * @param change how {@code states} differ from the previous picker's group of all endpoints
   */
  static Picker next(Picker previous, ServiceSnapshot snapshot, Endpoint[] usable, EndpointState[] states,
      GroupChange change, Function<EndpointGroup, Selector> selectors, String localZone, String localNode,
      StickyTable<EndpointState> sticky) {
    EndpointGroup before = previous == null ? null : previous.all;
    EndpointGroup all;
    if (before == null) {
      all = new EndpointGroup(usable, states, selectors);
    } else if (change.isEmpty() && before.sameMembers(states)) {
      all = sameEndpoints(before, usable) ? before : new EndpointGroup(usable, states, g -> before.selector);
    } else {
      all = new EndpointGroup(usable, states, g -> before.selector.next(g, change, selectors));
    }
    EndpointGroup local = all;
    Map<String, EndpointGroup> zones = new HashMap<>();
    if (Topology.applies(usable, snapshot.service())) {
      int[] preferred = Topology.preferred(usable, snapshot.service(), localZone, localNode);
      int[] localZoneMembers = null;
      for (String zone : Topology.zonesOf(usable)) {
        int[] members = Topology.preferred(usable, snapshot.service(), zone, null);
        if (members != null && members.length < usable.length) {
          EndpointGroup was = previous == null ? null : previous.zones.get(zone);
          zones.put(zone, subset(all, members, was, selectors));
          if (zone.equals(localZone)) {
            localZoneMembers = members;
          }
        }
      }
      if (preferred != null && preferred.length < usable.length) {
        local = Arrays.equals(preferred, localZoneMembers)
            ? zones.get(localZone) // the same endpoints: one group, one selector
            : subset(all, preferred, previous == null || previous.local == previous.all ? null : previous.local,
                selectors);
      }
    }
    return new Picker(snapshot, all, local, Map.copyOf(zones), sticky, null, null);
  }

  private static boolean sameEndpoints(EndpointGroup group, Endpoint[] endpoints) {
    for (int i = 0; i < endpoints.length; i++) {
      if (group.endpoints[i] != endpoints[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The members of {@code all} at these indices, as a group of its own: the previous group of the same
   * zone when its members are the same, else a group whose selector follows the previous one's.
   */
  private static EndpointGroup subset(EndpointGroup all, int[] members, EndpointGroup was,
      Function<EndpointGroup, Selector> selectors) {
    Endpoint[] endpoints = new Endpoint[members.length];
    EndpointState[] states = new EndpointState[members.length];
    for (int i = 0; i < members.length; i++) {
      endpoints[i] = all.endpoints[members[i]];
      states[i] = all.states[members[i]];
    }
    if (was == null) {
      return new EndpointGroup(endpoints, states, selectors);
    }
    if (was.sameMembers(states) && sameEndpoints(was, endpoints)) {
      return was; // this zone did not change: nothing is rebuilt
    }
    GroupChange change = difference(was, states, endpoints);
    return new EndpointGroup(endpoints, states, g -> was.selector.next(g, change, selectors));
  }

  /** How a group of {@code after} differs from {@code before}; states are compared by identity. */
  private static GroupChange difference(EndpointGroup before, EndpointState[] after, Endpoint[] endpoints) {
    Map<EndpointState, Integer> weightBefore = new IdentityHashMap<>();
    for (int i = 0; i < before.size(); i++) {
      weightBefore.put(before.states[i], before.endpoints[i].weight());
    }
    List<EndpointState> added = new ArrayList<>();
    List<EndpointState> reweighted = new ArrayList<>();
    for (int i = 0; i < after.length; i++) {
      Integer weight = weightBefore.remove(after[i]);
      if (weight == null) {
        added.add(after[i]);
      } else if (weight != endpoints[i].weight()) {
        reweighted.add(after[i]);
      }
    }
    return new GroupChange(List.copyOf(weightBefore.keySet()), added, reweighted);
  }

  /** The group a request from {@code zone} chooses in. */
  EndpointGroup groupForZone(String zone) {
    return zones.getOrDefault(zone, all);
  }
}
