package io.kdiscovery.examples;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of Kubernetes the demo needs besides the API server: the Deployment controller (pods for
 * {@code spec.replicas}, rolling updates with maxSurge 1 and maxUnavailable 0), the kubelet (each pod
 * is a real {@link HostnamePod} on its own loopback address; its readinessProbe passes after
 * {@link DemoTiming#readinessDelay}; a deleted pod keeps serving for {@link DemoTiming#terminationGrace})
 * and the EndpointSlice controller ({@link SlicePlan}). It reacts to the Deployment and its pods in the
 * API server, so {@code kubectl scale} and {@code kubectl delete pod} work as in a cluster.
 *
 * <p>Concurrency: all state lives on one thread, {@code demo-controller}; watch events and the demo's
 * commands are handed to it, and queries read a copy made there.
 */
final class PodController implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PodController.class);
  /** The addresses only the demo binds (see the project's rules): ten pods at most. */
  private static final int FIRST_IP = 11;
  private static final int LAST_IP = 20;
  private static final String SAFE = "bcdfghjklmnpqrstvwxz2456789"; // Kubernetes' name suffix alphabet
  private static final int MAX_SURGE = 1;

  /** A pod as the demo shows it: a copy made on the controller thread. */
  record PodView(String name, String ip, String templateHash, String zone, boolean probePasses,
      boolean terminating, boolean processAlive) {

    boolean ready() {
      return probePasses && !terminating;
    }
  }

  private static final class SimPod {
    final String name;
    final String ip;
    final String hash;
    final String zone;
    final String node;
    HostnamePod process;
    boolean probePasses;
    boolean probeForcedToFail;
    boolean terminating;

    SimPod(String name, String ip, String hash, int index) {
      this.name = name;
      this.ip = ip;
      this.hash = hash;
      this.zone = "zone-" + (char) ('a' + index % 3);
      this.node = "node-" + (1 + index % 3);
    }

    boolean ready() {
      return probePasses && !terminating;
    }

    PodView view() {
      return new PodView(name, ip, hash, zone, probePasses, terminating, process != null);
    }

    SlicePlan.PodState state() {
      return new SlicePlan.PodState(name, ip, zone, node, probePasses, terminating);
    }
  }

  private final KubernetesClient api;
  private final String namespace;
  private final String deployment;
  private final String service;
  private final String portName;
  private final int podPort;
  private final DemoTiming timing;
  private final PropagationClock clock;
  private final Consumer<String> events;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
      LoadGenerator.daemon("demo-controller"));
  private final Random random = new Random();
  private final Map<String, SimPod> pods = new LinkedHashMap<>();
  private final Deque<Integer> freeIps = new ArrayDeque<>();
  private final List<Watch> watches = new ArrayList<>();
  private int replicas;
  private String templateHash;
  private final Map<String, String> sliceVersions = new LinkedHashMap<>();
  private int slicesPublished;
  private boolean waitingForAddress;
  private volatile boolean closed;

  PodController(KubernetesClient api, String namespace, String deployment, String service, String portName,
      int podPort, DemoTiming timing, PropagationClock clock, Consumer<String> events) {
    this.api = api;
    this.namespace = namespace;
    this.deployment = deployment;
    this.service = service;
    this.portName = portName;
    this.podPort = podPort;
    this.timing = timing;
    this.clock = clock;
    this.events = events;
    for (int i = FIRST_IP; i <= LAST_IP; i++) {
      freeIps.addLast(i);
    }
  }

  /** Reads the Deployment, starts its pods and follows later changes of it and of its pods. */
  void start() {
    Deployment d = api.apps().deployments().inNamespace(namespace).withName(deployment).get();
    if (d == null) {
      throw new IllegalStateException("no Deployment " + namespace + "/" + deployment + " in the API server");
    }
    perform(() -> onDeployment(d));
    watches.add(api.apps().deployments().inNamespace(namespace).withName(deployment).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, Deployment resource) {
        if (action == Action.ADDED || action == Action.MODIFIED) {
          run(() -> onDeployment(resource));
        }
      }

      @Override
      public void onClose(WatcherException cause) {
        if (!closed) {
          log.warn("the demo's watch of Deployment {} ended: {}", deployment, cause.getMessage());
        }
      }
    }));
    watches.add(api.pods().inNamespace(namespace).withLabel("app", deployment).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, Pod resource) {
        if (action == Action.DELETED) {
          run(() -> onPodDeleted(resource.getMetadata().getName()));
        }
      }

      @Override
      public void onClose(WatcherException cause) {
        if (!closed) {
          log.warn("the demo's watch of pods ended: {}", cause.getMessage());
        }
      }
    }));
  }

  // ---- commands from the scenario (each runs on the controller thread)

  /** The pod's readinessProbe starts failing (or passes again), as its kubelet would report it. */
  void setReadiness(String pod, boolean passes) {
    perform(() -> {
      SimPod p = require(pod);
      p.probeForcedToFail = !passes;
      p.probePasses = passes && p.process != null;
      events.accept(pod + (passes ? " passes its readinessProbe again" : " fails its readinessProbe"));
      writePodStatus(p);
      publish();
    });
  }

  /** Kills the pod's process: nothing answers at its address, and nothing changes in the API. */
  void kill(String pod) {
    perform(() -> {
      SimPod p = require(pod);
      if (p.process != null) {
        p.process.close();
        p.process = null;
      }
      events.accept(pod + "'s process killed (no API change: the kubelet has not noticed yet)");
    });
  }

  /** Deletes the pod through the API, as {@code kubectl delete pod} does. */
  void deletePod(String pod) {
    api.pods().inNamespace(namespace).withName(pod).delete();
  }

  /** Sets the Deployment's replicas through the API, as {@code kubectl scale} does. */
  void scale(int count) {
    api.apps().deployments().inNamespace(namespace).withName(deployment).scale(count);
  }

  /** Changes the pod template through the API (an annotation), which starts a rolling update. */
  void rollout(String revision) {
    api.apps().deployments().inNamespace(namespace).withName(deployment).edit(d -> {
      if (d.getSpec().getTemplate().getMetadata().getAnnotations() == null) {
        d.getSpec().getTemplate().getMetadata().setAnnotations(new LinkedHashMap<>());
      }
      d.getSpec().getTemplate().getMetadata().getAnnotations().put("kdiscovery.io/revision", revision);
      return d;
    });
  }

  /** The pods now, in creation order. */
  List<PodView> pods() {
    return call(() -> pods.values().stream().map(SimPod::view).toList());
  }

  /** Waits until the pods satisfy {@code condition}; throws after {@code timeout}. */
  List<PodView> await(String what, Predicate<List<PodView>> condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<PodView> now = pods();
      if (condition.test(now)) {
        return now;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the pods did not reach '" + what + "' within " + timeout + ": " + now);
      }
      Thread.sleep(10);
    }
  }

  // ---- the controllers' logic, on the controller thread

  private void onDeployment(Deployment d) {
    int wanted = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    String hash = templateHash(d);
    if (templateHash != null && !hash.equals(templateHash)) {
      events.accept("Deployment " + deployment + ": new pod template " + hash + ", rolling update starts");
    }
    if (wanted != replicas && templateHash != null) {
      events.accept("Deployment " + deployment + " scaled from " + replicas + " to " + wanted + " replicas");
    }
    replicas = wanted;
    templateHash = hash;
    reconcile();
  }

  private void onPodDeleted(String name) {
    SimPod p = pods.get(name);
    if (p != null && !p.terminating) {
      events.accept("pod " + name + " deleted through the API");
      terminate(p, false);
      reconcile();
    }
  }

  /**
   * The Deployment controller's rolling update, maxSurge 1 and maxUnavailable 0: new pods while
   * there is room, an old (or extra) pod terminated only when enough ready pods remain without it.
   */
  private void reconcile() {
    List<SimPod> current = live(p -> p.hash.equals(templateHash));
    List<SimPod> old = live(p -> !p.hash.equals(templateHash));
    int surge = old.isEmpty() ? 0 : MAX_SURGE;
    while (current.size() < replicas && current.size() + old.size() < replicas + surge) {
      SimPod created = create();
      if (created == null) {
        break;
      }
      current.add(created);
    }
    // Old pods go first, the ones not ready first of all; then extra pods of the current template.
    List<SimPod> candidates = new ArrayList<>(old);
    List<SimPod> extra = new ArrayList<>(current);
    extra.sort(Comparator.comparing((SimPod p) -> p.probePasses).thenComparing(p -> -indexOf(p)));
    candidates.sort(Comparator.comparing((SimPod p) -> p.probePasses));
    for (SimPod p : candidates) {
      long readyLeft = live(SimPod::ready).stream().filter(q -> q != p).count();
      if (!p.probePasses || readyLeft >= replicas || replicas == 0) {
        terminate(p, true);
      }
    }
    int surplus = current.size() - replicas;
    for (int i = 0; i < surplus; i++) {
      terminate(extra.get(i), true);
    }
  }

  private SimPod create() {
    if (freeIps.isEmpty()) {
      if (!waitingForAddress) {
        events.accept("a new pod waits for an address: the demo's pods use 127.0.0." + FIRST_IP + "-" + LAST_IP);
        waitingForAddress = true;
      }
      return null;
    }
    waitingForAddress = false;
    int octet = freeIps.removeFirst();
    String name = deployment + "-" + templateHash + "-" + suffix();
    SimPod p = new SimPod(name, "127.0.0." + octet, templateHash, octet - FIRST_IP);
    p.process = new HostnamePod(name, p.ip, podPort);
    pods.put(name, p);
    api.pods().inNamespace(namespace).resource(new PodBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels("app", deployment).addToLabels("pod-template-hash", templateHash).endMetadata()
        .withNewSpec().withNodeName(p.node).addNewContainer().withName(deployment)
        .withImage("k8s.gcr.io/serve_hostname").addNewPort().withContainerPort(podPort).endPort().endContainer()
        .endSpec()
        .withNewStatus().withPhase("Running").withPodIP(p.ip).withHostIP("127.0.0.1")
        .withStartTime(Instant.now().toString()).endStatus()
        .build()).create();
    events.accept("pod " + name + " started on " + p.ip + ":" + podPort + " (" + p.zone + ")");
    publish();
    thread.schedule(() -> becomeReady(name), timing.readinessDelay().toMillis(), TimeUnit.MILLISECONDS);
    return p;
  }

  private void becomeReady(String name) {
    SimPod p = pods.get(name);
    if (p == null || p.terminating || p.probeForcedToFail || p.process == null || closed) {
      return;
    }
    p.probePasses = true;
    events.accept("pod " + name + " passes its readinessProbe");
    writePodStatus(p);
    publish();
    reconcile();
  }

  /** Kubernetes' graceful deletion: serving while terminating, then the process ends and the pod is gone. */
  private void terminate(SimPod p, boolean deleteFromApi) {
    if (p.terminating) {
      return;
    }
    p.terminating = true;
    if (deleteFromApi) {
      try {
        api.pods().inNamespace(namespace).withName(p.name).delete();
      } catch (RuntimeException e) {
        log.warn("could not delete pod {} from the API server", p.name, e);
      }
    }
    events.accept("pod " + p.name + " terminating (serving for " + timing.terminationGrace().toMillis()
        + " ms more)");
    publish();
    thread.schedule(() -> drain(p), timing.terminationGrace().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * A well-behaved server at the end of its grace period: it stops passing its readinessProbe
   * (serving turns false) and exits a moment later, so no request is cut while it still serves.
   */
  private void drain(SimPod p) {
    if (p.probePasses && p.process != null && !closed) {
      p.probePasses = false;
      events.accept("pod " + p.name + " stops serving and exits");
      publish();
      thread.schedule(() -> gone(p), Math.max(50, timing.terminationGrace().toMillis() / 4), TimeUnit.MILLISECONDS);
    } else {
      gone(p);
    }
  }

  private void gone(SimPod p) {
    if (p.process != null) {
      p.process.close();
      p.process = null;
    }
    pods.remove(p.name);
    freeIps.addLast(Integer.parseInt(p.ip.substring(p.ip.lastIndexOf('.') + 1)));
    if (closed) {
      return;
    }
    events.accept("pod " + p.name + " gone");
    publish();
    reconcile();
  }

  /** The EndpointSlice controller's part: every slice of the Service, rewritten from the pods. */
  private void publish() {
    if (closed) {
      return;
    }
    List<SlicePlan.PodState> states = pods.values().stream().map(SimPod::state).toList();
    // Every publish follows the pod change that caused it at once: that change's time is the trigger.
    List<EndpointSlice> slices = SlicePlan.slices(namespace, service, portName, podPort, states, Instant.now());
    clock.mark(SlicePlan.signature(states));
    for (EndpointSlice slice : slices) {
      // The only writer of its slices: one PUT on the version it wrote last, a create the first time.
      String name = slice.getMetadata().getName();
      String version = sliceVersions.get(name);
      EndpointSlice written;
      if (version == null) {
        written = api.resource(slice).createOr(existing -> existing.update());
      } else {
        slice.getMetadata().setResourceVersion(version);
        written = api.resource(slice).update();
      }
      sliceVersions.put(name, written.getMetadata().getResourceVersion());
    }
    for (int n = slices.size(); n < slicesPublished; n++) {
      api.discovery().v1().endpointSlices().inNamespace(namespace).withName(service + "-" + n).delete();
      sliceVersions.remove(service + "-" + n);
    }
    slicesPublished = slices.size();
  }

  private void writePodStatus(SimPod p) {
    try {
      api.pods().inNamespace(namespace).withName(p.name).editStatus(pod -> new PodBuilder(pod).editStatus()
          .withConditions().addNewCondition().withType("Ready").withStatus(p.probePasses ? "True" : "False")
          .endCondition().endStatus().build());
    } catch (RuntimeException e) {
      log.debug("could not write the status of pod {}", p.name, e);
    }
  }

  // ---- helpers

  private List<SimPod> live(Predicate<SimPod> filter) {
    List<SimPod> out = new ArrayList<>();
    for (SimPod p : pods.values()) {
      if (!p.terminating && filter.test(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private int indexOf(SimPod p) {
    return new ArrayList<>(pods.values()).indexOf(p);
  }

  private SimPod require(String pod) {
    SimPod p = pods.get(pod);
    if (p == null) {
      throw new IllegalArgumentException("no pod " + pod + "; pods: " + pods.keySet());
    }
    return p;
  }

  private String suffix() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      s.append(SAFE.charAt(random.nextInt(SAFE.length())));
    }
    return s.toString();
  }

  private static String templateHash(Deployment d) {
    int h = new KubernetesSerialization().asJson(d.getSpec().getTemplate()).hashCode() & 0x7fffffff;
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      s.append(SAFE.charAt(h % SAFE.length()));
      h /= SAFE.length();
      if (h == 0) {
        h = 0x5bd1e995 + i;
      }
    }
    return s.toString();
  }

  private void run(Runnable task) {
    if (closed) {
      return;
    }
    thread.execute(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("the demo's controller failed to handle a change", e);
      }
    });
  }

  private void perform(Runnable task) {
    call(() -> {
      task.run();
      return null;
    });
  }

  private <T> T call(java.util.concurrent.Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    thread.execute(() -> {
      try {
        result.complete(task.call());
      } catch (Exception e) {
        result.completeExceptionally(e);
      }
    });
    try {
      return result.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the controller worked", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the demo's controller did not answer within 30 s", e);
    }
  }

  @Override
  public void close() {
    closed = true;
    watches.forEach(Watch::close);
    try {
      thread.submit(() -> pods.values().forEach(p -> {
        if (p.process != null) {
          p.process.close();
          p.process = null;
        }
      })).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("could not stop every pod cleanly", e);
    }
    thread.shutdownNow();
  }
}
