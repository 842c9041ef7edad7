package io.kdiscovery.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.kdiscovery.model.RoutableAddresses.Loopback;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one rule for which addresses kdiscovery routes to, over every kind of address and setting. */
class RoutableAddressesTest {

  /**
   * An address, then whether it is routed to with a remote source under AUTO, with a local source
   * under AUTO, under ALLOW and under DENY.
   */
  @ParameterizedTest(name = "{0}: AUTO remote {1}, AUTO local {2}, ALLOW {3}, DENY {4}")
  @CsvSource({
      "10.244.0.5,            true,  true,  true,  true",
      "192.168.1.7,           true,  true,  true,  true",
      "fd00::5,               true,  true,  true,  true",
      "2001:db8::11,          true,  true,  true,  true",
      "169.254.169.254,       false, false, false, false",
      "169.254.0.1,           false, false, false, false",
      "169.254.255.255,       false, false, false, false",
      "::ffff:169.254.169.254, false, false, false, false",
      "fe80::1,               false, false, false, false",
      "fd00:ec2::254,         false, false, false, false",
      "fd00:ec2::253,         true,  true,  true,  true",
      "febf::ffff,            false, false, false, false",
      "0.0.0.0,               false, false, false, false",
      "::,                    false, false, false, false",
      "224.0.0.1,             false, false, false, false",
      "239.255.255.250,       false, false, false, false",
      "ff02::1,               false, false, false, false",
      "255.255.255.255,       false, false, false, false",
      "127.0.0.1,             false, true,  true,  false",
      "127.0.0.11,            false, true,  true,  false",
      "127.255.255.254,       false, true,  true,  false",
      "::1,                   false, true,  true,  false",
      "::ffff:127.0.0.1,      false, true,  true,  false",
      "fec0::1,               true,  true,  true,  true",
      "169.253.255.255,       true,  true,  true,  true",
      "169.255.0.1,           true,  true,  true,  true"})
  void everyAddressHasOneVerdictPerSetting(String address, boolean autoRemote, boolean autoLocal, boolean allow,
      boolean deny) {
    assertThat(routed(RoutableAddresses.of(Loopback.AUTO, false), address)).as("AUTO, remote source").isEqualTo(autoRemote);
    assertThat(routed(RoutableAddresses.of(Loopback.AUTO, true), address)).as("AUTO, local source").isEqualTo(autoLocal);
    assertThat(routed(RoutableAddresses.of(Loopback.ALLOW, false), address)).as("ALLOW").isEqualTo(allow);
    assertThat(routed(RoutableAddresses.of(Loopback.DENY, true), address)).as("DENY").isEqualTo(deny);
  }

  private static boolean routed(RoutableAddresses rule, String address) {
    return rule.refusal(address) == null;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "127.0.0.1, true", "127.1.2.3, true", "[::1], true", "::1, true", "localhost, true", "LOCALHOST, true",
      "localhost., true", "10.96.0.1, false", "[fd00::1], false", "kubernetes.default.svc, false",
      "localhost.example.com, false", "169.254.169.254, false", "'', false"})
  void aSourceIsLocalOnlyOnALoopbackHostAndNoNameIsResolved(String host, boolean loopback) {
    assertThat(RoutableAddresses.isLoopbackHost(host)).isEqualTo(loopback);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"169.254.169.254, cloud metadata", "fd00:ec2::254, cloud metadata", "169.254.1.1, link-local",
      "fe80::1, link-local", "0.0.0.0, unspecified", "ff02::1, unicast",
      "127.0.0.1, loopback"})
  void aRefusalSaysWhy(String address, String reason) {
    assertThat(RoutableAddresses.of(Loopback.DENY, false).refusal(address)).contains(reason);
  }
}
