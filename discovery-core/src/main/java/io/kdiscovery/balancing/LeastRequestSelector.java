package io.kdiscovery.balancing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices: two distinct random endpoints, the one with fewer requests in flight wins.
 * Nearly as good as scanning for the least loaded, in constant time, and without the herding that a
 * full scan causes when many clients see the same least loaded pod.
 */
final class LeastRequestSelector implements Selector {

  private final EndpointState[] states;

  LeastRequestSelector(EndpointState[] states) {
    this.states = states;
  }

  @Override
  public int select(PickContext context) {
    int n = states.length;
    if (n == 1) {
      return 0;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++; // distinct from a, still uniform
    }
    return states[b].inFlight() < states[a].inFlight() ? b : a;
  }
}
