package io.kdiscovery.examples;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.table.SnapshotTimeoutException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/demo}: the hostnames scenario live in the terminal (see {@link DemoOptions#USAGE}).
 *
 * <ul>
 *   <li>by default (and with {@code --quick}), the scripted {@link Chapters} on an embedded API server
 *       whose Deployment's pods are real HTTP servers on 127.0.0.11, .12, …:9376;
 *   <li>{@code --serve}: the same cluster kept running for {@code kubectl}, with steady traffic;
 *   <li>{@code --service NAME.NS:PORT}: a real cluster's Service, watched read-only.
 * </ul>
 *
 * <p>{@link #run} returns the exit code; {@link #stop} ends a {@code --serve} or watch run early.
 */
public final class HostnamesDemo {

  private final DemoOptions options;
  private final PrintStream out;
  private final boolean ansi;
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile Path kubeconfig;

  HostnamesDemo(DemoOptions options, PrintStream out, boolean terminal) {
    this.options = options;
    this.out = out;
    this.ansi = terminal && !options.plain();
  }

  public static void main(String[] args) {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bin/demo: " + e.getMessage());
      System.err.println(DemoOptions.USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(DemoOptions.USAGE);
      return;
    }
    boolean terminal = System.console() != null && !"dumb".equals(System.getenv("TERM"));
    HostnamesDemo demo = new HostnamesDemo(options, System.out, terminal);
    Thread main = Thread.currentThread();
    java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      interrupted.set(true);
      demo.stop(); // Ctrl-C in --serve or watch mode: close everything before the JVM goes
      try {
        main.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "demo-shutdown"));
    int code = demo.run();
    System.out.flush();
    if (!interrupted.get()) {
      // Every thread the demo started is closed; exit with the demo's verdict. (Not during a Ctrl-C:
      // System.exit would wait for the shutdown hook, which waits for this thread.)
      System.exit(code);
    }
  }

  /** Runs the chosen mode; returns the exit code (0: every check held). */
  int run() {
    try {
      if (options.service().isPresent()) {
        return watchRealCluster();
      }
      return options.serve() ? serve() : script();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.println("interrupted");
      return 130;
    } catch (RuntimeException e) {
      out.println();
      out.println("bin/demo failed: " + e);
      e.printStackTrace(out);
      return 1;
    }
  }

  /** Ends a {@code --serve} or watch run (the scripted one ends by itself). */
  void stop() {
    stop.countDown();
  }

  /** Where {@code --serve} wrote its kubeconfig, once it did. */
  Path kubeconfig() {
    return kubeconfig;
  }

  private int script() throws InterruptedException {
    DemoTiming timing = options.timing();
    List<String> failed;
    try (LiveView view = new LiveView(out, ansi, timing.redraw(), heading("hostnames", "embedded API server"));
         DemoStack stack = DemoStack.embedded(timing, view)) {
      failed = new Chapters(stack, timing).run();
    }
    out.println();
    out.println(failed.isEmpty() ? "demo finished: every check held" : "demo finished: FAILED " + failed);
    return failed.isEmpty() ? 0 : 1;
  }

  private int serve() throws InterruptedException {
    DemoTiming timing = DemoTiming.FULL;
    try (LiveView view = new LiveView(out, ansi, timing.redraw(), heading("hostnames", "embedded API server, --serve"));
         DemoStack stack = DemoStack.embedded(timing, view)) {
      Path file = options.writeKubeconfig().orElseGet(HostnamesDemo::defaultKubeconfig);
      kubeconfig = stack.cluster.writeKubeconfig(file);
      stack.controller.await("3 pods ready",
          pods -> pods.stream().filter(PodController.PodView::ready).count() == 3, Duration.ofSeconds(20));
      stack.load.start();
      view.chapter("serving: drive the embedded cluster with kubectl; the table follows (Ctrl-C ends)");
      view.result("export KUBECONFIG=" + file);
      view.result("kubectl get endpointslices,pods");
      view.result("kubectl scale deployment hostnames --replicas=5");
      view.result("kubectl delete pod <name>");
      view.result("API server " + stack.cluster.url());
      awaitStop();
    }
    return 0;
  }

  private int watchRealCluster() throws InterruptedException {
    String target = options.service().orElseThrow();
    KubernetesClient client = options.kubeconfig().map(HostnamesDemo::clientFrom)
        .orElseGet(() -> new KubernetesClientBuilder().build());
    ServiceKey key = ServiceKey.parse(target, client.getNamespace() == null ? "default" : client.getNamespace());
    try (LiveView view = new LiveView(out, ansi, DemoTiming.FULL.redraw(),
            heading(key.name(), client.getMasterUrl() + ", read-only" + (options.send() ? ", sending GET /" : "")));
         DemoStack stack = DemoStack.watching(client, key.name() + "." + key.namespace() + ":" + key.port(), view,
             options.send())) {
      view.chapter("watching " + key + " (never writes to the cluster; Ctrl-C ends)");
      if (stack.load != null) {
        Duration wait = options.duration().filter(d -> d.compareTo(Duration.ofSeconds(30)) < 0)
              .orElse(Duration.ofSeconds(30));
        try {
          stack.hostnames.awaitSnapshot(wait);
          stack.load.start();
        } catch (SnapshotTimeoutException e) {
          view.result("no table within " + wait + ", so no request sent: " + e.getMessage());
        }
      }
      awaitStop();
      var status = stack.hostnames.handle().status();
      view.result("source " + status.state() + (status.detail() == null ? "" : ": " + status.detail()));
      if (stack.load != null) {
        TrafficStats.Counts c = stack.stats.counts();
        view.result("sent " + c.requests() + " requests: " + c.answered().size() + " pods answered " + c.answered()
            + ", " + c.failures() + " failed, " + c.noEndpoint() + " refused (no endpoints)");
      }
    }
    return 0;
  }

  private void awaitStop() throws InterruptedException {
    if (options.duration().isPresent()) {
      stop.await(options.duration().get().toMillis(), TimeUnit.MILLISECONDS);
    } else {
      stop.await();
    }
  }

  private static KubernetesClient clientFrom(Path kubeconfig) {
    try {
      return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the kubeconfig " + kubeconfig, e);
    }
  }

  private static Path defaultKubeconfig() {
    return Path.of(System.getProperty("java.io.tmpdir"), "kdiscovery-demo.kubeconfig");
  }

  private static String heading(String service, String where) {
    return "kdiscovery demo: Service " + service + ", " + where;
  }
}
