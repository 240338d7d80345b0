// Listeners: one TCP server per configured listener, one driver connection per accepted socket.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ErrorCodes, SluiceError } from '../errors.js';
import type { ConnectionContext, Driver, DriverConnection, TerminationReason } from '../driver.js';

export interface TrackedConnection {
  readonly id: string;
  readonly connection: DriverConnection;
}

export interface ListenerOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly driver: Driver;
  /** Builds core's context for a freshly accepted socket. */
  contextFor(socket: Socket, connectionId: string, terminate: (reason: TerminationReason, message: string) => void): ConnectionContext;
  readonly newConnectionId: () => string;
  readonly connectTimeoutMs: () => number;
  readonly onError: (error: unknown, socket: Socket) => void;
}

export class Listener {
  readonly name: string;
  readonly connections = new Map<string, TrackedConnection>();
  readonly #server: Server;
  readonly #options: ListenerOptions;

  constructor(options: ListenerOptions) {
    this.name = options.name;
    this.#options = options;
    this.#server = createServer({ noDelay: true, keepAlive: true }, (socket) => this.#accept(socket));
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(new SluiceError(ErrorCodes.LISTEN, `listener ${this.name} cannot listen on ${host}:${port}: ${error.code ?? error.message}`, { cause: error }));
      };
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    return this.address();
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  /** Stops accepting at once; existing connections go on (server.close's callback would wait for them). */
  stopAccepting(): void {
    if (this.#server.listening) this.#server.close();
  }

  #accept(socket: Socket): void {
    const id = this.#options.newConnectionId();
    let connection: DriverConnection | undefined;
    const terminate = (reason: TerminationReason, message: string) => connection?.terminate(reason, message);
    const connectTimer = setTimeout(() => terminate('timeout', 'connection setup timed out'), this.#options.connectTimeoutMs());
    connectTimer.unref();
    try {
      const context = this.#options.contextFor(socket, id, terminate);
      const wrapped: ConnectionContext = {
        ...context,
        begin: async (details) => {
          clearTimeout(connectTimer);
          return context.begin(details);
        },
        upstreamFor: context.upstreamFor,
        refused: context.refused,
      };
      connection = this.#options.driver.accept(socket, wrapped);
    } catch (error) {
      clearTimeout(connectTimer);
      this.#options.onError(error, socket);
      socket.destroy();
      return;
    }
    this.connections.set(id, { id, connection });
    connection.closed
      .catch((error: unknown) => this.#options.onError(error, socket))
      .finally(() => {
        clearTimeout(connectTimer);
        this.connections.delete(id);
      });
  }
}
