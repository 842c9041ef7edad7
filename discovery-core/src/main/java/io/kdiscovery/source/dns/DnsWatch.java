package io.kdiscovery.source.dns;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.time.Scheduler;
import io.kdiscovery.time.Ticker;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.WireParseException;

/**
 * The refresh loop of one watched Service port: look up, deliver, schedule the next lookup.
 *
 * <p>Thread-safe. Concurrency design: at most one lookup of a watch is in flight, and the next one is
 * scheduled only when the previous has been handled, so the loop is a chain of tasks on the
 * executor, each handing over to the next through the executor or the scheduler (which order their
 * memory effects). The scheduler's thread only hands a due refresh to the executor. The fields below
 * are touched only by that chain. The next refresh is scheduled <em>before</em> the listener is
 * called, so whoever sees a delivery can rely on the refresh being pending (tests on fake time
 * advance the clock right after a delivery). {@link #close()} may come from any thread: it sets
 * {@code closed} and cancels the pending task; a lookup already under way finishes, sees
 * {@code closed} and neither delivers nor schedules again.
 */
final class DnsWatch implements EndpointSource.Watch {

  private static final Logger log = LoggerFactory.getLogger(DnsWatch.class);

  private final ServiceKey key;
  private final String queriedName;
  private final EndpointSource.Listener listener;
  private final DnsLookup lookup;
  private final RefreshSchedule schedule;
  private final Timing timing;
  private final Executor handoff;
  private final Consumer<DnsWatch> onClose;

  private volatile boolean closed;
  private volatile Scheduler.Task next;

  // Touched only by the chain of refresh tasks.
  private SourceState delivered;
  private LookupResult.Kind lastKind;
  private List<String> lastSkipped = List.of();
  private int failures;
  private long lastAnswerNanos;
  private boolean answered;

  /** Where a watch's time comes from and where its work runs; shared by the source's watches. */
  record Timing(Scheduler scheduler, Executor executor, Ticker ticker, DoubleSupplier random) {
    Timing {
      Objects.requireNonNull(scheduler, "scheduler");
      Objects.requireNonNull(executor, "executor");
      Objects.requireNonNull(ticker, "ticker");
      Objects.requireNonNull(random, "random");
    }
  }

  DnsWatch(ServiceKey key, String queriedName, EndpointSource.Listener listener, DnsLookup lookup,
      RefreshSchedule schedule, Timing timing, Consumer<DnsWatch> onClose) {
    this.key = key;
    this.queriedName = queriedName;
    this.listener = listener;
    this.lookup = lookup;
    this.schedule = schedule;
    this.timing = timing;
    this.onClose = onClose;
    this.handoff = task -> {
      try {
        timing.executor().execute(task);
      } catch (RejectedExecutionException e) {
        log.debug("dns: result for {} dropped, the source is closing", key);
      }
    };
  }

  /** The first lookup starts at once, on the executor; later ones wait for the scheduler. */
  void start() {
    handoff.execute(this::refresh);
  }

  private void refresh() {
    if (closed) {
      return;
    }
    lookup.lookup(key).whenCompleteAsync((result, error) -> {
      try {
        handle(error == null ? result : LookupResult.failed(DnsLookup.unwrap(error)));
      } catch (RuntimeException e) {
        log.error("dns: refreshing {} failed unexpectedly; retrying", key, e);
        scheduleRefresh(schedule.afterFailure(++failures, timing.random()));
      }
    }, handoff);
  }

  private void handle(LookupResult answer) {
    if (closed) {
      return;
    }
    LookupResult result = usableOrFailed(answer);
    LookupResult.Kind previous = lastKind;
    lastKind = result.kind();
    if (result.kind() == LookupResult.Kind.FAILED) {
      failures++;
      String reason = describe(result.failure());
      if (previous != LookupResult.Kind.FAILED) {
        log.warn("dns: {} ({}) failed, keeping the last answer and retrying: {}", key, queriedName, reason);
      } else {
        log.debug("dns: {} failed again ({} in a row): {}", key, failures, reason);
      }
      scheduleRefresh(schedule.afterFailure(failures, timing.random()));
      Throwable failure = result.failure();
      deliver(() -> listener.onFailure(reason, failure));
      return;
    }

    boolean recovered = failures > 0;
    failures = 0;
    answered = true;
    lastAnswerNanos = timing.ticker().read();
    logTransition(previous, result, recovered);
    if (!result.skipped().equals(lastSkipped)) {
      result.skipped().forEach(line -> log.warn("dns: {}: {}", key, line));
      lastSkipped = result.skipped();
    }
    SourceState state = result.toState();
    scheduleRefresh(schedule.afterAnswer(result.ttlSeconds(), timing.random()));
    if (recovered || !state.equals(delivered)) {
      delivered = state;
      deliver(() -> listener.onState(state));
    }
  }

  /**
   * An answer with records of which none could be used (only 0.0.0.0, SRV targets without
   * addresses) is no evidence that the pods are gone: it is a failure, and the last state stays.
   */
  private LookupResult usableOrFailed(LookupResult answer) {
    if (answer.kind() == LookupResult.Kind.FOUND && answer.endpoints().isEmpty()
        && !answer.skipped().isEmpty()) {
      return LookupResult.failed(new DnsQueryException("no usable record in the answer for "
          + queriedName + ": " + String.join("; ", answer.skipped())));
    }
    return answer;
  }

  private void logTransition(LookupResult.Kind previous, LookupResult result, boolean recovered) {
    if (result.kind() == previous && !recovered) {
      return;
    }
    switch (result.kind()) {
      case NX_DOMAIN:
        log.info("dns: {}: {} does not exist (NXDOMAIN); no endpoints", key, queriedName);
        break;
      case NO_DATA:
        log.info("dns: {}: {} has no records; no endpoints", key, queriedName);
        break;
      default:
        if (recovered) {
          log.info("dns: {}: {} answers again, {} endpoints", key, queriedName, result.endpoints().size());
        } else {
          log.debug("dns: {}: {} has {} endpoints", key, queriedName, result.endpoints().size());
        }
    }
  }

  private void deliver(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.error("dns: listener of {} threw; ignored", key, e);
    }
  }

  private String describe(Throwable failure) {
    String age = answered
        ? "; last answer " + TimeUnit.NANOSECONDS.toMillis(timing.ticker().read() - lastAnswerNanos)
            + " ms ago"
        : "; no answer yet";
    String what;
    if (failure instanceof SocketTimeoutException) {
      what = "DNS query for " + queriedName + " timed out";
    } else if (failure instanceof PortUnreachableException) {
      what = "DNS server unreachable for " + queriedName;
    } else if (failure instanceof DnsQueryException) {
      what = failure.getMessage();
    } else if (failure instanceof WireParseException) {
      what = "malformed DNS answer for " + queriedName + ": " + failure.getMessage();
    } else if (failure instanceof IOException) {
      // Some I/O failures carry no message (a bare EOF when the server closed the connection).
      what = "DNS query for " + queriedName + " failed: "
          + (failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName());
    } else {
      what = "DNS lookup of " + queriedName + " failed: " + failure;
    }
    return what + age;
  }

  private void scheduleRefresh(Duration delay) {
    if (closed) {
      return;
    }
    Scheduler.Task task;
    try {
      task = timing.scheduler().schedule(delay, handoff, this::refresh);
    } catch (RejectedExecutionException e) {
      log.debug("dns: no refresh of {} scheduled, the scheduler is shut down", key);
      return;
    }
    next = task;
    if (closed) {
      task.cancel();
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Scheduler.Task pending = next;
    if (pending != null) {
      pending.cancel();
    }
    onClose.accept(this);
  }

  @Override
  public String toString() {
    return "DnsWatch[" + key + " via " + queriedName + "]";
  }
}
