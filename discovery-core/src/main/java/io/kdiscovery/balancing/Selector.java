package io.kdiscovery.balancing;

import io.kdiscovery.time.Ticker;
import java.util.function.Function;

/**
 * One policy's choice among the endpoints of one group: an index into the group's arrays.
 *
 * <p>Built on the balancer's serial thread for one snapshot and immutable apart from its own atomic
 * cursor; {@link #select} runs on request threads, concurrently, without locks or allocation. It does
 * not look at ejection, exclusions or slow start: the balancer checks the chosen endpoint and, in the
 * rare case it cannot be used, asks {@link #reselect} for alternatives.
 */
interface Selector {

  int select(PickContext context);

  /**
   * An alternative to the first choice, {@code attempt} = 1, 2, …; it may repeat a choice. Hashing
   * policies return the same sequence for the same key, so a key whose pod is ejected moves to the
   * same next pod on every client.
   */
  default int reselect(PickContext context, int attempt) {
    return select(context);
  }

  /**
   * The selector for {@code group}, which is the group this selector served, changed by {@code change}.
   * Selectors that hold only the group's arrays are simply built again ({@code fresh}); the hashing
   * ones reuse their ring or table. Never changes this selector: picks in flight still use it.
   */
  default Selector next(EndpointGroup group, GroupChange change, Function<EndpointGroup, Selector> fresh) {
    return fresh.apply(group);
  }

  static Selector create(Policy policy, EndpointGroup group, Ticker ticker, double ewmaDecayNanos) {
    return switch (policy) {
      case ROUND_ROBIN -> new RoundRobinSelector(group.size());
      case WEIGHTED_ROUND_ROBIN -> WeightedRoundRobinSelector.create(group.endpoints);
      case RANDOM -> new RandomSelector(group.size());
      case LEAST_REQUEST -> new LeastRequestSelector(group.states);
      case PEAK_EWMA -> new PeakEwmaSelector(group.states, ticker, ewmaDecayNanos);
      case LEAST_CONNECTION, SHORTEST_EXPECTED_DELAY, NEVER_QUEUE ->
          new IpvsSelector(policy, group.states, group.endpoints);
      case RING_HASH -> RingHashSelector.create(group);
      case MAGLEV -> MaglevSelector.create(group);
    };
  }
}
