package io.kdiscovery.examples;

import static io.kdiscovery.examples.Hostnames.POD_1;
import static io.kdiscovery.examples.Hostnames.POD_2;
import static io.kdiscovery.examples.Hostnames.POD_3;
import static io.kdiscovery.examples.Hostnames.POD_4;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's main job runs end to end, and every request reaches a ready pod directly. */
class HostnamesDemoTest {

  @Test
  void theDemoReachesOnlyReadyPodsAsTheyComeAndGo() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new HostnamesDemo(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String[] steps = bytes.toString(StandardCharsets.UTF_8).split("\n== ");

    assertThat(steps).hasSize(4); // preamble, then three steps
    assertThat(answers(steps[1])).containsExactlyInAnyOrder(
        POD_1, POD_1, POD_2, POD_2, POD_3, POD_3);
    assertThat(steps[2]).startsWith(POD_2 + " fails its readinessProbe").contains("not ready");
    assertThat(answers(steps[2])).containsExactlyInAnyOrder(POD_1, POD_1, POD_1, POD_3, POD_3, POD_3);
    assertThat(answers(steps[3])).containsExactlyInAnyOrder(POD_1, POD_1, POD_3, POD_3, POD_4, POD_4);
  }


  private static List<String> answers(String step) {
    return step.lines().filter(l -> l.contains(" -> ")).map(l -> l.substring(l.indexOf(" -> ") + 4)).toList();
  }
}
