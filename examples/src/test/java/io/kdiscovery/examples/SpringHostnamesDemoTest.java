package io.kdiscovery.examples;

import static io.kdiscovery.examples.Hostnames.POD_1;
import static io.kdiscovery.examples.Hostnames.POD_2;
import static io.kdiscovery.examples.Hostnames.POD_3;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Boot application with discovery-spring: the load-balanced client spreads over the pods, the
 * DiscoveryClient shows the pods' port, a pod that turned unready gets no further request, and the
 * example's JVM exits by itself once done.
 */
class SpringHostnamesDemoTest {

  @TempDir
  Path dir;

  @Test
  void aLoadBalancedRestClientReachesEveryReadyPodAndNoUnreadyOneThenTheJvmExits() throws Exception {
    // The bound is well under the minute an OkHttp dispatcher thread of an unclosed client idles.
    ExampleProcess run = ExampleProcess.run(dir, SpringHostnamesDemo.class, 45);
    assertThat(run.exited()).as("exits by itself; output:%n%s", run.output()).isTrue();
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains(POD_1 + " ", "127.0.0.11:9376", "127.0.0.12:9376", "127.0.0.13:9376");

    String[] steps = ("\n" + run.output()).split("\n== ");
    assertThat(steps[2]).startsWith("300 requests to http://hostnames/");
    assertThat(requests(steps[2])).containsOnlyKeys(POD_1, POD_2, POD_3)
        .allSatisfy((pod, requests) -> assertThat(requests).isBetween(99, 101));
    assertThat(steps[3]).startsWith(POD_2 + " fails its readinessProbe");
    assertThat(requests(steps[3])).containsOnlyKeys(POD_1, POD_3)
        .allSatisfy((pod, requests) -> assertThat(requests).isBetween(149, 151));
  }

  /** The "  pod  N requests" lines of one step. */
  private static Map<String, Integer> requests(String step) {
    Map<String, Integer> requests = new TreeMap<>();
    for (String line : step.lines().filter(l -> l.startsWith("  ") && l.endsWith(" requests")).toList()) {
      List<String> words = List.of(line.trim().split("\\s+"));
      requests.put(words.get(0), Integer.parseInt(words.get(1)));
    }
    return requests;
  }
}
