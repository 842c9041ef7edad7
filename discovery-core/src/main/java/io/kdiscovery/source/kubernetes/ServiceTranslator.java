package io.kdiscovery.source.kubernetes;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.kdiscovery.model.ServiceInfo;
import io.kdiscovery.model.ServiceInfo.SessionAffinity;
import io.kdiscovery.model.ServiceInfo.TrafficDistribution;
import io.kdiscovery.model.ServiceInfo.Type;
import io.kdiscovery.model.ServicePort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the settings kdiscovery uses from a Service object, tolerating anything missing. */
final class ServiceTranslator {

  private ServiceTranslator() {}

  static ServiceInfo translate(Service service, OnceLog onceLog) {
    ServiceSpec spec = service.getSpec();
    String name = service.getMetadata().getName();
    Map<String, String> labels = service.getMetadata().getLabels();
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    if (spec == null) {
      onceLog.warn("Service " + service.getMetadata().getNamespace() + "/" + name
          + " has no spec; using Kubernetes defaults");
      return new ServiceInfo(Type.CLUSTER_IP, SessionAffinity.NONE, ServiceInfo.DEFAULT_AFFINITY_TIMEOUT,
          TrafficDistribution.NONE, false, List.of(), labels == null ? Map.of() : withoutNulls(labels), null,
          service.getMetadata().getNamespace(), name,
          annotations == null ? Map.of() : withoutNulls(annotations), null);
    }
    return new ServiceInfo(
        type(spec),
        "ClientIP".equals(spec.getSessionAffinity()) ? SessionAffinity.CLIENT_IP : SessionAffinity.NONE,
        affinityTimeout(spec, name, onceLog),
        trafficDistribution(spec.getTrafficDistribution(), name, onceLog),
        Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()),
        ports(spec, name, onceLog),
        labels == null ? Map.of() : withoutNulls(labels),
        spec.getExternalName(),
        service.getMetadata().getNamespace(),
        name,
        annotations == null ? Map.of() : withoutNulls(annotations),
        spec.getClusterIP());
  }

  /** Map.copyOf rejects nulls, and a JSON object may carry them; a null value is read as empty. */
  private static Map<String, String> withoutNulls(Map<String, String> map) {
    Map<String, String> copy = new java.util.HashMap<>();
    map.forEach((k, v) -> {
      if (k != null) {
        copy.put(k, v == null ? "" : v);
      }
    });
    return copy;
  }

  private static Type type(ServiceSpec spec) {
    String type = spec.getType() == null ? "ClusterIP" : spec.getType();
    return switch (type) {
      case "ExternalName" -> Type.EXTERNAL_NAME;
      case "NodePort" -> Type.NODE_PORT;
      case "LoadBalancer" -> Type.LOAD_BALANCER;
      default -> "None".equals(spec.getClusterIP()) ? Type.HEADLESS : Type.CLUSTER_IP;
    };
  }

  private static Duration affinityTimeout(ServiceSpec spec, String name, OnceLog onceLog) {
    Integer seconds = spec.getSessionAffinityConfig() == null
        || spec.getSessionAffinityConfig().getClientIP() == null
        ? null : spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
    if (seconds == null) {
      return ServiceInfo.DEFAULT_AFFINITY_TIMEOUT;
    }
    if (seconds < 1 || seconds > 86400) {
      onceLog.warn("Service " + name + ": sessionAffinityConfig.clientIP.timeoutSeconds " + seconds
          + " is outside 1-86400; using the default 10800");
      return ServiceInfo.DEFAULT_AFFINITY_TIMEOUT;
    }
    return Duration.ofSeconds(seconds);
  }

  private static TrafficDistribution trafficDistribution(String value, String name, OnceLog onceLog) {
    if (value == null || value.isEmpty()) {
      return TrafficDistribution.NONE;
    }
    return switch (value) {
      case "PreferClose" -> TrafficDistribution.PREFER_CLOSE;
      case "PreferSameZone" -> TrafficDistribution.PREFER_SAME_ZONE;
      case "PreferSameNode" -> TrafficDistribution.PREFER_SAME_NODE;
      default -> {
        onceLog.warn("Service " + name + ": unknown trafficDistribution '" + value + "' ignored");
        yield TrafficDistribution.NONE;
      }
    };
  }

  private static List<ServicePort> ports(ServiceSpec spec, String name, OnceLog onceLog) {
    List<ServicePort> ports = new ArrayList<>();
    if (spec.getPorts() == null) {
      return ports;
    }
    for (io.fabric8.kubernetes.api.model.ServicePort p : spec.getPorts()) {
      if (p.getPort() == null || p.getPort() < 1 || p.getPort() > 65535) {
        onceLog.warn("Service " + name + ": port " + p.getName() + " has no valid port number ("
            + p.getPort() + "); skipped");
        continue;
      }
      ports.add(new ServicePort(p.getName(), p.getPort(), targetPort(p.getTargetPort()),
          p.getProtocol(), p.getAppProtocol()));
    }
    return ports;
  }

  private static String targetPort(IntOrString target) {
    if (target == null) {
      return "";
    }
    return target.getIntVal() != null ? Integer.toString(target.getIntVal())
        : target.getStrVal() == null ? "" : target.getStrVal();
  }
}
