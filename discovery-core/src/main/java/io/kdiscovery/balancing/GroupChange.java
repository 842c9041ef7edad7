package io.kdiscovery.balancing;

import java.util.List;

/**
 * How a group's members changed from one picker to the next, for the selectors that update
 * incrementally (ring hash, Maglev) instead of starting over.
 *
 * @param removed members that left
 * @param added members that joined
 * @param reweighted members that stayed with another weight
 */
record GroupChange(List<EndpointState> removed, List<EndpointState> added, List<EndpointState> reweighted) {

  static final GroupChange NONE = new GroupChange(List.of(), List.of(), List.of());

  boolean isEmpty() {
    return removed.isEmpty() && added.isEmpty() && reweighted.isEmpty();
  }

  int size() {
    return removed.size() + added.size() + reweighted.size();
  }

  /** The largest slot named by the change, or -1. */
  int maxSlot() {
    int max = -1;
    for (List<EndpointState> list : List.of(removed, added, reweighted)) {
      for (EndpointState s : list) {
        max = Math.max(max, s.slot);
      }
    }
    return max;
  }
}
