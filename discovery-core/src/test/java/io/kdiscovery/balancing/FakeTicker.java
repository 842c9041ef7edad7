package io.kdiscovery.balancing;

import io.kdiscovery.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker that moves only when a test says so. */
public final class FakeTicker implements Ticker {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long read() {
    return nanos.get();
  }

  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  public void advanceNanos(long d) {
    nanos.addAndGet(d);
  }

  /** Sets the time, which must not go backwards. */
  public void set(long value) {
    nanos.accumulateAndGet(value, Math::max);
  }
}
