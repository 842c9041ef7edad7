package io.kdiscovery.source.kubernetes;

import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Logs each distinct warning once per watch: the same malformed object arrives again with every
 * relist and every unrelated change of its Service, and one clear line is enough. Not thread-safe;
 * a watch uses it from its serial context only.
 */
final class OnceLog {

  private static final int MAX_REMEMBERED = 1024;

  private final Logger log;
  private final Set<String> said = new LinkedHashSet<>();

  OnceLog(Logger log) {
    this.log = log;
  }

  void warn(String message) {
    if (said.size() >= MAX_REMEMBERED) {
      said.remove(said.iterator().next());
    }
    if (said.add(message)) {
      log.warn(message);
    }
  }

  void info(String message) {
    if (said.size() >= MAX_REMEMBERED) {
      said.remove(said.iterator().next());
    }
    if (said.add(message)) {
      log.info(message);
    }
  }
}
