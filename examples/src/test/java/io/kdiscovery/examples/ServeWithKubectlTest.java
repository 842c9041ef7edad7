package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/demo --serve} driven by the real kubectl: the embedded server answers kubectl's discovery,
 * {@code kubectl scale} and {@code kubectl delete pod} reach the demo's controller, and the live
 * table follows.
 */
class ServeWithKubectlTest {

  @TempDir
  Path dir;

  @Test
  void kubectlScalesAndDeletesAndTheTableFollows() throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    DemoOutput out = new DemoOutput();
    HostnamesDemo demo = new HostnamesDemo(
        DemoOptions.parse("--serve", "--plain", "--write-kubeconfig", kubeconfig.toString()), out.stream, false);
    CompletableFuture<Integer> run = CompletableFuture.supplyAsync(demo::run);
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> out.text().contains("== serving:"));
      assertThat(Files.readString(kubeconfig)).contains("server: http://127.0.0.1:");
      Kubectl kubectl = new Kubectl(kubeconfig);

      assertThat(kubectl.run("get", "endpointslices", "-o", "name"))
          .contains("endpointslice.discovery.k8s.io/hostnames-0");
      assertThat(kubectl.run("get", "pods", "-o", "name").lines()).hasSize(3);

      assertThat(kubectl.run("scale", "deployment", "hostnames", "--replicas=5")).contains("scaled");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(DemoOutput.lastTable(out.text()).get(0)).contains(": 5 ready, 0 serving-terminating, 5 endpoints"));

      List<String> pods = kubectl.run("get", "pods", "-o", "name").lines().toList();
      assertThat(pods).hasSize(5);
      String victim = pods.get(0).substring("pod/".length());
      kubectl.run("delete", "pod", victim, "--wait=false");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        String text = out.text();
        assertThat(text).contains("pod " + victim + " deleted through the API", "pod " + victim + " gone");
        List<String> table = DemoOutput.lastTable(text);
        assertThat(table.get(0)).contains(": 5 ready");
        assertThat(table).noneMatch(row -> row.startsWith(victim));
      });
      assertThat(kubectl.run("get", "pods", "-o", "name")).doesNotContain(victim);
    } finally {
      demo.stop();
    }
    assertThat(run.get(30, java.util.concurrent.TimeUnit.SECONDS)).isZero();
    assertThat(out.text()).contains("terminating").doesNotContain("bin/demo failed");
  }
}
