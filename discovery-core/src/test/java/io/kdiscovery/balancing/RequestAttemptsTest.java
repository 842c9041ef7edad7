package io.kdiscovery.balancing;

import static io.kdiscovery.balancing.Snapshots.pods;
import static io.kdiscovery.balancing.Snapshots.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.model.Endpoint;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A retry goes to a pod the request has not tried, while there is one. */
class RequestAttemptsTest {

  @ParameterizedTest
  @EnumSource(Policy.class)
  void eachRetryTriesAnotherPodUntilAllAreTried(Policy policy) {
    LoadBalancer balancer = LoadBalancer.builder().policy(policy).ticker(new FakeTicker()).build();
    balancer.update(snapshot(1, pods(4)));
    RequestAttempts attempts = RequestAttempts.start(balancer, PickContext.forKey("retry-me"));
    Set<Endpoint> distinct = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      Pick pick = attempts.next();
      distinct.add(pick.endpoint());
      pick.failure(1_000);
    }
    assertThat(distinct).containsExactlyInAnyOrderElementsOf(pods(4));
    Pick fifth = attempts.next(); // everything tried: goes somewhere rather than failing
    assertThat(pods(4)).contains(fifth.endpoint());
    fifth.cancel();
    assertThat(attempts.tried()).hasSize(5);
  }
}
