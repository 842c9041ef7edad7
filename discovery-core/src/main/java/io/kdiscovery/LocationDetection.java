package io.kdiscovery;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kdiscovery.model.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds where the application runs, once, at start ("where am I"):
 * <ul>
 *   <li>node: the explicit setting; else the {@code NODE_NAME} environment variable (the downward
 *       API's convention, {@code fieldRef: spec.nodeName}); else the application's own Pod, named by
 *       {@code HOSTNAME} in the namespace of the service account's namespace file (or
 *       {@code POD_NAMESPACE}), read from the API when {@code get pods} is allowed;
 *   <li>zone: the explicit setting; else the {@code topology.kubernetes.io/zone} label of that node,
 *       when {@code get nodes} is allowed; else the {@code KDISCOVERY_ZONE} environment variable; else
 *       unknown.
 * </ul>
 * The result is logged in one INFO line; what the RBAC refused is logged once more, as a WARN naming
 * the exact rule that would allow it. Outside a Pod (no namespace file nor {@code POD_NAMESPACE}) and
 * without {@code NODE_NAME}, the API is not asked at all.
 *
 * <p>{@link #detect} blocks on the API (two GETs at most): {@link KDiscovery} runs it off the request
 * path. The environment and the namespace file are injected so that tests need not change the JVM's.
 * Not thread-safe; used once.
 */
final class LocationDetection {

  private static final Logger log = LoggerFactory.getLogger(LocationDetection.class);

  static final String NODE_NAME_ENV = "NODE_NAME";
  static final String ZONE_ENV = "KDISCOVERY_ZONE";
  static final String POD_NAMESPACE_ENV = "POD_NAMESPACE";
  static final String HOSTNAME_ENV = "HOSTNAME";
  static final String ZONE_LABEL = "topology.kubernetes.io/zone";
  static final String LEGACY_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone";
  static final Path NAMESPACE_FILE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  /** A namespace name is at most 63 characters; a bigger file is not a namespace file. */
  private static final int MAX_NAMESPACE_FILE = 256;

  static final String NODES_RBAC = "a ClusterRole with rules [{apiGroups: [\"\"], resources: [\"nodes\"],"
      + " verbs: [\"get\"]}] bound to the application's service account";

  private final String zoneSetting;
  private final String nodeSetting;
  private final Map<String, String> environment;
  private final Path namespaceFile;

  LocationDetection(String zoneSetting, String nodeSetting, Map<String, String> environment, Path namespaceFile) {
    this.zoneSetting = zoneSetting;
    this.nodeSetting = nodeSetting;
    this.environment = environment;
    this.namespaceFile = namespaceFile;
  }

  /** Whether {@link #detect} may ask the API server, so is worth running on a thread of its own. */
  boolean needsApi() {
    if (zoneSetting != null && nodeSetting != null) {
      return false;
    }
    return node() != null || ownPod() != null;
  }

  /**
   * Finds the location and logs it.
   *
   * @param client the client to ask, or null to use the settings and the environment only
   */
  Location detect(Supplier<KubernetesClient> client) {
    List<String> refused = new ArrayList<>(2);
    String node = node();
    String nodeFrom = nodeSetting != null ? "setting" : node != null ? NODE_NAME_ENV : null;
    String[] pod = ownPod();
    if (node == null && pod != null && client != null) {
      try {
        Pod own = client.get().pods().inNamespace(pod[0]).withName(pod[1]).get();
        if (own == null) {
          nodeFrom = "no Pod " + pod[0] + "/" + pod[1] + " (HOSTNAME is not a Pod name?)";
        } else if (own.getSpec() != null && own.getSpec().getNodeName() != null
            && !own.getSpec().getNodeName().isBlank()) {
          node = own.getSpec().getNodeName();
          nodeFrom = "Pod " + pod[0] + "/" + pod[1];
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() == 403) {
          refused.add("the node is unknown: may not get Pods in namespace " + pod[0] + "; grant a Role with rules"
              + " [{apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"get\"]}], or set " + NODE_NAME_ENV
              + " from the downward API (env: {name: " + NODE_NAME_ENV + ", valueFrom: {fieldRef: {fieldPath:"
              + " spec.nodeName}}})");
        } else {
          nodeFrom = "its Pod could not be read: " + e.getMessage();
        }
      }
    }
    String zone = zoneSetting;
    String zoneFrom = zone != null ? "setting" : null;
    if (zone == null && node != null && client != null) {
      try {
        Node own = client.get().nodes().withName(node).get();
        Map<String, String> labels = own == null || own.getMetadata() == null ? null : own.getMetadata().getLabels();
        String label = labels == null ? null : labels.getOrDefault(ZONE_LABEL, labels.get(LEGACY_ZONE_LABEL));
        if (label != null && !label.isBlank()) {
          zone = label;
          zoneFrom = "Node " + node + "'s " + ZONE_LABEL + " label";
        }
      } catch (KubernetesClientException e) {
        if (e.getCode() == 403) {
          refused.add("the zone is read from Node " + node + "'s " + ZONE_LABEL + " label, but may not get nodes:"
              + " grant " + NODES_RBAC + ", or set " + ZONE_ENV + " (or the zone setting)");
        } else {
          zoneFrom = "Node " + node + " could not be read: " + e.getMessage();
        }
      }
    }
    if (zone == null && nonBlank(environment.get(ZONE_ENV)) != null) {
      zone = environment.get(ZONE_ENV).trim();
      zoneFrom = ZONE_ENV;
    }
    Location location = new Location(zone, node);
    log.info("kdiscovery runs in zone {} ({}) on node {} ({}){}", zone == null ? "unknown" : zone,
        zoneFrom == null ? "not set" : zoneFrom, node == null ? "unknown" : node,
        nodeFrom == null ? "not in a Pod, or " + NODE_NAME_ENV + " not set" : nodeFrom,
        zone == null ? ": picks ignore zone preferences (trafficDistribution, topology hints)" : "");
    for (String why : refused) {
      log.warn("kdiscovery: {}", why);
    }
    return location;
  }

  private String node() {
    return nodeSetting != null ? nodeSetting : objectName(environment.get(NODE_NAME_ENV));
  }

  /** {namespace, name} of the application's own Pod, or null when it does not seem to run in one. */
  private String[] ownPod() {
    String name = objectName(environment.get(HOSTNAME_ENV));
    if (name == null) {
      return null;
    }
    String namespace = readNamespaceFile();
    if (namespace == null) {
      namespace = nonBlank(environment.get(POD_NAMESPACE_ENV));
    }
    namespace = objectName(namespace);
    return namespace == null ? null : new String[] {namespace, name};
  }

  private String readNamespaceFile() {
    try {
      if (namespaceFile == null || !Files.isRegularFile(namespaceFile) || Files.size(namespaceFile) > MAX_NAMESPACE_FILE) {
        return null;
      }
      return nonBlank(Files.readString(namespaceFile, StandardCharsets.UTF_8));
    } catch (IOException | SecurityException e) {
      log.debug("could not read {}", namespaceFile, e);
      return null;
    }
  }

  /**
   * {@code value} when it can name a Pod, Node or namespace (a DNS-1123 subdomain), else null: what
   * goes into an API path comes from the environment and is checked first.
   */
  static String objectName(String value) {
    String name = nonBlank(value);
    return name != null && name.length() <= 253 && name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") ? name : null;
  }

  private static String nonBlank(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
