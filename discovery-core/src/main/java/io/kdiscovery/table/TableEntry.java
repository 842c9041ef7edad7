package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.table.SourceStatus.State;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Service port's live state. Its snapshot and status are written only on the table's control
 * thread (see {@link RealEndpointTable}) and read through volatile fields from anywhere.
 */
final class TableEntry implements EndpointSource.Listener {

  private static final Logger log = LoggerFactory.getLogger(TableEntry.class);

  final ServiceKey key;
  private final EndpointSource source;
  private final Clock clock;
  private final Ticker ticker;
  private final Executor control;
  private final Executor listenerExecutor;
  private final ProgrammingLatencyListener latencyListener;
  private final CopyOnWriteArrayList<Delivery<ServiceSnapshot>> deliveries = new CopyOnWriteArrayList<>();
  // Inline listeners get each snapshot before it is published. They are added, removed and called on
  // the control thread only: that thread's order is what keeps versions from going backwards (a new
  // listener's first delivery and every later update are tasks of the one thread), so no lock is held
  // while one runs and no caller ever waits for one, however slow or broken it is.
  private final List<InlineListener> inlineListeners = new ArrayList<>(); // control thread only
  private volatile CompletableFuture<ServiceSnapshot> first = new CompletableFuture<>();

  private volatile ServiceSnapshot snapshot;
  private volatile SourceStatus status;
  private volatile long reconnects; // written on the control thread only
  // When the table last went out of step with its source (or, before it was ever in step, when the entry
  // started), on the ticker: staleness is elapsed time, so it is measured on the injected ticker, not the
  // wall clock. Not the last confirmation: a watch in step confirms the table all the time, however
  // quiet the Service, so a blip after an hour without changes is a blip, not an hour of staleness.
  private volatile long outOfStepSinceNanos; // written on the control thread (and the constructor) only

  // Control thread only.
  private EndpointSource.Watch watch;
  private boolean stopped;
  // The kinds of failure logged in the current outage: a change of cause is logged once, a repeat never.
  private final EnumSet<FailureKind> loggedThisOutage = EnumSet.noneOf(FailureKind.class);

  // Guarded by the table's lock.
  int users;
  Scheduler.Task idleStop;

  TableEntry(ServiceKey key, EndpointSource source, Clock clock, Ticker ticker, Executor control,
      Executor listenerExecutor, ProgrammingLatencyListener latencyListener) {
    this.latencyListener = latencyListener;
    this.key = key;
    this.source = source;
    this.clock = clock;
    this.ticker = ticker;
    this.outOfStepSinceNanos = ticker.read();
    this.control = control;
    this.listenerExecutor = listenerExecutor;
    this.status = new SourceStatus(State.STARTING, clock.instant(), null, null);
  }

  void start() {
    if (stopped) {
      return;
    }
    try {
      watch = source.watch(key, this);
      log.debug("watching {} through {}", key, source.name());
    } catch (RuntimeException e) {
      fail("could not start watching through " + source.name() + ": " + e, e, FailureKind.OTHER);
    }
  }

  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (watch != null) {
      try {
        watch.close();
      } catch (RuntimeException e) {
        log.warn("closing the watch of {} failed", key, e);
      }
    }
    deliveries.forEach(Delivery::close);
    deliveries.clear();
    inlineListeners.clear();
    // A closed handle may stay referenced by its user: let go of the table it showed and of the watch.
    watch = null;
    snapshot = null;
    first = new CompletableFuture<>();
    log.debug("stopped watching {}", key);
  }

  @Override
  public void onState(SourceState state) {
    control.execute(() -> apply(state));
  }

  @Override
  public void onStateOutOfStep(SourceState state, String reason, Throwable cause) {
    onStateOutOfStep(state, reason, cause, FailureKind.OTHER);
  }

  @Override
  public void onStateOutOfStep(SourceState state, String reason, Throwable cause, FailureKind kind) {
    control.execute(() -> {
      publish(state, clock.instant());
      fail(reason, cause, kind);
    });
  }

  @Override
  public void onFailure(String reason, Throwable cause) {
    onFailure(reason, cause, FailureKind.OTHER);
  }

  @Override
  public void onFailure(String reason, Throwable cause, FailureKind kind) {
    control.execute(() -> fail(reason, cause, kind));
  }

  private void apply(SourceState state) {
    if (stopped) {
      return;
    }
    Instant now = clock.instant();
    if (status.state() != State.SYNCED) {
      if (status.state() == State.DISCONNECTED) {
        log.info("{}: back in step with {} after {}", key, source.name(), staleness()); // on the ticker
        reconnects++;
      }
      loggedThisOutage.clear();
      status = new SourceStatus(State.SYNCED, now, now, null);
    } else {
      status = new SourceStatus(State.SYNCED, status.since(), now, null);
    }
    publish(state, now);
  }

  /** Publishes {@code state} as a new version unless it equals the current snapshot. */
  private void publish(SourceState state, Instant now) {
    if (stopped) {
      return;
    }
    ServiceSnapshot current = snapshot;
    if (current != null && current.serviceFound() == state.serviceFound()
        && current.service().equals(state.service()) && sameEndpoints(current, state)) {
      return; // a relist or refresh that changed nothing is not a new version
    }
    ServiceSnapshot next = new ServiceSnapshot(key, current == null ? 1 : current.version() + 1, now,
        state.serviceFound(), state.service(), state.endpoints(), state.changeTriggeredAt());
    // Inline listeners (a bound balancer) hold the snapshot before any reader can see it.
    for (InlineListener inline : inlineListeners) {
      inline.deliver(next);
    }
    snapshot = next;
    log.debug("{}", next);
    reportLatency(next, now);
    first.complete(next);
    for (Delivery<ServiceSnapshot> delivery : deliveries) {
      delivery.offer(next);
    }
  }

  private void reportLatency(ServiceSnapshot next, Instant now) {
    ProgrammingLatency latency = ProgrammingLatency.of(next, ProgrammingLatency.Stage.TABLE, now);
    if (latency == null) {
      return;
    }
    try {
      latencyListener.onLatency(latency);
    } catch (RuntimeException e) {
      log.warn("programming-latency listener {} threw on {}; it keeps receiving later ones", latencyListener, key, e);
    }
  }

  /**
   * A source that tracks changes itself hands over a new list only when it changed, so comparing
   * instances suffices; for any other source the lists are compared (DNS answers are small).
   */
  private static boolean sameEndpoints(ServiceSnapshot current, SourceState state) {
    if (current.endpoints() == state.endpoints()) {
      return true;
    }
    return !state.changeTracked() && current.endpoints().equals(state.endpoints());
  }

  /**
   * The first failure of an outage is logged with its reason (the source names the root cause); a
   * later failure of another kind is logged once per kind, so the log follows a change of cause
   * without repeating every retry; the recovery is logged once in {@link #apply}.
   */
  private void fail(String reason, Throwable cause, FailureKind kind) {
    if (stopped) {
      return;
    }
    if (status.state() == State.DISCONNECTED) {
      boolean stillNeverConnected = status.lastSyncedAt() == null && snapshot == null;
      status = new SourceStatus(State.DISCONNECTED, status.since(), status.lastSyncedAt(),
          stillNeverConnected ? "never connected: " + reason : reason, kind);
      if (loggedThisOutage.add(kind)) {
        log.warn("{}: still out of step with {}, now because: {}", key, source.name(), reason);
      } else {
        log.debug("{}: still out of step: {}", key, reason, cause);
      }
      return;
    }
    loggedThisOutage.clear();
    loggedThisOutage.add(kind);
    boolean neverConnected = status.lastSyncedAt() == null && snapshot == null;
    if (status.state() == State.SYNCED) {
      outOfStepSinceNanos = ticker.read(); // from STARTING it keeps counting from the start
    }
    status = new SourceStatus(State.DISCONNECTED, clock.instant(), status.lastSyncedAt(),
        neverConnected ? "never connected: " + reason : reason, kind);
    if (neverConnected) {
      log.warn("{}: cannot read it from {} yet ({}); retrying", key, source.name(), reason);
    } else {
      log.warn("{}: lost contact with {} ({}); keeping the last good table of {} endpoints",
          key, source.name(), reason, snapshot == null ? 0 : snapshot.endpoints().size());
    }
  }

  /**
   * Adds {@code listener} on the control thread, which then delivers the current snapshot, if any,
   * before any later update: the caller only enqueues, and never waits for the control thread.
   */
  Subscription subscribeInline(SnapshotListener listener) {
    InlineListener inline = new InlineListener(listener);
    control.execute(() -> {
      if (stopped || inline.closed) {
        return;
      }
      inlineListeners.add(inline);
      ServiceSnapshot current = snapshot;
      if (current != null) {
        inline.deliver(current);
      }
    });
    return () -> {
      inline.closed = true; // stops deliveries at once; the list lets go of it on the control thread
      control.execute(() -> inlineListeners.remove(inline));
    };
  }

  /** An inline subscription; delivered to on the control thread only. */
  private final class InlineListener {
    private final SnapshotListener listener;
    private volatile boolean closed;
    private long deliveredVersion; // control thread only

    InlineListener(SnapshotListener listener) {
      this.listener = listener;
    }

    void deliver(ServiceSnapshot next) {
      if (closed || next.version() <= deliveredVersion) {
        return;
      }
      deliveredVersion = next.version();
      try {
        listener.onSnapshot(next);
      } catch (Throwable t) { // an Error too: it must neither stop this update nor kill the control thread
        Listeners.report(log, "inline snapshot listener " + listener, key.toString(), next.version(), t);
      }
    }
  }

  Subscription subscribe(SnapshotListener listener) {
    Delivery<ServiceSnapshot> delivery =
        new Delivery<>(listener::onSnapshot, ServiceSnapshot::version, listenerExecutor, key.toString());
    deliveries.add(delivery);
    ServiceSnapshot current = snapshot;
    if (current != null) {
      delivery.offer(current); // the version check in Delivery drops it if a newer one got there first
    }
    return () -> {
      delivery.close();
      deliveries.remove(delivery);
    };
  }

  Optional<ServiceSnapshot> snapshot() {
    return Optional.ofNullable(snapshot);
  }

  SourceStatus status() {
    return status;
  }

  /**
   * How long the table has gone unconfirmed, on the ticker: zero while in step, else the time since it
   * went out of step (or since the entry started, if it never was in step).
   */
  Duration staleness() {
    if (status.state() == State.SYNCED) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(Math.max(0, ticker.read() - outOfStepSinceNanos));
  }

  /** How often the source came back in step after losing contact. */
  long reconnects() {
    return reconnects;
  }

  CompletableFuture<ServiceSnapshot> first() {
    return first;
  }
}
