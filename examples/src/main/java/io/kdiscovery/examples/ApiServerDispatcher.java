package io.kdiscovery.examples;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD dispatcher with what a real {@code kubectl} needs in front of it: the API discovery
 * documents ({@code /api}, {@code /apis}, one resource list per group version, {@code /version}),
 * which the mock does not serve, and the {@code deployments/scale} subresource that
 * {@code kubectl scale} patches; strategic merge patches ({@code kubectl patch}, {@code set image},
 * {@code rollout restart}) are applied as JSON merge patches, and the kubelet's subresources
 * ({@code logs}, {@code exec}, …) answer a clear 404. Every request line is recorded, so a test can
 * assert that a client only read.
 *
 * <p>Thread-safe: the mock server calls {@link #dispatch} from its I/O threads.
 */
final class ApiServerDispatcher extends Dispatcher {

  private static final Pattern SCALE = Pattern.compile(
      "(/apis/apps/v1/namespaces/([^/]+)/deployments/([^/?]+))/scale(\\?.*)?");
  private static final Pattern KUBELET = Pattern.compile(
      "/api/v1/namespaces/[^/]+/pods/[^/]+/(log|exec|attach|portforward|proxy)");
  private static final List<String> ALL_VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final KubernetesSerialization json = new KubernetesSerialization();
  private final Map<String, String> discovery = discoveryDocuments();
  private final List<String> requests = new CopyOnWriteArrayList<>();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    requests.add(request.getMethod() + " " + request.getPath());
    String path = request.getPath();
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if ("GET".equals(request.getMethod()) && discovery.containsKey(bare)) {
      return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
          .setBody(discovery.get(bare));
    }
    if (bare.startsWith("/openapi/")) {
      // kubectl validates against the OpenAPI schema when the server has one, and goes on without.
      return new MockResponse().setResponseCode(404).setBody(status(404, "no OpenAPI schema here"));
    }
    if (KUBELET.matcher(bare).matches()) {
      return new MockResponse().setResponseCode(404).setBody(status(404, "the embedded API server has no kubelet:"
          + " logs, exec, attach and port-forward are not available (each pod is a HostnamePod in the demo's JVM)"));
    }
    Matcher scale = SCALE.matcher(path);
    if (scale.matches()) {
      return scale(request, scale.group(1));
    }
    String contentType = request.getHeader("Content-Type");
    if ("PATCH".equals(request.getMethod()) && contentType != null
        && contentType.startsWith("application/strategic-merge-patch+json")) {
      // kubectl patch, set image, rollout restart send strategic merge patches, which the mock does
      // not know; applied as a JSON merge patch, the same for maps (lists are replaced, not merged).
      return json(crud.dispatch(asMergePatch(request, path, request.getUtf8Body())));
    }
    return json(crud.dispatch(request));
  }

  /**
   * The mock leaves Content-Type out; kubectl then guesses from its Accept header (protobuf first, for
   * {@code describe}) and fails to decode. Every answer of the CRUD mock is JSON.
   */
  private static MockResponse json(MockResponse response) {
    if (response.getWebSocketListener() == null && response.header("Content-Type") == null) {
      response.setHeader("Content-Type", "application/json");
    }
    return response;
  }

  private static RecordedRequest asMergePatch(RecordedRequest request, String path, String body) {
    return new RecordedRequest(request.getHttpVersion(), HttpMethod.PATCH, path, request.getHeaders().newBuilder()
        .set("Content-Type", "application/merge-patch+json").build(),
        new Buffer(body.getBytes(StandardCharsets.UTF_8)));
  }

  /** Every request line received so far ({@code METHOD path}), oldest first. */
  List<String> requests() {
    return List.copyOf(requests);
  }

  /** The requests that could change something: anything but GET (a watch is a GET too). */
  List<String> writes() {
    return requests.stream().filter(r -> !r.startsWith("GET ")).toList();
  }

  @Override
  public void shutdown() {
    crud.shutdown();
  }

  /**
   * The Scale subresource, on top of the Deployment itself: a GET reads the Deployment's replicas, a
   * PATCH or PUT of {@code spec.replicas} becomes a merge patch of the Deployment (the same shape),
   * so a watch of Deployments sees the change as it would in a cluster.
   */
  private MockResponse scale(RecordedRequest request, String deploymentPath) {
    if (!"GET".equals(request.getMethod())) {
      String body = request.getUtf8Body();
      if ("PUT".equals(request.getMethod())) {
        Integer replicas = json.unmarshal(body, io.fabric8.kubernetes.api.model.autoscaling.v1.Scale.class)
            .getSpec().getReplicas();
        body = "{\"spec\":{\"replicas\":" + replicas + "}}";
      }
      MockResponse patched = crud.dispatch(asMergePatch(request, deploymentPath, body));
      if (patched.code() >= 300) {
        return patched;
      }
    }
    MockResponse current = crud.handleGet(deploymentPath);
    if (current.code() != 200) {
      return current;
    }
    Deployment deployment = json.unmarshal(current.getBody().readUtf8(), Deployment.class);
    return json(new ScaleBuilder()
        .withNewMetadata().withName(deployment.getMetadata().getName())
        .withNamespace(deployment.getMetadata().getNamespace())
        .withResourceVersion(deployment.getMetadata().getResourceVersion()).endMetadata()
        .withNewSpec().withReplicas(deployment.getSpec().getReplicas()).endSpec()
        .withNewStatus().withReplicas(deployment.getSpec().getReplicas())
        .withSelector("app=" + deployment.getMetadata().getName()).endStatus()
        .build());
  }

  private MockResponse json(KubernetesResource object) {
    return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
        .setBody(json.asJson(object));
  }

  private static String status(int code, String message) {
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
        + ",\"message\":\"" + message + "\"}";
  }

  // ---- the discovery documents: only the kinds this demo and its manifests use

  private Map<String, String> discoveryDocuments() {
    Map<String, String> docs = new LinkedHashMap<>();
    docs.put("/version", "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-kdiscovery-embedded\","
        + "\"platform\":\"linux/amd64\"}");
    docs.put("/api", json.asJson(new APIVersionsBuilder().withVersions("v1").build()));
    docs.put("/api/v1", resources("v1",
        resource("pods", "Pod", true, "po"),
        subresource("pods/status", "Pod"),
        resource("services", "Service", true, "svc"),
        resource("endpoints", "Endpoints", true, "ep"),
        resource("serviceaccounts", "ServiceAccount", true, "sa"),
        resource("configmaps", "ConfigMap", true, "cm"),
        resource("namespaces", "Namespace", false, "ns")));
    docs.put("/apis/apps/v1", resources("apps/v1",
        resource("deployments", "Deployment", true, "deploy"),
        new APIResourceBuilder().withName("deployments/scale").withKind("Scale").withGroup("autoscaling")
            .withVersion("v1").withNamespaced(true).withVerbs("get", "patch", "update").build(),
        resource("replicasets", "ReplicaSet", true, "rs")));
    docs.put("/apis/discovery.k8s.io/v1", resources("discovery.k8s.io/v1",
        resource("endpointslices", "EndpointSlice", true)));
    docs.put("/apis/rbac.authorization.k8s.io/v1", resources("rbac.authorization.k8s.io/v1",
        resource("roles", "Role", true),
        resource("rolebindings", "RoleBinding", true),
        resource("clusterroles", "ClusterRole", false),
        resource("clusterrolebindings", "ClusterRoleBinding", false)));
    List<io.fabric8.kubernetes.api.model.APIGroup> groups = new ArrayList<>();
    for (String groupVersion : List.of("apps/v1", "discovery.k8s.io/v1", "rbac.authorization.k8s.io/v1")) {
      String group = groupVersion.substring(0, groupVersion.indexOf('/'));
      var version = new GroupVersionForDiscoveryBuilder().withGroupVersion(groupVersion)
          .withVersion("v1").build();
      groups.add(new APIGroupBuilder().withName(group).withVersions(version).withPreferredVersion(version).build());
    }
    docs.put("/apis", json.asJson(new APIGroupListBuilder().withGroups(groups).build()));
    return Map.copyOf(docs);
  }

  private String resources(String groupVersion, APIResource... resources) {
    return json.asJson(new APIResourceListBuilder().withGroupVersion(groupVersion)
        .withResources(resources).build());
  }

  private static APIResource resource(String name, String kind, boolean namespaced, String... shortNames) {
    return new APIResourceBuilder().withName(name).withKind(kind).withNamespaced(namespaced)
        .withSingularName(kind.toLowerCase(java.util.Locale.ROOT)).withVerbs(ALL_VERBS)
        .withShortNames(shortNames).build();
  }

  private static APIResource subresource(String name, String kind) {
    return new APIResourceBuilder().withName(name).withKind(kind).withNamespaced(true)
        .withVerbs("get", "patch", "update").build();
  }
}
