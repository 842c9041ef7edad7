package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What CI checks of the README's main job: {@code --quick} in a JVM of its own, as {@code bin/demo}
 * starts it, ends with exit code 0 within a bound, and its output shows each claim held.
 */
class HostnamesDemoTest {

  @TempDir
  Path dir;

  @Test
  void theQuickDemoShowsEveryChapterHoldAndExitsZero() throws Exception {
    ExampleProcess run = ExampleProcess.run(dir, HostnamesDemo.class, 120, "--quick");
    String output = run.output();
    assertThat(run.exited()).as("the demo exits by itself; output:%n%s", output).isTrue();
    assertThat(run.exitCode()).as("exit code; output:%n%s", output).isZero();

    assertThat(output).doesNotContain("[FAILED]").contains("every check held")
        .contains("[ok] every pod reached: 3 of 3 pods answered")
        .contains("[ok] unready pod no longer reached")
        .contains("[ok] zero failed requests through the rollout: 0 of")
        .contains("[ok] old pods were listed serving-terminating before they went")
        .contains("[ok] affinity held (ClientIP): each of 4 clients answered by exactly one pod")
        .contains("[ok] affinity held (X-User header (ring hash)): each of 4 clients answered by exactly one pod")
        .contains("[ok] killed pod no longer reached after its ejection")
        .contains("[ok] scaled to zero: every pick refused with NoEndpointException NO_ENDPOINTS")
        .contains("[ok] no request failed in the whole demo (0 failed)");
    // Each chapter is stated in one line, in order.
    for (int chapter = 1; chapter <= Chapters.CHAPTERS; chapter++) {
      assertThat(output).contains("== " + chapter + "/" + Chapters.CHAPTERS + " ");
    }
    Matcher rollout = Pattern.compile("(\\d+) requests during the rollout, 0 failed").matcher(output);
    assertThat(rollout.find()).as("the rollout's request count is shown").isTrue();
    assertThat(Long.parseLong(rollout.group(1))).isPositive();
    assertThat(output).containsPattern("API change -> table: median [0-9.]+ ms, p99 [0-9.]+ ms over \\d+ changes");
    // The demo's controller stamps its slices as the real one does, so the library times every change itself.
    assertThat(output).containsPattern(
        "change trigger -> table \\(kdiscovery's own timer\\): median [0-9.]+ ms, p99 [0-9.]+ ms over [1-9]\\d* changes");
    assertThat(output.lines()).anyMatch(l -> l.startsWith("   per-pod shares:"));
  }
}
