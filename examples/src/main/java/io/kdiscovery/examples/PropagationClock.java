package io.kdiscovery.examples;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Measures how long each API change takes to reach the live table: the controller marks the moment
 * it writes a slice with the endpoint state it writes ({@link SlicePlan#signature}), and the demo
 * reports every table snapshot it receives with the same kind of signature; the first snapshot that
 * matches a mark closes it.
 *
 * <p>Thread-safe (one monitor; a handful of calls per API change).
 */
final class PropagationClock {

  private record Mark(String signature, long nanos) {}

  private final Deque<Mark> pending = new ArrayDeque<>();
  private final List<Duration> delays = new ArrayList<>();
  private Duration last;

  /** The controller is about to write {@code signature}. */
  synchronized void mark(String signature) {
    pending.addLast(new Mark(signature, System.nanoTime()));
  }

  /**
   * The table now shows {@code signature}: returns the delay since the newest write of that state,
   * and forgets that write and every older one.
   */
  synchronized Optional<Duration> observe(String signature) {
    long now = System.nanoTime();
    Mark match = null;
    for (Mark m : pending) {
      if (m.signature.equals(signature)) {
        match = m;
      }
    }
    if (match == null) {
      return Optional.empty();
    }
    while (pending.peekFirst() != match) {
      pending.removeFirst();
    }
    pending.removeFirst();
    last = Duration.ofNanos(now - match.nanos);
    delays.add(last);
    return Optional.of(last);
  }

  synchronized Optional<Duration> last() {
    return Optional.ofNullable(last);
  }

  synchronized List<Duration> delays() {
    return List.copyOf(delays);
  }

  /** The {@code q}-quantile (0..1) of the delays measured so far, or empty before the first. */
  synchronized Optional<Duration> quantile(double q) {
    if (delays.isEmpty()) {
      return Optional.empty();
    }
    List<Duration> sorted = new ArrayList<>(delays);
    sorted.sort(null);
    return Optional.of(sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size()))));
  }
}
