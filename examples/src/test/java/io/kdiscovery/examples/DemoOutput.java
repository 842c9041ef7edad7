package io.kdiscovery.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What a demo run printed in line mode, readable while it runs (the demo's threads print into it). */
final class DemoOutput {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  String text() {
    synchronized (stream) {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** The rows of the last table printed (one line per endpoint), after {@code from} in the output. */
  static List<String> lastTable(String output) {
    int at = output.lastIndexOf("\n  table v");
    List<String> rows = new ArrayList<>();
    if (at < 0) {
      return rows;
    }
    List<String> lines = output.substring(at + 1).lines().toList();
    rows.add(lines.get(0));
    for (String line : lines.subList(1, lines.size())) {
      if (!line.startsWith("    ")) {
        break;
      }
      rows.add(line.strip());
    }
    return rows;
  }
}
