package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The live endpoint tables of the Service ports an application uses: one entry per key, fed by an
 * {@link EndpointSource}, started on first {@link #open} and shared by every handle of that key.
 *
 * <p>Thread-safe. All entry state changes on one serial control thread; listeners run on listener
 * threads and never under a lock. Closing the table stops every watch; it does not close the source.
 */
public interface EndpointTable extends AutoCloseable {

  /**
   * Opens a hold on a Service port's table, starting its watch if this is the first. Never blocks on
   * I/O; use {@link ServiceHandle#awaitSnapshot} to wait for the first state.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  ServiceHandle open(ServiceKey key);

  /** Every entry now in the table, sorted by key. */
  List<WatchedService> services();

  @Override
  void close();

  static Builder builder(EndpointSource source) {
    return new Builder(source);
  }

  /** Configures an {@link EndpointTable}; not thread-safe. */
  final class Builder {
    final EndpointSource source;
    Clock clock = Clock.systemUTC();
    Duration idleTimeout = Duration.ZERO;
    Executor listenerExecutor;
    Scheduler scheduler = Scheduler.system();
    Ticker ticker = Ticker.system();
    ProgrammingLatencyListener latencyListener = ProgrammingLatencyListener.none();

    private Builder(EndpointSource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** The clock that stamps snapshots and status; the system UTC clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long a Service stays watched after its last handle closed, so that a caller who closes and
     * reopens does not restart the watch; zero (the default) stops it at once.
     */
    public Builder idleTimeout(Duration idleTimeout) {
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      if (idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must not be negative: " + idleTimeout);
      }
      this.idleTimeout = idleTimeout;
      return this;
    }

    /**
     * Where listeners run. By default the table owns a bounded pool of daemon threads; an executor given
     * here is not shut down by the table, and must run each task eventually (a direct executor
     * makes every listener delay the table's control thread).
     */
    public Builder listenerExecutor(Executor listenerExecutor) {
      this.listenerExecutor = Objects.requireNonNull(listenerExecutor, "listenerExecutor");
      return this;
    }

    /** Runs the idle timeout; {@link Scheduler#system()} by default; a fake one in tests. */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Measures how long an entry has gone unconfirmed by its source ({@link WatchedService#staleness()});
     * {@link Ticker#system()} by default, a fake one in tests.
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Receives the trigger-to-table latency of every published snapshot that carries a change trigger
     * time ({@link ProgrammingLatency.Stage#TABLE}); none by default.
     */
    public Builder programmingLatencyListener(ProgrammingLatencyListener listener) {
      this.latencyListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public EndpointTable build() {
      return new RealEndpointTable(this);
    }
  }
}
