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
 * One kubernetes:/// channel spreads its calls over every ready pod and drops an unready one; the
 * example's JVM exits by itself once done (it lingered a minute on an unclosed client before).
 */
class GrpcHostnamesDemoTest {

  @TempDir
  Path dir;

  @Test
  void oneChannelReachesEveryReadyPodAndNoUnreadyOneThenTheJvmExits() throws Exception {
    // The bound is well under the minute an OkHttp dispatcher thread of an unclosed client idles.
    ExampleProcess run = ExampleProcess.run(dir, GrpcHostnamesDemo.class, 45);
    assertThat(run.exited()).as("exits by itself; output:%n%s", run.output()).isTrue();
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("kubernetes:///hostnames.default:80");

    String[] steps = ("\n" + run.output()).split("\n== ");
    // round_robin over three ready pods: 100 calls each, give or take where the rotation started.
    assertThat(calls(steps[1])).containsOnlyKeys(POD_1, POD_2, POD_3)
        .allSatisfy((pod, calls) -> assertThat(calls).isBetween(99, 101));
    assertThat(steps[2]).startsWith(POD_2 + " fails its readinessProbe");
    assertThat(calls(steps[2])).containsOnlyKeys(POD_1, POD_3)
        .allSatisfy((pod, calls) -> assertThat(calls).isBetween(149, 151));
  }

  /** The "  pod  N calls" lines of one step. */
  private static Map<String, Integer> calls(String step) {
    Map<String, Integer> calls = new TreeMap<>();
    for (String line : step.lines().filter(l -> l.startsWith("  ") && l.endsWith(" calls")).toList()) {
      List<String> words = List.of(line.trim().split("\\s+"));
      calls.put(words.get(0), Integer.parseInt(words.get(1)));
    }
    return calls;
  }
}
