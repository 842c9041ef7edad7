package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.time.Scheduler;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a local copy of the objects of one kind that one list+watch selects, and tells its owner
 * each change: list, then watch from the list's resourceVersion, and after the watch ends, resume
 * from the last resourceVersion seen.
 *
 * <p>Why a loop of our own and not fabric8's informers: fabric8 8 reports a watch that the server
 * closes cleanly, without a message, within 2 s as 410 Gone, and its informer answers every 410 with
 * an immediate relist, without backoff and without telling anyone: against a server that closes
 * watches at once that is a LIST storm reported as healthy (the defect of issue 10). The informer
 * also applies a relist as a stream of single events, where kdiscovery must hand the table one
 * complete state, and runs on the client's executor, which a caller-owned client does not bound. So
 * the client this loop is given never reconnects by itself (see {@link KubernetesEndpointSource})
 * and the loop decides, as client-go's reflector does:
 * <ul>
 *   <li>a watch that ends after it stayed up {@link #STABLE_AFTER} resumes from the last
 *       resourceVersion at once, without a LIST; if it ended with 410 Gone, one relist follows,
 *       whose result replaces the items whole (no moment without them);
 *   <li>a list that fails, a watch that cannot start, and a watch that ends sooner (including
 *       fabric8's synthetic 410) report a failure to the owner and retry after a jittered delay that
 *       grows with every failure in a row and starts again only after a watch stayed up;
 *   <li>after a failure the feed is out of step until a watch stayed up {@link #STABLE_AFTER}
 *       again, even if lists succeed meanwhile: the owner gets the data but not the all-clear;
 *   <li>bookmarks are requested, so resuming after a quiet period does not need a relist;
 *   <li>an object of another kind than the feed's is dropped with a warning, never stored.
 * </ul>
 * Every method runs on the owner's {@link SerialExecutor}; blocking calls run on the I/O executor and
 * hand their results back to it. A generation number drops results of an attempt superseded since.
 */
final class ResourceFeed<T extends HasMetadata, S> {

  private static final Logger log = LoggerFactory.getLogger(ResourceFeed.class);
  /** A watch that ends sooner than this after it started counts as a failure. */
  static final Duration STABLE_AFTER = Duration.ofSeconds(2);

  /** The two API calls a feed makes; both may block. */
  interface Api<T extends HasMetadata> {
    KubernetesResourceList<T> list();

    Watch watch(String resourceVersion, Watcher<T> watcher);
  }

  /** The feed's owner, called on the serial executor, with the items in the form the feed keeps. */
  interface Owner<S> {
    /** A (re)list replaced the items whole; {@code previous} are the items before it. */
    void replaced(Map<String, S> previous, Map<String, S> current);

    /** An object was added or changed; {@code previous} is its former version, or null. */
    void upserted(S previous, S item);

    void deleted(S item);

    /** The feed came back in step without a change of its items (a watch stayed up after failures). */
    void inStep();

    /**
     * The feed failed and is out of step; its items stay as they were.
     *
     * @return whether to retry; false gives the feed up (the owner takes another way)
     */
    boolean failed(ResourceFeed<?, S> feed, String reason, Throwable cause);
  }

  final String description;
  private final Class<T> type;
  private final String kind;
  private final Api<T> api;
  private final Function<? super T, ? extends S> keep;
  private final Owner<S> owner;
  private final SerialExecutor serial;
  private final KubernetesEndpointSource.Runtime runtime;
  private Backoff.Attempts attempts; // replaced by a fresh count once a watch stayed up

  private final Map<String, S> items = new HashMap<>();
  private boolean listed;
  private boolean inStep;
  private boolean failing; // since the last failure, until a watch stayed up
  private boolean closed;
  private int generation;
  private String resourceVersion;
  private Watch watch;
  private Scheduler.Task pending;
  private boolean needsList = true;

  /** A feed that keeps the objects as received. */
  static <T extends HasMetadata> ResourceFeed<T, T> keepingObjects(String description, Class<T> type, String kind,
      Api<T> api, Owner<T> owner, SerialExecutor serial, KubernetesEndpointSource.Runtime runtime) {
    return new ResourceFeed<>(description, type, kind, api, Function.identity(), owner, serial, runtime);
  }

  /**
   * @param keep what to keep of each object received (it is called on the serial executor, once per
   *     object, and the object itself is then let go): a compact form where the objects are many
   */
  ResourceFeed(String description, Class<T> type, String kind, Api<T> api, Function<? super T, ? extends S> keep,
      Owner<S> owner, SerialExecutor serial, KubernetesEndpointSource.Runtime runtime) {
    this.description = description;
    this.type = type;
    this.kind = kind;
    this.api = api;
    this.keep = keep;
    this.owner = owner;
    this.serial = serial;
    this.runtime = runtime;
    this.attempts = freshAttempts();
  }

  private Backoff.Attempts freshAttempts() {
    return runtime.backoff().attempts(runtime.ticker(), STABLE_AFTER, runtime.random());
  }

  /** Starts listing; the I/O is paced by the source's bounded I/O pool. */
  void start() {
    serial.execute(this::connect);
  }

  void close() {
    serial.execute(() -> {
      closed = true;
      generation++;
      stopWatch();
      cancelPending();
      items.clear();
    });
  }

  /** Listed at least once, and no failure since the last time a watch stayed up. */
  boolean inStep() {
    return inStep;
  }

  /** Listed at least once: the items are a complete state, perhaps an old one. */
  boolean listed() {
    return listed;
  }

  Map<String, S> items() {
    return Collections.unmodifiableMap(items);
  }

  static String keyOf(HasMetadata item) {
    String namespace = item.getMetadata().getNamespace();
    return namespace == null ? item.getMetadata().getName() : namespace + "/" + item.getMetadata().getName();
  }

  private void connect() {
    if (closed) {
      return;
    }
    if (needsList || resourceVersion == null) {
      relist();
    } else {
      startWatch(++generation);
    }
  }

  private void relist() {
    int attempt = ++generation;
    stopWatch();
    runtime.io().execute(() -> {
      KubernetesResourceList<T> list;
      try {
        list = api.list();
      } catch (RuntimeException e) {
        serial.execute(() -> failed(attempt, "listing " + description + " failed: " + runtime.describe(e), e, true));
        return;
      }
      serial.execute(() -> listed(attempt, list));
    });
  }

  private void listed(int attempt, KubernetesResourceList<T> list) {
    if (closed || attempt != generation) {
      return;
    }
    Map<String, S> next = new HashMap<>();
    if (list.getItems() != null) {
      for (T item : list.getItems()) {
        if (acceptable(item, "listed")) {
          next.put(keyOf(item), keep.apply(item));
        }
      }
    }
    Map<String, S> previous = new HashMap<>(items);
    // Replace the items whole: the owner sees the old state or the new one, never a mix or a gap.
    items.clear();
    items.putAll(next);
    listed = true;
    needsList = false;
    inStep = !failing;
    resourceVersion = list.getMetadata() == null ? null : list.getMetadata().getResourceVersion();
    try {
      owner.replaced(previous, items());
    } finally {
      // Whatever the owner did with the list (a bug there is reported by the serial context), the
      // feed must go on watching, or no later change would ever arrive.
      startWatch(attempt);
    }
  }

  private void startWatch(int attempt) {
    String from = resourceVersion;
    runtime.io().execute(() -> {
      try {
        Watch started = api.watch(from, new FeedWatcher(attempt));
        runtime.opened(started);
        serial.execute(() -> watching(attempt, started));
      } catch (RuntimeException e) {
        boolean gone = e instanceof KubernetesClientException k && k.getCode() == 410;
        serial.execute(() -> failed(attempt, "watching " + description + " failed: " + runtime.describe(e), e, gone));
      }
    });
  }

  private void watching(int attempt, Watch started) {
    if (closed || attempt != generation) {
      runtime.close(started);
      return;
    }
    watch = started;
    attempts.opened();
    if (failing) {
      // Back in step only once this watch stayed up: a watch that fails at once proves nothing.
      pending = runtime.scheduler().schedule(STABLE_AFTER, serial, () -> checkStable(attempt));
    }
  }

  private void checkStable(int attempt) {
    if (closed || attempt != generation || watch == null || !failing || !attempts.isStable()) {
      return;
    }
    failing = false;
    inStep = true;
    attempts = freshAttempts();
    attempts.opened();
    log.debug("{}: watch stayed up; back in step", description);
    owner.inStep();
  }

  private void event(int attempt, Watcher.Action action, T item) {
    if (closed || attempt != generation) {
      return;
    }
    if (action == Watcher.Action.BOOKMARK) {
      if (item != null && item.getMetadata() != null && item.getMetadata().getResourceVersion() != null) {
        resourceVersion = item.getMetadata().getResourceVersion();
      }
      return;
    }
    if (action == Watcher.Action.ERROR || !acceptable(item, action.name())) {
      return;
    }
    if (item.getMetadata().getResourceVersion() != null) {
      resourceVersion = item.getMetadata().getResourceVersion();
    }
    String key = keyOf(item);
    if (action == Watcher.Action.DELETED) {
      S removed = items.remove(key);
      if (removed != null) {
        owner.deleted(removed);
      }
    } else {
      S kept = keep.apply(item);
      S previous = items.put(key, kept);
      owner.upserted(previous, kept);
    }
  }

  /** Of the right kind, with a name: anything else is dropped with a warning, never stored. */
  private boolean acceptable(Object item, String what) {
    if (!type.isInstance(item)) {
      runtime.warnOnce(description + ": dropped a " + what + " object that is not a " + kind + ": "
          + (item == null ? "null" : describeObject(item)));
      return false;
    }
    HasMetadata object = type.cast(item);
    if (object.getKind() != null && !kind.equals(object.getKind())) {
      runtime.warnOnce(description + ": dropped a " + what + " object of kind " + object.getKind()
          + " (expected " + kind + "): " + describeObject(object));
      return false;
    }
    if (object.getMetadata() == null || object.getMetadata().getName() == null) {
      runtime.warnOnce(description + ": dropped a " + what + " " + kind + " without a name");
      return false;
    }
    return true;
  }

  private static String describeObject(Object item) {
    if (item instanceof HasMetadata m && m.getMetadata() != null) {
      return m.getKind() + " " + m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
    }
    return item.getClass().getSimpleName();
  }

  private void watchEnded(int attempt, WatcherException cause) {
    if (closed || attempt != generation) {
      return;
    }
    runtime.forget(watch);
    watch = null;
    boolean gone = cause.isHttpGone();
    if (attempts.isStable()) {
      // A routine end: resume from where we are, or relist once if the server says that is too old.
      attempts = freshAttempts(); // it stayed up: the next failure counts from the first attempt again
      log.debug("{}: watch ended after it stayed up ({}); {}", description, cause.getMessage(),
          gone ? "relisting" : "resuming");
      needsList = gone;
      connect();
    } else {
      failed(attempt, "the watch of " + description + " ended at once: " + runtime.describe(cause)
          + (gone ? " (410: resourceVersion expired, or the server closed the watch)" : ""), cause, gone);
    }
  }

  private void failed(int attempt, String reason, Throwable cause, boolean relist) {
    if (closed || attempt != generation) {
      return;
    }
    stopWatch();
    inStep = false;
    failing = true;
    needsList |= relist;
    if (!owner.failed(this, reason, cause)) {
      closed = true;
      return;
    }
    Duration delay = attempts.failed();
    log.debug("{}: retrying in {} ms (failure {} in a row)", description, delay.toMillis(),
        attempts.failuresInARow());
    cancelPending();
    int retryGeneration = ++generation;
    pending = runtime.scheduler().schedule(delay, serial, () -> {
      if (!closed && retryGeneration == generation) {
        connect();
      }
    });
  }

  private void stopWatch() {
    if (watch != null) {
      Watch stopping = watch;
      watch = null;
      runtime.forget(stopping);
      runtime.io().execute(() -> runtime.close(stopping)); // closing may wait; keep it off the serial path
    }
  }

  private void cancelPending() {
    if (pending != null) {
      pending.cancel();
      pending = null;
    }
  }

  private final class FeedWatcher implements Watcher<T> {
    private final int attempt;

    FeedWatcher(int attempt) {
      this.attempt = attempt;
    }

    @Override
    public void eventReceived(Action action, T item) {
      serial.execute(() -> event(attempt, action, item));
    }

    @Override
    public void onClose(WatcherException cause) {
      serial.execute(() -> watchEnded(attempt, cause));
    }

    @Override
    public void onClose() {
      // Closed by us: nothing to do.
    }
  }
}
