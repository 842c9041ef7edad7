package io.kdiscovery.examples;

import io.kdiscovery.balancing.EndpointHealth;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.EndpointConditions;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SourceStatus;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The demo's screen. On a terminal it is redrawn in place with plain ANSI escapes (cursor home, clear
 * to end of line and of screen; no library needed for that): the endpoint table with each pod's
 * conditions, zone, requests in flight, ejection, share and rate; latency p50/p99; the delay from the
 * last API change to the table; the chapters so far and the latest events. When stdout is not a
 * terminal (CI, a pipe, {@code --plain}) it prints lines instead: every chapter, event and result, and
 * the table at each change.
 *
 * <p>Thread-safe: the scenario, the controller, the table's listener and the redraw thread all call
 * it; one monitor guards what it holds.
 */
final class LiveView implements AutoCloseable {

  private static final String HOME = "\033[H";
  private static final String CLEAR_LINE = "\033[K";
  private static final String CLEAR_BELOW = "\033[J";
  private static final int EVENTS_SHOWN = 6;
  private static final int CHAPTER_LINES_SHOWN = 10;

  private final PrintStream out;
  private final boolean ansi;
  private final String heading;
  private final Deque<String> events = new ArrayDeque<>();
  private final List<String> chapters = new ArrayList<>();
  private final ScheduledExecutorService redraws;
  private final Map<String, Long> lastCounts = new HashMap<>();
  private final Map<String, Double> rates = new HashMap<>();
  private long lastRedrawNanos = System.nanoTime();
  private LoadBalancer balancer;
  private TrafficStats stats;
  private PropagationClock clock;
  private ProgrammingLatencies programming;
  private Supplier<SourceStatus> status;
  private TrafficStats.Counts chapterStart;
  private String chapter = "";

  LiveView(PrintStream out, boolean ansi, Duration redraw, String heading) {
    this.out = out;
    this.ansi = ansi;
    this.heading = heading;
    if (ansi) {
      out.print("\033[2J");
      redraws = Executors.newSingleThreadScheduledExecutor(LoadGenerator.daemon("demo-view"));
      redraws.scheduleAtFixedRate(this::redraw, 0, redraw.toMillis(), TimeUnit.MILLISECONDS);
    } else {
      redraws = null;
      out.println(heading);
    }
  }

  /** The library's own programming-latency figure, change trigger to table, shown under the clock's. */
  synchronized void showProgrammingLatency(ProgrammingLatencies programming) {
    this.programming = programming;
  }

  /** What the table rows and figures come from. {@code stats} may be null (watch mode without --send). */
  synchronized void show(LoadBalancer balancer, TrafficStats stats, PropagationClock clock,
      Supplier<SourceStatus> status) {
    this.balancer = balancer;
    this.stats = stats;
    this.clock = clock;
    this.status = status;
    this.chapterStart = stats == null ? null : stats.counts();
  }

  /** A new chapter, stated in one line. */
  synchronized void chapter(String line) {
    chapter = line;
    chapters.add(line);
    chapterStart = stats == null ? null : stats.counts();
    if (!ansi) {
      out.println();
      out.println("== " + line);
    }
  }

  /** What a chapter showed, or a check, in one line. */
  synchronized void result(String line) {
    chapters.add("   " + line);
    if (!ansi) {
      out.println("   " + line);
    }
  }

  /** Something that happened in the cluster. */
  synchronized void event(String line) {
    events.addLast(line);
    while (events.size() > EVENTS_SHOWN) {
      events.removeFirst();
    }
    if (!ansi) {
      out.println("  . " + line);
    }
  }

  /** A line outside the screen (instructions, the summary); printed below the last redraw. */
  synchronized void println(String line) {
    if (!ansi) {
      out.println(line);
    } else {
      chapters.add(line);
    }
  }

  /** The table has a new snapshot; {@code delay} is how long after its API change, when known. */
  synchronized void tableChanged(ServiceSnapshot snapshot, Optional<Duration> delay) {
    if (ansi) {
      return; // the next redraw shows it
    }
    long ready = snapshot.endpoints().stream().filter(e -> e.conditions().ready()).count();
    long servingTerminating = snapshot.endpoints().stream().filter(e -> e.conditions().servingTerminating()).count();
    out.printf("  table v%d: %d ready, %d serving-terminating, %d endpoints%s%n", snapshot.version(), ready,
        servingTerminating, snapshot.endpoints().size(),
        delay.map(d -> " (" + millis(d) + " after the API change)").orElse(""));
    for (Endpoint e : snapshot.endpoints()) {
      out.printf("    %-28s %-17s %-30s %s%n", name(e), e.hostPort(), conditions(e.conditions()),
          e.zone() == null ? "-" : e.zone());
    }
  }

  /**
   * Draws the final screen and stops redrawing, while what it shows is still open; on a terminal the
   * whole story (every chapter and result) is then printed below it, since the screen shows only the
   * latest lines.
   */
  void freeze() {
    if (redraws != null && !redraws.isShutdown()) {
      redraws.shutdownNow();
      try {
        redraws.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      redraw();
      synchronized (this) {
        out.println();
        chapters.forEach(out::println);
        balancer = null;
      }
    }
  }

  @Override
  public void close() {
    freeze();
  }

  private synchronized void redraw() {
    StringBuilder s = new StringBuilder(HOME);
    line(s, heading);
    line(s, chapter.isEmpty() ? "" : "chapter: " + chapter);
    line(s, "");
    if (balancer == null) {
      return; // frozen: what it showed is closed
    }
    table(s);
    line(s, "");
    // The latest lines only, so the screen fits a terminal and redraws in place.
    for (String c : chapters.subList(Math.max(0, chapters.size() - CHAPTER_LINES_SHOWN), chapters.size())) {
      line(s, c);
    }
    line(s, "");
    line(s, "recent events:");
    for (String e : events) {
      line(s, "  " + e);
    }
    s.append(CLEAR_BELOW);
    out.print(s);
    out.flush();
  }

  private void table(StringBuilder s) {
    ServiceSnapshot snapshot = balancer.snapshot();
    Map<Endpoint, EndpointHealth> health = new HashMap<>();
    for (EndpointHealth h : balancer.health()) {
      health.put(h.endpoint(), h);
    }
    TrafficStats.Counts now = stats == null ? null : stats.counts();
    TrafficStats.Counts inChapter = now == null || chapterStart == null ? null : now.minus(chapterStart);
    double seconds = Math.max(1e-3, (System.nanoTime() - lastRedrawNanos) / 1e9);
    lastRedrawNanos = System.nanoTime();
    if (now != null) {
      now.answered().forEach((pod, n) -> {
        rates.put(pod, (n - lastCounts.getOrDefault(pod, n)) / seconds);
        lastCounts.put(pod, n);
      });
    }
    String version = snapshot == null ? "-" : "v" + snapshot.version();
    SourceStatus st = status == null ? null : status.get();
    line(s, "table " + version + (st == null ? "" : "   source " + st.state() + (st.detail() == null ? ""
        : " (" + st.detail() + ")")));
    line(s, String.format("%-28s %-17s %-30s %-7s %9s %-8s %7s %8s", "POD", "ADDRESS", "CONDITIONS", "ZONE",
        "IN-FLIGHT", "EJECTED", "SHARE", "RATE/s"));
    if (snapshot != null) {
      long total = inChapter == null ? 0 : inChapter.answeredTotal();
      for (Endpoint e : snapshot.endpoints()) {
        EndpointHealth h = health.get(e);
        String pod = name(e);
        long answered = inChapter == null ? 0 : inChapter.answered().getOrDefault(pod, 0L);
        line(s, String.format("%-28s %-17s %-30s %-7s %9s %-8s %6.1f%% %8.0f", pod, e.hostPort(),
            conditions(e.conditions()), e.zone() == null ? "-" : e.zone(), h == null ? "-" : h.inFlight(),
            h == null ? "-" : h.ejected() ? "yes" : "no", total == 0 ? 0.0 : 100.0 * answered / total,
            rates.getOrDefault(pod, 0.0)));
      }
      if (snapshot.endpoints().isEmpty()) {
        line(s, "(no endpoints)");
      }
    }
    line(s, "");
    if (now != null) {
      line(s, String.format("requests %d   failed %d   retried %d   refused (no endpoints) %d   "
              + "latency p50 %s  p99 %s   ejections %d", now.requests(), now.failures(), now.retried(),
          now.noEndpoint(), micros(stats.latencyQuantile(0.5)), micros(stats.latencyQuantile(0.99)),
          balancer.ejections()));
    }
    if (clock != null) {
      line(s, "API change -> table: last " + clock.last().map(LiveView::millis).orElse("-") + "   median "
          + clock.quantile(0.5).map(LiveView::millis).orElse("-") + "   p99 "
          + clock.quantile(0.99).map(LiveView::millis).orElse("-"));
    }
    if (programming != null) {
      line(s, "change trigger -> table (kdiscovery's own timer, " + programming.count() + " changes): last "
          + programming.last().map(LiveView::millis).orElse("-") + "   median "
          + programming.quantile(0.5).map(LiveView::millis).orElse("-") + "   p99 "
          + programming.quantile(0.99).map(LiveView::millis).orElse("-")
          + (programming.clockSkewed() > 0 ? "   clock-skewed " + programming.clockSkewed() : ""));
    }
  }

  private static void line(StringBuilder s, String text) {
    s.append(text).append(CLEAR_LINE).append('\n');
  }

  static String name(Endpoint e) {
    return e.podName() != null ? e.podName() : e.hostPort();
  }

  static String conditions(EndpointConditions c) {
    return (c.ready() ? "ready" : "not-ready") + " " + (c.serving() ? "serving" : "not-serving")
        + (c.terminating() ? " terminating" : "");
  }

  static String millis(Duration d) {
    return String.format("%.1f ms", d.toNanos() / 1e6);
  }

  static String micros(long nanos) {
    return nanos < 1_000_000 ? String.format("%.0f us", nanos / 1e3) : String.format("%.1f ms", nanos / 1e6);
  }
}
