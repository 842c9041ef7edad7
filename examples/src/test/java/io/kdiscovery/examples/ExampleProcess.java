package io.kdiscovery.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An example's main in a JVM of its own, as bin/demo starts it: so a test sees its exit code and
 * whether it exits by itself (a thread left running keeps the JVM up, and then the test fails).
 */
record ExampleProcess(boolean exited, int exitCode, String output) {

  static ExampleProcess run(Path dir, Class<?> main, long timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    Path log = dir.resolve(main.getSimpleName() + ".log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean exited = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    return new ExampleProcess(exited, exited ? process.exitValue() : -1, Files.readString(log, StandardCharsets.UTF_8));
  }
}
