package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.kdiscovery.spring.testing.Pods;
import io.kdiscovery.spring.testing.WebService;
import io.kdiscovery.testing.ApiServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;

/**
 * The Spring figure of BENCHMARKS.md: how long after an EndpointSlice change a {@code @LoadBalanced}
 * {@code RestClient} stops reaching the removed pod, kdiscovery against Spring Cloud Kubernetes'
 * fabric8 discovery with Spring Cloud LoadBalancer's defaults (its instance-list cache included), both
 * applications running at once on the same mock API server and the same three real HTTP pods.
 *
 * <p>Each client sends one request every 10 ms. A trial removes pod 3 from the Service (its server
 * keeps answering, as a draining pod does) and measures, per client, the time from just before the
 * object that client reads was written until the end of the last request that pod 3 answered; 0 when
 * none did. Then pod 3 comes back and both clients must reach it again before the next trial. Spring
 * Cloud Kubernetes reads {@code v1/Endpoints}, kdiscovery reads EndpointSlices; the mock server has no
 * controller to mirror one into the other, so each change writes the Endpoints object and then the
 * EndpointSlice, and each client's time starts when the write of its own object starts. (A write
 * to the mock server, a failed create then an update, takes tens of milliseconds; it is printed.) Each removal comes after a random pause of 0-35 s (seeded), so that it falls at a random
 * moment of the peer's 35 s cache period rather than always just after a refresh. For reference the
 * run also prints when kdiscovery's table itself had the change (a snapshot listener in the same
 * application).
 *
 * <p>Run (argument: trials, default 5):
 * <pre>
 * mvn -B -q -pl discovery-core,discovery-spring package -DskipTests dependency:build-classpath \
 *   -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test &amp;&amp; \
 * java -cp discovery-spring/target/test-classes:discovery-spring/target/classes:$(cat discovery-spring/target/cp.txt) \
 *   io.kdiscovery.spring.PropagationFigure 5
 * </pre>
 */
public final class PropagationFigure {

  private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final Duration QUIET = Duration.ofSeconds(3);
  private static final Duration GIVE_UP = Duration.ofSeconds(120);

  private PropagationFigure() {}

  public static void main(String[] args) throws Exception {
    int trials = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    try (ApiServer api = new ApiServer(); Pods pods = Pods.start("web", 3)) {
      WebService web = new WebService(api, pods);
      web.create();
      api.admin().resource(endpoints(pods, Set.copyOf(pods.podByIp().keySet()))).createOr(e -> e.update());
      try (ConfigurableApplicationContext kdiscovery = app(api, "kdiscovery.enabled=true",
              "spring.cloud.kubernetes.enabled=false", "spring.cloud.kubernetes.discovery.enabled=false",
            // spring-retry is on the test classpath for RetryAndPerServiceSettingsTest only
            "spring.cloud.loadbalancer.retry.enabled=false");
          ConfigurableApplicationContext peer = app(api, "kdiscovery.enabled=false",
              "spring.cloud.kubernetes.discovery.namespaces=default",
              // Spring Cloud Kubernetes discovery only runs on the Kubernetes platform; this JVM is not in a pod.
              "spring.main.cloud-platform=kubernetes")) {
        Probe ours = new Probe("kdiscovery", kdiscovery.getBean(RestClient.Builder.class).build());
        Probe theirs = new Probe("spring-cloud-kubernetes", peer.getBean(RestClient.Builder.class).build());
        ours.start();
        theirs.start();
        awaitReaching(List.of(ours, theirs), "web-3");
        AtomicLong tableLostPod3At = new AtomicLong(Long.MIN_VALUE);
        kdiscovery.getBean(ServiceDirectory.class).entryForBalancing("web").orElseThrow().handle().subscribe(snapshot -> {
          if (snapshot.readyEndpoints().stream().noneMatch(e -> e.address().equals(Pods.ip(3)))) {
            tableLostPod3At.compareAndSet(Long.MIN_VALUE, System.nanoTime());
          }
        });
        Random random = new Random(42);
        List<Long> oursMillis = new ArrayList<>();
        List<Long> theirsMillis = new ArrayList<>();
        List<Long> tableMillis = new ArrayList<>();
        for (int trial = 1; trial <= trials; trial++) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(35_000)));
          tableLostPod3At.set(Long.MIN_VALUE);
          Set<String> remaining = Set.of(Pods.ip(1), Pods.ip(2));
          long endpointsWriteStart = System.nanoTime();
          api.admin().resource(endpoints(pods, remaining)).createOr(e -> e.update());
          long sliceWriteStart = System.nanoTime();
          web.readyPods(remaining);
          long sliceWritten = System.nanoTime();
          awaitQuiet(List.of(ours, theirs), endpointsWriteStart);
          long a = ours.millisSince(sliceWriteStart);
          long b = theirs.millisSince(endpointsWriteStart);
          long table = TimeUnit.NANOSECONDS.toMillis(tableLostPod3At.get() - sliceWriteStart);
          oursMillis.add(a);
          theirsMillis.add(b);
          tableMillis.add(table);
          System.out.printf(Locale.ROOT,
              "trial %d: kdiscovery %d ms (its table: %d ms; the slice write took %d ms), spring-cloud-kubernetes %d ms%n",
              trial, a, table, TimeUnit.NANOSECONDS.toMillis(sliceWritten - sliceWriteStart), b);
          change(api, web, pods, Set.copyOf(pods.podByIp().keySet()));
          awaitReaching(List.of(ours, theirs), "web-3");
        }
        ours.stop();
        theirs.stop();
        System.out.println("time from the write of the object a client reads until it stopped reaching the removed pod, "
            + trials + " trials:");
        System.out.println("  kdiscovery              " + summary(oursMillis));
        System.out.println("  spring-cloud-kubernetes " + summary(theirsMillis));
        System.out.println("  (kdiscovery's table     " + summary(tableMillis) + ")");
      }
    }
    System.exit(0); // the peer's informer threads are not all daemons
  }

  private static ConfigurableApplicationContext app(ApiServer api, String... properties) {
    return new SpringApplicationBuilder(WebApplication.class)
        .web(WebApplicationType.NONE)
        .initializers(context -> context.getBeanFactory().registerSingleton("kubernetesClient", api.client()))
        .properties(properties)
        .properties("logging.level.root=warn")
        .run();
  }

  /** What the endpoints controllers would publish for these ready pods: the Endpoints, then the slice. */
  private static void change(ApiServer api, WebService web, Pods pods, Set<String> readyIps) {
    api.admin().resource(endpoints(pods, readyIps)).createOr(e -> e.update());
    web.readyPods(readyIps);
  }

  private static Endpoints endpoints(Pods pods, Set<String> readyIps) {
    EndpointsBuilder builder = new EndpointsBuilder()
        .withNewMetadata().withName(WebService.NAME).withNamespace(WebService.NAMESPACE).endMetadata();
    var subset = builder.addNewSubset();
    pods.podByIp().forEach((ip, pod) -> {
      if (readyIps.contains(ip)) {
        subset.addNewAddress().withIp(ip).withNodeName("node-1")
            .withNewTargetRef().withKind("Pod").withName(pod).withNamespace(WebService.NAMESPACE).endTargetRef()
            .endAddress();
      }
    });
    subset.addNewPort().withName("http").withPort(pods.port()).withProtocol("TCP").endPort();
    subset.addNewPort().withName("metrics").withPort(WebService.METRICS_TARGET_PORT).withProtocol("TCP").endPort();
    return subset.endSubset().build();
  }

  private static void awaitReaching(List<Probe> probes, String pod) {
    long since = System.nanoTime();
    long deadline = since + GIVE_UP.toNanos();
    while (!probes.stream().allMatch(p -> p.lastHitOf3.get() > since)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("a client did not reach " + pod + " again within " + GIVE_UP);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /** Waits until no client has reached pod 3 for {@link #QUIET}. */
  private static void awaitQuiet(List<Probe> probes, long changedAt) {
    long deadline = changedAt + GIVE_UP.toNanos();
    while (true) {
      long now = System.nanoTime();
      boolean quiet = probes.stream().allMatch(p -> now - Math.max(p.lastHitOf3.get(), changedAt) > QUIET.toNanos());
      if (quiet) {
        return;
      }
      if (now > deadline) {
        throw new IllegalStateException("a client kept reaching the removed pod for " + GIVE_UP);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private static String summary(List<Long> millis) {
    List<Long> sorted = new ArrayList<>(millis);
    Collections.sort(sorted);
    long median = sorted.get(sorted.size() / 2);
    return String.format(Locale.ROOT, "median %d ms, min %d ms, max %d ms, all %s", median, sorted.get(0),
        sorted.get(sorted.size() - 1), millis);
  }

  /** One client sending a request every 10 ms, remembering when pod 3 last answered. */
  private static final class Probe {
    private final String name;
    private final RestClient client;
    private final AtomicLong lastHitOf3 = new AtomicLong(Long.MIN_VALUE);
    private final Thread thread;
    private volatile boolean running = true;

    Probe(String name, RestClient client) {
      this.name = name;
      this.client = client;
      this.thread = new Thread(this::run, "probe-" + name);
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }

    long millisSince(long changedAt) {
      long last = lastHitOf3.get();
      return last <= changedAt ? 0 : TimeUnit.NANOSECONDS.toMillis(last - changedAt);
    }

    private void run() {
      long next = System.nanoTime();
      while (running) {
        try {
          String pod = client.get().uri("http://web/").retrieve().body(String.class);
          if ("web-3".equals(pod)) {
            lastHitOf3.set(System.nanoTime());
          }
        } catch (RuntimeException e) {
          System.err.println(name + ": " + e);
        }
        next += PACE_NANOS;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        } else {
          next = System.nanoTime();
        }
      }
    }
  }
}
