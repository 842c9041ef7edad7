package io.kdiscovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.ChildJvm;
import io.kdiscovery.testing.Hostnames;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An application whose {@code main} returns without closing kdiscovery must still exit: every
 * thread the library starts (its own, and those of the Kubernetes client it builds) is a daemon.
 * Each case runs {@link ForgetfulMain} in a child JVM and gives it a few seconds to exit once it
 * printed {@code RETURNING}; on failure the message carries the child's non-daemon threads and its
 * whole thread dump.
 */
class JvmExitTest {

  /** Starting a JVM and loading fabric8 takes seconds on a loaded machine; this bounds a hang. */
  private static final Duration STARTUP = Duration.ofSeconds(60);
  /** What "promptly" means once main has returned; the defect kept the JVM alive indefinitely. */
  private static final Duration EXIT = Duration.ofSeconds(5);

  @Test
  void mainThatForgetsCloseExitsWhileItsWatchIsOpen() throws Exception {
    try (ApiServer api = new ApiServer()) {
      api.apply(Hostnames.service());
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());

      assertExitsAfterMainReturns(api.client().getMasterUrl().toString(), "synced");
    }
  }

  @Test
  void mainThatForgetsCloseExitsWhileTheApiServerIsUnreachable() throws Exception {
    assertExitsAfterMainReturns("http://127.0.0.1:" + closedPort() + "/", "unreachable");
  }

  private static void assertExitsAfterMainReturns(String apiServer, String mode) throws Exception {
    Map<String, String> kubernetes = Map.of(
        "kubernetes.master", apiServer,
        "kubernetes.namespace", "default",
        "kubernetes.auth.tryKubeConfig", "false",
        "kubernetes.auth.tryServiceAccount", "false",
        "kubernetes.trust.certificates", "true",
        "org.slf4j.simpleLogger.defaultLogLevel", "warn");
    try (ChildJvm child = ChildJvm.start(ForgetfulMain.class, kubernetes, mode)) {
      await("main of " + child + " to return").atMost(STARTUP)
          .until(() -> child.printed("RETURNING") || !child.isAlive());
      assertThat(child.printed("RETURNING")).as("main returned normally:%n%s", child.output()).isTrue();

      boolean exited = child.awaitExit(EXIT);

      assertThat(exited).as("the JVM exits within %s after main returned; non-daemon threads %s;%n"
          + "output:%n%s%nthread dump:%n%s", EXIT, exited ? "" : child.nonDaemonThreads(),
          child.output(), exited ? "" : child.threadDump()).isTrue();
      assertThat(child.exitValue()).isZero();
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
