package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.kdiscovery.WatchScope;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 1 000 Services watched on the client kdiscovery builds itself (issue 20): in either scope the
 * threads stay within 50 of the baseline once every Service has its first state and every watch is
 * open on the server, and closing the source returns to the baseline. Before the JDK transport, the
 * per-Service scope's 2 000 watches held one OkHttp reader thread each. After close, every thread is
 * gone but, at most, the JDK 17 client's selector thread (see the comment where that is checked).
 *
 * <p>Counted: every live thread of the JVM but the mock server's own (its Vert.x loop, its closers and
 * the single-thread executor per watch it sends events from, default-named {@code pool-N-thread-1}),
 * and the test's writer client (OkHttp). The client goes straight to the mock server, not through the
 * test proxy, whose threads grow with connections.
 */
class ThousandServicesThreadsTest {

  private static final int SERVICES = 1000;
  private static final int THREAD_BUDGET = 50;
  private static final Duration WAIT = Duration.ofSeconds(120);

  private static ApiServer api;

  @BeforeAll
  static void publish() throws Exception {
    api = new ApiServer();
    // Eight writers: one by one, 2 000 creates take a minute on a loaded machine.
    java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<?>> written = new ArrayList<>();
      for (int i = 0; i < SERVICES; i++) {
        int n = i;
        written.add(writers.submit(() -> {
          api.apply(Hostnames.service("svc-" + n));
          api.apply(Hostnames.slice("svc-" + n + "-abc").forService("svc-" + n)
              .ready("svc-" + n + "-1", "10.1." + n / 250 + "." + n % 250).build());
        }));
      }
      for (java.util.concurrent.Future<?> write : written) {
        write.get();
      }
    } finally {
      writers.shutdown();
    }
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  @ParameterizedTest
  @EnumSource(value = WatchScope.class, names = {"SERVICE", "NAMESPACE"})
  void thousandServicesStayWithinFiftyThreadsAndCloseReturnsToTheBaseline(WatchScope scope) {
    Set<Long> baseline = clientThreadIds();
    KubernetesEndpointSource source = KubernetesEndpointSource.builder().scope(scope)
        .ownClientConfig(configOf(api)).build();
    Set<String> withState = ConcurrentHashMap.newKeySet();
    List<EndpointSource.Watch> watches = new ArrayList<>();
    for (int i = 0; i < SERVICES; i++) {
      String name = "svc-" + i;
      watches.add(source.watch(ServiceKey.of("default", name, 80), new EndpointSource.Listener() {
        @Override
        public void onState(SourceState state) {
          withState.add(name);
        }

        @Override
        public void onFailure(String reason, Throwable cause) {}
      }));
    }
    int expectedWatches = scope == WatchScope.SERVICE ? 2 * SERVICES : 2;
    await().atMost(WAIT).pollInSameThread().until(() -> withState.size() == SERVICES);
    await().atMost(WAIT).pollInSameThread().until(() -> api.faults().openWatches() >= expectedWatches);

    Set<Long> opened = clientThreadIds();
    opened.removeAll(baseline);
    assertThat(opened).as("threads added with %d Services in scope %s: %s", SERVICES, scope, names(opened))
        .hasSizeLessThanOrEqualTo(THREAD_BUDGET);

    watches.forEach(EndpointSource.Watch::close);
    source.close();
    await().atMost(WAIT).pollInSameThread().until(() -> api.faults().openWatches() == 0);
    await().atMost(WAIT).pollInSameThread().untilAsserted(() -> {
      Set<Long> left = clientThreadIds();
      left.removeAll(baseline);
      left.removeIf(id -> isSharedScheduler(id)); // one thread for the whole JVM, started on first use
      // Known limit, not a leak that grows: the JDK 17 HttpClient has no close(); its one selector
      // thread ends only once the client is unreachable and no WebSocket close handshake is pending,
      // which fabric8's JDK WebSocket does not always finish (docs/scale.md). At most that one thread.
      assertThat(names(left)).as("threads left after close")
          .allMatch(name -> name.matches("HttpClient-\\d+-SelectorManager")).hasSizeLessThanOrEqualTo(1);
    });
  }

  private static Config configOf(ApiServer api) {
    return new ConfigBuilder().withMasterUrl(api.admin().getMasterUrl().toString()).withNamespace("default")
        .withRequestTimeout(10_000).build();
  }

  /** Live threads but the mock server's and the writer client's. */
  private static Set<Long> clientThreadIds() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && !isTestInfrastructure(t.getName()))
        .map(Thread::getId).collect(Collectors.toCollection(java.util.HashSet::new));
  }

  private static boolean isTestInfrastructure(String name) {
    return name.startsWith("vert.x") || name.startsWith("mock-api") || name.matches("pool-\\d+-thread-\\d+")
        || name.startsWith("OkHttp") || name.startsWith("Okio");
  }

  private static boolean isSharedScheduler(long id) {
    return names(Set.of(id)).stream().anyMatch(name -> name.startsWith("kdiscovery-scheduler"));
  }

  private static List<String> names(Set<Long> ids) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> ids.contains(t.getId()))
        .map(Thread::getName).sorted().toList();
  }
}
