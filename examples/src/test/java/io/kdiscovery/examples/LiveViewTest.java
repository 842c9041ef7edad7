package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.EndpointConditions;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.table.SourceStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The live view redraws in place on a terminal and prints plain lines otherwise. */
class LiveViewTest {

  private static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);

  private static ServiceSnapshot snapshot() {
    return new ServiceSnapshot(KEY, 1, Instant.now(), true, ServiceInfo.UNKNOWN, List.of(
        Endpoint.builder("127.0.0.11", 9376).podName("pod-a").zone("zone-a").build(),
        Endpoint.builder("127.0.0.12", 9376).podName("pod-b").zone("zone-b")
            .conditions(new EndpointConditions(false, true, true)).build()));
  }

  @Test
  void onATerminalTheScreenIsRedrawnInPlaceWithTheTableAndTheFigures() {
    DemoOutput out = new DemoOutput();
    LoadBalancer balancer = LoadBalancer.builder().build();
    balancer.update(snapshot());
    TrafficStats stats = new TrafficStats();
    stats.answered("pod-a", 400_000, 1, null);
    PropagationClock clock = new PropagationClock();
    clock.mark("x");
    clock.observe("x");
    try (LiveView view = new LiveView(out.stream, true, Duration.ofMillis(20), "heading")) {
      view.show(balancer, stats, clock,
          () -> new SourceStatus(SourceStatus.State.SYNCED, Instant.now(), Instant.now(), null));
      view.chapter("1/6 a chapter");
      view.event("pod pod-a started");
      await().atMost(Duration.ofSeconds(10)).until(() -> out.text().split("\033\\[H").length > 2);
    }
    String text = out.text();
    String lastFrame = text.substring(text.lastIndexOf("\033[H"));
    assertThat(lastFrame).contains("heading", "chapter: 1/6 a chapter", "table v1   source SYNCED",
        "POD", "IN-FLIGHT", "EJECTED", "SHARE", "RATE/s", "pod pod-a started", "latency p50", "ejections 0",
        "API change -> table: last");
    assertThat(lastFrame.lines().filter(l -> l.startsWith("pod-a")).findFirst().orElseThrow())
        .contains("127.0.0.11:9376", "ready serving", "zone-a", "no");
    assertThat(lastFrame.lines().filter(l -> l.startsWith("pod-b")).findFirst().orElseThrow())
        .contains("not-ready serving terminating", "zone-b");
    assertThat(lastFrame).contains("\033[K", "\033[J"); // every line cleared to its end, then the rest
  }

  @Test
  void withoutATerminalItPrintsLines() {
    DemoOutput out = new DemoOutput();
    try (LiveView view = new LiveView(out.stream, false, Duration.ofMillis(20), "heading")) {
      view.chapter("1/6 a chapter");
      view.event("pod pod-a started");
      view.tableChanged(snapshot(), Optional.of(Duration.ofMillis(3)));
      view.result("[ok] a check");
    }
    assertThat(out.text()).doesNotContain("\033[").contains(
        "== 1/6 a chapter",
        "  . pod pod-a started",
        "  table v1: 1 ready, 1 serving-terminating, 2 endpoints (3.0 ms after the API change)",
        "   [ok] a check");
    assertThat(DemoOutput.lastTable(out.text())).hasSize(3);
  }

  @Test
  void theClockMatchesEachTableToTheNewestWriteOfTheSameState() {
    PropagationClock clock = new PropagationClock();
    clock.mark("a");
    clock.mark("b");
    clock.mark("a");
    assertThat(clock.observe("c")).isEmpty();
    assertThat(clock.observe("a")).isPresent();
    assertThat(clock.observe("b")).as("older marks are forgotten once a newer one matched").isEmpty();
    assertThat(clock.delays()).hasSize(1);
    assertThat(clock.quantile(0.5)).isPresent();
  }
}
