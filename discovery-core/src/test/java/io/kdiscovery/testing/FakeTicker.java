package io.kdiscovery.testing;

import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when the test says so.
 *
 * <p>Thread-safe. When a {@link FakeScheduler} shares this ticker, advance the scheduler rather
 * than the ticker, so the tasks that fall due on the way run at their own time.
 */
public final class FakeTicker implements Ticker {

  /** Not zero, so that code which treats 0 as "never" is not fooled by the start of fake time. */
  private static final long START = 1_000_000_000L;

  private final AtomicLong nanos = new AtomicLong(START);

  @Override
  public long read() {
    return nanos.get();
  }

  /**
   * Moves time forward.
   *
   * @throws IllegalArgumentException for a negative duration: monotonic time never goes back
   */
  public FakeTicker advance(Duration duration) {
    return advanceNanos(duration.toNanos());
  }

  /** Moves time forward by this many nanoseconds; see {@link #advance(Duration)}. */
  public FakeTicker advanceNanos(long delta) {
    if (delta < 0) {
      throw new IllegalArgumentException("time does not go back: " + delta + " ns");
    }
    nanos.addAndGet(delta);
    return this;
  }

  /** How much fake time has passed since this ticker was made. */
  public Duration elapsed() {
    return Duration.ofNanos(nanos.get() - START);
  }

  /** Moves time to {@code value} unless it is already later. */
  void advanceTo(long value) {
    nanos.accumulateAndGet(value, Math::max);
  }

  @Override
  public String toString() {
    return "FakeTicker[" + elapsed() + "]";
  }
}
