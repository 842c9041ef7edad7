package io.kdiscovery.benchmarks.watch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the issue-10 charts from the CSV files the harnesses append to ({@code benchmarks/charts/data}):
 * {@code update-cost.png} (one-slice change and cold open versus endpoint count, one line per label and
 * measure), {@code many-services.png} (the 1 000-Service comparison, one bar per label and scope and
 * one panel per measure) and {@code heap-per-endpoint.png}. Of rows with the same label and key the
 * last one counts, so a re-run replaces its figure. Argument: the charts directory
 * ({@code benchmarks/charts} by default).
 */
public final class WatchCharts {

  private WatchCharts() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "benchmarks/charts");
    Path data = dir.resolve("data");
    int written = 0;
    if (Files.exists(data.resolve("update-cost.csv"))) {
      updateCost(rows(data.resolve("update-cost.csv")), dir.resolve("update-cost.png"));
      written++;
    }
    if (Files.exists(data.resolve("many-services.csv"))) {
      manyServices(rows(data.resolve("many-services.csv")), dir.resolve("many-services.png"));
      written++;
    }
    if (Files.exists(data.resolve("heap.csv"))) {
      heap(rows(data.resolve("heap.csv")), dir.resolve("heap-per-endpoint.png"));
      written++;
    }
    System.out.println(written + " charts written to " + dir);
  }

  private static void updateCost(List<Map<String, String>> rows, Path png) throws IOException {
    XYChart chart = new XYChartBuilder().width(900).height(560)
        .title("One EndpointSlice change vs a full build, by Service size")
        .xAxisTitle("endpoints in the Service (slices of 100)").yAxisTitle("ms").build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setMarkerSize(7);
    Map<String, TreeMap<Integer, Map<String, String>>> byLabel = new LinkedHashMap<>();
    for (Map<String, String> row : rows) {
      byLabel.computeIfAbsent(row.get("label"), l -> new TreeMap<>()).put(Integer.parseInt(row.get("endpoints")), row);
    }
    byLabel.forEach((label, bySize) -> {
      List<Integer> x = new ArrayList<>(bySize.keySet());
      series(chart, label + ": one-slice change, median", x, bySize, "change_median_ms");
      series(chart, label + ": one-slice change, p99", x, bySize, "change_p99_ms");
      series(chart, label + ": cold open (LIST + full build), median", x, bySize, "cold_open_median_ms");
    });
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void series(XYChart chart, String name, List<Integer> x,
      TreeMap<Integer, Map<String, String>> bySize, String column) {
    List<Double> y = new ArrayList<>();
    for (Integer size : x) {
      y.add(Math.max(0.001, Double.parseDouble(bySize.get(size).get(column))));
    }
    XYSeries series = chart.addSeries(name, x, y);
    series.setMarker(SeriesMarkers.CIRCLE);
  }

  private static void manyServices(List<Map<String, String>> rows, Path png) throws IOException {
    Map<String, Map<String, String>> byRun = new LinkedHashMap<>();
    for (Map<String, String> row : rows) {
      byRun.put(row.get("label") + " / " + row.get("scope").toLowerCase(), row);
    }
    List<String> runs = new ArrayList<>(byRun.keySet());
    String services = rows.get(rows.size() - 1).get("services");
    String[][] panels = {
        {"seconds_to_all_first", "time until every first snapshot (s)"},
        {"threads_added_10s", "threads added (10 s after)"},
        {"open_watches_10s", "watches open on the server (10 s after)"},
        {"lists", "LIST requests"},
        {"heap_mib", "heap retained (MiB)"},
        {"warn_lines", "WARN lines"},
    };
    List<CategoryChart> charts = new ArrayList<>();
    for (String[] panel : panels) {
      CategoryChart chart = new CategoryChartBuilder().width(450).height(320)
          .title(panel[1] + ", " + services + " Services").build();
      chart.getStyler().setLabelsVisible(true);
      chart.getStyler().setXAxisLabelRotation(15);
      chart.getStyler().setLegendVisible(false);
      List<Double> values = new ArrayList<>();
      for (String run : runs) {
        values.add(Double.parseDouble(byRun.get(run).getOrDefault(panel[0], "0")));
      }
      chart.addSeries(panel[1], runs, values);
      charts.add(chart);
    }
    BitmapEncoder.saveBitmap(charts, 3, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void heap(List<Map<String, String>> rows, Path png) throws IOException {
    Map<String, Map<String, String>> byLabel = new LinkedHashMap<>();
    for (Map<String, String> row : rows) {
      byLabel.put(row.get("label") + " @" + row.get("endpoints"), row);
    }
    CategoryChart chart = new CategoryChartBuilder().width(700).height(420)
        .title("Heap retained per endpoint").yAxisTitle("bytes").build();
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    List<String> labels = new ArrayList<>(byLabel.keySet());
    List<Double> all = new ArrayList<>();
    List<Double> slope = new ArrayList<>();
    for (String label : labels) {
      all.add(Double.parseDouble(byLabel.get(label).get("per_endpoint_all_b")));
      slope.add(Double.parseDouble(byLabel.get(label).get("per_endpoint_slope_b")));
    }
    chart.addSeries("retained / endpoints (fixed cost included)", labels, all);
    chart.addSeries("per additional endpoint (slope)", labels, slope);
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static List<Map<String, String>> rows(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    String[] header = lines.get(0).split(",");
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",");
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < header.length && i < cells.length; i++) {
        row.put(header[i], cells[i]);
      }
      rows.add(row);
    }
    return rows;
  }
}
