package io.kdiscovery.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Captures what the library logs (slf4j-simple writes to {@code System.err}) while it is open, and
 * still shows it. Not for parallel tests: it swaps {@code System.err}.
 */
public final class LogCapture implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  public LogCapture() {
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        original.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        original.write(b, off, len);
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  /** Every line logged so far. */
  public List<String> lines() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** The lines at WARN that contain {@code fragment}. */
  public List<String> warnings(String fragment) {
    return lines().stream().filter(l -> l.contains(" WARN ") && l.contains(fragment)).toList();
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
