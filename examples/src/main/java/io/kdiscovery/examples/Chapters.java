package io.kdiscovery.examples;

import io.kdiscovery.balancing.EndpointHealth;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The scripted scenario: six chapters on the embedded cluster, each stated in one line, each ending
 * with what it showed and a check ({@code [ok]} or {@code [FAILED]}), then a summary. The checks are
 * the demo's claims, so CI reads them from the output of {@code --quick}.
 *
 * <p>Not thread-safe: runs on the demo's main thread while the load runs on its own.
 */
final class Chapters {

  static final int CHAPTERS = 6;
  private static final Duration SETTLE = Duration.ofSeconds(20);

  private final DemoStack stack;
  private final DemoTiming timing;
  private final LiveView view;
  private final List<String> failed = new ArrayList<>();
  private final Map<String, Long> failuresByChapter = new TreeMap<>();

  Chapters(DemoStack stack, DemoTiming timing) {
    this.stack = stack;
    this.timing = timing;
    this.view = stack.view;
  }

  /** Runs every chapter; returns the failed checks (empty when the demo showed all it claims). */
  List<String> run() throws InterruptedException {
    stack.controller.await("3 pods ready", pods -> pods.stream().filter(PodController.PodView::ready).count() == 3,
        SETTLE);
    stack.awaitBalanced("3 ready endpoints", s -> s.usableEndpoints().size() == 3, SETTLE);
    stack.load.start();
    steadyState();
    readinessFails();
    rollingUpdate();
    affinity();
    processKilled();
    scaleToZeroAndBack();
    summary();
    return List.copyOf(failed);
  }

  private void steadyState() throws InterruptedException {
    view.chapter("1/6 steady state: 3 ready pods, round robin spreads the requests evenly, straight to the pods");
    TrafficStats.Counts start = stack.stats.counts();
    pause(timing.chapter());
    TrafficStats.Counts c = stack.stats.counts().minus(start);
    view.result("answered: " + shares(c));
    check(c.answered().keySet().containsAll(stack.readyPods()) && c.answered().size() == 3,
        "every pod reached: " + c.answered().size() + " of 3 pods answered");
    checkNoFailure(c, "steady state");
  }

  private void readinessFails() throws InterruptedException {
    String pod = stack.readyPods().get(1);
    view.chapter("2/6 " + pod + " fails its readinessProbe: the table leaves it out within milliseconds");
    stack.controller.setReadiness(pod, false);
    stack.awaitBalanced(pod + " not ready", s -> endpoint(s, pod) != null && !endpoint(s, pod).conditions().ready(),
        SETTLE);
    long leftOutAt = System.nanoTime();
    TrafficStats.Counts start = stack.stats.counts();
    pause(timing.chapter());
    TrafficStats.Counts c = stack.stats.counts().minus(start);
    view.result(pod + " left the table " + stack.clock.last().map(LiveView::millis).orElse("?")
        + " after the API change; since then: " + shares(c));
    check(stack.stats.lastPicked(pod) < leftOutAt, "unready pod no longer reached: no pick of " + pod
        + " after the table left it out");
    checkNoFailure(c, "readiness");
    stack.controller.setReadiness(pod, true);
    stack.awaitBalanced("3 ready again", s -> s.usableEndpoints().size() == 3, SETTLE);
  }

  private void rollingUpdate() throws InterruptedException {
    view.chapter("3/6 rolling update: new pods become ready, old ones serve while terminating, then go;"
        + " no request fails");
    List<String> before = stack.readyPods();
    stack.resetServingTerminating();
    TrafficStats.Counts start = stack.stats.counts();
    stack.controller.rollout("2");
    List<PodController.PodView> after = stack.controller.await("3 new pods ready, old ones gone", pods ->
        pods.size() == 3 && pods.stream().allMatch(PodController.PodView::ready)
            && pods.stream().noneMatch(p -> before.contains(p.name())), SETTLE);
    Set<String> newPods = after.stream().map(PodController.PodView::name).collect(Collectors.toSet());
    stack.awaitBalanced("only the new pods", s -> s.endpoints().size() == 3
        && s.endpoints().stream().allMatch(e -> newPods.contains(LiveView.name(e))), SETTLE);
    pause(timing.chapter().dividedBy(2));
    TrafficStats.Counts c = stack.stats.counts().minus(start);
    view.result("rolled " + before + " to " + newPods + ": " + c.requests() + " requests during the rollout, "
        + c.failures() + " failed");
    check(stack.sawServingTerminating(), "old pods were listed serving-terminating before they went");
    check(c.failures() == 0, "zero failed requests through the rollout: " + c.failures() + " of "
        + c.requests() + " failed");
    failuresByChapter.put("rollout", c.failures());
  }

  private void affinity() throws InterruptedException {
    view.chapter("4/6 session affinity: the Service turns to sessionAffinity ClientIP, then a header key"
        + " on a ring hash; each client sticks to one pod");
    stack.cluster.admin().services().inNamespace(EmbeddedCluster.NAMESPACE).withName(DemoStack.SERVICE)
        .edit(s -> {
          s.getSpec().setSessionAffinity("ClientIP");
          return s;
        });
    stack.awaitBalanced("sessionAffinity ClientIP",
        s -> s.service().sessionAffinity() == ServiceInfo.SessionAffinity.CLIENT_IP, SETTLE);
    stickiness(LoadGenerator.Mode.CLIENT_IP, "ClientIP");
    stickiness(LoadGenerator.Mode.USER_HEADER, "X-User header (ring hash)");
    stack.load.mode(LoadGenerator.Mode.PLAIN);
    stack.cluster.admin().services().inNamespace(EmbeddedCluster.NAMESPACE).withName(DemoStack.SERVICE)
        .edit(s -> {
          s.getSpec().setSessionAffinity("None");
          return s;
        });
    stack.awaitBalanced("sessionAffinity None",
        s -> s.service().sessionAffinity() == ServiceInfo.SessionAffinity.NONE, SETTLE);
  }

  private void stickiness(LoadGenerator.Mode mode, String what) throws InterruptedException {
    stack.load.mode(mode);
    pause(Duration.ofMillis(50)); // requests picked before the switch finish first
    stack.stats.clearKeys();
    pause(timing.chapter().dividedBy(2));
    Map<String, Set<String>> byKey = stack.stats.podsByKey();
    view.result(what + ": " + byKey.entrySet().stream().map(e -> e.getKey() + " -> " + String.join("+", e.getValue()))
        .collect(Collectors.joining(", ")));
    check(byKey.size() == stack.load.workers() && byKey.values().stream().allMatch(pods -> pods.size() == 1),
        "affinity held (" + what + "): each of " + byKey.size() + " clients answered by exactly one pod");
  }

  private void processKilled() throws InterruptedException {
    String pod = stack.readyPods().get(0);
    view.chapter("5/6 " + pod + "'s process is killed, with no API change: passive health ejects it and"
        + " its requests are retried on another pod");
    TrafficStats.Counts start = stack.stats.counts();
    long ejectionsBefore = stack.hostnames.balancer().ejections();
    stack.controller.kill(pod);
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (!ejected(pod)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(pod + " was not ejected within " + SETTLE);
      }
      Thread.sleep(1);
    }
    long ejectedAt = System.nanoTime();
    pause(timing.chapter());
    TrafficStats.Counts c = stack.stats.counts().minus(start);
    view.result(pod + " ejected (" + (stack.hostnames.balancer().ejections() - ejectionsBefore) + " ejection); "
        + c.retried() + " requests retried on another pod, " + c.failures() + " failed; the table still lists it "
        + (endpoint(stack.balanced(), pod) != null ? "ready" : "?"));
    check(stack.stats.lastPicked(pod) < ejectedAt, "killed pod no longer reached after its ejection");
    check(c.failures() == 0 && c.retried() > 0, "its requests retried elsewhere: " + c.retried() + " retried, "
        + c.failures() + " failed");
    failuresByChapter.put("killed", c.failures());
    // Its kubelet notices at last (liveness fails): the pod is replaced, as a Deployment does.
    stack.controller.deletePod(pod);
    stack.controller.await("3 pods ready", pods -> pods.size() == 3
        && pods.stream().allMatch(PodController.PodView::ready), SETTLE);
    stack.awaitBalanced("3 ready endpoints", s -> s.usableEndpoints().size() == 3 && endpoint(s, pod) == null,
        SETTLE);
  }

  private boolean ejected(String pod) {
    for (EndpointHealth h : stack.hostnames.balancer().health()) {
      if (pod.equals(h.endpoint().podName()) && h.ejected()) {
        return true;
      }
    }
    return false;
  }

  private void scaleToZeroAndBack() throws InterruptedException {
    view.chapter("6/6 scale to zero: a clear typed 'no endpoints' instead of a hang; then back to 3");
    stack.controller.scale(0);
    stack.awaitBalanced("no endpoints", s -> s.endpoints().isEmpty(), SETTLE);
    TrafficStats.Counts start = stack.stats.counts();
    pause(timing.chapter().dividedBy(2));
    TrafficStats.Counts c = stack.stats.counts().minus(start);
    view.result("0 replicas: " + c.noEndpoint() + " requests refused at once with " + stack.stats.lastNoEndpoint());
    check(c.noEndpoint() > 0 && c.answeredTotal() == 0 && stack.stats.lastNoEndpoint().startsWith("NO_ENDPOINTS"),
        "scaled to zero: every pick refused with NoEndpointException NO_ENDPOINTS, nothing sent");
    stack.controller.scale(3);
    stack.awaitBalanced("3 ready endpoints", s -> s.usableEndpoints().size() == 3, SETTLE);
    TrafficStats.Counts back = stack.stats.counts();
    pause(timing.chapter().dividedBy(2));
    TrafficStats.Counts b = stack.stats.counts().minus(back);
    view.result("back to 3 replicas: " + shares(b));
    check(b.answered().size() == 3 && b.failures() == 0, "back to 3: every pod reached, none failed");
  }

  private void summary() {
    TrafficStats.Counts all = stack.stats.counts();
    view.chapter("summary");
    view.result(String.format("requests %d, failed %d, retried %d, refused while scaled to zero %d",
        all.requests(), all.failures(), all.retried(), all.noEndpoint()));
    view.result("per-pod shares: " + shares(all));
    view.result("API change -> table: median " + stack.clock.quantile(0.5).map(LiveView::millis).orElse("-")
        + ", p99 " + stack.clock.quantile(0.99).map(LiveView::millis).orElse("-") + " over "
        + stack.clock.delays().size() + " changes");
    view.result("change trigger -> table (kdiscovery's own timer): median "
        + stack.programming.quantile(0.5).map(LiveView::millis).orElse("-") + ", p99 "
        + stack.programming.quantile(0.99).map(LiveView::millis).orElse("-") + " over "
        + stack.programming.count() + " changes");
    view.result("latency p50 " + LiveView.micros(stack.stats.latencyQuantile(0.5)) + ", p99 "
        + LiveView.micros(stack.stats.latencyQuantile(0.99)) + "; ejections "
        + stack.hostnames.balancer().ejections());
    check(all.failures() == 0, "no request failed in the whole demo (" + all.failures() + " failed"
        + (all.failures() > 0 ? ", last: " + stack.stats.lastFailure() : "") + ")");
    view.result(failed.isEmpty() ? "every check held" : failed.size() + " checks FAILED: " + failed);
  }

  // ---- helpers

  private void checkNoFailure(TrafficStats.Counts c, String chapter) {
    failuresByChapter.put(chapter, c.failures());
    check(c.failures() == 0, "no failed request (" + chapter + "): " + c.failures() + " of " + c.requests());
  }

  private void check(boolean held, String claim) {
    view.result((held ? "[ok] " : "[FAILED] ") + claim);
    if (!held) {
      failed.add(claim);
    }
  }

  private static Endpoint endpoint(ServiceSnapshot s, String pod) {
    if (s == null) {
      return null;
    }
    for (Endpoint e : s.endpoints()) {
      if (pod.equals(e.podName())) {
        return e;
      }
    }
    return null;
  }

  private static String shares(TrafficStats.Counts c) {
    long total = c.answeredTotal();
    if (total == 0) {
      return "no request answered";
    }
    return c.answered().entrySet().stream()
        .map(e -> String.format("%s %.1f%%", e.getKey(), 100.0 * e.getValue() / total))
        .collect(Collectors.joining(", ")) + " of " + total;
  }

  private static void pause(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }
}
