package io.kdiscovery.source.kubernetes;

import static io.kdiscovery.testing.FaultDispatcher.collectionListOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SnapshotTimeoutException;
import io.kdiscovery.table.SourceStatus.State;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import io.kdiscovery.testing.LogCapture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Errors carry their root cause and the API server's URL, to the status, the log and the exception. */
class DiagnosticsTest {

  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void aClosedPortIsNamedAsARefusedConnectionToThatUrlEverywhere() throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort(); // free now, and closed below: nothing listens there
    }
    String url = "http://127.0.0.1:" + port;
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url)
            .withNamespace("default").withRequestTimeout(2_000).withConnectionTimeout(1_000).build()).build();
         LogCapture log = new LogCapture();
         KDiscovery discovery = KDiscovery.builder().kubernetesClient(client)
             .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(200))).build();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      await().atMost(WAIT).until(() -> handle.status().state() == State.DISCONNECTED);
      assertThat(handle.status().detail()).startsWith("never connected").contains("connection refused").contains(url);

      assertThatThrownBy(() -> handle.awaitSnapshot(Duration.ofMillis(200)))
          .isInstanceOf(SnapshotTimeoutException.class)
          .hasMessageContaining("within PT0.2S").hasMessageContaining("connection refused").hasMessageContaining(url)
          .hasMessageNotContaining("Operation: [list]");
      await().atMost(WAIT).until(() -> !log.warnings("hostnames.default:80").isEmpty());
      String first = log.warnings("hostnames.default:80").get(0);
      assertThat(first).contains("cannot read it").contains("connection refused").contains(url)
          .doesNotContain("keeping the last good table");
    }
  }

  @Test
  void forbiddenSlicesAndEndpointsSayOnceWhichVerbsAndResourcesToGrant() {
    try (ApiServer api = new ApiServer(); LogCapture log = new LogCapture()) {
      api.apply(Hostnames.service());
      api.faults().inject(collectionListOf("endpointslices"), status(403), -1);
      api.faults().inject(collectionListOf("endpoints"), status(403), -1);
      try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client())
               .backoff(Backoff.of(Duration.ofMillis(50), Duration.ofMillis(100))).build();
           ServiceHandle handle = discovery.open("hostnames.default:80")) {
        await().atMost(WAIT).until(() -> handle.status().state() == State.DISCONNECTED);
        await().atMost(WAIT).until(() -> api.faults().lists("endpoints") >= 4); // several retries
        assertThat(handle.status().detail()).contains("HTTP 403 Forbidden");
        assertThat(log.warnings("Grant the application's service account the verbs get, list, watch on resource"
            + " endpointslices.discovery.k8s.io in namespace default")).hasSize(1);
        assertThat(log.warnings("verbs get, list, watch on resource endpoints in namespace default")).hasSize(1);
      }
    }
  }

  @Test
  void theRootCauseIsNamedInsteadOfFabric8sWrapper() {
    KubernetesClientException wrapped = new KubernetesClientException(
        "Operation: [list]  for kind: [EndpointSlice]  with name: [null]  in namespace: [default]  failed.",
        new UnknownHostException("kubernetes.default.svc"));
    assertThat(Failures.describe(wrapped)).isEqualTo("unknown host kubernetes.default.svc");
    assertThat(Failures.describe(new RuntimeException("outer", new java.net.ConnectException(
        "Failed to connect to /127.0.0.1:6443")))).isEqualTo("connection refused: Failed to connect to /127.0.0.1:6443");
    assertThat(Failures.describe(new RuntimeException("outer", new java.net.ConnectException(
        "Connection refused")))).isEqualTo("connection refused");
  }

  @Test
  void aNameThatDoesNotResolveUnderJavaNetHttpIsAnUnknownHostNotARefusal() {
    // java.net.http's shape: a ConnectException with no message, caused by a bare UnresolvedAddressException.
    java.net.ConnectException connect = new java.net.ConnectException();
    connect.initCause(new java.nio.channels.UnresolvedAddressException());
    KubernetesClientException wrapped = new KubernetesClientException(
        "Operation: [list]  for kind: [Service]  with name: [null]  in namespace: [default]  failed.", connect);
    assertThat(Failures.describe(wrapped)).isEqualTo("unknown host (the API server's name does not resolve)");
    assertThat(Failures.kind(wrapped)).isEqualTo(io.kdiscovery.source.FailureKind.UNREACHABLE);
  }
}
