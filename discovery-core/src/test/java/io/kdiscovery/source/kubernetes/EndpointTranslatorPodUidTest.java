package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.model.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The pod uid of an endpoint's targetRef reaches the model, from slices and from v1 Endpoints. */
class EndpointTranslatorPodUidTest {

  private static final PortMatch HTTP = new PortMatch("http", 0, "TCP");
  private final OnceLog onceLog = new OnceLog(LoggerFactory.getLogger(EndpointTranslatorPodUidTest.class));

  @Test
  void aSliceEndpointCarriesItsPodsUidAndOneWithoutTargetRefNone() {
    EndpointSlice slice = new EndpointSliceBuilder()
        .withNewMetadata().withName("web-abc").withNamespace("default").endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(9376).withProtocol("TCP").endPort()
        .withEndpoints(
            new EndpointBuilder().withAddresses("10.0.0.1")
                .withNewTargetRef().withKind("Pod").withName("web-1").withUid("uid-web-1").endTargetRef().build(),
            new EndpointBuilder().withAddresses("10.0.0.2").build(),
            new EndpointBuilder().withAddresses("10.0.0.3")
                .withNewTargetRef().withKind("Node").withName("node-1").withUid("uid-node-1").endTargetRef().build())
        .build();

    List<Endpoint> endpoints = EndpointTranslator.fromSlices(
        List.of(SliceRecord.of(slice, new SliceRecord.Interner())), HTTP, onceLog);

    assertThat(endpoints).extracting(Endpoint::address).containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3");
    assertThat(endpoints).extracting(Endpoint::podUid).containsExactly("uid-web-1", null, null);
    assertThat(endpoints).extracting(Endpoint::podName).containsExactly("web-1", null, null);
  }

  @Test
  void aV1EndpointsAddressCarriesItsPodsUidReadyOrNot() {
    var endpoints = new EndpointsBuilder()
        .withNewMetadata().withName("web").withNamespace("default").endMetadata()
        .addNewSubset()
        .addNewPort().withName("http").withPort(9376).withProtocol("TCP").endPort()
        .addNewAddress().withIp("10.0.0.1")
        .withNewTargetRef().withKind("Pod").withName("web-1").withUid("uid-web-1").endTargetRef().endAddress()
        .addNewAddress().withIp("10.0.0.2").endAddress()
        .addNewNotReadyAddress().withIp("10.0.0.3")
        .withNewTargetRef().withKind("Pod").withName("web-3").withUid("uid-web-3").endTargetRef().endNotReadyAddress()
        .endSubset()
        .build();

    List<Endpoint> translated = EndpointTranslator.fromEndpoints(endpoints, HTTP, onceLog);

    assertThat(translated).extracting(Endpoint::podUid).containsExactly("uid-web-1", null, "uid-web-3");
  }

  @Test
  void twoEndpointsDifferingOnlyInPodUidAreNotEqual() {
    Endpoint before = Endpoint.builder("10.0.0.1", 80).podName("db-0").podUid("uid-1").build();
    Endpoint recreated = Endpoint.builder("10.0.0.1", 80).podName("db-0").podUid("uid-2").build();

    assertThat(recreated).isNotEqualTo(before);
    assertThat(Endpoint.of("10.0.0.1", 80).podUid()).isNull();
  }
}
