package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.testing.Hostnames;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.Dns;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An OkHttp client with the interceptor reaches the pods of a Service directly, one pick per call. */
class KDiscoveryInterceptorTest {

  private static final String FULL_NAME = "http://hostnames.default.svc.cluster.local/";
  private static final ServiceKey KEY = OneCluster.KEY;

  private static OneCluster cluster;
  private HttpPods pods;
  private KDiscovery discovery;
  private KDiscoveryInterceptor interceptor;
  private OkHttpClient client;

  @BeforeAll
  static void startCluster() {
    cluster = new OneCluster(61);
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
  void stop() {
    if (interceptor != null) {
      interceptor.close();
    }
    if (client != null) {
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
    pods.close();
  }

  private OkHttpClient client(KDiscoveryInterceptor.Builder builder) {
    interceptor = builder.build();
    client = new OkHttpClient.Builder().addInterceptor(interceptor).retryOnConnectionFailure(false).build();
    return client;
  }

  private String get(String url) throws IOException {
    return get(url, null);
  }

  private String get(String url, String user) throws IOException {
    Request.Builder request = new Request.Builder().url(url);
    if (user != null) {
      request.header("X-User", user);
    }
    try (Response response = client.newCall(request.build()).execute()) {
      return response.code() + " " + response.body().string().strip();
    }
  }

  @Test
  void eachCallGoesToAPodWithTheServicesNameAsHost() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    Map<String, Integer> answered = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      answered.merge(get(FULL_NAME), 1, Integer::sum);
    }
    // Round robin over three pods, through the Service's port 80 mapped to the pods' port.
    assertThat(answered).containsOnly(Map.entry("200 pod-a", 10), Map.entry("200 pod-b", 10),
        Map.entry("200 pod-c", 10));
    assertThat(pods.pods).allSatisfy(pod ->
        assertThat(pod.hostHeaders).containsOnly("hostnames.default.svc.cluster.local"));
  }

  @Test
  void theShortFormsAPodsResolverAcceptsNameTheServiceToo() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    for (String url : new String[] {"http://hostnames/", "http://hostnames.default/", "http://hostnames.default.svc/"}) {
      Set<String> answered = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        answered.add(get(url));
      }
      assertThat(answered).as(url).containsExactlyInAnyOrder("200 pod-a", "200 pod-b", "200 pod-c");
    }
    assertThat(pods.pod("pod-a").hostHeaders).contains("hostnames", "hostnames.default", "hostnames.default.svc");
  }

  @Test
  void otherHostsPassThroughUntouched() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    // A pod's own address is no Service name: the call goes where it says.
    assertThat(get("http://127.0.0.62:" + pods.port + "/")).isEqualTo("200 pod-b");
    // A short name with no such Service is an ordinary host name (here: the system resolver's localhost).
    try (HttpPods local = new HttpPods(1, null, "local")) {
      assertThat(get("http://localhost:" + local.port + "/")).isEqualTo("200 local");
    }
  }

  @Test
  void aShortNameThatIsNoServicePassesThroughAndIsRememberedWithoutABalancer() throws IOException {
    try (HttpPods local = new HttpPods(1, null, "local")) {
      interceptor = KDiscoveryInterceptor.builder(discovery).build();
      client = new OkHttpClient.Builder().addInterceptor(interceptor)
          .dns(host -> host.equals("no-such-service") ? List.of(InetAddress.getByName(local.pods.get(0).ip))
              : Dns.SYSTEM.lookup(host))
          .build();
      for (int i = 0; i < 3; i++) {
        assertThat(get("http://no-such-service:" + local.port + "/")).isEqualTo("200 local");
      }
      assertThat(local.pod("local").hostHeaders).containsOnly("no-such-service:" + local.port);
      assertThat(interceptor.services().openCount()).isZero();
      assertThat(interceptor.services().absentCount()).isEqualTo(1);
    }
  }

  @Test
  void aKilledPodIsEjectedAndIdempotentCallsAreRetriedOnAnother() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    get(FULL_NAME); // the balancer exists and holds the table
    pods.pod("pod-b").kill();
    for (int i = 0; i < 30; i++) {
      assertThat(get(FULL_NAME)).isIn("200 pod-a", "200 pod-c");
    }
    LoadBalancer balancer = interceptor.balancer(KEY);
    assertThat(balancer.ejections()).isEqualTo(1);
    assertThat(balancer.health()).filteredOn(h -> h.endpoint().podName().equals("pod-b"))
        .singleElement().satisfies(h -> assertThat(h.ejected()).isTrue());
  }

  @Test
  void aPostIsNotRetriedButItsConnectFailureStillEjects() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    get(FULL_NAME);
    pods.pod("pod-a").kill();
    client.connectionPool().evictAll(); // a new connection to the dead pod is refused
    int failed = 0;
    for (int i = 0; i < 6; i++) {
      Request post = new Request.Builder().url(FULL_NAME)
          .post(RequestBody.create("order", MediaType.get("text/plain"))).build();
      try (Response response = client.newCall(post).execute()) {
        assertThat(response.body().string().strip()).isIn("pod-b", "pod-c");
      } catch (ConnectException e) {
        failed++;
      }
    }
    assertThat(failed).as("the one POST that reached the dead pod fails; the pod is then ejected").isEqualTo(1);
    assertThat(interceptor.balancer(KEY).ejections()).isEqualTo(1);
  }

  @Test
  void serverErrorsCountAsFailuresTowardEjection() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    pods.pod("pod-c").status = 503;
    int errors = 0;
    for (int i = 0; i < 30; i++) {
      if (get(FULL_NAME).startsWith("503")) {
        errors++;
      }
    }
    // Five consecutive failures eject (the default outlier detection); a 503 is returned, not retried.
    assertThat(errors).isEqualTo(5);
    assertThat(interceptor.balancer(KEY).ejections()).isEqualTo(1);
  }

  @Test
  void anAffinityHeaderKeepsEachUserOnOnePod() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery).affinityHeader("X-User")
        .balancer(LoadBalancer.builder().policy(Policy.RING_HASH)));
    Map<String, Set<String>> podsByUser = new HashMap<>();
    for (int round = 0; round < 5; round++) {
      for (int user = 0; user < 20; user++) {
        podsByUser.computeIfAbsent("user-" + user, u -> new HashSet<>()).add(get(FULL_NAME, "user-" + user));
      }
    }
    assertThat(podsByUser.values()).allSatisfy(answered -> assertThat(answered).hasSize(1));
    Set<String> used = new HashSet<>();
    podsByUser.values().forEach(used::addAll);
    assertThat(used).as("the users spread over the pods").hasSizeGreaterThan(1);
    assertThat(pods.pods.stream().mapToInt(p -> p.users.size()).sum()).isEqualTo(100);
  }

  @Test
  void noPodToSendToIsAnIOExceptionCarryingTheReason() throws IOException {
    client(KDiscoveryInterceptor.builder(discovery));
    assertThatThrownBy(() -> get("http://missing.default.svc.cluster.local/"))
        .isInstanceOf(IOException.class)
        .hasCauseInstanceOf(NoEndpointException.class)
        .satisfies(e -> assertThat(((NoEndpointException) e.getCause()).reason())
            .isEqualTo(NoEndpointException.Reason.SERVICE_NOT_FOUND));

    cluster.publish(pods, Hostnames.slice("hostnames-0").port("default", pods.port)
        .notReady("pod-a", "127.0.0.61").notReady("pod-b", "127.0.0.62").notReady("pod-c", "127.0.0.63"));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThatThrownBy(() -> get(FULL_NAME)).hasCauseInstanceOf(NoEndpointException.class)
            .satisfies(e -> assertThat(((NoEndpointException) e.getCause()).reason())
                .isEqualTo(NoEndpointException.Reason.NO_ENDPOINTS)));
  }

  @Test
  void closingReleasesEveryServiceItBalanced() throws IOException {
    for (int i = 0; i < 20; i++) {
      client(KDiscoveryInterceptor.builder(discovery));
      assertThat(get(FULL_NAME)).startsWith("200");
      assertThat(users()).isEqualTo(2); // the interceptor's balancer, and the test cluster's own handle
      interceptor.close();
      assertThat(interceptor.balancer(KEY)).isNull();
      assertThat(users()).isEqualTo(1);
    }
    interceptor = null;
  }

  private int users() {
    return discovery.table().services().stream().filter(s -> s.key().equals(KEY)).findFirst().orElseThrow().users();
  }
}
