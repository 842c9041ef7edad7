package io.kdiscovery.source.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check that the fabric8 Kubernetes client on the classpath is the one kdiscovery was
 * built against: same major version, same or later minor. Stateless and thread-safe.
 *
 * <p>Why: a BOM that manages fabric8 at another version wins silently. Spring Cloud's BOM (through
 * Spring Cloud Kubernetes) manages fabric8 7.4; an application that imports it and not
 * {@code kdiscovery-bom} first runs kdiscovery on a fabric8 it was never compiled against, and would
 * meet a {@code NoSuchMethodError} or a misread object at some later watch. Failing when the source is
 * built, with one line that names the fix, is the kinder failure. A version that cannot be read (a
 * shaded or repackaged client) passes with one WARN.
 */
final class Fabric8Version {

  private static final Logger log = LoggerFactory.getLogger(Fabric8Version.class);
  private static final Pattern MAJOR_MINOR = Pattern.compile("^(\\d+)\\.(\\d+)");
  private static final Properties BUILD = buildProperties();

  private Fabric8Version() {}

  /** The fabric8 version this kdiscovery was compiled and tested against, e.g. {@code 8.0.0}. */
  static String builtAgainst() {
    return BUILD.getProperty("fabric8.version", "unknown");
  }

  /** The version of the fabric8 client on the classpath, {@code unknown} when it cannot be read. */
  static String onClasspath() {
    try {
      return io.fabric8.kubernetes.client.Version.clientVersion();
    } catch (LinkageError e) {
      return fromPomProperties();
    }
  }

  /**
   * Returns quietly when {@code onClasspath} supplies a version compatible with {@link #builtAgainst()}.
   *
   * @throws IllegalStateException with a one-line message naming both versions and the fix
   */
  static void check(Supplier<String> onClasspath) {
    String found = onClasspath.get();
    String built = builtAgainst();
    Matcher want = MAJOR_MINOR.matcher(built);
    Matcher have = MAJOR_MINOR.matcher(found == null ? "" : found);
    if (!want.find() || !have.find()) {
      log.warn("kdiscovery: cannot tell the fabric8 kubernetes-client version on the classpath ('{}'); "
          + "kdiscovery was built against {}", found, built);
      return;
    }
    int wantMajor = Integer.parseInt(want.group(1));
    int haveMajor = Integer.parseInt(have.group(1));
    boolean compatible = haveMajor == wantMajor && Integer.parseInt(have.group(2)) >= Integer.parseInt(want.group(2));
    if (!compatible) {
      throw new IllegalStateException("kdiscovery " + BUILD.getProperty("kdiscovery.version", "")
          + " needs fabric8 kubernetes-client " + wantMajor + ".x (built against " + built + ") but " + found
          + " is on the classpath (Spring Cloud's BOM manages fabric8 7.4): import io.kdiscovery:kdiscovery-bom"
          + " before spring-cloud-dependencies in <dependencyManagement>, or manage io.fabric8:kubernetes-client-bom "
          + built + " yourself");
    }
  }

  private static String fromPomProperties() {
    Properties pom = load("/META-INF/maven/io.fabric8/kubernetes-client-api/pom.properties");
    return pom.getProperty("version", "unknown");
  }

  private static Properties buildProperties() {
    return load("/io/kdiscovery/build.properties");
  }

  private static Properties load(String resource) {
    Properties properties = new Properties();
    try (InputStream in = Fabric8Version.class.getResourceAsStream(resource)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      log.debug("kdiscovery: cannot read {}", resource, e);
    }
    return properties;
  }
}
