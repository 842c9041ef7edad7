package io.kdiscovery.starter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.kdiscovery.testing.ApiServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;

/**
 * An application whose only dependency is the starter (the rest of this module's test classpath is
 * the mock API server and JUnit) calls {@code http://web/} through a {@code @LoadBalanced RestClient}
 * and reaches real HTTP pods, each on its own loopback address.
 */
class StarterApplicationTest {

  private static final List<String> POD_IPS = List.of("127.0.0.21", "127.0.0.22");

  private ApiServer api;
  private final List<HttpServer> pods = new ArrayList<>();
  private ConfigurableApplicationContext app;

  /** The application a user writes: auto-configuration and a load-balanced client builder, nothing else. */
  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class UserApplication {
    @Bean
    @LoadBalanced
    RestClient.Builder restClientBuilder() {
      return RestClient.builder();
    }
  }

  @BeforeEach
  void clusterWithTwoPods() throws IOException {
    // Both pods listen on one port, as a Deployment's pods share their container port.
    HttpServer first = HttpServer.create(new InetSocketAddress(POD_IPS.get(0), 0), 16);
    int port = first.getAddress().getPort();
    pods.add(first);
    pods.add(HttpServer.create(new InetSocketAddress(POD_IPS.get(1), port), 16));
    for (int i = 0; i < pods.size(); i++) {
      byte[] name = ("web-" + (i + 1)).getBytes(StandardCharsets.UTF_8);
      pods.get(i).createContext("/", exchange -> {
        exchange.sendResponseHeaders(200, name.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(name);
        }
      });
      pods.get(i).start();
    }
    api = new ApiServer();
    api.apply(new ServiceBuilder().withNewMetadata().withName("web").withNamespace("default").endMetadata()
        .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(port)).endPort()
        .endSpec().build());
    EndpointSliceBuilder slice = new EndpointSliceBuilder().withNewMetadata().withName("web-1").withNamespace("default")
        .addToLabels("kubernetes.io/service-name", "web").endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort();
    for (int i = 0; i < POD_IPS.size(); i++) {
      slice.addToEndpoints(new EndpointBuilder().withAddresses(POD_IPS.get(i))
          .withNewConditions().withReady(true).endConditions()
          .withNewTargetRef().withKind("Pod").withName("web-" + (i + 1)).endTargetRef().build());
    }
    api.apply(slice.build());
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
    pods.forEach(p -> p.stop(0));
    api.close();
  }

  @Test
  void aLoadBalancedRestClientReachesEveryPodOfTheService() {
    app = new SpringApplicationBuilder(UserApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .run();
    RestClient web = app.getBean(RestClient.Builder.class).baseUrl("http://web").build();

    Set<String> reached = new HashSet<>();
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      reached.add(web.get().uri("/").retrieve().body(String.class));
      return reached.size() == 2;
    });

    assertThat(reached).containsExactlyInAnyOrder("web-1", "web-2");
    assertThat(app.getBean(DiscoveryClient.class).getServices()).contains("web");
    // The context started, so kdiscovery's start-up check found the fabric8 it was built against (8, not
    // Spring Cloud's 7.4); and the starter needs no OkHttp: the core's client runs on the JDK's transport.
    assertThat(io.fabric8.kubernetes.client.Version.clientVersion()).startsWith("8.");
    assertThat(getClass().getClassLoader().getResource("okhttp3/OkHttp.class")).isNull();
  }
}
