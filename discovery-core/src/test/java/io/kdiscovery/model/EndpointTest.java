package io.kdiscovery.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

  @ParameterizedTest
  @CsvSource({
      "10.244.0.5, 10.244.0.5",
      "fd00:0:0:0:0:0:0:5, fd00::5",
      "FD00::5, fd00::5",
      "0:0:0:0:0:0:0:1, ::1",
      "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
      "2001:db8:1:2:3:4:5:6, 2001:db8:1:2:3:4:5:6",
      "fe80:0:0:1:0:0:0:0, fe80:0:0:1::"})
  void addressesAreKeptInCanonicalForm(String given, String canonical) {
    assertThat(Endpoint.of(given, 9376).address()).isEqualTo(canonical);
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-an-ip", "300.1.2.3", "10.244.0", "10.244.0.5.6", "", "fd00::5::6", "localhost"})
  void anythingButAnIpLiteralIsRefusedWithoutALookup(String address) {
    assertThatThrownBy(() -> Endpoint.of(address, 9376))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an IPv4 or IPv6 address");
  }

  @Test
  void portsOutsideTheRangeAreRefused() {
    assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 0)).hasMessageContaining("1-65535");
    assertThatThrownBy(() -> Endpoint.of("10.0.0.1", 65536)).hasMessageContaining("1-65535");
  }

  @Test
  void theSamePodWrittenTwoWaysIsOneEndpoint() {
    assertThat(Endpoint.of("fd00::5", 80)).isEqualTo(Endpoint.of("fd00:0::5", 80));
    assertThat(Endpoint.of("fd00::5", 80).hostPort()).isEqualTo("[fd00::5]:80");
    assertThat(Endpoint.of("10.0.0.1", 80).socketAddress().isUnresolved()).isFalse();
  }

  @Test
  void whatRequestsReadIsKeptAndTheSocketAddressIsBuiltFromTheLiteral() throws Exception {
    Endpoint v4 = Endpoint.of("10.0.0.1", 80);
    Endpoint v6 = Endpoint.of("fd00:0::5", 443);
    // Read per request (balancer states, gRPC picker, OkHttp interceptor): fields, no allocation.
    assertThat(v4.hostPort()).isSameAs(v4.hostPort());
    assertThat(v4.address()).isSameAs(v4.address());
    // Not kept (memory); built on each call from the validated literal, resolved, never looked up.
    assertThat(v4.socketAddress()).isEqualTo(
        new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(new byte[] {10, 0, 0, 1}), 80));
    assertThat(v6.socketAddress().getAddress().getAddress()).hasSize(16);
    assertThat(v6.socketAddress().getPort()).isEqualTo(443);
    assertThat(v6.socketAddress().isUnresolved()).isFalse();
  }

  @Test
  void conditionsAreSharedConstants() {
    assertThat(EndpointConditions.of(true, null, null)).isSameAs(EndpointConditions.READY);
    assertThat(EndpointConditions.of(false, true, true)).isSameAs(EndpointConditions.of(false, true, true));
  }

  @Test
  void unsetConditionsFollowTheApiDefaults() {
    assertThat(EndpointConditions.of(null, null, null)).isEqualTo(new EndpointConditions(true, true, false));
    assertThat(EndpointConditions.of(false, null, null)).isEqualTo(new EndpointConditions(false, false, false));
    assertThat(EndpointConditions.of(false, true, true).servingTerminating()).isTrue();
    assertThat(EndpointConditions.of(true, null, true)).isEqualTo(new EndpointConditions(true, true, true));
  }
}
