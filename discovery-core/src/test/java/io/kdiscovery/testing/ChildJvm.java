package io.kdiscovery.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM on this JVM's class path running one {@code main}, for tests of what happens when an
 * application's {@code main} returns: does the JVM exit, or do library threads keep it alive?
 *
 * <p>Not thread-safe: one test drives it. The child's stdout and stderr go to a file, so that a
 * chatty child never blocks on a full pipe; {@link #output()} reads it. {@link #close()} kills the
 * child if it is still running, so a failed test leaves no process behind.
 */
public final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final Path log;
  private final String description;

  private ChildJvm(Process process, Path log, String description) {
    this.process = process;
    this.log = log;
    this.description = description;
  }

  /**
   * Starts {@code java -cp <this class path> <system properties> mainClass args}.
   *
   * @param systemProperties passed as {@code -Dkey=value}
   */
  public static ChildJvm start(Class<?> mainClass, Map<String, String> systemProperties, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Xmx256m");
    command.add("-XX:TieredStopAtLevel=1"); // a short-lived child: start fast rather than run fast
    systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.add(mainClass.getName());
    command.addAll(List.of(args));
    Path log = Files.createTempFile("kdiscovery-child-", ".log");
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return new ChildJvm(process, log, mainClass.getSimpleName() + " (pid " + process.pid() + ")");
  }

  /** Everything the child printed so far. */
  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read the child's output: " + e + ")";
    }
  }

  /** Whether the child printed this line (as a whole line) so far. */
  public boolean printed(String line) {
    return output().lines().anyMatch(line::equals);
  }

  /** Waits up to {@code timeout} for the child to exit; true if it did. */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public int exitValue() {
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The child's thread dump (jcmd Thread.print), for the message of a failed test. */
  public String threadDump() {
    if (!process.isAlive()) {
      return "(the child has exited)";
    }
    try {
      Process jcmd = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(process.pid()), "Thread.print")
          .redirectErrorStream(true)
          .start();
      byte[] out = jcmd.getInputStream().readAllBytes();
      jcmd.waitFor(20, TimeUnit.SECONDS);
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(jcmd failed: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted while taking the thread dump)";
    }
  }

  /**
   * The names of the child's live non-daemon Java threads, from its thread dump: the threads that
   * keep it from exiting ({@code DestroyJavaVM}, which waits for them, and the VM's own threads,
   * which carry no {@code #number}, are left out).
   */
  public List<String> nonDaemonThreads() {
    List<String> names = new ArrayList<>();
    for (String line : threadDump().lines().toList()) {
      int end = line.indexOf('"', 1);
      if (line.startsWith("\"") && end > 0 && line.startsWith(" #", end + 1) && !line.contains(" daemon ")) {
        String name = line.substring(1, end);
        if (!name.equals("DestroyJavaVM")) {
          names.add(name);
        }
      }
    }
    return names;
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temp file; the OS cleans up
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
