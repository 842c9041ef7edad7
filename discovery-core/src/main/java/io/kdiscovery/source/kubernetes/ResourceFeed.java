package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kdiscovery.source.Backoff;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a local copy of the objects one list+watch selects, for one kind: list, then watch from the
 * list's resourceVersion, apply each event, and start over when the watch ends.
 *
 * <p>Why not fabric8's informers: kdiscovery must know when it is out of step (to show the table's
 * age), retry with its own jittered backoff, and replace the whole state at once after a relist. So
 * the client it is given never reconnects watches by itself (see {@link KubernetesEndpointSource}),
 * and this loop decides:
 * <ul>
 *   <li>a watch that expires (410 Gone), or ends after running a while, is followed at once by a
 *       relist whose result replaces the items whole: no moment without them, no failure reported;
 *   <li>a list that fails, or a watch that cannot start or dies young, reports a failure to the
 *       owner and retries after a jittered, growing delay; the items stay as they were meanwhile.
 * </ul>
 * Every method runs on the owner's {@link SerialExecutor}; blocking calls run on the I/O executor and
 * hand their results back to it. A generation number drops results of an attempt that was superseded.
 */
final class ResourceFeed<T extends HasMetadata> {

  private static final Logger log = LoggerFactory.getLogger(ResourceFeed.class);
  /** A watch that ends sooner than this after it started counts as a failed attempt. */
  private static final long MIN_HEALTHY_WATCH_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** The two API calls a feed makes; both may block. */
  interface Api<T extends HasMetadata> {
    KubernetesResourceList<T> list();

    Watch watch(String resourceVersion, Watcher<T> watcher);
  }

  /** The feed's owner, called on the serial executor. */
  interface Owner {
    void feedChanged();

    /** Returns whether to retry; false gives this feed up (the owner takes another way). */
    boolean feedFailed(ResourceFeed<?> feed, String reason, Throwable cause);
  }

  final String kind;
  private final Api<T> api;
  private final Owner owner;
  private final SerialExecutor serial;
  private final Executor io;
  private final ScheduledExecutorService timers;
  private final Backoff backoff;
  private final DoubleSupplier random;

  private final Map<String, T> items = new HashMap<>();
  private boolean synced;
  private boolean everSynced;
  private boolean failing;
  private boolean closed;
  private int attempt;
  private int generation;
  private Watch watch;
  private long watchStartedNanos;
  private ScheduledFuture<?> retry;

  ResourceFeed(String kind, Api<T> api, Owner owner, SerialExecutor serial, Executor io,
      ScheduledExecutorService timers, Backoff backoff, DoubleSupplier random) {
    this.kind = kind;
    this.api = api;
    this.owner = owner;
    this.serial = serial;
    this.io = io;
    this.timers = timers;
    this.backoff = backoff;
    this.random = random;
  }

  void start() {
    serial.execute(this::relist);
  }

  void close() {
    serial.execute(() -> {
      closed = true;
      generation++;
      stopWatch();
      if (retry != null) {
        retry.cancel(false);
      }
    });
  }

  /** Listed at least once and not failing now. */
  boolean ready() {
    return synced && !failing;
  }

  boolean everSynced() {
    return everSynced;
  }

  Collection<T> items() {
    return Collections.unmodifiableCollection(items.values());
  }

  T item(String name) {
    return items.get(name);
  }

  private void relist() {
    if (closed) {
      return;
    }
    int attemptGeneration = ++generation;
    stopWatch();
    io.execute(() -> {
      KubernetesResourceList<T> list;
      try {
        list = api.list();
      } catch (RuntimeException e) {
        serial.execute(() -> failed(attemptGeneration, "listing " + kind + " failed: " + describe(e), e));
        return;
      }
      serial.execute(() -> listed(attemptGeneration, list));
    });
  }

  private void listed(int attemptGeneration, KubernetesResourceList<T> list) {
    if (closed || attemptGeneration != generation) {
      return;
    }
    // Replace the items whole: readers see the old state or the new one, never a mix or a gap.
    items.clear();
    if (list.getItems() != null) {
      for (T item : list.getItems()) {
        items.put(item.getMetadata().getName(), item);
      }
    }
    synced = true;
    everSynced = true;
    failing = false;
    owner.feedChanged();
    String resourceVersion = list.getMetadata() == null ? null : list.getMetadata().getResourceVersion();
    io.execute(() -> {
      try {
        Watch started = api.watch(resourceVersion, new FeedWatcher(attemptGeneration));
        serial.execute(() -> watching(attemptGeneration, started));
      } catch (RuntimeException e) {
        serial.execute(() -> failed(attemptGeneration, "watching " + kind + " failed: " + describe(e), e));
      }
    });
  }

  private void watching(int attemptGeneration, Watch started) {
    if (closed || attemptGeneration != generation) {
      started.close();
      return;
    }
    watch = started;
    watchStartedNanos = System.nanoTime();
    attempt = 0;
  }

  private void event(int attemptGeneration, Watcher.Action action, T item) {
    if (closed || attemptGeneration != generation || item == null || item.getMetadata() == null) {
      return;
    }
    switch (action) {
      case ADDED, MODIFIED -> items.put(item.getMetadata().getName(), item);
      case DELETED -> items.remove(item.getMetadata().getName());
      default -> {
        return; // BOOKMARK and ERROR carry no change of the items
      }
    }
    owner.feedChanged();
  }

  private void watchEnded(int attemptGeneration, WatcherException cause) {
    if (closed || attemptGeneration != generation) {
      return;
    }
    watch = null;
    boolean lived = watchStartedNanos != 0 && System.nanoTime() - watchStartedNanos >= MIN_HEALTHY_WATCH_NANOS;
    if (cause.isHttpGone()) {
      log.debug("watch of {} expired (410 Gone); relisting", kind);
      relist();
    } else if (lived) {
      log.debug("watch of {} ended ({}); relisting", kind, cause.getMessage());
      relist();
    } else {
      failed(attemptGeneration, "watch of " + kind + " ended: " + describe(cause), cause);
    }
  }

  private void failed(int attemptGeneration, String reason, Throwable cause) {
    if (closed || attemptGeneration != generation) {
      return;
    }
    stopWatch();
    failing = true;
    if (!owner.feedFailed(this, reason, cause)) {
      closed = true;
      return;
    }
    long delayNanos = backoff.delay(attempt++, random).toNanos();
    log.debug("retrying {} in {} ms", kind, delayNanos / 1_000_000);
    retry = timers.schedule(() -> serial.execute(this::relist), delayNanos, TimeUnit.NANOSECONDS);
  }

  private void stopWatch() {
    if (watch != null) {
      Watch stopping = watch;
      watch = null;
      io.execute(stopping::close); // closing may wait for the connection; keep it off the serial path
    }
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
  }

  private final class FeedWatcher implements Watcher<T> {
    private final int attemptGeneration;

    FeedWatcher(int attemptGeneration) {
      this.attemptGeneration = attemptGeneration;
    }

    @Override
    public void eventReceived(Action action, T item) {
      serial.execute(() -> event(attemptGeneration, action, item));
    }

    @Override
    public void onClose(WatcherException cause) {
      serial.execute(() -> watchEnded(attemptGeneration, cause));
    }

    @Override
    public void onClose() {
      // Closed by us: nothing to do.
    }
  }
}
