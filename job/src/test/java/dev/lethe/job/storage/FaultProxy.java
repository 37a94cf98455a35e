package dev.lethe.job.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A TCP proxy in front of an HTTP server (here s3proxy) that lets a test stop the server at an
 * exact request: every byte is forwarded both ways until a request line (e.g. {@code PUT
 * /bucket/.../manifest.json HTTP/1.1}) matches the trigger. Then, before that request reaches the
 * server, the proxy runs the test's action (which stops the server), drops every open connection
 * and stops listening, so the client meets a dead endpoint from that request on.
 */
final class FaultProxy implements AutoCloseable {

  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;
  private final Predicate<String> trigger;
  private final Runnable action;
  private final AtomicBoolean fired = new AtomicBoolean();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile String firedOn;

  private FaultProxy(
      ServerSocket server,
      String upstreamHost,
      int upstreamPort,
      Predicate<String> trigger,
      Runnable action) {
    this.server = server;
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
    this.trigger = trigger;
    this.action = action;
  }

  /**
   * Starts a proxy on a free local port to {@code upstream} ({@code http://host:port}); {@code
   * action} runs once, on the first request line that {@code trigger} accepts.
   */
  static FaultProxy start(String upstream, Predicate<String> trigger, Runnable action)
      throws IOException {
    java.net.URI uri = java.net.URI.create(upstream);
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    FaultProxy proxy = new FaultProxy(server, uri.getHost(), uri.getPort(), trigger, action);
    Thread accept = new Thread(proxy::acceptLoop, "fault-proxy-accept");
    accept.setDaemon(true);
    accept.start();
    return proxy;
  }

  /** The proxy's endpoint, {@code http://127.0.0.1:PORT}. */
  String endpoint() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** The request line the fault fired on; null while it has not. */
  String firedOn() {
    return firedOn;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(upstreamHost, upstreamPort);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(Socket from, Socket to, boolean requests) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              StringBuilder line = new StringBuilder();
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  if (requests && scan(buffer, n, line)) {
                    fire(line.toString());
                    return;
                  }
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // a side closed: the pair is done
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Feeds {@code n} bytes into the current line; true when a complete request line matches the
   * trigger (bodies produce lines too, which never start with an HTTP method and a path).
   */
  private boolean scan(byte[] buffer, int n, StringBuilder line) {
    for (int i = 0; i < n; i++) {
      char c = (char) (buffer[i] & 0xff);
      if (c == '\n') {
        String request = line.toString().strip();
        line.setLength(0);
        if (!fired.get() && trigger.test(request)) {
          line.append(request);
          return true;
        }
      } else if (line.length() < 8192) {
        line.append(c);
      }
    }
    return false;
  }

  private void fire(String request) {
    if (fired.compareAndSet(false, true)) {
      firedOn = request;
      action.run();
      closeQuietly(server);
      sockets.forEach(FaultProxy::closeQuietly);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing is best effort
    }
  }

  @Override
  public void close() {
    closeQuietly(server);
    sockets.forEach(FaultProxy::closeQuietly);
  }

  /** Request lines of {@code method} whose path contains {@code part}. */
  static Predicate<String> request(String method, String part) {
    return line -> line.startsWith(method + " ") && line.contains(part);
  }
}
