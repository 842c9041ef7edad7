package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.io.IOException;
import java.time.Duration;

/**
 * One mock API server and one {@link KDiscovery} for a whole test class, with fresh pods for each
 * test. Tables stay watched a minute after their last handle closes, so that a test closing its
 * resolver or interceptor does not close a watch mid-class: fabric8's mock server can stall for a
 * minute on a watch closed at the wrong moment (see {@code TcpProxy}), and its event loop is shared.
 */
final class OneCluster implements AutoCloseable {

  static final ServiceKey KEY = ServiceKey.of("default", "hostnames", 80);

  final ApiServer api = new ApiServer();
  final KDiscovery discovery;
  private final ServiceHandle watched;
  private final int firstOctet;

  OneCluster(int firstOctet) {
    this.firstOctet = firstOctet;
    api.apply(Hostnames.service());
    discovery = KDiscovery.builder().kubernetesClient(api.client()).idleTimeout(Duration.ofMinutes(1)).build();
    watched = discovery.open(KEY);
  }

  /** Three ready pods, pod-a..c on 127.0.0.{first}..+2, published and in the table. */
  HttpPods freshPods() throws IOException {
    HttpPods pods = new HttpPods(firstOctet, null, "pod-a", "pod-b", "pod-c");
    publish(pods, Hostnames.slice("hostnames-0").port("default", pods.port)
        .ready("pod-a", ip(0)).ready("pod-b", ip(1)).ready("pod-c", ip(2)));
    return pods;
  }

  String ip(int pod) {
    return "127.0.0." + (firstOctet + pod);
  }

  /** Publishes a slice and waits until the table has it. */
  void publish(HttpPods pods, Hostnames.SliceBuilder slice) {
    var built = slice.build();
    api.apply(built);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(watched.snapshot()).hasValueSatisfying(s -> {
          assertThat(s.endpoints()).hasSize(built.getEndpoints().size());
          assertThat(s.endpoints()).allMatch(e -> e.port() == pods.port);
        }));
  }

  @Override
  public void close() {
    watched.close();
    discovery.close();
    api.close();
  }
}
