package io.kdiscovery;

import static io.kdiscovery.testing.FaultDispatcher.listOf;
import static io.kdiscovery.testing.FaultDispatcher.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.source.dns.DnsEndpointSource;
import io.kdiscovery.source.dns.Dnsmasq;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import io.kdiscovery.testing.Hostnames;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kubernetes, dns or auto: the same table and the same API whichever source feeds it. */
class SourceChoiceTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String HOSTNAMES_DNS = "hostnames.default.svc.cluster.local";

  @TempDir Path dir;
  private ApiServer api;
  private Dnsmasq dns;

  @BeforeEach
  void start() throws Exception {
    api = new ApiServer();
    api.apply(Hostnames.service());
    api.apply(Hostnames.slice("hostnames-abc").ready("hostnames-1", "10.244.0.5")
        .ready("hostnames-2", "10.244.0.6").ready("hostnames-3", "10.244.0.7").build());
    dns = Dnsmasq.start(dir, "127.0.0.11 " + HOSTNAMES_DNS, "127.0.0.12 " + HOSTNAMES_DNS);
  }

  @AfterEach
  void stop() {
    dns.close();
    api.close();
  }

  private DnsEndpointSource.Builder localDns() {
    return DnsEndpointSource.builder().nameServer(dns.address());
  }

  @Test
  void autoWatchesTheApiWhenTheApplicationMayReadEndpointSlices() {
    try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client())
        .sourceType(SourceType.AUTO).dns(localDns()).build();
         ServiceHandle handle = discovery.open("hostnames.default:80")) {
      ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);

      assertThat(discovery.sourceName()).isEqualTo("kubernetes");
      assertThat(snapshot.endpoints()).extracting(Endpoint::hostPort)
          .containsExactly("10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376");
      assertThat(snapshot.service().type()).isEqualTo(ServiceInfo.Type.CLUSTER_IP);
    }
  }

  @Test
  void autoUsesClusterDnsWhenEndpointSlicesAreForbidden() {
    api.faults().inject(listOf("/endpointslices"), status(403), -1);
    try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client())
        .sourceType(SourceType.AUTO).dns(localDns()).build();
         ServiceHandle handle = discovery.open("hostnames.default:9376")) {
      ServiceSnapshot snapshot = handle.awaitSnapshot(WAIT);

      assertThat(discovery.sourceName()).isEqualTo("dns");
      assertThat(snapshot.endpoints()).extracting(Endpoint::hostPort)
          .containsExactly("127.0.0.11:9376", "127.0.0.12:9376");
      assertThat(snapshot.service()).isEqualTo(ServiceInfo.UNKNOWN);
    }
  }

  @Test
  void theDnsSourceFeedsTheSameTableWithoutAnyApiAccess() {
    try (KDiscovery discovery = KDiscovery.builder().sourceType(SourceType.DNS).dns(localDns()).build();
         ServiceHandle handle = discovery.open("hostnames.default:9376")) {
      assertThat(handle.awaitSnapshot(WAIT).readyEndpoints()).extracting(Endpoint::address)
          .containsExactly("127.0.0.11", "127.0.0.12");
      assertThat(discovery.sourceName()).isEqualTo("dns");
    }
  }

  @Test
  void contradictorySettingsAreRefusedAtBuild() {
    assertThatThrownBy(() -> KDiscovery.builder().sourceType(SourceType.DNS).kubernetesClient(api.client()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("DNS");
    assertThatThrownBy(() -> KDiscovery.builder().namespace("Not_A_Namespace"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
  }
}
