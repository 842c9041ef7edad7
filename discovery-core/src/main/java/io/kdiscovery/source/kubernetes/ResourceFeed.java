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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
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
 *   <li>the count of failures in a row starts again only after a watch stayed up
 *       {@link #BACKOFF_RESET} (client-go's reflector: 800 ms doubling to 30 s, reset after 2 min
 *       of health); a 429 waits at least the API server's {@code Retry-After} (clamped to
 *       {@link #MAX_RETRY_AFTER}), and at least {@link #MIN_THROTTLED_WAIT} when it names none;
 *   <li>bookmarks are requested, so resuming after a quiet period does not need a relist;
 *   <li>an object of another kind than the feed's is dropped with a warning, never stored.
 * </ul>
 *
 * <p>Liveness of its own: a watch whose connection goes silent without closing (a NAT entry or a
 * load balancer dropped it) is noticed whatever the transport does. Every event and bookmark is
 * activity; a watch with none for the idle bound ({@code watchIdleTimeout}, 30 s by default) is
 * restarted from its resourceVersion, without a LIST: the API server serves a resumed watch from its
 * watch cache, one cheap request. The restart is the probe: if the new watch is answered within
 * {@link #restartAnswerWithin} the feed never left step (a quiet watch on a healthy server costs one
 * such request per idle bound); if not, the feed reports {@code SILENT}, leaves step, and retries
 * with backoff like any failure. Why 30 s: with the restart's answer bound (10 s) a change made
 * while the connection was dead reaches the table within about 40 s, inside the 45 s that
 * client-go's HTTP/2 health check (30 s read-idle + 15 s ping timeout) gives, and it needs no
 * transport pings, so it holds for a caller's client without them. The price on a quiet real
 * cluster, where the API server sends a bookmark only about once a minute, is one resumed watch
 * every 30 s per quiet watch instead of one per {@code timeoutSeconds}; a cluster with very many
 * quiet watches can raise the bound above the bookmark period (say 90 s) and pay with slower
 * detection. {@code timeoutSeconds}, random in [5, 10) minutes as client-go sends it, is the
 * server-side backstop.
 * Every method runs on the owner's {@link SerialExecutor}; blocking calls run on the I/O executor and
 * hand their results back to it. A generation number drops results of an attempt superseded since.
 */
final class ResourceFeed<T extends HasMetadata, S> {

  private static final Logger log = LoggerFactory.getLogger(ResourceFeed.class);
  /** A watch that ends sooner than this after it started counts as a failure. */
  static final Duration STABLE_AFTER = Duration.ofSeconds(2);
  /** How long a watch must stay up before the next failure counts as the first again (client-go's 2 min). */
  static final Duration BACKOFF_RESET = Duration.ofMinutes(2);
  /** The longest {@code Retry-After} honoured: a larger one (or a hostile one) waits this long. */
  static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);
  /** The least wait after a 429 that names no {@code Retry-After} (client-go's default for one). */
  static final Duration MIN_THROTTLED_WAIT = Duration.ofSeconds(1);
  /** The longest wait for the answer to a restart after silence. */
  static final Duration MAX_RESTART_ANSWER = Duration.ofSeconds(10);

  /** The two API calls a feed makes: the list blocks, the watch is asked for without blocking. */
  interface Api<T extends HasMetadata> {
    KubernetesResourceList<T> list();

    /**
     * Starts a watch; the future completes when the server answered (or failed). It may never
     * complete on a dead connection: the feed's answer timer gives up on it, and closes it if it
     * completes later.
     */
    CompletableFuture<Watch> watch(String resourceVersion, Watcher<T> watcher);
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
  private Scheduler.Task idleCheck;
  private Scheduler.Task answerTimer; // a watch request not answered in time fails (any client, timeouts or none)
  private static final long NOT_OPEN = Long.MIN_VALUE;
  private long watchOpenedAt = NOT_OPEN; // ticker nanos, while a watch is open
  private long lastActivity; // ticker nanos of the last event, bookmark or opening of a watch
  private boolean silentRestart; // the current attempt restarts a silent watch
  private boolean causeSought; // a watch broke without a cause and was retried at once to learn one
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
    return runtime.backoff().attempts(runtime.ticker(), BACKOFF_RESET, runtime.random());
  }

  /** How long a restart after silence may take to be answered: the idle bound, at most 10 s. */
  static Duration restartAnswerWithin(Duration idleBound) {
    return idleBound.compareTo(MAX_RESTART_ANSWER) < 0 ? idleBound : MAX_RESTART_ANSWER;
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
      cancelIdleCheck();
      cancelAnswerTimer();
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
    // Uptime counts from the request, as client-go's reflector does (a proxy may hold the answer's
    // headers until the first event).
    long requestedAt = runtime.ticker().read();
    Duration answerWithin = restartAnswerWithin(runtime.watchIdleTimeout());
    cancelAnswerTimer();
    answerTimer = runtime.scheduler().schedule(answerWithin, serial, () -> {
      if (closed || attempt != generation || watch != null) {
        return;
      }
      RuntimeException unanswered = silentRestart
          ? new SilentWatchException("no event or bookmark for " + runtime.watchIdleTimeout().toMillis()
              + " ms, and its restart got no answer within " + answerWithin.toMillis() + " ms")
          : new KubernetesClientException("the watch request got no answer within " + answerWithin.toMillis()
              + " ms", new java.util.concurrent.TimeoutException("no answer within " + answerWithin.toMillis() + " ms"));
      failed(attempt, (silentRestart ? "the watch of " + description + " went silent: "
          : "watching " + description + " failed: ") + runtime.describe(unanswered), unanswered, false);
    });
    runtime.io().execute(() -> {
      CompletableFuture<Watch> starting;
      try {
        starting = api.watch(from, new FeedWatcher(attempt));
      } catch (RuntimeException e) {
        watchFailed(attempt, e);
        return;
      }
      starting.whenComplete((started, error) -> {
        if (error != null) {
          watchFailed(attempt, unwrap(error));
        } else {
          runtime.opened(started);
          serial.execute(() -> watching(attempt, started, requestedAt));
        }
      });
    });
  }

  private void watchFailed(int attempt, Throwable error) {
    boolean gone = WatchGroup.httpCode(error) == 410;
    serial.execute(() -> failed(attempt, "watching " + description + " failed: " + runtime.describe(error), error, gone));
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private void watching(int attempt, Watch started, long requestedAt) {
    if (closed || attempt != generation) {
      runtime.close(started);
      return;
    }
    watch = started;
    if (!silentRestart) {
      attempts.opened(); // a restart for silence continues the uptime the backoff's reset counts
    }
    watchOpenedAt = requestedAt;
    lastActivity = runtime.ticker().read();
    cancelAnswerTimer();
    if (silentRestart) {
      silentRestart = false; // the restart was answered in time: the connection path is alive
      log.debug("{}: the restarted watch was answered; it stays in step", description);
    }
    scheduleIdleCheck(attempt, runtime.watchIdleTimeout());
    if (failing) {
      // Back in step only once this watch stayed up: a watch that fails at once proves nothing.
      pending = runtime.scheduler().schedule(stableAfter(), serial, () -> checkStable(attempt));
    }
  }

  private void checkStable(int attempt) {
    if (closed || attempt != generation || watch == null || !failing || !stayedUp()) {
      return;
    }
    failing = false;
    causeSought = false;
    inStep = true;
    log.debug("{}: watch stayed up; back in step", description);
    owner.inStep();
  }

  private void event(int attempt, Watcher.Action action, T item) {
    if (closed || attempt != generation) {
      return;
    }
    lastActivity = runtime.ticker().read();
    log.trace("{}: {} event", description, action);
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
    cancelIdleCheck();
    boolean gone = cause.isHttpGone();
    boolean routine = stayedUp();
    watchOpenedAt = NOT_OPEN;
    if (!routine && !causeSought && !failing && Failures.kind(cause) == io.kdiscovery.source.FailureKind.CONNECTION_LOST) {
      // fabric8 says only "Exhausted reconnects" (the library's own limit of 0) and drops the cause:
      // try once more at once, and let that attempt's own failure, if any, name the root cause
      // (refused, 403, 429, reset...). A single broken connection is then no outage at all.
      causeSought = true;
      log.debug("{}: the watch connection broke without a cause; trying again at once", description);
      connect();
      return;
    }
    if (routine) {
      // A routine end: resume from where we are, or relist once if the server says that is too old.
      causeSought = false;
      log.debug("{}: watch ended after it stayed up ({}); {}", description, cause.getMessage(),
          gone ? "relisting" : "resuming");
      needsList = gone;
      connect();
    } else {
      failed(attempt, "the watch of " + description + " ended at once: " + runtime.describe(cause)
          + (gone ? " (410: resourceVersion expired, or the server closed the watch)" : ""), cause, gone);
    }
  }

  /** Whether the current (or just ended) watch was open for {@link #stableAfter()}. */
  private boolean stayedUp() {
    return watchOpenedAt != NOT_OPEN && runtime.ticker().read() - watchOpenedAt >= stableAfter().toNanos();
  }

  /**
   * {@link #STABLE_AFTER}, or half the idle bound if that is shorter: a watch restarted for silence
   * must be able to prove itself before its next restart.
   */
  private Duration stableAfter() {
    Duration half = runtime.watchIdleTimeout().dividedBy(2);
    return half.compareTo(STABLE_AFTER) < 0 ? half : STABLE_AFTER;
  }

  private void failed(int attempt, String reason, Throwable cause, boolean relist) {
    if (closed || attempt != generation) {
      return;
    }
    stopWatch();
    cancelIdleCheck();
    cancelAnswerTimer();
    silentRestart = false;
    inStep = false;
    failing = true;
    needsList |= relist;
    if (!owner.failed(this, reason, cause)) {
      closed = true;
      return;
    }
    Duration delay = throttled(attempts.failed(), cause);
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

  /**
   * A 429 waits at least what the API server asked ({@code Retry-After}, clamped to
   * {@link #MAX_RETRY_AFTER}) or {@link #MIN_THROTTLED_WAIT}; a 503 with a {@code Retry-After} too.
   */
  static Duration throttled(Duration backoff, Throwable cause) {
    io.kdiscovery.source.FailureKind kind = Failures.kind(cause);
    Duration asked = Failures.retryAfter(cause).orElse(null);
    Duration floor;
    if (kind == io.kdiscovery.source.FailureKind.THROTTLED) {
      floor = asked == null ? MIN_THROTTLED_WAIT : asked;
    } else if (kind == io.kdiscovery.source.FailureKind.SERVER_ERROR && asked != null) {
      floor = asked;
    } else {
      return backoff;
    }
    if (floor.compareTo(MAX_RETRY_AFTER) > 0) {
      floor = MAX_RETRY_AFTER;
    }
    return backoff.compareTo(floor) >= 0 ? backoff : floor;
  }

  // ---- liveness: a watch silent for the idle bound is restarted from its resourceVersion

  private void scheduleIdleCheck(int attempt, Duration after) {
    cancelIdleCheck();
    idleCheck = runtime.scheduler().schedule(after, serial, () -> checkIdle(attempt));
  }

  private void cancelAnswerTimer() {
    if (answerTimer != null) {
      answerTimer.cancel();
      answerTimer = null;
    }
  }

  private void cancelIdleCheck() {
    if (idleCheck != null) {
      idleCheck.cancel();
      idleCheck = null;
    }
  }

  private void checkIdle(int attempt) {
    if (closed || attempt != generation || watch == null) {
      return;
    }
    Duration bound = runtime.watchIdleTimeout();
    long idle = runtime.ticker().read() - lastActivity;
    if (idle < bound.toNanos()) {
      scheduleIdleCheck(attempt, Duration.ofNanos(bound.toNanos() - idle));
      return;
    }
    runtime.infoOnce("kubernetes: " + description + ": no event or bookmark for " + bound.toSeconds()
        + " s; restarting the watch from its resourceVersion (no relist). Quiet watches are restarted"
        + " this way every watch idle bound; later restarts are logged at debug");
    log.debug("{}: silent for {} ms; restarting the watch from resourceVersion {}", description,
        idle / 1_000_000, resourceVersion);
    stopWatch();
    silentRestart = true;
    startWatch(++generation); // its answer timer says SILENT if the restart is not answered in time
  }

  private void stopWatch() {
    watchOpenedAt = NOT_OPEN;
    if (watch != null) {
      Watch stopping = watch;
      watch = null;
      // Closing may wait: keep it off the serial path. The watch stays tracked until it is closed, so
      // that if the source closes first and its pool drops this task, the source's closeAll still
      // closes it (forgetting it here first leaked a watch on the server now and then).
      try {
        runtime.io().execute(() -> runtime.close(stopping));
      } catch (java.util.concurrent.RejectedExecutionException closing) {
        runtime.close(stopping);
      }
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
