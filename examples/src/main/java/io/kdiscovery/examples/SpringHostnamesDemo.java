package io.kdiscovery.examples;

import static io.kdiscovery.examples.Hostnames.POD_1;
import static io.kdiscovery.examples.Hostnames.POD_2;
import static io.kdiscovery.examples.Hostnames.POD_3;
import static io.kdiscovery.examples.Hostnames.POD_PORT;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.RestClient;

/**
 * The hostnames scenario in a Spring Boot application: with {@code discovery-spring} on the classpath,
 * a {@code @LoadBalanced RestClient} calling {@code http://hostnames/} reaches the three pods directly,
 * {@code DiscoveryClient} lists them with the pods' port (9376, not the Service's 80), and a pod that
 * leaves the Service gets no request after the table has the change: there is no instance-list cache.
 *
 * <p>Run it with {@code bin/demo --example spring}.
 */
public final class SpringHostnamesDemo {

  private static final int REQUESTS = 300;
  private static final long WAIT_NANOS = java.time.Duration.ofSeconds(10).toNanos();

  private final PrintStream out;

  SpringHostnamesDemo(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    new SpringHostnamesDemo(System.out).run();
  }

  /** The whole application: Boot's auto-configuration and one load-balanced client builder. */
  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class Application {

    @Bean
    @LoadBalanced
    RestClient.Builder loadBalanced() {
      return RestClient.builder();
    }
  }

  /** Runs the scenario; returns the requests each pod answered, before and after pod 2 left. */
  Map<String, Map<String, Integer>> run() {
    Map<String, Map<String, Integer>> results = new LinkedHashMap<>();
    try (EmbeddedCluster cluster = new EmbeddedCluster();
         HostnamePod pod1 = new HostnamePod(POD_1, "127.0.0.11", POD_PORT);
         HostnamePod pod2 = new HostnamePod(POD_2, "127.0.0.12", POD_PORT);
         HostnamePod pod3 = new HostnamePod(POD_3, "127.0.0.13", POD_PORT);
         KubernetesClient client = cluster.newClient()) {
      cluster.apply("/hostnames.yaml");
      Map<HostnamePod, Boolean> pods = new LinkedHashMap<>();
      pods.put(pod1, true);
      pods.put(pod2, true);
      pods.put(pod3, true);
      cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);

      // In a cluster no client is given: kdiscovery builds one from the pod's service account.
      try (ConfigurableApplicationContext app = new SpringApplicationBuilder(Application.class)
          .web(WebApplicationType.NONE)
          .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", client))
          .properties("spring.main.banner-mode=off", "spring.main.log-startup-info=false",
              "logging.level.io.fabric8=warn") // the embedded API server logs every request
          .run()) {
        RestClient hostnames = app.getBean(RestClient.Builder.class).baseUrl("http://hostnames").build();

        out.println("== DiscoveryClient.getInstances(\"hostnames\")");
        for (ServiceInstance instance : app.getBean(DiscoveryClient.class).getInstances("hostnames")) {
          out.printf("  %-24s %s:%d  %s%n", instance.getInstanceId(), instance.getHost(), instance.getPort(),
              instance.getUri());
        }

        out.println("== " + REQUESTS + " requests to http://hostnames/ through a @LoadBalanced RestClient");
        results.put("all ready", requests(hostnames));

        out.println("== " + POD_2 + " fails its readinessProbe; " + REQUESTS + " more requests");
        pods.put(pod2, false);
        cluster.publishEndpoints("hostnames", "default", POD_PORT, pods);
        awaitInstances(app.getBean(DiscoveryClient.class), 2);
        results.put(POD_2 + " unready", requests(hostnames));
      }
    }
    return results;
  }

  /** Waits until the live table (which the load balancer reads too) lists {@code count} pods. */
  private static void awaitInstances(DiscoveryClient discovery, int count) {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (discovery.getInstances("hostnames").size() != count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the table did not list " + count + " pods within 10 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a volatile read per millisecond
    }
  }

  private Map<String, Integer> requests(RestClient hostnames) {
    Map<String, Integer> answered = new TreeMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      answered.merge(hostnames.get().uri("/").retrieve().body(String.class).strip(), 1, Integer::sum);
    }
    answered.forEach((pod, count) -> out.printf("  %-24s %4d requests%n", pod, count));
    return answered;
  }
}
