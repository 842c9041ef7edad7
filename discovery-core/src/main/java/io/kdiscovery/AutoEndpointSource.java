package io.kdiscovery;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.FailureKind;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.source.kubernetes.KubernetesEndpointSource;
import io.kdiscovery.source.kubernetes.KubernetesEndpointSource.SliceAccess;
import io.kdiscovery.time.DaemonThreads;
import io.kdiscovery.time.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SourceType#AUTO}: asks the API server whether this application may list EndpointSlices (in
 * the first watch's namespace) and serves every watch from the Kubernetes source if so, else from DNS.
 *
 * <p>A transient answer is not a verdict. Only 401/403 (typed from the status code) send the watches
 * to DNS; a 429, a 5xx, a timeout or an unreachable server is asked again with backoff (at least the
 * server's {@code Retry-After}, at most {@link #MAX_RETRY_AFTER}), and no watch starts until the
 * answer is one or the other. On DNS the question is asked again every {@link #RECHECK} (as the
 * Kubernetes source re-checks slices after a 403 fallback to v1/Endpoints): once the API is
 * readable, every watch moves back to the Kubernetes source. A move starts the new watch before it
 * closes the old one and never empties the table: the table keeps the last state it got until the
 * new source's first state replaces it, and a late delivery of the source left is dropped.
 *
 * <p>Thread-safe. The probe blocks, so it runs on one daemon thread of its own (which goes away
 * when idle), timed by the injected {@link Scheduler}; {@link #watch} never blocks.
 */
final class AutoEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(AutoEndpointSource.class);
  /** While on DNS because the API was forbidden, how often to ask again. */
  static final Duration RECHECK = Duration.ofMinutes(5);
  static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

  private final KubernetesEndpointSource kubernetes;
  private final Supplier<EndpointSource> dnsFactory;
  private final Scheduler scheduler;
  private final Backoff backoff;
  private final DoubleSupplier random;
  private final ThreadPoolExecutor prober;
  private final List<SwitchableWatch> watches = new ArrayList<>(); // guarded by this
  private EndpointSource current; // guarded by this; null until the first verdict
  private EndpointSource dns; // guarded by this; built on the first 401/403
  private String namespace; // guarded by this; of the first watch
  private boolean probing; // guarded by this
  private boolean deniedLogged; // guarded by this
  private int transientInARow; // guarded by this
  private Scheduler.Task nextProbe; // guarded by this
  private boolean closed; // guarded by this

  AutoEndpointSource(KubernetesEndpointSource kubernetes, Supplier<EndpointSource> dnsFactory, Scheduler scheduler,
      Backoff backoff, DoubleSupplier random) {
    this.kubernetes = kubernetes;
    this.dnsFactory = dnsFactory;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.random = random;
    this.prober = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        DaemonThreads.factory("kdiscovery-source-probe"), new ThreadPoolExecutor.DiscardPolicy());
    this.prober.allowCoreThreadTimeOut(true);
  }

  /** The Kubernetes source, for the Service catalog (which needs the API whichever source serves endpoints). */
  KubernetesEndpointSource kubernetes() {
    return kubernetes;
  }

  @Override
  public synchronized String name() {
    return current == null ? "auto" : current.name();
  }

  @Override
  public Watch watch(ServiceKey key, Listener listener) {
    SwitchableWatch watch = new SwitchableWatch(key, listener);
    EndpointSource now;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the endpoint source is closed");
      }
      watches.add(watch);
      now = current;
      if (now == null && !probing) {
        probing = true;
        namespace = key.namespace();
        prober.execute(this::probe);
      }
    }
    if (now != null) {
      watch.switchTo(now);
    }
    return watch;
  }

  /** On the prober thread: one question to the API server, and what follows from its answer. */
  private void probe() {
    String ns;
    synchronized (this) {
      if (closed) {
        return;
      }
      ns = namespace;
    }
    SliceAccess access = kubernetes.endpointSliceAccess(ns);
    if (access.readable()) {
      readable(ns);
    } else if (access.denied()) {
      denied(access);
    } else {
      transientFailure(access);
    }
  }

  private void readable(String ns) {
    boolean back;
    synchronized (this) {
      transientInARow = 0;
      back = current != null;
    }
    if (back) {
      log.info("source auto: EndpointSlices in {} are readable now; moving every watch from cluster DNS back to"
          + " the Kubernetes API (the tables keep their last state until it answers)", ns);
    } else {
      log.info("source auto: the application may read EndpointSlices in {}; watching the Kubernetes API", ns);
    }
    switchAll(kubernetes);
  }

  private void denied(SliceAccess access) {
    EndpointSource target;
    boolean first;
    synchronized (this) {
      if (closed) {
        return;
      }
      transientInARow = 0;
      first = !deniedLogged;
      deniedLogged = true;
      if (dns == null) {
        try {
          dns = dnsFactory.get();
        } catch (RuntimeException e) {
          log.error("source auto: {}; and the DNS source could not be built, so no endpoints will be found",
              access.detail(), e);
          scheduleProbe(RECHECK);
          return;
        }
      }
      target = dns;
      scheduleProbe(RECHECK);
    }
    if (first) {
      log.warn("source auto: {}; using cluster DNS, and asking again every {} minutes", access.detail(),
          RECHECK.toMinutes());
    } else {
      log.debug("source auto: still not readable: {}", access.detail());
    }
    switchAll(target);
  }

  private void transientFailure(SliceAccess access) {
    Duration wait;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (current != null) {
        // Already serving (from DNS): a passing error changes nothing; ask again at the next check.
        log.debug("source auto: {}; asking again in {} minutes", access.detail(), RECHECK.toMinutes());
        scheduleProbe(RECHECK);
        return;
      }
      wait = backoff.delay(transientInARow++, random);
      if (access.failure() == FailureKind.THROTTLED || !access.retryAfter().isZero()) {
        Duration asked = access.retryAfter().isZero() ? Duration.ofSeconds(1) : access.retryAfter();
        asked = asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
        wait = wait.compareTo(asked) >= 0 ? wait : asked;
      }
      scheduleProbe(wait);
    }
    // Not a verdict: the watches wait for a real answer (their status says STARTING meanwhile).
    log.info("source auto: {} ({}); not a verdict, asking again in {} ms", access.detail(), access.failure(),
        wait.toMillis());
  }

  private void scheduleProbe(Duration delay) { // guarded by this
    if (nextProbe != null) {
      nextProbe.cancel();
    }
    nextProbe = scheduler.schedule(delay, prober, this::probe);
  }

  private void switchAll(EndpointSource target) {
    List<SwitchableWatch> moving;
    synchronized (this) {
      if (closed || current == target) {
        return;
      }
      current = target;
      if (target == kubernetes && nextProbe != null) {
        nextProbe.cancel();
        nextProbe = null;
      }
      moving = List.copyOf(watches);
    }
    for (SwitchableWatch watch : moving) {
      watch.switchTo(target);
    }
  }

  @Override
  public void close() {
    EndpointSource dnsSource;
    List<SwitchableWatch> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (nextProbe != null) {
        nextProbe.cancel();
      }
      dnsSource = dns;
      open = List.copyOf(watches);
      watches.clear();
    }
    open.forEach(SwitchableWatch::close);
    prober.shutdownNow();
    if (dnsSource != null) {
      dnsSource.close();
    }
    kubernetes.close();
  }

  /** A watch on whichever source serves now; moved whole when the choice changes. */
  private final class SwitchableWatch implements Watch {
    private final ServiceKey key;
    private final Listener listener;
    private Watch delegate; // guarded by this
    private Gate gate; // guarded by this
    private boolean closed; // guarded by this

    SwitchableWatch(ServiceKey key, Listener listener) {
      this.key = key;
      this.listener = listener;
    }

    synchronized void switchTo(EndpointSource source) {
      if (closed) {
        return;
      }
      Watch old = delegate;
      Gate oldGate = gate;
      Gate next = new Gate(listener);
      try {
        delegate = source.watch(key, next);
        gate = next;
      } catch (RuntimeException e) {
        listener.onFailure("could not start watching " + key + " through " + source.name() + ": " + e, e);
        return;
      }
      if (old != null) {
        oldGate.open = false; // a late delivery of the source left must not overwrite the new one's
        old.close();
      }
    }

    @Override
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        if (gate != null) {
          gate.open = false;
        }
        if (delegate != null) {
          delegate.close();
        }
      }
      synchronized (AutoEndpointSource.this) {
        watches.remove(this);
      }
    }
  }

  /** Passes a source's deliveries on while that source serves the watch. */
  private static final class Gate implements Listener {
    private final Listener listener;
    volatile boolean open = true;

    Gate(Listener listener) {
      this.listener = listener;
    }

    @Override
    public void onState(SourceState state) {
      if (open) {
        listener.onState(state);
      }
    }

    @Override
    public void onStateOutOfStep(SourceState state, String reason, Throwable cause) {
      if (open) {
        listener.onStateOutOfStep(state, reason, cause);
      }
    }

    @Override
    public void onStateOutOfStep(SourceState state, String reason, Throwable cause, FailureKind kind) {
      if (open) {
        listener.onStateOutOfStep(state, reason, cause, kind);
      }
    }

    @Override
    public void onFailure(String reason, Throwable cause) {
      if (open) {
        listener.onFailure(reason, cause);
      }
    }

    @Override
    public void onFailure(String reason, Throwable cause, FailureKind kind) {
      if (open) {
        listener.onFailure(reason, cause, kind);
      }
    }
  }
}
