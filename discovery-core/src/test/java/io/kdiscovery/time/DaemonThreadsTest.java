package io.kdiscovery.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {

  @Test
  void factoryMakesNumberedDaemonThreads() {
    ThreadFactory factory = DaemonThreads.factory("kdiscovery-io");
    Thread first = factory.newThread(() -> { });
    Thread second = factory.newThread(() -> { });

    assertThat(first.getName()).isEqualTo("kdiscovery-io-1");
    assertThat(second.getName()).isEqualTo("kdiscovery-io-2");
    assertThat(first.isDaemon()).isTrue();
    assertThat(second.isDaemon()).isTrue();
    assertThat(first.getState()).isEqualTo(Thread.State.NEW);
  }

  @Test
  void singleThreadKeepsItsExactName() {
    Thread probe = DaemonThreads.newThread("kdiscovery-source-probe", () -> { });
    assertThat(probe.getName()).isEqualTo("kdiscovery-source-probe");
    assertThat(probe.isDaemon()).isTrue();
  }

  @Test
  void uncaughtExceptionsAreHandledByTheLibraryNotTheJvmDefault() {
    Thread thread = DaemonThreads.newThread("kdiscovery-x", () -> { });
    assertThat(thread.getUncaughtExceptionHandler()).isNotSameAs(thread.getThreadGroup());
  }

  @Test
  void namesOutsideTheLibrarysPrefixAreRefused() {
    assertThatThrownBy(() -> DaemonThreads.factory("pool")).hasMessageContaining("kdiscovery-");
    assertThatThrownBy(() -> DaemonThreads.newThread("kdiscovery-", () -> { })).hasMessageContaining("kdiscovery-");
  }
}
