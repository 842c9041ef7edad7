package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/demo --kubeconfig PATH --service ...} against the embedded API server used as if it
 * were a real cluster: the live table shows its pods, {@code --send} reaches them, and not one
 * request that could change something reaches the server.
 */
class WatchModeTest {

  @TempDir
  Path dir;

  @Test
  void watchesAndSendsWithoutWritingToTheCluster() throws Exception {
    DemoOutput clusterLog = new DemoOutput();
    try (EmbeddedCluster cluster = new EmbeddedCluster()) {
      cluster.apply("/hostnames.yaml");
      try (PodController pods = new PodController(cluster.admin(), EmbeddedCluster.NAMESPACE, "hostnames",
          "hostnames", "default", Hostnames.POD_PORT, DemoTiming.QUICK, new PropagationClock(),
          clusterLog.stream::println)) {
        pods.start();
        pods.await("3 ready", p -> p.stream().filter(PodController.PodView::ready).count() == 3, Duration.ofSeconds(20));
        Path kubeconfig = cluster.writeKubeconfig(dir.resolve("kubeconfig"));
        int seenBefore = cluster.dispatcher().requests().size();

        DemoOutput out = new DemoOutput();
        int code = new HostnamesDemo(DemoOptions.parse("--kubeconfig", kubeconfig.toString(), "--service",
            "hostnames.default:80", "--send", "--duration", "1500ms", "--plain"), out.stream, false).run();

        assertThat(code).as(out.text()).isZero();
        List<String> demoRequests = cluster.dispatcher().requests().subList(seenBefore,
            cluster.dispatcher().requests().size());
        assertThat(demoRequests).as("what the watch mode asked the API server")
            .anyMatch(r -> r.startsWith("GET /apis/discovery.k8s.io/v1/namespaces/default/endpointslices"))
            .allMatch(r -> r.startsWith("GET "));
        assertThat(DemoOutput.lastTable(out.text()).get(0)).contains(": 3 ready");
        assertThat(out.text()).containsPattern("sent \\d+ requests: 3 pods answered").contains(", 0 failed");
      }
    }
  }
}
