package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** bin/demo's arguments reach the program, and wrong ones are refused with a message that says why. */
class DemoOptionsTest {

  @Test
  void noArgumentIsTheFullScript() {
    DemoOptions o = DemoOptions.parse();
    assertThat(o.quick() || o.serve() || o.help() || o.service().isPresent()).isFalse();
    assertThat(o.timing()).isEqualTo(DemoTiming.FULL);
  }

  @Test
  void everyOptionIsRead() {
    DemoOptions o = DemoOptions.parse("--service", "web.shop:8080", "--kubeconfig", "/tmp/k", "--send",
        "--duration", "1500ms", "--plain");
    assertThat(o.service()).contains("web.shop:8080");
    assertThat(o.kubeconfig()).contains(Path.of("/tmp/k"));
    assertThat(o.send()).isTrue();
    assertThat(o.plain()).isTrue();
    assertThat(o.duration()).contains(Duration.ofMillis(1500));
    assertThat(DemoOptions.parse("--quick").timing()).isEqualTo(DemoTiming.QUICK);
    assertThat(DemoOptions.parse("--serve", "--write-kubeconfig", "/tmp/c", "--duration", "2m").writeKubeconfig())
        .contains(Path.of("/tmp/c"));
    assertThat(DemoOptions.parse("-h").help()).isTrue();
    assertThat(DemoOptions.USAGE).contains("--quick", "--serve", "--service", "--kubeconfig", "--send", "--duration",
        "--plain", "--write-kubeconfig", "--example", "--help");
  }

  @Test
  void wrongCombinationsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> DemoOptions.parse("--fast")).hasMessage("unknown argument '--fast'");
    assertThatThrownBy(() -> DemoOptions.parse("--kubeconfig", "/k")).hasMessageContaining("needs --service");
    assertThatThrownBy(() -> DemoOptions.parse("--send")).hasMessageContaining("goes with --service");
    assertThatThrownBy(() -> DemoOptions.parse("--service", "a:80", "--serve")).hasMessageContaining("--serve");
    assertThatThrownBy(() -> DemoOptions.parse("--service")).hasMessage("--service needs a value");
    assertThatThrownBy(() -> DemoOptions.parse("--serve", "--duration", "soon"))
        .hasMessageContaining("not a time such as 500ms");
    assertThatThrownBy(() -> DemoOptions.parse("--duration", "5s")).hasMessageContaining("goes with --serve");
  }
}
