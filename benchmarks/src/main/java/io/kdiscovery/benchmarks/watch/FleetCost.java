package io.kdiscovery.benchmarks.watch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Issue 20: extrapolates the per-client counts of {@link ApiServerCost} (the last row of each scope in
 * {@code benchmarks/charts/data/api-server-cost.csv}) to a fleet, beside kube-proxy's one pair of
 * watches per node, prints the table and draws {@code benchmarks/charts/fleet-cost.png}.
 *
 * <p>What is measured and what is modelled: from the run come the watch requests and LISTs a client
 * makes at start, the watch events it receives per slice write of a Service it watches (1.0 when every
 * write reaches it once and nothing else does) and the bytes per event. The fleet is a model: {@code
 * clients} client pods each using {@code used} Services, a cluster of {@code clusterServices} Services
 * of which {@code namespaceServices} are in the clients' namespace, each Service seeing the same 60
 * slice writes an hour as in the run, {@code nodes} nodes each running kube-proxy (which watches every
 * Service and slice of the cluster), and watch requests modelled as client-go's and kdiscovery's
 * watches make them: every watch asks for a random {@code timeoutSeconds} of 5 to 10 minutes (8 watch
 * requests an hour), and kdiscovery also restarts a watch that heard neither an event nor a bookmark
 * for its idle bound ({@code watchIdleTimeout}, 30 s by default). A real API server sends a quiet watch
 * a bookmark about once a minute, so with a bound under a minute a watch is restarted after every gap
 * between its events longer than the bound: with events arriving at random at rate r, r e^(-rb) /
 * (1 - e^(-rb)) restarts per unit of time (1/b for a watch that hears nothing, such as a Services watch
 * whose Services do not change). With a bound over a minute the bookmarks keep a healthy watch alive and
 * only the 8 an hour remain. Every restart resumes from the last resourceVersion without a LIST.
 *
 * <p>Arguments: {@code [clients=10000] [used=10] [namespaceServices=100] [clusterServices=1000] [nodes=500]
 * [idleSeconds=30]}.
 */
public final class FleetCost {

  private static final double WRITES_PER_SERVICE_HOUR = 60;
  /** timeoutSeconds drawn from 5 to 10 minutes: 7.5 minutes on average. */
  private static final double TIMEOUT_RESTARTS_PER_HOUR = 60 / 7.5;
  /** A real API server's bookmark period for a quiet watch. */
  private static final double BOOKMARK_SECONDS = 60;

  /** Watch requests per hour of one watch hearing {@code eventsPerHour} at random, with idle bound {@code idle}. */
  static double restartsPerHour(double eventsPerHour, double idleSeconds) {
    if (idleSeconds > BOOKMARK_SECONDS) {
      return TIMEOUT_RESTARTS_PER_HOUR;
    }
    double rate = eventsPerHour / 3600; // per second
    double idle = rate == 0 ? 3600 / idleSeconds
        : eventsPerHour * Math.exp(-rate * idleSeconds) / (1 - Math.exp(-rate * idleSeconds));
    return TIMEOUT_RESTARTS_PER_HOUR + idle;
  }

  private FleetCost() {}

  public static void main(String[] args) throws IOException {
    long clients = args.length > 0 ? Long.parseLong(args[0]) : 10_000;
    int used = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int namespaceServices = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int clusterServices = args.length > 3 ? Integer.parseInt(args[3]) : 1_000;
    long nodes = args.length > 4 ? Long.parseLong(args[4]) : 500;
    double idleSeconds = args.length > 5 ? Double.parseDouble(args[5]) : 30;
    Path csv = Path.of("benchmarks/charts/data/api-server-cost.csv");
    Map<String, Map<String, String>> byScope = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(csv);
    String[] header = lines.get(0).split(",");
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < header.length; i++) {
        row.put(header[i], cells[i]);
      }
      byScope.put(row.get("scope"), row);
    }

    System.out.printf(Locale.ROOT, "Fleet: %,d client pods x %d Services; cluster of %,d Services (%,d in the "
        + "clients' namespace), %.0f slice writes per Service per hour; %,d nodes%n", clients, used, clusterServices,
        namespaceServices, WRITES_PER_SERVICE_HOUR, nodes);
    System.out.printf(Locale.ROOT, "kdiscovery watchIdleTimeout %.0f s; API server bookmarks every %.0f s%n",
        idleSeconds, BOOKMARK_SECONDS);
    System.out.println("| who | watches held | watch requests / h | LISTs at start | events / h | MiB / h |");
    System.out.println("|---|---|---|---|---|---|");
    List<String> names = new ArrayList<>();
    List<Double> eventsPerHour = new ArrayList<>();
    List<Double> mibPerHour = new ArrayList<>();
    List<Double> watchesHeld = new ArrayList<>();
    double bytesPerEvent = 0;
    for (Map.Entry<String, Map<String, String>> e : byScope.entrySet()) {
      String scope = e.getKey();
      Map<String, String> row = e.getValue();
      int runUsed = Integer.parseInt(row.get("used"));
      int runNamespace = Integer.parseInt(row.get("per_namespace"));
      int runCluster = runNamespace * Integer.parseInt(row.get("namespaces"));
      int runWatched = switch (scope) {
        case "SERVICE" -> runUsed;
        case "NAMESPACE" -> runNamespace;
        default -> runCluster;
      };
      int fleetWatched = switch (scope) {
        case "SERVICE" -> used;
        case "NAMESPACE" -> namespaceServices;
        default -> clusterServices;
      };
      double events = Double.parseDouble(row.get("hour_events"));
      double eventsPerWrite = events / (runWatched * WRITES_PER_SERVICE_HOUR);
      bytesPerEvent = Double.parseDouble(row.get("hour_event_bytes")) / events;
      // watches per client: measured at start, scaled by Services where the scope watches per Service
      double runWatches = Double.parseDouble(row.get("start_watches"));
      double watches = scope.equals("SERVICE") ? runWatches / runUsed * used : runWatches;
      double lists = Double.parseDouble(row.get("start_lists"));
      lists = scope.equals("SERVICE") ? lists / runUsed * used : lists;
      double fleetEvents = clients * fleetWatched * WRITES_PER_SERVICE_HOUR * eventsPerWrite;
      // Half the watches are of slices (they hear the writes), half of Services (quiet).
      double sliceWatches = watches / 2;
      double sliceEventsPerWatch = fleetWatched * WRITES_PER_SERVICE_HOUR * eventsPerWrite / sliceWatches;
      double watchRequests = sliceWatches * restartsPerHour(sliceEventsPerWatch, idleSeconds)
          + (watches - sliceWatches) * restartsPerHour(0, idleSeconds);
      double fleetMib = fleetEvents * bytesPerEvent / 1024 / 1024;
      System.out.printf(Locale.ROOT, "| kdiscovery %s (%.2f events per write, %.0f B per event) | %,.0f | %,.0f | %,.0f "
              + "| %,.0f | %,.0f |%n", scope, eventsPerWrite, bytesPerEvent, clients * watches,
          clients * watchRequests, clients * lists, fleetEvents, fleetMib);
      names.add("kdiscovery " + scope);
      eventsPerHour.add(fleetEvents);
      mibPerHour.add(fleetMib);
      watchesHeld.add(clients * watches);
    }
    double proxyEvents = nodes * clusterServices * WRITES_PER_SERVICE_HOUR;
    double proxyMib = proxyEvents * bytesPerEvent / 1024 / 1024;
    System.out.printf(Locale.ROOT, "| kube-proxy (2 watches per node, every Service and slice) | %,d | %,.0f | %,d "
        + "| %,.0f | %,.0f |%n", 2 * nodes, 2 * nodes * TIMEOUT_RESTARTS_PER_HOUR, 2 * nodes, proxyEvents, proxyMib);
    names.add("kube-proxy");
    eventsPerHour.add(proxyEvents);
    mibPerHour.add(proxyMib);
    watchesHeld.add(2.0 * nodes);

    CategoryChart chart = new CategoryChartBuilder().width(1000).height(560)
        .title(String.format(Locale.ROOT, "API server cost per hour: %,d clients x %d Services vs kube-proxy on %,d nodes",
            clients, used, nodes))
        .xAxisTitle("who watches").yAxisTitle("per hour (log scale)").build();
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setYAxisMin(100.0); // bars start at the axis minimum, which a log axis cannot put at 0
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.addSeries("watch events sent", names, eventsPerHour);
    chart.addSeries("MiB of events sent", names, mibPerHour);
    chart.addSeries("watches held open", names, watchesHeld);
    Path png = Path.of("benchmarks/charts/fleet-cost.png");
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("chart: " + png);
  }
}
