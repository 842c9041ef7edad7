package io.kdiscovery.examples;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.kdiscovery.BalancedService;
import io.kdiscovery.KDiscovery;
import io.kdiscovery.balancing.LoadBalancer;
import io.kdiscovery.balancing.NoEndpointException;
import io.kdiscovery.balancing.Pick;
import io.kdiscovery.balancing.PickContext;
import io.kdiscovery.balancing.Policy;
import io.kdiscovery.balancing.RequestAttempts;
import io.kdiscovery.model.Endpoint;
import io.kdiscovery.model.ServiceSnapshot;
import io.kdiscovery.okhttp.KDiscoveryDns;
import io.kdiscovery.okhttp.KDiscoveryInterceptor;
import io.kdiscovery.source.Backoff;
import io.kdiscovery.table.ServiceHandle;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import okhttp3.CertificatePinner;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/**
 * The code snippets of README.md, compiled with the build so they cannot drift: each region between
 * {@code // tag::name[]} and {@code // end::name[]} appears in the README word for word
 * ({@link ReadmeSnippetsTest} checks it). Nothing here runs; each method takes what it needs.
 */
@SuppressWarnings("unused")
final class ReadmeSnippets {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private ReadmeSnippets() {}

  static void pickPerRequest() throws InterruptedException {
    // tag::core[]
    KDiscovery discovery = KDiscovery.create();            // fabric8's standard configuration; share it

    try (BalancedService hostnames = discovery.balance("hostnames.default:80",
            LoadBalancer.builder().policy(Policy.LEAST_REQUEST))) {
      hostnames.awaitSnapshot(Duration.ofSeconds(5));

      Pick pick = hostnames.pick();                         // throws NoEndpointException, never null
      long start = System.nanoTime();
      try {
        String body = call("http://" + pick.endpoint().hostPort() + "/");   // 10.244.0.5:9376
        pick.success(System.nanoTime() - start);
      } catch (IOException e) {
        pick.failure(System.nanoTime() - start);            // feeds passive health
      }
    }
    // end::core[]
  }

  static String retried(BalancedService hostnames, String userId) throws IOException, InterruptedException {
    // tag::retries[]
    RequestAttempts attempts = RequestAttempts.start(hostnames.balancer(), PickContext.forKey(userId));
    IOException failure = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      Pick pick = attempts.next();                          // a pod this request has not tried yet
      long start = System.nanoTime();
      try {
        String body = call("http://" + pick.endpoint().hostPort() + "/");
        pick.success(System.nanoTime() - start);
        return body;
      } catch (IOException e) {
        pick.failure(System.nanoTime() - start);
        failure = e;
      }
    }
    throw failure;
    // end::retries[]
  }

  static void liveTable(KDiscovery discovery) {
    // tag::table[]
    try (ServiceHandle hostnames = discovery.open("hostnames.default:80")) {
      ServiceSnapshot snapshot = hostnames.awaitSnapshot(Duration.ofSeconds(5));
      for (Endpoint pod : snapshot.usableEndpoints()) {
        System.out.println(pod.hostPort() + " " + pod.podName());       // 10.244.0.5:9376 hostnames-x2k8p
      }
      hostnames.subscribe(s -> System.out.println("now " + s.usableEndpoints()));  // every later change
    }
    // end::table[]
  }

  static KDiscovery configured(KubernetesClient myClient) {
    // tag::config[]
    KDiscovery discovery = KDiscovery.builder()
        .kubernetesClient(myClient)                 // default: built on first use, see below
        .namespace("shop")                          // for names without one; default: the client's
        .idleTimeout(Duration.ofSeconds(30))        // keep a Service watched after its last handle closes
        .backoff(Backoff.of(Duration.ofMillis(250), Duration.ofSeconds(30)))  // retry while the API is away
        .clock(Clock.systemUTC())                   // stamps snapshots and status; inject for tests
        .build();
    // end::config[]
    return discovery;
  }

  static void grpc() {
    // tag::grpc[]
    ManagedChannel channel = ManagedChannelBuilder.forTarget("kubernetes:///hostnames.default:80")
        .defaultLoadBalancingPolicy("round_robin")        // or "kdiscovery": see docs/grpc.md
        .usePlaintext()
        .build();
    // end::grpc[]
    channel.shutdownNow();
  }

  /** The Spring snippet's bean, in a configuration class of the application. */
  static final class SpringApplication {
    // tag::spring-bean[]
    @Bean @LoadBalanced RestClient.Builder loadBalanced() { return RestClient.builder(); }
    // end::spring-bean[]

    String page(RestClient.Builder builder) {
      // tag::spring-call[]
      RestClient web = builder.baseUrl("http://web").build();   // Service "web", the app's namespace
      String page = web.get().uri("/").retrieve().body(String.class);
      // end::spring-call[]
      return page;
    }
  }

  static void okhttp(KDiscovery discovery) throws IOException {
    // tag::okhttp[]
    KDiscoveryInterceptor pods = KDiscoveryInterceptor.builder(discovery)
        .balancer(LoadBalancer.builder().policy(Policy.LEAST_REQUEST))
        .affinityHeader("X-User")                  // optional: one user, one pod (sticky or ring hash)
        .build();
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(pods)                      // a pod per call, outcomes to passive health, retries
        .dns(KDiscoveryDns.create(discovery))      // optional: Service names resolve from the table too
        .build();

    Request request = new Request.Builder().url("http://hostnames.default.svc.cluster.local/").build();
    try (Response response = client.newCall(request).execute()) {   // Host: hostnames.default.svc...
      System.out.println(response.body().string());                 // hostnames-7d4c9-x2k8p
    }
    // end::okhttp[]
  }

  static OkHttpClient okhttpTls(KDiscoveryInterceptor pods, SSLContext clusterCa, X509TrustManager trust) {
    // tag::okhttp-tls[]
    OkHttpClient client = new OkHttpClient.Builder()
        .addInterceptor(pods)                                  // the URL keeps the Service's name
        .sslSocketFactory(clusterCa.getSocketFactory(), trust) // trusts the CA of the pods' certificates
        .certificatePinner(new CertificatePinner.Builder()     // optional: pins for the Service's name
            .add("payments.shop.svc.cluster.local", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .build())
        .build();
    // https://payments.shop.svc.cluster.local/: SNI, certificate and pins checked against that name
    // end::okhttp-tls[]
    return client;
  }

  static boolean noEndpoints(BalancedService hostnames) {
    try {
      hostnames.pick();
      return false;
    } catch (NoEndpointException e) {
      return e.reason() == NoEndpointException.Reason.NO_ENDPOINTS;
    }
  }

  private static String call(String url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
