package io.kdiscovery.testing;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.fabric8.mockwebserver.http.Response;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * fabric8's CRUD dispatcher with scripted faults in front: a fault answers the requests it matches
 * (a given number of times, or always) and everything else reaches the real CRUD behaviour.
 */
public final class FaultDispatcher extends Dispatcher {

  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile long lastWriteAcceptedNanos;

  /** Answers requests matching {@code when} with {@code answer}, {@code times} times (-1: always). */
  public void inject(Predicate<RecordedRequest> when, Function<RecordedRequest, MockResponse> answer, int times) {
    faults.add(new Fault(when, answer, new AtomicInteger(times)));
  }

  public void clearFaults() {
    faults.clear();
  }

  /** The request lines seen so far, for assertions on what the client asked. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    requests.add(request.getMethod() + " " + request.getPath());
    for (Fault fault : faults) {
      if (fault.when.test(request) && fault.take()) {
        return fault.answer.apply(request);
      }
    }
    // Stamped on arrival: the CRUD dispatcher sends watch events before it returns.
    long arrived = System.nanoTime();
    MockResponse response = crud.dispatch(request);
    if (!"GET".equals(request.getMethod()) && response.code() < 300) {
      lastWriteAcceptedNanos = arrived;
    }
    if (response.getWebSocketListener() != null) {
      response.withWebSocketUpgrade(new ClosingOffTheEventLoop(response.getWebSocketListener()));
    }
    return response;
  }

  /**
   * fabric8's CRUD watch listener waits (up to a minute) for its send executor when a watch closes,
   * on the mock server's only event loop, while that executor may wait for the event loop: a client
   * that closes watches quickly (the leak tests do, by the hundred) would freeze the whole server. So
   * the close is handed to a thread of its own; everything else goes straight through.
   */
  private static final class ClosingOffTheEventLoop extends WebSocketListener {
    private final WebSocketListener delegate;

    ClosingOffTheEventLoop(WebSocketListener delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      delegate.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      delegate.onOpen(webSocket, response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      delegate.onMessage(webSocket, text);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      CLOSER.execute(() -> delegate.onClosing(webSocket, code, reason));
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      CLOSER.execute(() -> delegate.onClosed(webSocket, code, reason));
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
      CLOSER.execute(() -> delegate.onFailure(webSocket, error, response));
    }
  }

  private static final java.util.concurrent.ExecutorService CLOSER = java.util.concurrent.Executors.newCachedThreadPool(
      task -> {
        Thread thread = new Thread(task, "mock-api-server-watch-close");
        thread.setDaemon(true);
        return thread;
      });

  /**
   * How many watches the server holds open now, counted on the server side (the CRUD dispatcher's
   * watch listeners): what a client leaves open, whatever it believes it closed.
   */
  public int openWatches() {
    try {
      java.lang.reflect.Field field = KubernetesCrudDispatcher.class.getDeclaredField("watchEventListeners");
      field.setAccessible(true);
      return ((java.util.Collection<?>) field.get(crud)).size();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("fabric8's CRUD dispatcher changed: cannot count its watches", e);
    }
  }

  /** How many requests so far match {@code when} (by method and path). */
  public long count(Predicate<String> when) {
    return requests.stream().filter(when).count();
  }

  /**
   * The lists (not watches, not reads of one object by name) of a resource seen so far, e.g.
   * {@code "endpointslices"}.
   */
  public long lists(String fragment) {
    return count(r -> r.startsWith("GET") && (r.contains(fragment + "?") || r.endsWith(fragment))
        && !r.contains("watch=true"));
  }

  /** The watches of a resource path fragment seen so far. */
  public long watches(String fragment) {
    return count(r -> r.startsWith("GET") && r.contains(fragment) && r.contains("watch=true"));
  }

  /** When the last accepted write reached the server ({@link System#nanoTime()}): where propagation starts. */
  public long lastWriteAcceptedNanos() {
    return lastWriteAcceptedNanos;
  }

  @Override
  public void shutdown() {
    crud.shutdown();
  }

  // ---- common predicates and answers

  public static Predicate<RecordedRequest> path(String fragment) {
    return request -> request.getPath().contains(fragment);
  }

  public static Predicate<RecordedRequest> watchOf(String fragment) {
    return request -> request.getPath().contains(fragment) && request.getPath().contains("watch=true");
  }

  /** A LIST of a whole collection (not a GET of one object by name) of {@code resource}, e.g. "endpointslices". */
  public static Predicate<RecordedRequest> collectionListOf(String resource) {
    return request -> {
      String path = request.getPath();
      return "GET".equals(request.getMethod()) && !path.contains("watch=true")
          && (path.contains("/" + resource + "?") || path.endsWith("/" + resource));
    };
  }

  public static Predicate<RecordedRequest> listOf(String fragment) {
    return request -> "GET".equals(request.getMethod()) && request.getPath().contains(fragment)
        && !request.getPath().contains("watch=true");
  }

  public static Function<RecordedRequest, MockResponse> status(int code) {
    return request -> new MockResponse().setResponseCode(code).setBody(
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" + code
            + ",\"message\":\"scripted by the test\"}");
  }

  /**
   * 429 Too Many Requests as API Priority and Fairness answers it: a {@code Retry-After} header, and
   * the same wait in the Status's {@code details.retryAfterSeconds}.
   */
  public static Function<RecordedRequest, MockResponse> tooManyRequests(int retryAfterSeconds) {
    return request -> new MockResponse().setResponseCode(429)
        .addHeader("Retry-After", String.valueOf(retryAfterSeconds))
        .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":429,"
            + "\"reason\":\"TooManyRequests\",\"message\":\"Too many requests, please try again later.\","
            + "\"details\":{\"retryAfterSeconds\":" + retryAfterSeconds + "}}");
  }

  /** A watch that opens, then reports 410 Gone the way the API server does. */
  public static Function<RecordedRequest, MockResponse> watchExpired() {
    return request -> new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        webSocket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
            + "\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\","
            + "\"code\":410}}");
        // The client closes the stream on reading the 410; closing it here too would race with that.
      }
    });
  }

  /** A watch that opens and reports 410 Gone only when {@code trigger} completes: an expiry after it stayed up. */
  public static Function<RecordedRequest, MockResponse> watchExpiredWhen(
      java.util.concurrent.CompletableFuture<?> trigger) {
    return request -> new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        trigger.thenRun(() -> webSocket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
            + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version\","
            + "\"reason\":\"Expired\",\"code\":410}}"));
      }
    });
  }

  /** A watch the server closes cleanly right after it opened, with no event (fabric8 8 reports a 410). */
  public static Function<RecordedRequest, MockResponse> watchClosedAtOnce() {
    return request -> new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        webSocket.close(1000, "closed by the test");
      }
    });
  }

  /** A watch that sends these frames as they are (events, or garbage), then stays open. */
  public static Function<RecordedRequest, MockResponse> watchSending(String... frames) {
    return request -> new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        for (String frame : frames) {
          webSocket.send(frame);
        }
      }
    });
  }

  /** A 200 answer whose body is {@code body} as it is (say, invalid JSON). */
  public static Function<RecordedRequest, MockResponse> body(String body) {
    return request -> new MockResponse().setResponseCode(200).setBody(body);
  }

  private record Fault(Predicate<RecordedRequest> when, Function<RecordedRequest, MockResponse> answer,
      AtomicInteger remaining) {
    boolean take() {
      return remaining.get() < 0 || remaining.getAndUpdate(n -> n > 0 ? n - 1 : n) > 0;
    }
  }
}
