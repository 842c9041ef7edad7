package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import io.kdiscovery.source.SourceState;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** An exception in a watch group's serial context is reported as a failure, never swallowed. */
class SerialFailureTest {

  @Test
  void anExceptionInTheSerialContextReachesTheListenerAsAFailureAndLaterChangesStillLand() {
    try (ApiServer api = new ApiServer();
         KubernetesEndpointSource source = KubernetesEndpointSource.builder().client(api.client()).build()) {
      api.apply(Hostnames.service());
      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").build());
      List<String> failures = new CopyOnWriteArrayList<>();
      List<SourceState> states = new CopyOnWriteArrayList<>();
      AtomicInteger calls = new AtomicInteger();
      EndpointSource.Watch watch = source.watch(ServiceKey.of("default", "hostnames", 80), new EndpointSource.Listener() {
        @Override
        public void onState(SourceState state) {
          if (calls.incrementAndGet() == 1) {
            throw new IllegalStateException("a bug in the first delivery");
          }
          states.add(state);
        }

        @Override
        public void onFailure(String reason, Throwable cause) {
          failures.add(reason);
        }
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> !failures.isEmpty());
      assertThat(failures.get(0)).contains("internal error").contains("a bug in the first delivery");
      // The failed delivery must not stop the feed from watching on: both watches open on the server.
      // (Checked before the change also because the CRUD mock, unlike a real API server, replays no
      // event from before a watch opened.)
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(api.faults().openWatches()).isEqualTo(2));

      api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5").ready("hostnames-2", "10.244.0.6").build());
      await().atMost(Duration.ofSeconds(10)).until(() -> !states.isEmpty()
          && states.get(states.size() - 1).endpoints().size() == 2);
      watch.close();
    }
  }
}
