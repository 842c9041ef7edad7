package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifests of examples/k8s are applied with the real kubectl to the embedded API server, so they
 * cannot rot: they parse, name existing kinds, and grant exactly the read-only rules kdiscovery needs.
 */
class ManifestsTest {

  private static final Path MANIFESTS = Path.of("k8s");

  @TempDir
  Path dir;

  @Test
  void theManifestsApplyAndGrantOnlyReadsOfSlicesAndServices() throws Exception {
    assertThat(MANIFESTS.resolve("rbac.yaml")).exists();
    try (EmbeddedCluster cluster = new EmbeddedCluster()) {
      Kubectl kubectl = new Kubectl(cluster.writeKubeconfig(dir.resolve("kubeconfig")));
      // --validate=false: the embedded server serves no OpenAPI schema (see README, "kubectl on the demo").
      String applied = kubectl.run("apply", "--validate=false", "-f", MANIFESTS.toString());
      assertThat(applied).contains("serviceaccount/hostnames-client created",
          "role.rbac.authorization.k8s.io/kdiscovery-reader created",
          "rolebinding.rbac.authorization.k8s.io/hostnames-client-reads-endpoints created",
          "clusterrole.rbac.authorization.k8s.io/kdiscovery-reader created",
          "clusterrolebinding.rbac.authorization.k8s.io/hostnames-client-reads-endpoints-everywhere created",
          "deployment.apps/hostnames-client created");
      assertThat(kubectl.run("apply", "--validate=false", "-f", MANIFESTS.toString()))
          .contains("role.rbac.authorization.k8s.io/kdiscovery-reader unchanged");

      Role role = cluster.admin().rbac().roles().inNamespace("default").withName("kdiscovery-reader").get();
      assertReadOnlyOfSlicesAndServices(role.getRules());
      ClusterRole clusterRole = cluster.admin().rbac().clusterRoles().withName("kdiscovery-reader").get();
      assertReadOnlyOfSlicesAndServices(clusterRole.getRules());
      RoleBinding binding = cluster.admin().rbac().roleBindings().inNamespace("default")
          .withName("hostnames-client-reads-endpoints").get();
      assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
        assertThat(s.getKind()).isEqualTo("ServiceAccount");
        assertThat(s.getName()).isEqualTo("hostnames-client");
      });

      Deployment client = cluster.admin().apps().deployments().inNamespace("default").withName("hostnames-client").get();
      assertThat(client.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("hostnames-client");
      List<String> args = client.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
      // The client runs in watch mode: read-only, and its arguments are ones bin/demo accepts.
      assertThat(args).contains("--service").doesNotContain("--serve", "--quick");
      assertThat(DemoOptions.parse(args.toArray(String[]::new)).service()).contains("hostnames.default:80");
      assertThat(Files.readString(MANIFESTS.resolve("Dockerfile"))).contains(HostnamesDemo.class.getName());
    }
  }

  private static void assertReadOnlyOfSlicesAndServices(List<PolicyRule> rules) {
    assertThat(rules).hasSize(2).allSatisfy(rule ->
        assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch"));
    assertThat(rules).anySatisfy(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("discovery.k8s.io");
      assertThat(rule.getResources()).containsExactly("endpointslices");
    });
    assertThat(rules).anySatisfy(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("");
      assertThat(rule.getResources()).containsExactly("services");
    });
  }
}
