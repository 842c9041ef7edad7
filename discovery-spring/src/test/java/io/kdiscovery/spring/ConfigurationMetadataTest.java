package io.kdiscovery.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What an IDE shows for kdiscovery's properties: every one described, in plain text. */
class ConfigurationMetadataTest {

  private static String metadata() throws IOException {
    try (InputStream in = ConfigurationMetadataTest.class.getResourceAsStream(
        "/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated configuration metadata").isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void descriptionsArePlainTextWithoutJavadocTags() throws IOException {
    String json = metadata();
    assertThat(json).doesNotContain("{@code").doesNotContain("{@link").doesNotContain("{@value");
  }

  @Test
  void theSpringCloudKubernetesEquivalentsAreDescribed() throws IOException {
    String json = metadata();
    for (String property : new String[] {"kdiscovery.all-namespaces", "kdiscovery.service-labels",
        "kdiscovery.filter", "kdiscovery.include-not-ready-addresses", "kdiscovery.include-external-name-services",
        "kdiscovery.known-secure-ports", "kdiscovery.order", "kdiscovery.metadata.labels-prefix",
        "kdiscovery.heartbeat.enabled", "kdiscovery.services", "kdiscovery.initial-wait-timeout"}) {
      assertThat(json).contains("\"name\": \"" + property + "\"");
    }
  }
}
