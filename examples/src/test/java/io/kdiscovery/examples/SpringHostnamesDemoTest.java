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

/**
 * A Boot application with discovery-spring: the load-balanced client spreads over the pods, the
 * DiscoveryClient shows the pods' port, and a pod that turned unready gets no further request.
 */
class SpringHostnamesDemoTest {

  @Test
  void aLoadBalancedRestClientReachesEveryReadyPodAndNoUnreadyOne() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Map<String, Map<String, Integer>> results =
        new SpringHostnamesDemo(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();

    assertThat(results.get("all ready")).containsOnlyKeys(POD_1, POD_2, POD_3)
        .allSatisfy((pod, requests) -> assertThat(requests).isBetween(99, 101));
    assertThat(results.get(POD_2 + " unready")).containsOnlyKeys(POD_1, POD_3)
        .allSatisfy((pod, requests) -> assertThat(requests).isBetween(149, 151));
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertThat(output).contains(POD_1 + " ", "127.0.0.11:9376", "127.0.0.12:9376", "127.0.0.13:9376");
  }
}
