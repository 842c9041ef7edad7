package io.kdiscovery.source.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.source.EndpointSource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The builder refuses bad settings at build time, naming the setting. */
class DnsEndpointSourceBuilderTest {

  private static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 5353);

  private static DnsEndpointSource.Builder valid() {
    return DnsEndpointSource.builder().nameServer(LOCAL);
  }

  @Test
  void clusterDomainMustBeADnsDomain() {
    assertThatThrownBy(() -> valid().clusterDomain("Cluster Local").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clusterDomain");
    assertThatThrownBy(() -> valid().clusterDomain("").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clusterDomain");
  }

  @Test
  void clusterDomainMayEndWithADot() {
    try (DnsEndpointSource source = valid().clusterDomain("corp.example.").build()) {
      assertThat(source.toString()).contains("domain=corp.example.,");
    }
  }

  @Test
  void timesMustBePositiveAndMaxRefreshNotBelowMinRefresh() {
    assertThatThrownBy(() -> valid().queryTimeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queryTimeout");
    assertThatThrownBy(() -> valid().minRefresh(Duration.ofSeconds(-1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minRefresh");
    assertThatThrownBy(() -> valid().minRefresh(Duration.ofSeconds(10)).maxRefresh(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRefresh");
  }

  @Test
  void jitterIsAShareBetweenZeroAndOne() {
    assertThatThrownBy(() -> valid().jitter(1.5).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter");
    assertThatThrownBy(() -> valid().jitter(Double.NaN).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter");
  }

  @Test
  void nameServersNeedAnAddressAndAPort() {
    assertThatThrownBy(() -> valid().nameServer(InetSocketAddress.createUnresolved("dns.example", 53)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IP address");
    assertThatThrownBy(() -> valid().nameServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
    assertThatThrownBy(() -> valid().nameServers(List.of()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nameServers");
  }

  @Test
  void srvProtocolIsALabel() {
    assertThatThrownBy(() -> valid().srvProtocol("_tcp").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("srvProtocol");
  }

  @Test
  void closedSourceRefusesNewWatches() {
    DnsEndpointSource source = valid().build();
    source.close();

    assertThatThrownBy(() -> source.watch(ServiceKey.of("default", "web", 80), new RecordingListener()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void injectedExecutorIsLeftRunningOnClose() {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      DnsEndpointSource source = valid().executor(executor).build();
      EndpointSource.Watch watch = source.watch(ServiceKey.of("default", "web", 80), new RecordingListener());
      source.close();
      watch.close(); // closing twice is harmless

      assertThat(executor.isShutdown()).isFalse();
      assertThat(source.name()).isEqualTo("dns");
    } finally {
      executor.shutdownNow();
    }
  }
}
