package io.kdiscovery.balancing;

import io.kdiscovery.affinity.StickyTable;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything a pick reads for one snapshot: the usable endpoints, the topology-preferred groups with
 * their selectors, and the shared handles. Built on the balancer's serial thread, published through a
 * volatile field, and never changed afterwards, so a pick sees one consistent snapshot throughout.
 */
final class Picker {

  final ServiceSnapshot snapshot;
  /** All usable endpoints; null when there are none. */
  final EndpointGroup all;
  /** The group for the balancer's own zone and node; {@link #all} when there is no preference. */
  final EndpointGroup local;
  /** The group for a caller-supplied zone; a zone that is missing here uses {@link #all}. */
  private final Map<String, EndpointGroup> zones;
  /** The position of each endpoint state in {@link #all}. */
  final IdentityHashMap<EndpointState, Integer> indexOf;
  /** The position of each endpoint in {@link #all}, by {@code address:port}. */
  final Map<String, Integer> indexOfId;
  /** Per endpoint of {@link #all}, the shared handle; null for a counting policy. */
  final Pick[] sharedHandles;
  /** Sticky affinity, or null when off. */
  final StickyTable<EndpointState> sticky;
  /** Why there is nothing to pick, when {@link #all} is null. */
  final NoEndpointException.Reason emptyReason;
  final String emptyDetail;

  private Picker(ServiceSnapshot snapshot, EndpointGroup all, EndpointGroup local,
      Map<String, EndpointGroup> zones, Pick[] sharedHandles, StickyTable<EndpointState> sticky,
      NoEndpointException.Reason emptyReason, String emptyDetail) {
    this.snapshot = snapshot;
    this.all = all;
    this.local = local;
    this.zones = zones;
    this.sharedHandles = sharedHandles;
    this.sticky = sticky;
    this.emptyReason = emptyReason;
    this.emptyDetail = emptyDetail;
    this.indexOf = new IdentityHashMap<>();
    this.indexOfId = new HashMap<>();
    if (all != null) {
      for (int i = 0; i < all.size(); i++) {
        indexOf.put(all.states[i], i);
        indexOfId.put(all.states[i].id, i);
      }
    }
  }

  static Picker empty(ServiceSnapshot snapshot, NoEndpointException.Reason reason, String detail) {
    return new Picker(snapshot, null, null, Map.of(), null, null, reason, detail);
  }

  /**
   * @param usable the endpoints a pick may return, in snapshot order
   * @param states their states, in the same order
   * @param sink where shared handles report; null for a counting policy, which pools its handles
   */
  static Picker build(ServiceSnapshot snapshot, Endpoint[] usable, EndpointState[] states,
      Function<EndpointGroup, Selector> selectors, String localZone, String localNode,
      OutcomeSink sink, StickyTable<EndpointState> sticky) {
    int[] identity = new int[usable.length];
    for (int i = 0; i < identity.length; i++) {
      identity[i] = i;
    }
    EndpointGroup all = new EndpointGroup(usable, states, identity, selectors);
    EndpointGroup local = all;
    Map<String, EndpointGroup> zones = new HashMap<>();
    if (Topology.applies(usable, snapshot.service())) {
      int[] preferred = Topology.preferred(usable, snapshot.service(), localZone, localNode);
      if (preferred != null && preferred.length < usable.length) {
        local = EndpointGroup.subset(all, preferred, selectors);
      }
      for (String zone : Topology.zonesOf(usable)) {
        int[] members = Topology.preferred(usable, snapshot.service(), zone, null);
        if (members != null && members.length < usable.length) {
          zones.put(zone, EndpointGroup.subset(all, members, selectors));
        }
      }
    }
    Pick[] shared = null;
    if (sink != null) {
      shared = new Pick[usable.length];
      for (int i = 0; i < usable.length; i++) {
        shared[i] = Pick.shared(sink, usable[i], states[i]);
      }
    }
    return new Picker(snapshot, all, local, Map.copyOf(zones), shared, sticky, null, null);
  }

  /** The group a request from {@code zone} chooses in. */
  EndpointGroup groupForZone(String zone) {
    return zones.getOrDefault(zone, all);
  }
}
