package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kdiscovery.testing.ApiServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pods' labels and annotations for Spring Cloud Kubernetes' add-pod-labels / add-pod-annotations,
 * from the mock API server: only metadata is kept, never a pod's spec (its containers' environment
 * values) or status.
 */
class PodMetadataWatchTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ApiServer api = new ApiServer();
  private PodMetadataWatch watch;

  @AfterEach
  void close() {
    if (watch != null) {
      watch.close();
    }
    api.close();
  }

  private static Pod pod(String name, String tier) {
    return new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
        .addToLabels("app", "web").addToLabels("tier", tier).addToAnnotations("owner", "team-a").endMetadata()
        .withNewSpec().addNewContainer().withName("web").withImage("web:1")
        .addNewEnv().withName("DATABASE_PASSWORD").withValue("s3cr3t-" + name).endEnv().endContainer().endSpec()
        .withNewStatus().withPhase("Running").withPodIP("127.0.0.11").endStatus()
        .build();
  }

  @Test
  void onlyLabelsAndAnnotationsAreKeptNeverTheSpecOrItsEnvironment() {
    api.admin().pods().inNamespace("default").resource(pod("web-0", "backend")).create();
    watch = PodMetadataWatch.start(api.client(), false, List.of("default"), true, true);

    await().atMost(WAIT).untilAsserted(() -> assertThat(watch.podMetadata("default", "web-0"))
        .isEqualTo(Map.of("labels", Map.of("app", "web", "tier", "backend"), "annotations", Map.of("owner", "team-a"))));
    assertHoldsMetadataOnly();

    long before = watch.version();
    api.admin().pods().inNamespace("default").resource(pod("web-0", "frontend")).update();
    await().atMost(WAIT).untilAsserted(() -> assertThat(watch.podMetadata("default", "web-0").get("labels"))
        .containsEntry("tier", "frontend"));
    assertThat(watch.version()).isGreaterThan(before);
    assertHoldsMetadataOnly();
  }

  private void assertHoldsMetadataOnly() {
    assertThat(watch.heldPods()).hasSize(1).allSatisfy(held -> {
      assertThat(held.getSpec()).isNull();
      assertThat(held.getStatus()).isNull();
      assertThat(held.getMetadata().getName()).isEqualTo("web-0");
      assertThat(api.client().getKubernetesSerialization().asJson(held)).doesNotContain("s3cr3t", "DATABASE_PASSWORD");
    });
  }
}
