package io.kdiscovery.grpc;

import static io.kdiscovery.grpc.Cluster.ip;
import static io.kdiscovery.grpc.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real channel with grpc's own round_robin on a kubernetes:/// target, as the pods change. */
class RoundRobinChannelTest {

  private Cluster cluster;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    cluster = Cluster.withThreeReadyPods();
    channel = cluster.channel("round_robin");
    await().atMost(Duration.ofSeconds(10)).until(() -> Cluster.spread(channel, 30).size() == 3);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void sixHundredCallsOverOneChannelSpreadEvenlyOverThreePods() {
    Map<String, Integer> spread = Cluster.spread(channel, 600);

    assertThat(spread).containsOnlyKeys(pod(1), pod(2), pod(3));
    assertThat(spread.values()).allSatisfy(calls -> assertThat(calls).isBetween(150, 250));
  }

  @Test
  void aPodTurningUnreadyStopsReceivingCallsWithinASecond() {
    cluster.publish(s -> s.ready(pod(1), ip(1)).notReady(pod(2), ip(2)).ready(pod(3), ip(3)));

    await().atMost(Duration.ofSeconds(2)).until(() -> !Cluster.spread(channel, 30).containsKey(pod(2)));
    assertThat(Cluster.spread(channel, 300)).containsOnlyKeys(pod(1), pod(3));
  }

  @Test
  void aNewPodStartsReceivingCallsWithinASecond() {
    cluster.pods.start(pod(4), ip(4));
    cluster.publish(s -> s.ready(pod(1), ip(1)).ready(pod(2), ip(2)).ready(pod(3), ip(3)).ready(pod(4), ip(4)));

    await().atMost(Duration.ofSeconds(2)).until(() -> Cluster.spread(channel, 30).containsKey(pod(4)));
    assertThat(Cluster.spread(channel, 400)).containsOnlyKeys(pod(1), pod(2), pod(3), pod(4));
  }

  @Test
  void aRollingUpdateWithCallsRunningThroughoutFailsNoCall() {
    try (CallLoad load = CallLoad.start(channel, 2)) {
      cluster.rollingUpdate(load);
      load.stop();

      assertThat(load.failures()).isEmpty();
      assertThat(load.recentPods(100)).containsOnly(pod(4), pod(5), pod(6));
    }
  }

  @Test
  void scaledToZeroCallsFailFastWithUnavailableAndScaledBackTheySucceedAgain() {
    // A real scale to zero deletes the pods: their slice entries go, then the processes.
    cluster.publish(s -> s);
    cluster.pods.stop(pod(1), pod(2), pod(3));

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class, () -> Whoami.call(channel));
      assertThat(failure).isNotNull();
      assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    });

    cluster.pods.start(pod(5), ip(5));
    cluster.publish(s -> s.ready(pod(5), ip(5)));
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .untilAsserted(() -> assertThat(Whoami.call(channel)).isEqualTo(pod(5)));
  }
}
