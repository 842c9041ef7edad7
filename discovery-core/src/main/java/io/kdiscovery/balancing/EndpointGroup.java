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
  final String[] ids;
  /** Where each member sits in the picker's group of all endpoints. */
  final int[] indexInAll;
  final Selector selector;

  EndpointGroup(Endpoint[] endpoints, EndpointState[] states, int[] indexInAll,
      Function<EndpointGroup, Selector> selectorFactory) {
    this.endpoints = endpoints;
    this.states = states;
    this.indexInAll = indexInAll;
    this.ids = new String[states.length];
    for (int i = 0; i < states.length; i++) {
      ids[i] = states[i].id;
    }
    this.selector = selectorFactory.apply(this);
  }

  int size() {
    return states.length;
  }

  /** The members of {@code all} at these indices, as a group of its own. */
  static EndpointGroup subset(EndpointGroup all, int[] members, Function<EndpointGroup, Selector> selectorFactory) {
    Endpoint[] endpoints = new Endpoint[members.length];
    EndpointState[] states = new EndpointState[members.length];
    for (int i = 0; i < members.length; i++) {
      endpoints[i] = all.endpoints[members[i]];
      states[i] = all.states[members[i]];
    }
    return new EndpointGroup(endpoints, states, members, selectorFactory);
  }
}
