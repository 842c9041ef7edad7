package io.kdiscovery;

import io.kdiscovery.table.ServiceHandle;
import io.kdiscovery.table.SnapshotTimeoutException;
import java.time.Duration;

/**
 * An application that uses kdiscovery and returns from {@code main} without closing anything, run
 * in a child JVM by {@link JvmExitTest}. Its API server comes from the {@code kubernetes.master}
 * system property. Prints {@code RETURNING} just before {@code main} returns.
 *
 * <p>Arguments: {@code synced} waits for the first snapshot (the watch is open when main returns);
 * {@code unreachable} waits briefly for a snapshot that cannot come (retries are pending).
 */
public final class ForgetfulMain {

  private ForgetfulMain() {}

  public static void main(String[] args) {
    KDiscovery discovery = KDiscovery.create();
    ServiceHandle hostnames = discovery.open("hostnames.default:80");
    if (args[0].equals("synced")) {
      System.out.println("endpoints: " + hostnames.awaitSnapshot(Duration.ofSeconds(20)).endpoints().size());
    } else {
      try {
        hostnames.awaitSnapshot(Duration.ofMillis(1500));
        throw new IllegalStateException("a snapshot from an unreachable API server");
      } catch (SnapshotTimeoutException expected) {
        System.out.println("no snapshot, as expected: " + expected.getMessage());
      }
    }
    System.out.println("RETURNING");
  }
}
