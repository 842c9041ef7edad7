package io.kdiscovery.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which kubernetes: targets name which Service port, and how a malformed one is refused. */
class KubernetesTargetTest {

  private static KubernetesTarget parse(String uri) {
    return KubernetesTarget.parse(URI.create(uri), () -> "team-a");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "kubernetes:///hostnames.default:80, default, hostnames, 80, hostnames.default:80",
      "kubernetes:///hostnames:80, team-a, hostnames, 80, hostnames:80",
      "kubernetes:///hostnames.default:default, default, hostnames, default, hostnames.default:default",
      "kubernetes:///hostnames.default.svc.cluster.local:80, default, hostnames, 80, hostnames.default.svc.cluster.local:80",
      "kubernetes://default/hostnames:80, default, hostnames, 80, hostnames.default:80",
  })
  void everyAcceptedFormNamesItsServicePort(String uri, String namespace, String name, String port, String authority) {
    KubernetesTarget target = parse(uri);

    assertThat(target.key()).isEqualTo(ServiceKey.of(namespace, name, port));
    assertThat(target.authority()).isEqualTo(authority);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "kubernetes:///hostnames",
      "kubernetes:///hostnames.default",
      "kubernetes:///hostnames.default.example:80",
      "kubernetes:///Hostnames.default:80",
      "kubernetes:///hostnames.default:0",
      "kubernetes:///hostnames.default:80?watch=false",
      "kubernetes:///hostnames.default:80/extra",
      "kubernetes://default/hostnames.default:80",
      "kubernetes://default:8080/hostnames:80",
      "kubernetes:hostnames.default:80",
  })
  void aMalformedTargetIsRefusedWithTheAcceptedForms(String uri) {
    assertThatThrownBy(() -> parse(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("malformed kubernetes target '" + uri + "'")
        .hasMessageEndingWith("; expected " + KubernetesTarget.FORMS);
  }

  @Test
  void aChannelToAMalformedTargetFailsWhenItIsBuilt() {
    try (KDiscovery discovery = KDiscovery.builder().source(new NoEndpoints()).build()) {
      assertThatThrownBy(() -> Grpc.newChannelBuilder("kubernetes:///hostnames.default", InsecureChannelCredentials.create())
              .setNameResolverArg(KubernetesNameResolverProvider.KDISCOVERY, discovery)
              .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("malformed kubernetes target 'kubernetes:///hostnames.default'")
          .hasMessageContaining("kubernetes:///<service>.<namespace>:<port>")
          .hasMessageContaining("kubernetes://<namespace>/<service>:<port>");
    }
  }

  /** A source that is never asked: the target fails before anything is watched. */
  private static final class NoEndpoints implements EndpointSource {
    @Override
    public String name() {
      return "none";
    }

    @Override
    public Watch watch(ServiceKey key, Listener listener) {
      throw new AssertionError("a malformed target must not start a watch");
    }

    @Override
    public void close() {}
  }
}
