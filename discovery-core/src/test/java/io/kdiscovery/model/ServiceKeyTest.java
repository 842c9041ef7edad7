package io.kdiscovery.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceKeyTest {

  @Test
  void everyAcceptedFormNamesTheSameServicePort() {
    ServiceKey expected = ServiceKey.of("default", "hostnames", 80);
    assertThat(ServiceKey.parse("hostnames:80", "default")).isEqualTo(expected);
    assertThat(ServiceKey.parse("hostnames.default:80", "other")).isEqualTo(expected);
    assertThat(ServiceKey.parse("hostnames.default.svc:80", "other")).isEqualTo(expected);
    assertThat(ServiceKey.parse("hostnames.default.svc.cluster.local:80", "other")).isEqualTo(expected);
    assertThat(ServiceKey.of("default", "hostnames", "80")).isEqualTo(expected);
  }

  @Test
  void aPortNameIsKeptAsAName() {
    ServiceKey key = ServiceKey.parse("hostnames.default:default", null);
    assertThat(key.hasPortNumber()).isFalse();
    assertThat(key.port()).isEqualTo("default");
    assertThat(key.portNumber()).isZero();
    assertThat(key).hasToString("hostnames.default:default");
  }

  @ParameterizedTest
  @ValueSource(strings = {"hostnames", "hostnames:", ":80", "hostnames.default.cluster:80", "Hostnames:80",
      "hostnames:0", "hostnames:65536", "hostnames:99999999999", "hostnames:Http", "hostnames:-x", "hostnames:123456789012345x"})
  void malformedTargetsFailWithTheAcceptedForms(String target) {
    assertThatThrownBy(() -> ServiceKey.parse(target, "default"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(target)
        .hasMessageContaining("service.namespace:port");
  }

  @Test
  void aMissingNamespaceWithoutADefaultIsAClearError() {
    assertThatThrownBy(() -> ServiceKey.parse("hostnames:80", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no namespace");
  }
}
