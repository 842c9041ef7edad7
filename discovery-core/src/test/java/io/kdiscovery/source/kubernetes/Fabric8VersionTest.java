package io.kdiscovery.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The start-up check of the fabric8 client on the classpath (issue 20), with the classpath's version
 * supplied by the test: a Spring application that imports only Spring Cloud's BOM gets fabric8 7.4,
 * and must fail when the source is built, in one line that names kdiscovery-bom, rather than at some
 * later watch.
 */
class Fabric8VersionTest {

  @Test
  void theBuildRecordsTheFabric8VersionItWasCompiledAgainst() {
    assertThat(Fabric8Version.builtAgainst()).isEqualTo(io.fabric8.kubernetes.client.Version.clientVersion());
    assertThat(Fabric8Version.onClasspath()).isEqualTo(Fabric8Version.builtAgainst());
  }

  @Test
  void springCloudsFabric8FailsTheStartInOneLineThatNamesTheFix() {
    assertThatThrownBy(() -> KubernetesEndpointSource.builder().fabric8Version(() -> "7.4.1").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("7.4.1")
        .hasMessageContaining(Fabric8Version.builtAgainst())
        .hasMessageContaining("kdiscovery-bom before spring-cloud-dependencies")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void aNewerMajorOrAnOlderMinorFailsToo() {
    String built = Fabric8Version.builtAgainst();
    int major = Integer.parseInt(built.substring(0, built.indexOf('.')));
    assertThatThrownBy(() -> KubernetesEndpointSource.builder().fabric8Version(() -> (major + 1) + ".0.0").build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> KubernetesEndpointSource.builder().fabric8Version(() -> (major - 1) + ".99.0").build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theSameMajorAtTheSameOrALaterMinorOrPatchStarts() {
    String built = Fabric8Version.builtAgainst();
    String major = built.substring(0, built.indexOf('.'));
    for (String version : new String[] {built, major + ".0.7", major + ".3.0", major + ".12.1-SNAPSHOT"}) {
      KubernetesEndpointSource.builder().fabric8Version(() -> version).build().close();
    }
  }

  @Test
  void anUnreadableVersionStartsWithAWarning() {
    KubernetesEndpointSource.builder().fabric8Version(() -> "unknown").build().close();
    KubernetesEndpointSource.builder().fabric8Version(() -> null).build().close();
  }
}
