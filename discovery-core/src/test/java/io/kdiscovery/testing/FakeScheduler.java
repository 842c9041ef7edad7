package io.kdiscovery.testing;

import io.kdiscovery.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} on fake time: nothing runs until the test {@linkplain #advance advances} it,
 * and then every task that falls due runs on the test's thread, in order of due time (ties in order
 * of scheduling), with the shared {@link FakeTicker} set to each task's due time while it runs.
 *
 * <p>Thread-safe: code under test may schedule and cancel from any thread (a DNS answer arrives on
 * a thread of the source's own, for example); tasks run only inside {@link #advance} and
 * {@link #runDueTasks} and never under this scheduler's lock, so a task may schedule more. A task
 * scheduled on the way that falls due within the advance runs in the same call. A task that throws
 * fails the call (tests want to see it); the tasks after it stay pending.
 *
 * <pre>{@code
 * FakeTicker ticker = new FakeTicker();
 * FakeScheduler scheduler = new FakeScheduler(ticker);
 * source = DnsEndpointSource.builder().ticker(ticker).scheduler(scheduler)...build();
 * scheduler.advance(Duration.ofSeconds(5));   // the refresh due after a 5 s TTL runs now
 * }</pre>
 */
public final class FakeScheduler implements Scheduler {

  private final FakeTicker ticker;
  private final PriorityQueue<Entry> queue = new PriorityQueue<>(
      Comparator.comparingLong((Entry e) -> e.due).thenComparingLong(e -> e.sequence));
  private long sequence;
  private long ran;

  /** A scheduler on a ticker of its own. */
  public FakeScheduler() {
    this(new FakeTicker());
  }

  /** A scheduler sharing the time of {@code ticker}. */
  public FakeScheduler(FakeTicker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** The ticker whose time this scheduler reads and moves. */
  public FakeTicker ticker() {
    return ticker;
  }

  @Override
  public Task schedule(Duration delay, Runnable task) {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(task, "task");
    long nanos = delay.isNegative() ? 0 : delay.toNanos();
    synchronized (this) {
      Entry entry = new Entry(ticker.read() + nanos, sequence++, task);
      queue.add(entry);
      return entry;
    }
  }

  /**
   * Moves time forward by {@code duration}, running every task that falls due on the way at its due
   * time.
   *
   * @return the number of tasks run
   */
  public int advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + duration);
    }
    long target = ticker.read() + duration.toNanos();
    int count = runUntil(target);
    ticker.advanceTo(target);
    return count;
  }

  /** Runs the tasks already due (a zero delay included) without moving time; returns how many. */
  public int runDueTasks() {
    return runUntil(ticker.read());
  }

  /** How many tasks wait (cancelled ones do not). */
  public synchronized int pendingCount() {
    return queue.size();
  }

  /** How long until the next pending task is due (zero if it is due now), if any is pending. */
  public synchronized Optional<Duration> nextDelay() {
    Entry next = queue.peek();
    return next == null ? Optional.empty() : Optional.of(Duration.ofNanos(Math.max(0, next.due - ticker.read())));
  }

  /** The delays of all pending tasks from now, soonest first. */
  public synchronized List<Duration> pendingDelays() {
    List<Entry> entries = new ArrayList<>(queue);
    entries.sort(queue.comparator());
    long now = ticker.read();
    List<Duration> delays = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      delays.add(Duration.ofNanos(Math.max(0, e.due - now)));
    }
    return delays;
  }

  /** How many tasks have run so far. */
  public synchronized long ranCount() {
    return ran;
  }

  private int runUntil(long target) {
    int count = 0;
    while (true) {
      Entry next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > target) {
          return count;
        }
        queue.poll();
        next.state = Entry.RUNNING;
        ran++;
      }
      ticker.advanceTo(next.due);
      count++;
      next.task.run();
    }
  }

  @Override
  public synchronized String toString() {
    return "FakeScheduler[" + ticker + ", " + queue.size() + " pending]";
  }

  private final class Entry implements Task {
    static final int PENDING = 0;
    static final int RUNNING = 1;
    static final int CANCELLED = 2;

    final long due;
    final long sequence;
    final Runnable task;
    int state = PENDING; // guarded by the FakeScheduler

    Entry(long due, long sequence, Runnable task) {
      this.due = due;
      this.sequence = sequence;
      this.task = task;
    }

    @Override
    public boolean cancel() {
      synchronized (FakeScheduler.this) {
        if (state != PENDING) {
          return false;
        }
        state = CANCELLED;
        queue.remove(this);
        return true;
      }
    }
  }
}
