package io.kdiscovery.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.testing.ApiServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over https the interceptor still talks to the pod's IP, yet the handshake names the Service: SNI is
 * the Service's name and the pod's certificate, issued for that name only, is accepted.
 */
class KDiscoveryInterceptorTlsTest {

  private static final String SERVICE_NAME = "secure.default.svc.cluster.local";
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  Path dir;
  /** Trusts the pods' certificate; set by {@link #tlsFor}. */
  private X509TrustManager trust;

  @Test
  void sniAndTheCertificateCheckUseTheServicesName() throws Exception {
    SSLContext tls = tlsFor(SERVICE_NAME);
    try (ApiServer api = new ApiServer(); HttpPods pods = new HttpPods(91, tls, "secure-a", "secure-b")) {
      api.admin().resource(new ServiceBuilder().withNewMetadata().withName("secure").withNamespace("default")
          .endMetadata().withNewSpec().addNewPort().withName("https").withPort(443).withNewTargetPort(8443)
          .endPort().endSpec().build()).create();
      api.admin().resource(new EndpointSliceBuilder().withNewMetadata().withName("secure-0").withNamespace("default")
          .addToLabels("kubernetes.io/service-name", "secure").endMetadata().withAddressType("IPv4")
          .addNewEndpoint().withAddresses("127.0.0.91").withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName("secure-a").endTargetRef().endEndpoint()
          .addNewEndpoint().withAddresses("127.0.0.92").withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName("secure-b").endTargetRef().endEndpoint()
          .addNewPort().withName("https").withPort(pods.port).withProtocol("TCP").endPort().build()).create();

      try (KDiscovery discovery = KDiscovery.builder().kubernetesClient(api.client()).build();
           KDiscoveryInterceptor interceptor = KDiscoveryInterceptor.builder(discovery).build()) {
        OkHttpClient plain = new OkHttpClient();
        OkHttpClient client = new OkHttpClient.Builder().addInterceptor(interceptor)
            .sslSocketFactory(interceptor.sslSocketFactory(tls.getSocketFactory()), trust)
            .hostnameVerifier(interceptor.hostnameVerifier(plain.hostnameVerifier()))
            .build();
        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 4; i++) {
          try (Response response = client.newCall(new Request.Builder().url("https://" + SERVICE_NAME + "/").build())
              .execute()) {
            assertThat(response.code()).isEqualTo(200);
            answered.add(response.body().string().strip());
          }
        }
        assertThat(answered).containsExactlyInAnyOrder("secure-a", "secure-b");
        assertThat(pods.pods).allSatisfy(pod -> {
          assertThat(pod.sniNames).isNotEmpty().containsOnly(SERVICE_NAME);
          assertThat(pod.hostHeaders).containsOnly(SERVICE_NAME);
        });
        client.connectionPool().evictAll();
        client.dispatcher().executorService().shutdown();
      }
    }
  }

  /** A key and a self-signed certificate for {@code dnsName} only, made by the JDK's keytool. */
  private SSLContext tlsFor(String dnsName) throws Exception {
    Path store = dir.resolve("pod.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "pod", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + dnsName,
        "-ext", "SAN=dns:" + dnsName, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)).redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    KeyStore keys = keyStore(store);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keys);
    trust = (X509TrustManager) tmf.getTrustManagers()[0];
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  private static KeyStore keyStore(Path file) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, PASSWORD);
    }
    return store;
  }
}
