import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EndpointEngine, ResponseSink } from './endpoint-engine.js';

/**
 * The node:http face of one engine: its own `http.Server` on 127.0.0.1, sockets tracked so an outage
 * (`down`) and `close()` cut keep-alive connections too (otherwise clients with pooled connections
 * would never see the outage, and `close()` would wait for them).
 */
export class NodeEndpointServer {
  readonly #engine: EndpointEngine;
  readonly #sockets = new Set<Socket>();
  /** Sockets answering a control request now: `down: true` must not cut its own answer. */
  readonly #controlSockets = new Set<Socket>();
  #server: Server | undefined;
  #port: number;
  #closed = false;
  /** Answers being worked on; `close()` waits for them, so stats are final when it resolves. */
  readonly #pending = new Set<Promise<void>>();

  constructor(engine: EndpointEngine, port: number) {
    this.#engine = engine;
    this.#port = port;
  }

  /** The port, known after the first {@link listen}. */
  get port(): number {
    return this.#port;
  }

  /** Listens on the configured port (0 = any free one, then kept for later re-listens). */
  async listen(): Promise<void> {
    if (this.#server || this.#closed) return;
    const server = createServer({ keepAliveTimeout: 5000 }, (req, res) =>
      this.#onRequest(req, res),
    );
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening now and cuts every open connection (connection refused from here on). */
  stop(): void {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) {
      // The socket carrying a `down: true` control request is ended after its answer instead.
      if (!this.#controlSockets.has(socket) || this.#closed) socket.destroy();
    }
    // close() stops listening at once (the port refuses connections from here on); its callback
    // would wait for the kept control socket, whose answer waits for us: don't await it.
    server?.close();
  }

  /** Stops for good; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.stop();
    await Promise.all(this.#pending);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const socket = req.socket;
      const isControl = req.url?.startsWith('/__control') === true;
      if (isControl) this.#controlSockets.add(socket);
      const sink: ResponseSink = {
        head: (status, headers) => {
          res.writeHead(status, headers);
          // Flush headers now for streams, so clients see them before the first token.
          if (headers['content-type']?.startsWith('text/event-stream')) res.flushHeaders();
        },
        write: (chunk) => {
          res.write(chunk);
        },
        end: (chunk) => {
          res.end(chunk);
        },
        destroy: () => {
          // end(), not destroy(): destroy() would drop the chunks still buffered, and the client
          // must see part of the answer before the cut. Either way the body ends incomplete.
          socket.end();
        },
      };
      const body =
        chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString();
      const pending = this.#engine
        .handle(
          {
            method: req.method ?? 'GET',
            path: req.url ?? '/',
            headers: req.headers,
            body,
            signal: controller.signal,
          },
          sink,
        )
        .then(
          () => {
            if (!isControl) return;
            this.#controlSockets.delete(socket);
            // After `down: true`, the connection that asked for it is closed once answered.
            if (this.#server) return;
            if (res.writableFinished) socket.end();
            else res.once('finish', () => socket.end());
          },
          (error: unknown) => {
            if (!res.headersSent) {
              res.writeHead(500, { 'content-type': 'application/json' });
              res.end(
                JSON.stringify({
                  error: {
                    message: String(error),
                    type: 'server_error',
                    param: null,
                    code: 'server_error',
                  },
                }),
              );
            } else socket.destroy();
          },
        )
        .finally(() => this.#pending.delete(pending));
      this.#pending.add(pending);
    });
  }
}
