package io.kdiscovery.examples;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What the EndpointSlice controller publishes for a set of pods: one slice per
 * {@value #MAX_ENDPOINTS_PER_SLICE} endpoints (the controller's default {@code --max-endpoints-per-slice}),
 * each endpoint with the conditions Kubernetes gives it. A pure function, so the rule can be tested as
 * a table.
 *
 * <p>The conditions, as the controller sets them (KEP-1672):
 * <ul>
 *   <li>running and passing its readinessProbe: {@code ready=true, serving=true, terminating=false};
 *   <li>running, not (yet) passing it: {@code ready=false, serving=false, terminating=false};
 *   <li>being deleted, still passing it: {@code ready=false, serving=true, terminating=true};
 *   <li>being deleted, no longer passing it: {@code ready=false, serving=false, terminating=true}.
 * </ul>
 */
final class SlicePlan {

  static final int MAX_ENDPOINTS_PER_SLICE = 100;

  /** One pod as the controller sees it. */
  record PodState(String name, String ip, String zone, String node, boolean probePasses, boolean terminating) {

    boolean ready() {
      return probePasses && !terminating;
    }

    /** The pod's conditions as {@code ready/serving/terminating}, for the view and the propagation clock. */
    String conditions() {
      return (ready() ? "R" : "-") + (probePasses ? "S" : "-") + (terminating ? "T" : "-");
    }
  }

  static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

  private SlicePlan() {}

  /**
   * The slices of {@code service}'s port {@code portName}/{@code podPort} for {@code pods}, named
   * {@code <service>-<n>}; pods are ordered by IP so a pod keeps its slice while others come and go.
   */
  static List<EndpointSlice> slices(String namespace, String service, String portName, int podPort,
      List<PodState> pods) {
    return slices(namespace, service, portName, podPort, pods, null);
  }

  /**
   * The same, each slice stamped as the controller stamps what it writes: the annotation
   * {@code endpoints.kubernetes.io/last-change-trigger-time} with the time of the pod change that
   * caused the write ({@code trigger}, RFC 3339), which clients time their programming latency from;
   * none when {@code trigger} is null.
   */
  static List<EndpointSlice> slices(String namespace, String service, String portName, int podPort,
      List<PodState> pods, java.time.Instant trigger) {
    List<PodState> ordered = new ArrayList<>(pods);
    ordered.sort(Comparator.comparing(PodState::ip, SlicePlan::compareIps));
    List<EndpointSlice> slices = new ArrayList<>();
    // Like the controller, an empty Service keeps one empty slice.
    int count = Math.max(1, (ordered.size() + MAX_ENDPOINTS_PER_SLICE - 1) / MAX_ENDPOINTS_PER_SLICE);
    for (int n = 0; n < count; n++) {
      int from = n * MAX_ENDPOINTS_PER_SLICE;
      List<Endpoint> endpoints = new ArrayList<>();
      for (PodState pod : ordered.subList(from, Math.min(ordered.size(), from + MAX_ENDPOINTS_PER_SLICE))) {
        endpoints.add(new EndpointBuilder().withAddresses(pod.ip())
            .withNewConditions().withReady(pod.ready()).withServing(pod.probePasses())
            .withTerminating(pod.terminating()).endConditions()
            .withZone(pod.zone()).withNodeName(pod.node())
            .withNewTargetRef().withKind("Pod").withName(pod.name()).withNamespace(namespace).endTargetRef()
            .build());
      }
      EndpointSlice slice = new EndpointSliceBuilder()
          .withNewMetadata().withName(service + "-" + n).withNamespace(namespace)
          .addToLabels("kubernetes.io/service-name", service)
          .addToLabels("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io")
          .endMetadata()
          .withAddressType("IPv4").withEndpoints(endpoints)
          .addNewPort().withName(portName).withPort(podPort).withProtocol("TCP").endPort()
          .build();
      if (trigger != null) {
        slice.getMetadata().getAnnotations().put(TRIGGER_TIME_ANNOTATION, trigger.toString());
      }
      slices.add(slice);
    }
    return slices;
  }

  /**
   * A canonical form of what the pods look like through the slices (IP and conditions of each), so
   * a table snapshot can be matched to the API change that produced it.
   */
  static String signature(List<PodState> pods) {
    return pods.stream().sorted(Comparator.comparing(PodState::ip, SlicePlan::compareIps))
        .map(p -> p.ip() + "=" + p.conditions()).reduce((a, b) -> a + "," + b).orElse("");
  }

  static int compareIps(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }
}
