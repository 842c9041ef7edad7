package io.kdiscovery.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.ChildJvm;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A JVM whose only kdiscovery user is a {@code kubernetes:///} channel on the shared default
 * instance exits promptly once the channel is shut down and main returns: the shared instance is
 * closed with its last channel. The pod is a real gRPC server in this JVM; the child JVM is the
 * application ({@link ForgetfulGrpcMain}).
 */
class GrpcJvmExitTest {

  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final Duration EXIT = Duration.ofSeconds(5);

  @Test
  void shutDownChannelOnTheSharedInstanceLetsTheJvmExit() throws Exception {
    try (ApiServer api = new ApiServer(); Pods pods = new Pods()) {
      pods.start("hostnames-1", "127.0.0.11");
      api.apply(Hostnames.service());
      api.apply(Hostnames.slice("hostnames-abc").port("default", pods.port()).ready("hostnames-1", "127.0.0.11").build());
      Map<String, String> kubernetes = Map.of(
          "kubernetes.master", api.client().getMasterUrl().toString(),
          "kubernetes.namespace", "default",
          "kubernetes.auth.tryKubeConfig", "false",
          "kubernetes.auth.tryServiceAccount", "false",
          "org.slf4j.simpleLogger.defaultLogLevel", "warn");

      try (ChildJvm child = ChildJvm.start(ForgetfulGrpcMain.class, kubernetes)) {
        await("main of " + child + " to return").atMost(STARTUP)
            .until(() -> child.printed("RETURNING") || !child.isAlive());
        assertThat(child.output()).contains("answer: hostnames-1", "SHARED CLOSED", "RETURNING");

        boolean exited = child.awaitExit(EXIT);

        assertThat(exited).as("the JVM exits within %s after main returned; non-daemon threads %s;%n"
            + "output:%n%s%nthread dump:%n%s", EXIT, exited ? "" : child.nonDaemonThreads(),
            child.output(), exited ? "" : child.threadDump()).isTrue();
        assertThat(child.exitValue()).isZero();
      }
    }
  }
}
