package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.util.function.Function;

/**
 * The endpoints one pick chooses among (all usable endpoints, or a topology-preferred subset of them),
 * as parallel arrays, with the policy's selector over them. Immutable once built.
 */
final class EndpointGroup {

  final Endpoint[] endpoints;
  final EndpointState[] states;
  final Selector selector;

  /** A group whose selector {@code selectorFactory} builds from the group. */
  EndpointGroup(Endpoint[] endpoints, EndpointState[] states, Function<EndpointGroup, Selector> selectorFactory) {
    this.endpoints = endpoints;
    this.states = states;
    this.selector = selectorFactory.apply(this);
  }

  int size() {
    return states.length;
  }

  /** Whether this group has exactly these states, in this order. */
  boolean sameMembers(EndpointState[] other) {
    if (other.length != states.length) {
      return false;
    }
    for (int i = 0; i < states.length; i++) {
      if (states[i] != other[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where each endpoint's stable slot (see {@link EndpointState}) stands in this group: entry
   * {@code slot} is the index into {@link #states}. The hashing selectors name endpoints by slot in
   * their tables, so that an update rewrites only the changed endpoints' entries.
   */
  int[] indexOfSlots() {
    int max = 0;
    for (EndpointState s : states) {
      max = Math.max(max, s.slot);
    }
    int[] index = new int[max + 1];
    for (int i = 0; i < states.length; i++) {
      index[states[i].slot] = i;
    }
    return index;
  }
}
