package io.kdiscovery.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every snippet of ReadmeSnippets.java appears in README.md as it compiles, so the README cannot drift. */
class ReadmeSnippetsTest {

  private static final Path SNIPPETS = Path.of("src/test/java/io/kdiscovery/examples/ReadmeSnippets.java");
  private static final Path README = Path.of("../README.md");
  private static final Pattern TAG = Pattern.compile("(?s)// tag::([a-z-]+)\\[\\]\\n(.*?)\\n\\s*// end::\\1\\[\\]");

  @Test
  void theReadmeShowsEverySnippetAsItCompiles() throws IOException {
    Map<String, String> snippets = snippets(Files.readString(SNIPPETS));
    assertThat(snippets).containsKeys("core", "retries", "table", "config", "grpc", "spring-bean", "spring-call",
        "okhttp");
    String readme = Files.readString(README);
    snippets.forEach((name, code) ->
        assertThat(readme).as("README.md shows snippet '%s' of %s word for word", name, SNIPPETS).contains(code));
  }

  /** Each tagged region, with its common indentation removed. */
  static Map<String, String> snippets(String source) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = TAG.matcher(source);
    while (m.find()) {
      List<String> lines = new ArrayList<>(m.group(2).lines().toList());
      int indent = lines.stream().filter(l -> !l.isBlank())
          .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
      out.put(m.group(1), String.join("\n", lines.stream()
          .map(l -> l.isBlank() ? "" : l.substring(indent)).toList()));
    }
    return out;
  }
}
