package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.health.OutlierDetection;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.testing.ApiServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.Cache;
import okhttp3.CertificatePinner;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over https the call stays a call to the Service's URL while it reaches a pod picked underneath: SNI
 * is the called Service's name, the pod's certificate and the client's pins are checked against that
 * name on every connection, and a connection checked for one Service never carries another's call.
 *
 * <p>Services {@code a} and {@code b} select the same pod (127.0.0.95), whose certificate names only
 * {@code a}; Services {@code c} and {@code d} select two pods (127.0.0.96, .97) whose certificate
 * names both. Every Service maps its port 443 to the pods' port.
 */
class KDiscoveryInterceptorTlsTest {

  private static final String A = "a.default.svc.cluster.local";
  private static final String B = "b.default.svc.cluster.local";
  private static final String C = "c.default.svc.cluster.local";
  private static final String D = "d.default.svc.cluster.local";
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;

  private static ApiServer api;
  private static KDiscovery discovery;
  private static HttpPods shared;
  private static HttpPods both;
  private static final List<ServiceHandle> watched = new ArrayList<>();
  private static X509Certificate certificateOfA;
  private static X509TrustManager trust;
  private static SSLContext clientTls;

  private KDiscoveryInterceptor interceptor;
  private final List<OkHttpClient> clients = new ArrayList<>();

  @BeforeAll
  static void startClusterAndPods() throws Exception {
    Process makingOnlyA = keytool("only-a", A); // both at once: each is a JVM start
    Process makingCAndD = keytool("c-and-d", C, D);
    KeyStore onlyA = keyStore("only-a", makingOnlyA);
    KeyStore cAndD = keyStore("c-and-d", makingCAndD);
    certificateOfA = (X509Certificate) onlyA.getCertificate("pod");
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("only-a", certificateOfA);
    trusted.setCertificateEntry("c-and-d", cAndD.getCertificate("pod"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    trust = (X509TrustManager) tmf.getTrustManagers()[0];
    clientTls = SSLContext.getInstance("TLS");
    clientTls.init(null, new javax.net.ssl.TrustManager[] {trust}, null);

    shared = new HttpPods(95, serverTls(onlyA), "shared");
    both = new HttpPods(96, serverTls(cAndD), "pod-c1", "pod-c2");
    api = new ApiServer();
    discovery = KDiscovery.builder().kubernetesClient(api.client()).idleTimeout(Duration.ofMinutes(1)).build();
    for (String service : List.of("a", "b")) {
      publish(service, shared);
    }
    for (String service : List.of("c", "d")) {
      publish(service, both);
    }
  }

  @AfterAll
  static void stopAll() {
    watched.forEach(ServiceHandle::close);
    discovery.close();
    api.close();
    shared.close();
    both.close();
  }

  @AfterEach
  void closeClients() {
    clients.forEach(client -> {
      client.connectionPool().evictAll();
      client.dispatcher().executorService().shutdown();
    });
    if (interceptor != null) {
      interceptor.close();
    }
  }

  /** A client as a user installs it now: the interceptor and the trust in the pods' certificates. */
  private OkHttpClient client(KDiscoveryInterceptor.Builder builder) {
    interceptor = builder.build();
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor)
        .sslSocketFactory(clientTls.getSocketFactory(), trust).build();
    clients.add(client);
    return client;
  }

  private static KDiscoveryInterceptor.Builder oneAttemptNoEjection() {
    return KDiscoveryInterceptor.builder(discovery).maxAttempts(1)
        .balancer(LoadBalancer.builder().outlierDetection(OutlierDetection.disabled()));
  }

  private static String get(OkHttpClient client, String url) throws IOException {
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return response.code() + " " + response.body().string().strip();
    }
  }

  @Test
  void sniAndTheCertificateCheckUseTheServicesName() throws IOException {
    OkHttpClient client = client(KDiscoveryInterceptor.builder(discovery));
    both.pods.forEach(pod -> pod.sniAndHost.clear());
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      answered.add(get(client, "https://" + C + "/"));
    }
    assertThat(answered).containsExactlyInAnyOrder("200 pod-c1", "200 pod-c2");
    assertThat(both.pods).allSatisfy(pod -> assertThat(pod.sniAndHost).isNotEmpty().containsOnly(C + " " + C));
  }

  @Test
  void aCertificateForOneServiceIsRejectedForAnotherBeforeAndAfterACallToTheFirst() throws IOException {
    OkHttpClient client = client(oneAttemptNoEjection());
    assertThatThrownBy(() -> get(client, "https://" + B + "/")).isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining(B);
    assertThat(get(client, "https://" + A + "/")).isEqualTo("200 shared");
    // The connection checked for a is now idle in the pool, to the very pod b selects.
    assertThat(client.connectionPool().idleConnectionCount()).isEqualTo(1);
    assertThatThrownBy(() -> get(client, "https://" + B + "/")).isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining(B);
    assertThat(get(client, "https://" + A + "/")).isEqualTo("200 shared");
  }

  @Test
  void underConcurrencyNoCallToTheOtherServiceIsEverAccepted() throws Exception {
    OkHttpClient client = client(oneAttemptNoEjection());
    AtomicInteger aSucceeded = new AtomicInteger();
    AtomicInteger bAccepted = new AtomicInteger();
    AtomicInteger bRejected = new AtomicInteger();
    List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    int threads = 8;
    int callsPerThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Callable<Void>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(() -> {
          for (int i = 0; i < callsPerThread; i++) {
            boolean toA = ThreadLocalRandom.current().nextBoolean();
            try {
              String answer = get(client, "https://" + (toA ? A : B) + "/");
              if (toA && answer.equals("200 shared")) {
                aSucceeded.incrementAndGet();
              } else if (!toA) {
                bAccepted.incrementAndGet();
              }
            } catch (SSLPeerUnverifiedException e) {
              if (toA) {
                unexpected.add(e);
              } else {
                bRejected.incrementAndGet();
              }
            } catch (IOException e) {
              unexpected.add(e);
            }
          }
          return null;
        });
      }
      for (Future<Void> done : pool.invokeAll(workers)) {
        done.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(bAccepted).as("calls to b accepted").hasValue(0);
    assertThat(unexpected).isEmpty();
    assertThat(aSucceeded.get() + bRejected.get()).isEqualTo(threads * callsPerThread);
    assertThat(aSucceeded.get()).as("calls to a").isGreaterThan(threads * callsPerThread / 4);
  }

  @Test
  void aWrongPinForTheServicesNameFailsTheCallAndTheRightOnePasses() throws IOException {
    OkHttpClient client = client(oneAttemptNoEjection());
    OkHttpClient wrongPin = client.newBuilder().certificatePinner(new CertificatePinner.Builder()
        .add(A, "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").build()).build();
    OkHttpClient rightPin = client.newBuilder().certificatePinner(new CertificatePinner.Builder()
        .add(A, CertificatePinner.pin(certificateOfA)).build()).build();

    assertThat(get(rightPin, "https://" + A + "/")).isEqualTo("200 shared");
    assertThatThrownBy(() -> get(wrongPin, "https://" + A + "/")).isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining("Certificate pinning failure");
    // The absolute name is the same Service: the pin set for its name applies too.
    assertThatThrownBy(() -> get(wrongPin, "https://" + A + "./")).isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining("Certificate pinning failure");
    assertThat(get(rightPin, "https://" + A + "./")).isEqualTo("200 shared");
  }

  @Test
  void sniIsTheCalledServicesNameUnderConcurrency() throws Exception {
    OkHttpClient client = client(KDiscoveryInterceptor.builder(discovery));
    both.pods.forEach(pod -> pod.sniAndHost.clear());
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Void>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        workers.add(() -> {
          for (int i = 0; i < 50; i++) {
            assertThat(get(client, "https://" + (ThreadLocalRandom.current().nextBoolean() ? C : D) + "/"))
                .startsWith("200 pod-c");
          }
          return null;
        });
      }
      for (Future<Void> done : pool.invokeAll(workers)) {
        done.get();
      }
    } finally {
      pool.shutdownNow();
    }
    List<String> seen = new ArrayList<>();
    both.pods.forEach(pod -> seen.addAll(pod.sniAndHost));
    assertThat(seen).hasSize(400).containsOnly(C + " " + C, D + " " + D).contains(C + " " + C, D + " " + D);
  }

  @Test
  void aTrailingDotNameIsTheServicesName() throws IOException {
    OkHttpClient client = client(KDiscoveryInterceptor.builder(discovery));
    both.pods.forEach(pod -> pod.sniAndHost.clear());
    assertThat(get(client, "https://" + C + "./")).startsWith("200 pod-c");
    List<String> seen = new ArrayList<>();
    both.pods.forEach(pod -> seen.addAll(pod.sniAndHost));
    assertThat(seen).containsExactly(C + " " + C);
  }

  @Test
  void aHostHeaderTheCallerSetIsKept() throws IOException {
    OkHttpClient client = client(KDiscoveryInterceptor.builder(discovery));
    both.pods.forEach(pod -> pod.sniAndHost.clear());
    Request request = new Request.Builder().url("https://" + C + "/").header("Host", "shop.example").build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    List<String> seen = new ArrayList<>();
    both.pods.forEach(pod -> seen.addAll(pod.sniAndHost));
    assertThat(seen).containsExactly(C + " shop.example");
  }

  @Test
  void cookiesSetByAServiceAreSentBackToTheServicesUrlWhicheverPodAnswers() throws IOException {
    RecordingCookieJar jar = new RecordingCookieJar();
    interceptor = KDiscoveryInterceptor.builder(discovery).build();
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).cookieJar(jar)
        .sslSocketFactory(clientTls.getSocketFactory(), trust).build();
    clients.add(client);
    both.pods.forEach(pod -> pod.cookies.clear());

    String first = get(client, "https://" + C + "/set-cookie").substring(4);
    for (int i = 0; i < 6; i++) {
      assertThat(get(client, "https://" + C + "/")).startsWith("200 pod-c");
    }
    assertThat(jar.hosts()).containsExactly(C);
    // Round robin: both pods answered later calls, and each of those carried the Service's cookie.
    assertThat(both.pods).allSatisfy(pod -> assertThat(pod.cookies).contains("/ session=" + first)
        .filteredOn(line -> line.startsWith("/ ")).containsOnly("/ session=" + first));
  }

  @Test
  void theCacheIsKeyedOnTheServicesUrlAndACachedAnswerAsksNoPod() throws IOException {
    interceptor = KDiscoveryInterceptor.builder(discovery).build();
    try (Cache cache = new Cache(dir.resolve("http-cache").toFile(), 1 << 20)) {
      OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor).cache(cache)
          .sslSocketFactory(clientTls.getSocketFactory(), trust).build();
      clients.add(client);
      int before = both.pods.stream().mapToInt(pod -> pod.requests.get()).sum();
      String first = get(client, "https://" + C + "/cacheable");
      assertThat(get(client, "https://" + C + "/cacheable")).isEqualTo(first);
      assertThat(both.pods.stream().mapToInt(pod -> pod.requests.get()).sum()).isEqualTo(before + 1);
      List<String> urls = new ArrayList<>();
      cache.urls().forEachRemaining(urls::add);
      assertThat(urls).containsExactly("https://" + C + "/cacheable");
      assertThat(cache.hitCount()).isEqualTo(1);
    }
  }

  @Test
  void aRedirectToTheServicesOwnUrlKeepsAuthorizationAndReachesItsPods() throws IOException {
    OkHttpClient client = client(KDiscoveryInterceptor.builder(discovery));
    both.pods.forEach(pod -> pod.authorizations.clear());
    Request request = new Request.Builder().url("https://" + C + "/redirect").header("Authorization", "Bearer t")
        .build();
    try (Response response = client.newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.request().url().toString()).isEqualTo("https://" + C + "/");
      assertThat(response.priorResponse()).isNotNull();
    }
    List<String> seen = new ArrayList<>();
    both.pods.forEach(pod -> seen.addAll(pod.authorizations));
    assertThat(seen).containsExactlyInAnyOrder("/redirect Bearer t", "/ Bearer t");
  }

  @Test
  @SuppressWarnings("deprecation")
  void theFormerInstallationWithTheInterceptorsTlsHelpersStillWorks() throws IOException {
    interceptor = KDiscoveryInterceptor.builder(discovery).maxAttempts(1).build();
    OkHttpClient plain = new OkHttpClient();
    OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor)
        .sslSocketFactory(interceptor.sslSocketFactory(clientTls.getSocketFactory()), trust)
        .hostnameVerifier(interceptor.hostnameVerifier(plain.hostnameVerifier()))
        .build();
    clients.add(client);
    assertThat(get(client, "https://" + A + "/")).isEqualTo("200 shared");
    assertThatThrownBy(() -> get(client, "https://" + B + "/")).isInstanceOf(SSLPeerUnverifiedException.class);
    assertThat(get(client, "https://" + C + "/")).startsWith("200 pod-c");
  }

  /** Cookies by the host they were set for. */
  private static final class RecordingCookieJar implements CookieJar {
    private final Map<String, List<Cookie>> byHost = new HashMap<>();

    @Override
    public synchronized void saveFromResponse(HttpUrl url, List<Cookie> cookies) {
      byHost.computeIfAbsent(url.host(), h -> new ArrayList<>()).addAll(cookies);
    }

    @Override
    public synchronized List<Cookie> loadForRequest(HttpUrl url) {
      List<Cookie> matching = new ArrayList<>();
      byHost.values().forEach(list -> list.stream().filter(c -> c.matches(url)).forEach(matching::add));
      return matching;
    }

    synchronized Set<String> hosts() {
      return byHost.keySet();
    }
  }

  // ---- the cluster

  private static void publish(String service, HttpPods pods) {
    api.admin().resource(new ServiceBuilder().withNewMetadata().withName(service).withNamespace("default")
        .endMetadata().withNewSpec().addNewPort().withName("https").withPort(443).withNewTargetPort(8443)
        .endPort().endSpec().build()).create();
    EndpointSliceBuilder slice = new EndpointSliceBuilder().withNewMetadata().withName(service + "-0").withNamespace("default")
        .addToLabels("kubernetes.io/service-name", service).endMetadata().withAddressType("IPv4");
    for (HttpPods.Pod pod : pods.pods) {
      slice.addNewEndpoint().withAddresses(pod.ip).withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName(pod.name).endTargetRef().endEndpoint();
    }
    api.admin().resource(slice.addNewPort().withName("https").withPort(pods.port).withProtocol("TCP").endPort()
        .build()).create();
    ServiceHandle handle = discovery.open(ServiceKey.of("default", service, 443));
    watched.add(handle);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(handle.snapshot())
        .hasValueSatisfying(s -> assertThat(s.usableEndpoints()).as(s.toString()).hasSize(pods.pods.size())));
  }

  private static SSLContext serverTls(KeyStore keys) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  /** Makes a key and a self-signed certificate for {@code dnsNames} only with the JDK's keytool. */
  private static Process keytool(String file, String... dnsNames) throws IOException {
    String san = "SAN=" + String.join(",", Arrays.stream(dnsNames).map(n -> "dns:" + n).toList());
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "pod", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + dnsNames[0],
        "-ext", san, "-validity", "2", "-storetype", "PKCS12", "-keystore", dir.resolve(file + ".p12").toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)).redirectErrorStream(true).start();
  }

  private static KeyStore keyStore(String file, Process keytool) throws Exception {
    String output = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(file + ".p12"))) {
      keys.load(in, PASSWORD);
    }
    return keys;
  }
}
