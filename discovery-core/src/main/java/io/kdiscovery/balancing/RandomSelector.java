package io.kdiscovery.balancing;

import java.util.concurrent.ThreadLocalRandom;

/** A uniform random choice per request, as kube-proxy's iptables rules make per connection. */
final class RandomSelector implements Selector {

  private final int size;

  RandomSelector(int size) {
    this.size = size;
  }

  @Override
  public int select(PickContext context) {
    return ThreadLocalRandom.current().nextInt(size);
  }
}
