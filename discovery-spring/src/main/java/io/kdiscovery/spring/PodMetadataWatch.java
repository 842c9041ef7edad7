package io.kdiscovery.spring;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The labels and annotations of the pods of the selected namespaces, for Spring Cloud Kubernetes'
 * {@code metadata.add-pod-labels} / {@code add-pod-annotations}: one informer (a list, then a watch)
 * per selected namespace, or one for the cluster, started only when one of the two is on.
 *
 * <p>Only metadata is kept: the informers' stores are fabric8's {@link ReducedStateItemStore}, which
 * keeps each pod's key, resourceVersion, labels and annotations and drops the rest (its spec, with the
 * containers' environment values, and its status) as each pod arrives. The pods still arrive whole:
 * the API server can answer metadata only ({@code PartialObjectMetadata}), but fabric8 8 has no
 * metadata-only list, watch or informer yet (fabric8io/kubernetes-client#5716) and its mock server
 * would not serve one; so this needs {@code list} and {@code watch} on pods (see docs/spring.md), and
 * holds no more of them than a metadata-only informer would.
 *
 * <p>Thread-safe. {@link #podMetadata} never calls the API server: it reads what the informers hold
 * and is empty for a pod they have not listed yet (or one outside the selected namespaces). Once they
 * have, {@link #version()} grows, so views computed before are computed again with the pod's metadata.
 */
final class PodMetadataWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PodMetadataWatch.class);

  private final boolean addLabels;
  private final boolean addAnnotations;
  private final List<SharedIndexInformer<Pod>> informers = new ArrayList<>();
  private final AtomicLong version = new AtomicLong();

  private PodMetadataWatch(boolean addLabels, boolean addAnnotations) {
    this.addLabels = addLabels;
    this.addAnnotations = addAnnotations;
  }

  /** Starts the informers without waiting for them: lookups never wait on pods. */
  static PodMetadataWatch start(KubernetesClient client, boolean allNamespaces, List<String> namespaces,
      boolean addLabels, boolean addAnnotations) {
    PodMetadataWatch watch = new PodMetadataWatch(addLabels, addAnnotations);
    if (allNamespaces) {
      watch.inform(client, client.pods().inAnyNamespace().runnableInformer(0), "all namespaces");
    } else {
      for (String namespace : namespaces) {
        watch.inform(client, client.pods().inNamespace(namespace).runnableInformer(0), "namespace " + namespace);
      }
    }
    return watch;
  }

  private void inform(KubernetesClient client, SharedIndexInformer<Pod> informer, String where) {
    // Keep the key, labels and annotations of each pod, nothing else: no spec (environment values), no status.
    informer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, Pod.class,
        client.getKubernetesSerialization(), "metadata.labels", "metadata.annotations"));
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        version.incrementAndGet();
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        if (!sameMetadata(before, after)) {
          version.incrementAndGet();
        }
      }

      @Override
      public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        version.incrementAndGet();
      }
    });
    AtomicBoolean warned = new AtomicBoolean();
    // Keep retrying (with the client's backoff) also when the first list fails: fabric8's default gives
    // up on an informer whose start failed, and a permission granted later should still take effect.
    informer.exceptionHandler((started, failure) -> {
      if (warned.compareAndSet(false, true)) {
        log.warn("kdiscovery cannot list the pods of {} for their labels and annotations (needs get, list and"
            + " watch on pods); instances carry none until it can, retrying: {}", where, failure.toString());
      }
      return true;
    });
    informers.add(informer);
    informer.start().whenComplete((ignored, failure) ->
        log.debug("kdiscovery's watch of the pods of {} started: {}", where, failure == null ? "listed" : failure.toString()));
  }

  private static boolean sameMetadata(Pod a, Pod b) {
    ObjectMeta x = a == null ? null : a.getMetadata();
    ObjectMeta y = b == null ? null : b.getMetadata();
    return x != null && y != null && Objects.equals(x.getLabels(), y.getLabels())
        && Objects.equals(x.getAnnotations(), y.getAnnotations());
  }

  /** What the informers hold now; for tests of what is kept. */
  List<Pod> heldPods() {
    List<Pod> held = new ArrayList<>();
    informers.forEach(informer -> held.addAll(informer.getStore().list()));
    return held;
  }

  /** Grows whenever a pod's labels or annotations may have changed. */
  long version() {
    return version.get();
  }

  /**
   * Spring Cloud Kubernetes' pod metadata: {@code labels} and {@code annotations} (each when asked for
   * and not empty) of the pod; empty when the pod is not known (yet).
   */
  Map<String, Map<String, String>> podMetadata(String namespace, String podName) {
    if (podName == null) {
      return Map.of();
    }
    String key = namespace + "/" + podName;
    for (SharedIndexInformer<Pod> informer : informers) {
      Pod pod = informer.getStore().getByKey(key);
      if (pod != null && pod.getMetadata() != null) {
        Map<String, Map<String, String>> result = new LinkedHashMap<>();
        Map<String, String> labels = pod.getMetadata().getLabels();
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        if (addLabels && labels != null && !labels.isEmpty()) {
          result.put("labels", Map.copyOf(labels));
        }
        if (addAnnotations && annotations != null && !annotations.isEmpty()) {
          result.put("annotations", Map.copyOf(annotations));
        }
        return Map.copyOf(result);
      }
    }
    return Map.of();
  }

  @Override
  public void close() {
    for (SharedIndexInformer<Pod> informer : informers) {
      try {
        informer.close();
      } catch (RuntimeException e) {
        log.warn("kdiscovery could not close a pod informer", e);
      }
    }
    informers.clear();
  }
}
