package io.kdiscovery.examples;

import static io.kdiscovery.examples.Hostnames.POD_1;
import static io.kdiscovery.examples.Hostnames.POD_2;
import static io.kdiscovery.examples.Hostnames.POD_3;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One kubernetes:/// channel spreads its calls over every ready pod, and drops an unready one. */
class GrpcHostnamesDemoTest {

  @Test
  void oneChannelReachesEveryReadyPodAndNoUnreadyOne() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Map<String, Map<String, Integer>> results =
        new GrpcHostnamesDemo(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();

    // round_robin over three ready pods: 100 calls each, give or take where the rotation started.
    assertThat(results.get("all ready")).containsOnlyKeys(POD_1, POD_2, POD_3)
        .allSatisfy((pod, calls) -> assertThat(calls).isBetween(99, 101));
    assertThat(results.get(POD_2 + " unready")).containsOnlyKeys(POD_1, POD_3)
        .allSatisfy((pod, calls) -> assertThat(calls).isBetween(149, 151));
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("kubernetes:///hostnames.default:80");
  }
}
