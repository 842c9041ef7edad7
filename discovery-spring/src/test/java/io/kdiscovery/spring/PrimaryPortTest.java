package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServicePort;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PrimaryPortTest {

  @Test
  void theOnlyPortIsPrimaryWhateverItsName() {
    assertThat(PrimaryPort.choose(service(port("grpc", 9000)), "http")).contains("9000");
  }

  @Test
  void theConfiguredNameWinsThenHttpsThenHttpThenTheFirstPort() {
    Service service = service(port("metrics", 9090), port("http", 80), port("https", 443), port("admin", 8081));

    assertThat(PrimaryPort.choose(service, "admin")).contains("8081");
    assertThat(PrimaryPort.choose(service, null)).contains("443");
    assertThat(PrimaryPort.choose(service(port("metrics", 9090), port("http", 80)), "absent")).contains("80");
    assertThat(PrimaryPort.choose(service(port("metrics", 9090), port("admin", 8081)), null)).contains("9090");
  }

  @Test
  void aServiceWithoutPortsHasNoPrimaryPort() {
    assertThat(PrimaryPort.choose(new ServiceBuilder().withNewMetadata().withName("x").endMetadata()
        .withNewSpec().endSpec().build(), null)).isEmpty();
  }

  @Test
  void securityFollowsSpringCloudKubernetesRulesPlusAppProtocol() {
    ServiceKey key = ServiceKey.of("default", "web", 443);
    Set<Integer> known = Set.of(443, 8443);
    Map<String, String> none = Map.of();

    assertThat(PrimaryPort.secure(new ServicePort("https", 443, "9000", "TCP", null), key, 9000, none, none, known)).isTrue();
    assertThat(PrimaryPort.secure(new ServicePort("HTTPS", 443, "9000", "TCP", null), key, 9000, none, none, known)).isTrue();
    assertThat(PrimaryPort.secure(new ServicePort("https-api", 443, "9000", "TCP", null), key, 9000, none, none, known)).isTrue();
    assertThat(PrimaryPort.secure(new ServicePort("api", 443, "9000", "TCP", "HTTPS"), key, 9000, none, none, known)).isTrue();
    assertThat(PrimaryPort.secure(new ServicePort("http", 80, "8080", "TCP", "http"), key, 8080, none, none, known)).isFalse();
    assertThat(PrimaryPort.secure(null, ServiceKey.of("default", "web", "https"), 9000, none, none, known)).isTrue();
    // known secure ports are the pods' ports, as Spring Cloud Kubernetes compares the endpoint's port
    assertThat(PrimaryPort.secure(new ServicePort("api", 80, "8443", "TCP", null), key, 8443, none, none, known)).isTrue();
    assertThat(PrimaryPort.secure(new ServicePort("api", 80, "8443", "TCP", null), key, 8443, none, none, Set.of())).isFalse();
    // the secured label or annotation, with Spring Cloud Kubernetes' truthy values
    ServicePort plain = new ServicePort("api", 80, "8080", "TCP", null);
    for (String truthy : List.of("true", "on", "yes", "1")) {
      assertThat(PrimaryPort.secure(plain, key, 8080, Map.of("secured", truthy), none, known)).isTrue();
      assertThat(PrimaryPort.secure(plain, key, 8080, none, Map.of("secured", truthy), known)).isTrue();
    }
    assertThat(PrimaryPort.secure(plain, key, 8080, Map.of("secured", "false"), Map.of("secured", "no"), known)).isFalse();
  }

  @Test
  void thePrimaryPortNameLabelComesBeforeTheProperty() {
    Service labelled = new ServiceBuilder(service(port("http", 80), port("admin", 81), port("grpc", 82)))
        .editMetadata().addToLabels(PrimaryPort.PRIMARY_PORT_NAME_LABEL, "grpc").endMetadata().build();

    assertThat(PrimaryPort.choose(labelled, "admin")).contains("82");
    assertThat(PrimaryPort.choose(service(port("http", 80), port("admin", 81), port("grpc", 82)), "admin")).contains("81");
  }

  @Test
  void thePortMapKnowsThePrimaryPodPortAndNumericTargetPorts() {
    ServiceInfo info = new ServiceInfo(ServiceInfo.Type.CLUSTER_IP, ServiceInfo.SessionAffinity.NONE,
        ServiceInfo.DEFAULT_AFFINITY_TIMEOUT, ServiceInfo.TrafficDistribution.NONE, false, List.of(
            new ServicePort("http", 80, "web", "TCP", null),
            new ServicePort("metrics", 9090, "9091", "TCP", null),
            new ServicePort("admin", 8081, "", "TCP", null),
            new ServicePort("debug", 5005, "jdwp", "TCP", null)), Map.of(), null);

    assertThat(PrimaryPort.podPorts(info, ServiceKey.of("default", "web", 80), 8080))
        .containsExactly(Map.entry("http", 8080), Map.entry("metrics", 9091), Map.entry("admin", 8081));
  }

  private static io.fabric8.kubernetes.api.model.ServicePort port(String name, int number) {
    return new ServicePortBuilder().withName(name).withPort(number).withTargetPort(new IntOrString(number + 1)).build();
  }

  private static Service service(io.fabric8.kubernetes.api.model.ServicePort... ports) {
    return new ServiceBuilder().withNewMetadata().withName("web").withNamespace("default").endMetadata()
        .withNewSpec().withPorts(Arrays.asList(ports)).endSpec().build();
  }
}
