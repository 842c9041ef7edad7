package io.kdiscovery.benchmarks.watch;

/**
 * Points fabric8's standard configuration at the mock API server through system properties, so the
 * harness can use {@code KDiscovery.create()}-style instances that own (and close) their client, as an
 * application does.
 */
final class Kubeconfig {

  private Kubeconfig() {}

  static void pointAt(MockApi api) {
    System.setProperty("kubernetes.master", api.url());
    System.setProperty("kubernetes.namespace", Fixtures.NAMESPACE);
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.trust.certificates", String.valueOf(api.url().startsWith("https:")));
  }
}
