package io.kdiscovery.balancing;

import io.kdiscovery.model.Endpoint;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The scheduling rules IPVS users know, over requests in flight instead of connections, with a full
 * scan per pick (as IPVS does):
 * <ul>
 *   <li>{@code wlc}: the fewest requests in flight per unit of weight;
 *   <li>{@code sed}: the lowest (in flight + 1) / weight, which favours heavy endpoints when idle;
 *   <li>{@code nq}: any idle endpoint first, else {@code sed}.
 * </ul>
 * Ties go to the first endpoint after a rotating start, so equal endpoints share the load.
 */
final class IpvsSelector implements Selector {

  private final Policy policy;
  private final EndpointState[] states;
  private final int[] weights;
  private final AtomicIntegerArray starts = new AtomicIntegerArray(ThreadStripe.COUNT * ThreadStripe.STRIDE);

  IpvsSelector(Policy policy, EndpointState[] states, Endpoint[] endpoints) {
    this.policy = policy;
    this.states = states;
    this.weights = new int[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      weights[i] = endpoints[i].weight();
    }
  }

  @Override
  public int select(PickContext context) {
    int n = states.length;
    // A rotating start per stripe of request threads: ties go round in turn, and threads picking at
    // once share no counter.
    int first = (starts.getAndIncrement(ThreadStripe.current() * ThreadStripe.STRIDE) & Integer.MAX_VALUE) % n;
    if (policy == Policy.NEVER_QUEUE) {
      for (int k = 0; k < n; k++) {
        int i = first + k < n ? first + k : first + k - n;
        if (states[i].inFlight() == 0) {
          return i;
        }
      }
    }
    int extra = policy == Policy.LEAST_CONNECTION ? 0 : 1;
    int best = first;
    long bestLoad = states[first].inFlight() + extra;
    long bestWeight = weights[first];
    for (int k = 1; k < n; k++) {
      int i = first + k < n ? first + k : first + k - n;
      long load = states[i].inFlight() + extra;
      // load / weights[i] < bestLoad / bestWeight, without division
      if (load * bestWeight < bestLoad * weights[i]) {
        best = i;
        bestLoad = load;
        bestWeight = weights[i];
      }
    }
    return best;
  }
}
