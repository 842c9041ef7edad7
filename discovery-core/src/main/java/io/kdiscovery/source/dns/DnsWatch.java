package io.kdiscovery.source.dns;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.time.Ticker;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.WireParseException;

/**
 * The refresh loop of one watched Service port: look up, deliver, schedule the next lookup.
 *
 * <p>Thread-safe. Concurrency design: at most one lookup of a watch is in flight, and the next one is
 * scheduled only when the previous has been handled, so the loop is a chain of tasks on the
 * scheduler, each handing over to the next through the executor (which orders their memory
 * effects). The fields below are touched only by that chain. {@link #close()} may come from any
 * thread: it sets {@code closed} and cancels the pending task; a lookup already under way finishes,
 * sees {@code closed} and neither delivers nor schedules again.
 */
final class DnsWatch implements EndpointSource.Watch {

  private static final Logger log = LoggerFactory.getLogger(DnsWatch.class);

  private final ServiceKey key;
  private final String queriedName;
  private final EndpointSource.Listener listener;
  private final DnsLookup lookup;
  private final RefreshSchedule schedule;
  private final ScheduledExecutorService scheduler;
  private final Executor handoff;
  private final Ticker ticker;
  private final Consumer<DnsWatch> onClose;

  private volatile boolean closed;
  private volatile ScheduledFuture<?> next;

  // Touched only by the chain of refresh tasks.
  private SourceState delivered;
  private LookupResult.Kind lastKind;
  private List<String> lastSkipped = List.of();
  private int failures;
  private long lastAnswerNanos;
  private boolean answered;

  DnsWatch(ServiceKey key, String queriedName, EndpointSource.Listener listener, DnsLookup lookup,
      RefreshSchedule schedule, ScheduledExecutorService scheduler, Ticker ticker,
      Consumer<DnsWatch> onClose) {
    this.key = key;
    this.queriedName = queriedName;
    this.listener = listener;
    this.lookup = lookup;
    this.schedule = schedule;
    this.scheduler = scheduler;
    this.ticker = ticker;
    this.onClose = onClose;
    this.handoff = task -> {
      try {
        scheduler.execute(task);
      } catch (RejectedExecutionException e) {
        // The source is closing; the result is no longer wanted.
      }
    };
  }

  void start() {
    scheduleRefresh(Duration.ZERO);
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
        scheduleRefresh(schedule.afterFailure(++failures, ThreadLocalRandom.current()::nextDouble));
      }
    }, handoff);
  }

  private void handle(LookupResult result) {
    if (closed) {
      return;
    }
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
      deliver(() -> listener.onFailure(reason, result.failure()));
      scheduleRefresh(schedule.afterFailure(failures, ThreadLocalRandom.current()::nextDouble));
      return;
    }

    boolean recovered = failures > 0;
    failures = 0;
    answered = true;
    lastAnswerNanos = ticker.read();
    logTransition(previous, result, recovered);
    if (!result.skipped().equals(lastSkipped)) {
      result.skipped().forEach(line -> log.warn("dns: {}: {}", key, line));
      lastSkipped = result.skipped();
    }
    SourceState state = result.toState();
    if (recovered || !state.equals(delivered)) {
      delivered = state;
      deliver(() -> listener.onState(state));
    }
    scheduleRefresh(schedule.afterAnswer(result.ttlSeconds(), ThreadLocalRandom.current()::nextDouble));
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
        ? "; last answer " + TimeUnit.NANOSECONDS.toMillis(ticker.read() - lastAnswerNanos) + " ms ago"
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
      what = "DNS query for " + queriedName + " failed: " + failure.getMessage();
    } else {
      what = "DNS lookup of " + queriedName + " failed: " + failure;
    }
    return what + age;
  }

  private void scheduleRefresh(Duration delay) {
    if (closed) {
      return;
    }
    try {
      next = scheduler.schedule(this::refresh, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return; // the source is closing
    }
    if (closed) {
      next.cancel(false);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ScheduledFuture<?> pending = next;
    if (pending != null) {
      pending.cancel(false);
    }
    onClose.accept(this);
  }

  @Override
  public String toString() {
    return "DnsWatch[" + key + " via " + queriedName + "]";
  }
}
