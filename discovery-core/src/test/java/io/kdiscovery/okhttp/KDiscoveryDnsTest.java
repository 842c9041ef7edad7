package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.testing.Hostnames;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Service names resolve from the live table, everything else from the fallback resolver. */
class KDiscoveryDnsTest {

  private static OneCluster cluster;
  private HttpPods pods;
  private KDiscovery discovery;
  private final List<String> fallbackAsked = new CopyOnWriteArrayList<>();
  private final Dns recordingFallback = host -> {
    fallbackAsked.add(host);
    return List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 99}));
  };

  @BeforeAll
  static void startCluster() {
    cluster = new OneCluster(71);
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @BeforeEach
  void startPods() throws IOException {
    pods = cluster.freshPods();
    discovery = cluster.discovery;
  }

  @AfterEach
  void stopPods() {
    pods.close();
  }

  private static List<String> ips(List<InetAddress> addresses) {
    return addresses.stream().map(InetAddress::getHostAddress).toList();
  }

  @Test
  void serviceNamesResolveToTheUsablePodsAndFollowTheTable() throws UnknownHostException {
    try (KDiscoveryDns dns = KDiscoveryDns.builder(discovery).fallback(recordingFallback).build()) {
      for (String name : List.of("hostnames.default.svc.cluster.local", "hostnames.default.svc.cluster.local.",
          "hostnames.default.svc", "hostnames.default", "hostnames", "HOSTNAMES.default.svc.cluster.local")) {
        assertThat(ips(dns.lookup(name))).as(name).containsExactly("127.0.0.71", "127.0.0.72", "127.0.0.73");
      }
      assertThat(fallbackAsked).isEmpty();

      cluster.api.apply(Hostnames.slice("hostnames-0").port("default", pods.port)
          .ready("pod-a", "127.0.0.71").notReady("pod-b", "127.0.0.72").terminating("pod-c", "127.0.0.73").build());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(ips(dns.lookup("hostnames.default.svc.cluster.local"))).containsExactly("127.0.0.71"));

      // Nothing ready: the serving-terminating pod is the answer, as kube-proxy falls back to it.
      cluster.api.apply(Hostnames.slice("hostnames-0").port("default", pods.port)
          .notReady("pod-a", "127.0.0.71").terminating("pod-c", "127.0.0.73").build());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(ips(dns.lookup("hostnames"))).containsExactly("127.0.0.73"));
    }
  }

  @Test
  void otherNamesGoToTheFallback() throws UnknownHostException {
    try (KDiscoveryDns dns = KDiscoveryDns.builder(discovery).fallback(recordingFallback).build()) {
      for (String name : List.of("example.com", "api.example.com", "localhost", "127.0.0.5",
          "hostnames.elsewhere", "no-such-service", "my_host")) {
        assertThat(ips(dns.lookup(name))).as(name).containsExactly("127.0.0.99");
      }
      // "hostnames.elsewhere" is a public-looking name unless namespace "elsewhere" is declared;
      // "no-such-service" is a short name with no Service behind it.
      assertThat(fallbackAsked).containsExactly("example.com", "api.example.com", "localhost", "127.0.0.5",
          "hostnames.elsewhere", "no-such-service", "my_host");
    }
  }

  @Test
  void aFullServiceNameWithoutServiceOrPodsIsUnknownWithTheReason() {
    try (KDiscoveryDns dns = KDiscoveryDns.builder(discovery).fallback(recordingFallback).build()) {
      assertThatThrownBy(() -> dns.lookup("missing.default.svc.cluster.local"))
          .isInstanceOf(UnknownHostException.class).hasMessageContaining("no Service default/missing");
      cluster.api.apply(Hostnames.slice("hostnames-0").port("default", pods.port).notReady("pod-a", "127.0.0.71").build());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThatThrownBy(() -> dns.lookup("hostnames.default.svc.cluster.local"))
              .isInstanceOf(UnknownHostException.class).hasMessageContaining("has no ready pod"));
      assertThat(fallbackAsked).isEmpty();
    }
  }

  @Test
  void anOkHttpClientReachesThePodsThroughIt() throws IOException {
    try (KDiscoveryDns dns = KDiscoveryDns.create(discovery)) {
      OkHttpClient client = new OkHttpClient.Builder().dns(dns).build();
      Set<String> answered = new HashSet<>();
      for (int i = 0; i < 30; i++) {
        // A fresh connection each time, so OkHttp asks the resolver again and tries its first address.
        client.connectionPool().evictAll();
        Request request = new Request.Builder()
            .url("http://hostnames.default.svc.cluster.local:" + pods.port + "/").build();
        try (Response response = client.newCall(request).execute()) {
          answered.add(response.body().string().strip());
          assertThat(pods.pods.get(0).hostHeaders).allMatch(h -> h.startsWith("hostnames.default.svc.cluster.local"));
        }
      }
      assertThat(answered).isNotEmpty().isSubsetOf("pod-a", "pod-b", "pod-c");
      client.dispatcher().executorService().shutdown();
    }
  }
}
