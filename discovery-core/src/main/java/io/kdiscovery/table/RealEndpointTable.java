package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import io.kdiscovery.time.DaemonThreads;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The table's engine.
 *
 * <p>Concurrency design. Three kinds of thread touch the table:
 * <ul>
 *   <li>callers of {@link #open} and of handles: they change only the user counts of {@link #entries},
 *       under {@link #lock}, which is held briefly and never while calling out;
 *   <li>the one <em>control</em> thread: the only writer of an entry's snapshot and status. Source
 *       callbacks arrive on the source's threads and are handed to it; starting and stopping a watch
 *       run on it too, so a stop can never overtake the start of the same entry;
 *   <li>listener threads: each subscription drains its own {@link Delivery}, so listeners never run
 *       on the control thread and never under a lock.
 * </ul>
 * Readers see an entry's snapshot and status through volatile fields, so a read never blocks.
 */
final class RealEndpointTable implements EndpointTable {

  static final int LISTENER_THREADS = 4;

  private final EndpointSource source;
  private final Clock clock;
  private final ProgrammingLatencyListener latencyListener;
  private final Duration idleTimeout;
  private final ThreadPoolExecutor control;
  private final Scheduler scheduler;
  private final Ticker ticker;
  private final Executor listenerExecutor;
  private final ExecutorService ownedListenerExecutor;

  private final Object lock = new Object();
  private final Map<ServiceKey, TableEntry> entries = new HashMap<>(); // guarded by lock
  private boolean closed; // guarded by lock

  RealEndpointTable(EndpointTable.Builder builder) {
    this.source = builder.source;
    this.clock = builder.clock;
    this.latencyListener = builder.latencyListener;
    this.idleTimeout = builder.idleTimeout;
    this.scheduler = builder.scheduler;
    this.ticker = builder.ticker;
    // A source callback that races with close() is dropped, not thrown back at the source's thread.
    this.control = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        DaemonThreads.factory("kdiscovery-table"), new ThreadPoolExecutor.DiscardPolicy());
    this.control.allowCoreThreadTimeOut(true);
    if (builder.listenerExecutor != null) {
      this.listenerExecutor = builder.listenerExecutor;
      this.ownedListenerExecutor = null;
    } else {
      // Bounded: listeners must not block, and a thousand Services must not mean a thousand threads.
      ThreadPoolExecutor pool = new ThreadPoolExecutor(LISTENER_THREADS, LISTENER_THREADS, 10, TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(), DaemonThreads.factory("kdiscovery-listener"),
          new ThreadPoolExecutor.DiscardPolicy());
      pool.allowCoreThreadTimeOut(true);
      this.ownedListenerExecutor = pool;
      this.listenerExecutor = ownedListenerExecutor;
    }
  }

  @Override
  public ServiceHandle open(ServiceKey key) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the endpoint table is closed");
      }
      TableEntry entry = entries.get(key);
      if (entry == null) {
        entry = new TableEntry(key, source, clock, ticker, control, listenerExecutor, latencyListener);
        entries.put(key, entry);
        control.execute(entry::start);
      }
      entry.users++;
      if (entry.idleStop != null) {
        entry.idleStop.cancel();
        entry.idleStop = null;
      }
      return new RealServiceHandle(this, entry);
    }
  }

  /** Called once per handle when it closes. */
  void release(TableEntry entry) {
    synchronized (lock) {
      entry.users--;
      if (entry.users > 0 || closed) {
        return;
      }
      if (idleTimeout.isZero()) {
        entries.remove(entry.key);
        control.execute(entry::stop);
      } else {
        entry.idleStop = scheduler.schedule(idleTimeout, control, () -> stopIfIdle(entry));
      }
    }
  }

  private void stopIfIdle(TableEntry entry) {
    synchronized (lock) {
      if (entry.users > 0 || entries.get(entry.key) != entry) {
        return;
      }
      entries.remove(entry.key);
    }
    entry.stop();
  }

  @Override
  public List<WatchedService> services() {
    List<WatchedService> views = new ArrayList<>();
    synchronized (lock) {
      for (TableEntry entry : entries.values()) {
        views.add(new WatchedService(entry.key, entry.snapshot(), entry.status(), entry.users, entry.reconnects(),
            entry.staleness()));
      }
    }
    views.sort(Comparator.comparing(WatchedService::key));
    return views;
  }

  @Override
  public void close() {
    List<TableEntry> stopping;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      stopping = new ArrayList<>(entries.values());
      entries.clear();
    }
    for (TableEntry entry : stopping) {
      if (entry.idleStop != null) {
        entry.idleStop.cancel();
      }
      control.execute(entry::stop);
    }
    control.shutdown();
    try {
      if (!control.awaitTermination(5, TimeUnit.SECONDS)) {
        control.shutdownNow();
      }
    } catch (InterruptedException e) {
      control.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (ownedListenerExecutor != null) {
      ownedListenerExecutor.shutdown();
    }
  }
}
