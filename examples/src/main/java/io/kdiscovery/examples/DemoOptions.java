package io.kdiscovery.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code bin/demo}'s command line, checked at once: a wrong argument is a clear message and exit
 * code 2, never a half-started demo.
 *
 * @param quick the scripted chapters in a few seconds
 * @param serve keep the embedded cluster running for kubectl instead of the script
 * @param kubeconfig watch a real cluster through this kubeconfig (with {@code service})
 * @param service the Service to watch in a real cluster, {@code name.namespace:port}
 * @param send also send requests to the real Service's pods
 * @param duration stop after this long ({@code --serve} and watch mode; default: until Ctrl-C)
 * @param writeKubeconfig where {@code --serve} writes its kubeconfig
 * @param plain line output even on a terminal
 * @param help print the usage and exit
 */
record DemoOptions(boolean quick, boolean serve, Optional<Path> kubeconfig, Optional<String> service,
    boolean send, Optional<Duration> duration, Optional<Path> writeKubeconfig, boolean plain, boolean help) {

  static final String USAGE = String.join("\n",
      "usage: bin/demo [options]",
      "",
      "With no option: the hostnames scenario on an embedded Kubernetes API server, in chapters",
      "(steady state, a pod turning unready, a rolling update, session affinity, a killed pod,",
      "scale to zero and back), with a live view, then a summary; exit code 0 when every check held.",
      "",
      "  --quick                  the same chapters in a few seconds (what CI runs)",
      "  --serve                  keep the embedded cluster running, with steady traffic and the live view,",
      "                           and print a kubeconfig for kubectl (get endpointslices, scale, delete pod)",
      "  --write-kubeconfig PATH  where --serve writes the kubeconfig (default: a file in the temp dir)",
      "  --service NAME.NS:PORT   watch this Service of a real cluster instead (read-only: never creates or",
      "                           changes anything); the cluster is the one of --kubeconfig, or fabric8's",
      "                           standard configuration (in-cluster service account, KUBECONFIG, ~/.kube/config)",
      "  --kubeconfig PATH        the kubeconfig for --service",
      "  --send                   with --service: also send GET / to the pods, a pick per request",
      "  --duration TIME          with --serve or --service: stop after TIME (500ms, 30s, 5m); default: Ctrl-C",
      "  --plain                  line output even on a terminal (the default when stdout is not one)",
      "  --example grpc|spring    (first argument) the gRPC or the Spring Boot example instead",
      "  -h, --help               this text");

  static DemoOptions parse(String... args) {
    boolean quick = false;
    boolean serve = false;
    boolean send = false;
    boolean plain = false;
    boolean help = false;
    Path kubeconfig = null;
    String service = null;
    Duration duration = null;
    Path writeKubeconfig = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--quick" -> quick = true;
        case "--serve" -> serve = true;
        case "--send" -> send = true;
        case "--plain" -> plain = true;
        case "-h", "--help" -> help = true;
        case "--kubeconfig" -> kubeconfig = Path.of(value(args, ++i, arg));
        case "--service" -> service = value(args, ++i, arg);
        case "--duration" -> duration = duration(value(args, ++i, arg));
        case "--write-kubeconfig" -> writeKubeconfig = Path.of(value(args, ++i, arg));
        default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
    }
    if (service == null && kubeconfig != null) {
      throw new IllegalArgumentException("--kubeconfig needs --service NAME.NAMESPACE:PORT (the Service to watch)");
    }
    if (service == null && send) {
      throw new IllegalArgumentException("--send goes with --service (the embedded demo always sends)");
    }
    if (service != null && (serve || quick)) {
      throw new IllegalArgumentException("--service watches a real cluster; it does not combine with "
          + (serve ? "--serve" : "--quick"));
    }
    if (duration != null && service == null && !serve) {
      throw new IllegalArgumentException("--duration goes with --serve or --service (the script has its own length)");
    }
    if (writeKubeconfig != null && !serve) {
      throw new IllegalArgumentException("--write-kubeconfig goes with --serve");
    }
    return new DemoOptions(quick, serve, Optional.ofNullable(kubeconfig), Optional.ofNullable(service), send,
        Optional.ofNullable(duration), Optional.ofNullable(writeKubeconfig), plain, help);
  }

  DemoTiming timing() {
    return quick ? DemoTiming.QUICK : DemoTiming.FULL;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  static Duration duration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new NumberFormatException();
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--duration: '" + text + "' is not a time such as 500ms, 30s, 5m", e);
    }
  }
}
